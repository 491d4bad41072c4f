"""Reminders to people asked: only inside their working hours, once per local working day,
one last reminder when their own deadline has passed, and never twice for one day.

The participant rows are a brief's (any area's ``Participation`` rows behave alike); the clock
is passed in, as the scheduler passes it.
"""

from datetime import UTC, date, datetime, timedelta

import pytest

from meridian.asks.deadlines import week_of
from meridian.asks.reminders import reminder_take, reminders_due
from meridian.briefs.models import BriefParticipant
from meridian.core.scheduler import NotNow
from meridian.core.workingtime import is_working
from tests.briefs.factories import NINE_TO_FIVE, brief, person, rewind

pytestmark = pytest.mark.django_db

ASKED = datetime(2026, 3, 9, 10, 0, tzinfo=UTC)  # Monday
THURSDAY = date(2026, 3, 12)


@pytest.fixture
def people(workspace):
    return [person(workspace, zone) for zone in ("Asia/Kathmandu", "America/New_York")]


@pytest.fixture
def asked(workspace, people):
    return rewind(brief(person(workspace, "Europe/Berlin"), people), asked_at=ASKED, day=THURSDAY)


def run(now: datetime, *, overdue: bool = True) -> list[tuple[int, datetime, bool]]:
    """One scheduler pass at ``now``: who was reminded, and whether it said overdue."""
    sent = []
    rows = BriefParticipant.objects.all()
    for participant, due in reminders_due(
        rows, now, asked_at=lambda p: p.added_at, overdue=overdue
    ):
        taken = reminder_take(rows.filter(pk=participant.pk), now)
        assert taken is not None
        sent.append((participant.membership_id, now, due.overdue))
    return sent


def fortnight() -> list[datetime]:
    return [ASKED + timedelta(minutes=20 * step) for step in range(14 * 24 * 3)]


def test_over_two_weeks_each_person_is_reminded_in_their_hours_once_a_local_day(asked, people):
    sent = [reminder for now in fortnight() for reminder in run(now)]

    for member in people:
        week = week_of(member.profile.time_zone, NINE_TO_FIVE)
        mine = [(at, overdue) for who, at, overdue in sent if who == member.pk]
        local_days = [at.astimezone(week.zone).date() for at, _ in mine]
        assert all(is_working(week, at) for at, _ in mine)
        assert len(local_days) == len(set(local_days))  # once per local day
        # Not on the Monday they were asked; Tuesday to Thursday; the overdue one on Friday.
        assert local_days == [date(2026, 3, d) for d in (10, 11, 12, 13)]
        assert [overdue for _, overdue in mine] == [False, False, False, True]


def test_without_the_overdue_reminder_they_stop_at_the_deadline(asked, people):
    sent = [reminder for now in fortnight() for reminder in run(now, overdue=False)]

    assert len(sent) == 6  # Tuesday to Thursday, for each of the two
    assert not any(overdue for _, _, overdue in sent)


def test_people_who_responded_or_left_are_not_reminded(asked, people, admin):
    from meridian.briefs.services import respond
    from meridian.workspaces.services import member_deactivate

    ktm, nyc = people
    respond(acting=ktm, brief=asked, body="Fine by me.")
    member_deactivate(acting=admin, member=nyc)

    assert [r for now in fortnight() for r in run(now)] == []


def test_a_second_reminder_the_same_local_day_is_given_back(asked, people):
    ktm = people[0]
    rows = BriefParticipant.objects.filter(membership=ktm).select_related("membership__profile")
    morning = datetime(2026, 3, 10, 4, 0, tzinfo=UTC)  # 09:45 in Kathmandu

    first = reminder_take(rows, morning)
    with pytest.raises(NotNow):
        reminder_take(rows, morning + timedelta(hours=4))  # 13:45, the same local day
    next_day = reminder_take(rows, morning + timedelta(days=1))

    assert first is not None and first.zone == "Asia/Kathmandu"
    assert next_day is not None
    assert rows.get().last_reminded_at == morning + timedelta(days=1)
    assert reminder_take(rows.filter(responded_at__isnull=False), morning) is None
