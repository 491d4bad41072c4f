"""The rota job: each turn changes hands once, skipping time off, however often it runs."""

import threading
from datetime import UTC, date, datetime, time

import pytest
import time_machine
from django.db import close_old_connections

from meridian.core import scheduler
from meridian.core.models import ScheduledRun
from meridian.core.scheduler import Job
from meridian.notifications.models import InboxItem
from meridian.roles import schedule
from meridian.roles.models import HoldingHow, RoleHolding, Rota
from meridian.workspaces.services import time_off_add
from tests import factories
from tests.roles.factories import role, weekly_rota

JOB = Job(schedule.JOB, schedule.rota_turns_due)
# Rota: Mondays 09:00 UTC from Monday 7 December 2026.
START = date(2026, 12, 7)
BEFORE = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
TURN_0 = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
TURN_1 = datetime(2026, 12, 14, 9, 0, tzinfo=UTC)


def holders(r):
    return list(
        RoleHolding.objects.filter(role=r, ended_at=None).values_list("membership_id", flat=True)
    )


@pytest.fixture
def team(workspace, admin):
    return [admin, factories.member(workspace), factories.member(workspace)]


@pytest.fixture
def on_call(admin, team):
    with time_machine.travel(BEFORE, tick=False):
        r = role(admin, name="On-call")
        weekly_rota(admin, r, team, START)
    return r


@pytest.mark.django_db
def test_each_turn_hands_the_role_to_the_next_member_and_tells_them(on_call, team):
    a, b, _c = team
    with time_machine.travel(BEFORE, tick=False):
        assert scheduler.tick(jobs=[JOB]).ran == []
    with time_machine.travel(TURN_0, tick=False):
        assert scheduler.tick(jobs=[JOB]).ran == [f"roles.rota:{on_call.rota.pk}:0"]
    assert holders(on_call) == [a.pk]
    with time_machine.travel(TURN_1, tick=False):
        scheduler.tick(jobs=[JOB])
    assert holders(on_call) == [b.pk]
    ended = RoleHolding.objects.get(role=on_call, membership=a)
    assert ended.ended_at == TURN_1 and ended.how == HoldingHow.ROTA
    item = InboxItem.objects.get(recipient=b)
    assert item.cause == f"roles.role:{on_call.pk}" and item.kind == "roles.assigned"
    assert not InboxItem.objects.filter(recipient=a, state="open").exists()


@pytest.mark.django_db
def test_a_turn_runs_once_when_the_job_runs_twice(on_call, team):
    with time_machine.travel(TURN_0, tick=False):
        first = scheduler.tick(jobs=[JOB])
        second = scheduler.tick(jobs=[JOB])
    assert len(first.ran) == 1 and second.ran == []
    assert RoleHolding.objects.filter(role=on_call).count() == 1


@pytest.mark.django_db
def test_two_workers_that_both_saw_a_turn_due_apply_it_once(on_call, team):
    with time_machine.travel(TURN_1, tick=False):
        # Both list the same due turn before either has carried it out.
        seen_by_one = list(JOB.due(TURN_1))
        seen_by_two = list(JOB.due(TURN_1))
        assert [o.key for o in seen_by_one] == [o.key for o in seen_by_two]
        outcomes = [scheduler._carry_out(JOB, o) for o in (*seen_by_one, *seen_by_two)]
    assert outcomes == ["ran", "skipped"]
    assert RoleHolding.objects.filter(role=on_call).count() == 1
    assert ScheduledRun.objects.filter(key__startswith="roles.rota:").count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_workers_ticking_at_the_same_moment_hand_the_turn_over_once(admin, team):
    with time_machine.travel(BEFORE, tick=False):
        r = role(admin, name="On-call")
        weekly_rota(admin, r, team, START)
    barrier = threading.Barrier(2)
    results = []

    def worker():
        try:
            barrier.wait()
            results.append(scheduler.tick(jobs=[JOB]))
        finally:
            close_old_connections()

    # The clock is moved for the whole process, so both threads see the turn begun.
    with time_machine.travel(TURN_0, tick=False):
        threads = [threading.Thread(target=worker) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert len(results) == 2
    assert sum(len(r.ran) for r in results) == 1
    assert RoleHolding.objects.filter(role=r).count() == 1


@pytest.mark.django_db
def test_a_member_on_time_off_for_the_coming_turn_is_skipped(on_call, team):
    _a, b, c = team
    with time_machine.travel(BEFORE, tick=False):
        time_off_add(acting=b, member=b, first_day=date(2026, 12, 18), last_day=date(2026, 12, 19))
    with time_machine.travel(TURN_0, tick=False):
        scheduler.tick(jobs=[JOB])
    with time_machine.travel(TURN_1, tick=False):
        scheduler.tick(jobs=[JOB])
    assert holders(on_call) == [c.pk]


@pytest.mark.django_db
def test_when_everyone_is_away_the_holder_stays_and_the_rota_says_so(on_call, team):
    a, _b, _c = team
    with time_machine.travel(TURN_0, tick=False):
        scheduler.tick(jobs=[JOB])
        for m in team:
            time_off_add(
                acting=m, member=m, first_day=date(2026, 12, 14), last_day=date(2026, 12, 15)
            )
    with time_machine.travel(TURN_1, tick=False):
        scheduler.tick(jobs=[JOB])
    assert holders(on_call) == [a.pk]
    note = Rota.objects.get(role=on_call).note
    assert "Everyone on the rota is away" in note and "keeps the role" in note


@pytest.mark.django_db
def test_after_an_outage_only_the_latest_turn_is_applied(on_call, team):
    _a, _b, c = team
    with time_machine.travel(datetime(2026, 12, 22, 10, 0, tzinfo=UTC), tick=False):
        result = scheduler.tick(jobs=[JOB])
    assert result.ran == [f"roles.rota:{on_call.rota.pk}:2"]
    assert holders(on_call) == [c.pk]


@pytest.mark.django_db
def test_changing_a_rota_midway_does_not_hand_out_the_running_turn_again(admin, team):
    a, b, c = team
    with time_machine.travel(BEFORE, tick=False):
        r = role(admin, name="On-call")
        weekly_rota(admin, r, team, START)
    with time_machine.travel(TURN_0, tick=False):
        scheduler.tick(jobs=[JOB])
    with time_machine.travel(datetime(2026, 12, 9, tzinfo=UTC), tick=False):
        weekly_rota(admin, r, [c, b, a], START, at=time(9, 0))
        assert scheduler.tick(jobs=[JOB]).ran == []
    with time_machine.travel(TURN_1, tick=False):
        scheduler.tick(jobs=[JOB])
    # After a in the new order [c, b, a] comes c.
    assert holders(r) == [c.pk]
