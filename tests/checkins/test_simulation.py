"""Two weeks of simulated time across nine zones and a DST change: each member is asked their
check-in exactly once per working day, at their local time, never on a day off or time off.

The clock is controlled (time-machine) from Monday 8 March 2027: New York, Los Angeles and
Havana change their clocks on 14 March. The scheduler ticks every 5–15 simulated minutes. The
expected moments are computed here from each person's wall clock, independently of
meridian.checkins.rules.
"""

import random
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from meridian.checkins.models import CheckinPrompt
from meridian.core.scheduler import registered_jobs, tick
from meridian.notifications.models import InboxItem
from meridian.workspaces.services import time_off_add
from tests import factories
from tests.checkins.factories import checkin, team

pytestmark = pytest.mark.django_db

START = datetime(2027, 3, 8, 0, 0, tzinfo=UTC)
END = datetime(2027, 3, 22, 0, 0, tzinfo=UTC)
SEED = 20270308
ASK_AT = time(9, 30)
WEEKDAYS = [0, 1, 2, 3, 4]
WEEK = range(5)

PEOPLE = [
    # zone, working hours (weekday -> [[start, end]] minutes), days of time off
    ("America/New_York", {d: [[540, 1020]] for d in WEEK}, [date(2027, 3, 16)]),
    ("America/Los_Angeles", {d: [[480, 720], [780, 1020]] for d in WEEK}, []),
    ("America/Havana", {d: [[480, 960]] for d in range(6)}, []),
    ("Europe/Berlin", {d: [[540, 1020]] for d in WEEK}, [date(2027, 3, 10), date(2027, 3, 11)]),
    ("Europe/London", {d: [[600, 1080]] for d in WEEK}, []),  # 09:30 is before work: 10:00
    ("Asia/Kathmandu", {d: [[600, 1080]] for d in (6, 0, 1, 2, 3)}, []),  # no Fridays
    ("Australia/Adelaide", {d: [[510, 1020]] for d in WEEK}, []),
    ("Pacific/Chatham", {d: [[540, 1020]] for d in WEEK}, []),
    ("Pacific/Kiritimati", {d: [[420, 540], [780, 900]] for d in WEEK}, []),  # asked at 13:00
    ("UTC", {}, []),  # no working hours: asked at 09:30 on the check-in's weekdays
]


def _expected(zone: str, hours: dict, away: list[date]) -> dict[date, datetime]:
    """Local day -> the instant of the ask, read off the person's own wall clock."""
    tz = ZoneInfo(zone)
    wanted = ASK_AT.hour * 60 + ASK_AT.minute
    result = {}
    day = START.astimezone(tz).date()
    while True:
        minute = None
        if day.weekday() in WEEKDAYS and day not in away:
            spans = hours.get(day.weekday(), [])
            if not hours:
                minute = wanted
            elif spans:
                inside = [a for a, b in spans if a <= wanted < b]
                later = [a for a, _ in spans if a > wanted]
                minute = wanted if inside else (later[0] if later else spans[0][0])
        if minute is not None:
            wall = datetime.combine(day, time(minute // 60, minute % 60))
            instant = wall.replace(tzinfo=tz).astimezone(UTC)
            if instant >= END:
                break
            if instant >= START:
                result[day] = instant
            elif datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz) > START:
                result[day] = START  # due before the first tick: asked at it, the same day
        elif datetime.combine(day, time(0), tzinfo=tz) >= END:
            break
        day += timedelta(days=1)
    return result


def test_two_weeks_each_member_is_asked_once_per_working_day_at_their_local_time(
    workspace, admin, time_machine
):
    rng = random.Random(SEED)
    time_machine.move_to(START - timedelta(days=1), tick=False)
    members = []
    for zone, hours, away in PEOPLE:
        member = factories.member(
            workspace, time_zone=zone, working_hours={str(d): h for d, h in hours.items()}
        )
        for day in away:
            time_off_add(acting=admin, member=member, first_day=day, last_day=day)
        members.append(member)
    daily = checkin(admin, team(admin, *members), weekdays=WEEKDAYS, ask_time=ASK_AT)
    jobs = [job for job in registered_jobs() if job.name == "checkins.ask"]

    ticks = []
    t = START
    while t < END:
        ticks.append(t)
        t += timedelta(minutes=rng.randint(5, 15))
    for now in ticks:
        time_machine.move_to(now, tick=False)
        result = tick(now, jobs=jobs)
        assert result.failed == []
        # Now and then a second worker ticks at the same moment: it finds nothing left to do.
        if rng.random() < 0.05:
            assert tick(now, jobs=jobs).ran == []

    checked_days = 0
    for member, (zone, hours, away) in zip(members, PEOPLE, strict=True):
        expected = _expected(zone, hours, away)
        prompts = {
            p.local_date: p.asked_at
            for p in CheckinPrompt.objects.filter(checkin=daily, membership=member)
        }
        assert CheckinPrompt.objects.filter(membership=member).count() == len(prompts)
        # An ask due after the last tick has not happened yet.
        expected = {d: at for d, at in expected.items() if at <= ticks[-1]}
        assert sorted(prompts) == sorted(expected), zone
        for day, asked_at in prompts.items():
            assert expected[day] <= asked_at <= expected[day] + timedelta(minutes=15), (zone, day)
            assert asked_at.astimezone(ZoneInfo(zone)).date() == day
            checked_days += 1
        assert not set(prompts) & set(away)
        assert InboxItem.objects.filter(
            recipient=member, cause__startswith="checkins.prompt:"
        ).count() == len(prompts)
    # The DST change moved New York's ask by an hour in UTC, not on its wall clock.
    new_york = CheckinPrompt.objects.filter(membership=members[0]).order_by("local_date")
    utc_hours = {p.asked_at.astimezone(UTC).hour for p in new_york}
    assert utc_hours == {14, 13}
    assert checked_days > 90
