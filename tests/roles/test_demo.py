"""The demo's roles: three roles with months of history and an on-call rota around time off."""

import pytest

from meridian.roles.models import HoldingHow, Role, RoleHolding, Rota
from meridian.workspaces.models import TimeOff

pytestmark = pytest.mark.django_db


def test_demo_has_three_roles_with_histories_and_an_on_call_rota_that_skipped_time_off(
    client, shared_demo_on_a_tuesday
):
    # Built on a Tuesday morning, with the clock stopped there while this test runs.
    workspace = shared_demo_on_a_tuesday.workspace
    names = set(Role.objects.filter(workspace=workspace).values_list("name", flat=True))
    assert {"Release manager", "Support lead", "On-call"} <= names
    release = Role.objects.get(workspace=workspace, name="Release manager")
    assert release.holdings.count() == 3 and release.holdings.filter(ended_at=None).count() == 1
    oncall = Role.objects.get(workspace=workspace, name="On-call")
    rota = Rota.objects.get(role=oncall)
    turns = list(
        RoleHolding.objects.filter(role=oncall, how=HoldingHow.ROTA).order_by("started_at")
    )
    assert len(turns) >= 10 and rota.last_turn == 12
    quinn = TimeOff.objects.filter(workspace=workspace).first().membership
    for holding in turns:
        assert not (
            holding.membership_id == quinn.pk
            and TimeOff.objects.filter(
                membership=quinn,
                first_day__lte=holding.started_at.date(),
                last_day__gte=holding.started_at.date(),
            ).exists()
        )
    client.force_login(release.created_by.user)
    page = client.get(f"/w/{workspace.slug}/roles/{oncall.pk}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Next turns" in html and "Quinn Taylor" in html
    listing = client.get(f"/w/{workspace.slug}/roles/").content.decode()
    assert "Release manager" in listing and "Emeka Eze" in listing
