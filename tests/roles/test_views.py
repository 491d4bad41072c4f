"""The roles pages: list, role page, create/edit with conflicts, assign/release, tick, rota."""

from datetime import UTC, date, datetime

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from meridian.core import registry
from meridian.roles.models import DutyCheck, Role, RoleHolding, Rota
from meridian.roles.services import duty_tick, role_update
from meridian.workspaces.services import member_deactivate, time_off_add
from tests import factories
from tests.roles.factories import held, role, weekly_rota

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 12, 9, 10, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _clock():
    with time_machine.travel(NOW, tick=False):
        yield


def url(name, ws, **kw):
    return reverse(name, kwargs={"workspace": ws.slug, **kw})


def signed_in(client, m):
    client.force_login(m.user)
    return client


def list_queries(client, ws) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url("role_list", ws)).status_code == 200
    return len(ctx.captured_queries)


def test_the_list_shows_holders_and_duties_done_in_a_constant_number_of_queries(
    client, admin, member
):
    signed_in(client, member)
    first = held(admin, role(admin, name="Support lead"), member)
    one = list_queries(client, admin.workspace)
    for n in range(4):
        r = held(admin, role(admin, name=f"Role {n}"), admin, factories.member(admin.workspace))
        duty_tick(acting=admin, duty=r.duties.first(), done=True)
    many = list_queries(client, admin.workspace)
    assert one == many
    html = client.get(url("role_list", admin.workspace)).content.decode()
    assert "Support lead" in html and member.profile.display_name in html
    assert "1 of 3" in html and "0 of 3" in html
    assert first.name in html


def test_creating_a_role_from_the_page(client, member):
    response = signed_in(client, member).post(
        url("role_new", member.workspace),
        {
            "name": "On-call",
            "responsibilities": "Answer pages.",
            "duties": "daily: Review alerts\nTest the paging path\nmonthly: Rotate keys",
        },
    )
    r = Role.objects.get()
    assert response.status_code == 302 and response["Location"].endswith(f"/roles/{r.pk}/")
    assert [(d.text, d.cadence) for d in r.duties.all()] == [
        ("Review alerts", "daily"),
        ("Test the paging path", "weekly"),
        ("Rotate keys", "monthly"),
    ]


def test_a_role_without_a_name_comes_back_with_the_problem_and_nothing_is_written(client, member):
    response = signed_in(client, member).post(url("role_new", member.workspace), {"name": ""})
    assert response.status_code == 422
    assert 'role="alert"' in response.content.decode()
    assert not Role.objects.exists()


def test_the_role_page_shows_responsibilities_duties_holders_history_and_rota(
    client, admin, member
):
    r = held(admin, role(admin, responsibilities="Own **the release**."), member)
    weekly_rota(admin, r, [member, admin], datetime(2026, 12, 14).date())
    html = signed_in(client, member).get(url("role_detail", admin.workspace, role_id=r.pk))
    text = html.content.decode()
    assert "<strong>the release</strong>" in text
    assert "Check the error budget" in text and "Mark done" in text
    assert "Who held it when" in text and member.profile.display_name in text
    assert "Next turns" in text and "Changes every week, among" in text
    assert "next on <strong>Mon 14 Dec, 09:00 UTC</strong>" in text
    assert "Times in your zone, UTC" in text
    assert "<main" in text and "<h1>" in text


def test_a_second_edit_from_the_same_version_gets_409_showing_the_other_change(
    client, admin, member
):
    r = role(admin)
    old_version = r.version
    role_update(acting=admin, role=r, version=r.version, name="Release captain")
    response = signed_in(client, member).post(
        url("role_edit", admin.workspace, role_id=r.pk),
        {"name": "Release lead", "responsibilities": "", "duties": "", "version": old_version},
    )
    assert response.status_code == 409
    html = response.content.decode()
    assert "Someone else saved this role" in html and "Release captain" in html
    assert Role.objects.get(pk=r.pk).name == "Release captain"


def test_assigning_and_releasing_from_the_page(client, admin, member):
    r = role(admin)
    signed_in(client, admin)
    response = client.post(url("role_assign", admin.workspace, role_id=r.pk), {"member": member.pk})
    assert response.status_code == 302
    assert RoleHolding.objects.get(role=r).membership == member
    client.post(url("role_release", admin.workspace, role_id=r.pk, member_id=member.pk))
    assert RoleHolding.objects.get(role=r).ended_at == NOW


def test_assigning_someone_from_another_workspace_is_a_form_error(client, admin, outsider):
    r = role(admin)
    response = signed_in(client, admin).post(
        url("role_assign", admin.workspace, role_id=r.pk), {"member": outsider.pk}
    )
    assert response.status_code == 422
    assert not RoleHolding.objects.exists()


def test_a_holder_ticks_a_duty_with_htmx_and_gets_the_checklist_back(client, admin, member):
    r = held(admin, role(admin), member)
    duty = r.duties.first()
    response = signed_in(client, member).post(
        url("role_duty_tick", admin.workspace, role_id=r.pk, duty_id=duty.pk),
        {"done": "1"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="duties"' in html and "1 of 3 done this period" in html and "<html" not in html
    assert DutyCheck.objects.get().checked_by == member


def test_someone_who_does_not_hold_the_role_cannot_tick(client, admin, member):
    r = role(admin)
    duty = r.duties.first()
    response = signed_in(client, member).post(
        url("role_duty_tick", admin.workspace, role_id=r.pk, duty_id=duty.pk), {"done": "1"}
    )
    assert response.status_code == 403 and not DutyCheck.objects.exists()


def test_setting_a_rota_on_the_page(client, admin, member):
    r = role(admin)
    response = signed_in(client, admin).post(
        url("role_rota", admin.workspace, role_id=r.pk),
        {
            "member_0": member.pk,
            "member_1": admin.pk,
            "period": "weekly",
            "weekday": "2",
            "every_days": "",
            "at": "10:30",
            "zone": "Asia/Kathmandu",
            "starts_on": "2026-12-10",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    rota = Rota.objects.get(role=r)
    assert rota.member_ids == [member.pk, admin.pk] and rota.weekday == 2
    assert rota.zone == "Asia/Kathmandu"


def test_a_rota_with_the_same_member_twice_is_refused(client, admin, member):
    r = role(admin)
    response = signed_in(client, admin).post(
        url("role_rota", admin.workspace, role_id=r.pk),
        {
            "member_0": member.pk,
            "member_1": member.pk,
            "period": "weekly",
            "weekday": "0",
            "at": "09:00",
            "zone": "UTC",
            "starts_on": "2026-12-10",
        },
    )
    assert response.status_code == 422
    assert "Each member appears once" in response.content.decode()
    assert not Rota.objects.exists()


def test_a_role_of_another_workspace_is_not_found(client, member, outsider):
    theirs = role(outsider)
    signed_in(client, member)
    assert client.get(url("role_detail", member.workspace, role_id=theirs.pk)).status_code == 404
    response = client.post(
        url("role_assign", member.workspace, role_id=theirs.pk), {"member": member.pk}
    )
    assert response.status_code == 404


def test_the_role_page_says_when_a_holder_is_away_or_has_left(client, admin, member):
    other = factories.member(admin.workspace)
    r = held(admin, role(admin), member, other)
    time_off_add(
        acting=member, member=member, first_day=date(2026, 12, 8), last_day=date(2026, 12, 11)
    )
    member_deactivate(acting=admin, member=other)
    html = signed_in(client, admin).get(url("role_detail", admin.workspace, role_id=r.pk))
    text = html.content.decode()
    # A member who left holds the role no more: the history says how their holding ended.
    assert "Away until Fri 11 Dec" in text and "(left the workspace)" in text


def test_the_role_page_offers_its_actions_area_to_other_areas(client, admin, member):
    r = role(admin)
    asked = []

    def context(viewer, object_id):
        asked.append((viewer.pk, object_id))
        return {"form": None}

    panel = registry.Panel(point="role.actions", template="form_errors.html", context=context)
    with registry.replaced(registry.PANELS, [panel]):
        assert (
            signed_in(client, member)
            .get(url("role_detail", admin.workspace, role_id=r.pk))
            .status_code
            == 200
        )
    assert asked == [(member.pk, r.pk)]
