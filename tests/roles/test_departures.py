"""A member leaves: their roles end for them (recorded as left), and rotas go on without them."""

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine

from meridian.core import scheduler
from meridian.core.scheduler import Job
from meridian.notifications.models import InboxItem
from meridian.roles import schedule
from meridian.roles.models import HoldingEnd, RoleHolding, Rota
from meridian.workspaces.services import member_deactivate, time_off_add
from tests import factories
from tests.roles.factories import held, role, weekly_rota

pytestmark = pytest.mark.django_db

JOB = Job(schedule.JOB, schedule.rota_turns_due)
START = date(2026, 12, 7)  # a Monday; turns change at 09:00 UTC
BEFORE = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
TURN_0 = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
TURN_1 = datetime(2026, 12, 14, 9, 0, tzinfo=UTC)
LEAVES = TURN_0 + timedelta(days=2)


def holders(r):
    return list(
        RoleHolding.objects.filter(role=r, ended_at=None).values_list("membership_id", flat=True)
    )


@pytest.fixture
def team(workspace):
    return [factories.member(workspace) for _ in range(3)]


@pytest.fixture
def on_call(admin, team):
    with time_machine.travel(BEFORE, tick=False):
        r = role(admin, name="On-call")
        weekly_rota(admin, r, team, START)
    with time_machine.travel(TURN_0, tick=False):
        scheduler.tick(jobs=[JOB])
    return r


def test_a_departed_members_assigned_roles_end_as_left_and_the_history_keeps_them(
    admin, member, client
):
    with time_machine.travel(BEFORE, tick=False):
        r = held(admin, role(admin, name="Support lead"), member)
    with time_machine.travel(LEAVES, tick=False):
        member_deactivate(acting=admin, member=member)
    holding = RoleHolding.objects.get(role=r, membership=member)
    assert (holding.ended_at, holding.ended_how) == (LEAVES, HoldingEnd.LEFT)
    assert holders(r) == []
    client.force_login(admin.user)
    html = client.get(f"/w/{admin.workspace.slug}/roles/{r.pk}/").content.decode()
    assert member.profile.display_name in html and "(left the workspace)" in html
    body = client.get(f"/api/v1/roles/{r.pk}").json()
    assert [h["ended_how"] for h in body["history"]] == ["left"]


def test_the_next_member_takes_the_current_turn_now_and_is_told(on_call, team, admin):
    a, b, c = team
    assert holders(on_call) == [a.pk]
    with time_machine.travel(LEAVES, tick=False):
        member_deactivate(acting=admin, member=a)
    assert holders(on_call) == [b.pk]
    assert RoleHolding.objects.get(role=on_call, membership=b).started_at == LEAVES
    assert Rota.objects.get(role=on_call).member_ids == [b.pk, c.pk]
    assert InboxItem.objects.filter(recipient=b, cause=f"roles.role:{on_call.pk}").exists()
    # The rota goes on with the others: the next turn passes to c.
    with time_machine.travel(TURN_1, tick=False):
        scheduler.tick(jobs=[JOB])
    assert holders(on_call) == [c.pk]


def test_a_member_away_this_turn_is_skipped_when_the_departed_held_it(on_call, team, admin):
    a, b, c = team
    time_off_add(acting=b, member=b, first_day=date(2026, 12, 8), last_day=date(2026, 12, 20))
    with time_machine.travel(LEAVES, tick=False):
        member_deactivate(acting=admin, member=a)
    assert holders(on_call) == [c.pk]


def test_leaving_a_rota_without_the_current_turn_changes_no_holder(on_call, team, admin):
    a, b, c = team
    with time_machine.travel(LEAVES, tick=False):
        member_deactivate(acting=admin, member=b)
    assert holders(on_call) == [a.pk]
    assert Rota.objects.get(role=on_call).member_ids == [a.pk, c.pk]
    assert not InboxItem.objects.filter(recipient=c).exists()


def test_a_departure_in_another_workspace_leaves_our_rota_alone(on_call, team, other_workspace):
    stranger = factories.member(other_workspace)
    member_deactivate(acting=factories.admin_of(other_workspace), member=stranger)
    assert Rota.objects.get(role=on_call).member_ids == [m.pk for m in team]
