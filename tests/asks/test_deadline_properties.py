"""Properties of follow-the-sun deadlines and reminder timing, as the people asked notice them.

The reminder properties run a clock through two to three weeks in uneven steps of 15 to 60
minutes, feeding each reminder back as ``last_reminded_at`` the way the scheduler's effect
does, across zones whose clocks change (DST in both hemispheres, half-hour and 45-minute
offsets).
"""

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from meridian.asks.deadlines import ReminderDue, local_deadline, reminder_due, week_of
from meridian.core.workingtime import (
    WorkingHoursError,
    WorkingWeek,
    is_working,
    working_time_between,
    working_week,
)
from tests.asks.support import (
    DAY,
    MINUTE,
    garbage_hours,
    garbage_zones,
    local_date,
    profile_hours,
    profile_weeks,
    scenarios,
    start_of_local_day,
    weeks_without_hours,
)

PROPERTY = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SIMULATION = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
EPSILON = timedelta(microseconds=1)

Sent = list[tuple[datetime, ReminderDue]]


# --------------------------------------------------------------------------- deadlines


@PROPERTY
@given(scenarios() | profile_weeks().map(lambda p: p[:2]), st.integers(-3, 10))
@example(  # Hana in Tokyo works Monday to Friday; a brief is due Sunday 6 December 2026
    (working_week("Asia/Tokyo", {d: [(540, 1020)] for d in range(5)}), datetime(2026, 12, 3, tzinfo=UTC)),
    3,
)  # fmt: skip
def test_a_local_day_deadline_is_the_end_of_that_or_the_next_working_day(
    scenario: tuple[WorkingWeek, datetime], days_ahead: int
) -> None:
    week, asked = scenario
    day = local_date(week, asked) + days_ahead * DAY
    starts = start_of_local_day(week, day)

    due = local_deadline(week, deadline_at=None, deadline_date=day)

    assert due is not None
    if is_working(week, due - EPSILON):  # it ends with their work, on their deadline day
        due_day = local_date(week, due - EPSILON)
        assert due_day >= day
        # every day from the one asked for up to it is a day off for them: never a working day
        assert working_time_between(week, starts, start_of_local_day(week, due_day)) == timedelta()
        # and it is the end of that day's work
        assert working_time_between(week, due, start_of_local_day(week, due_day + DAY)) == (
            timedelta()
        )
        if working_time_between(week, starts, start_of_local_day(week, day + DAY)):
            assert due_day == day  # a working day keeps its deadline
    else:  # nothing to work on for (more than) the search horizon: the day's own midnight
        assert due == start_of_local_day(week, day + DAY)
        assert working_time_between(week, starts, starts + 300 * DAY) == timedelta()


@PROPERTY
@given(weeks_without_hours(), st.integers(-3, 10))
def test_without_working_hours_a_local_day_deadline_is_that_days_midnight(
    scenario: tuple[WorkingWeek, datetime], days_ahead: int
) -> None:
    week, asked = scenario
    day = local_date(week, asked) + days_ahead * DAY

    due = local_deadline(week, deadline_at=None, deadline_date=day)

    assert due == start_of_local_day(week, day + DAY)


@PROPERTY
@given(scenarios() | weeks_without_hours(), st.integers(-10 * 1440, 10 * 1440), st.dates())
def test_an_instant_deadline_is_the_same_instant_for_everyone(
    scenario: tuple[WorkingWeek, datetime], offset: int, ignored_day: date
) -> None:
    week, asked = scenario
    instant = asked + offset * MINUTE

    assert local_deadline(week, deadline_at=instant, deadline_date=None) == instant
    assert local_deadline(week, deadline_at=instant, deadline_date=ignored_day) == instant
    assert local_deadline(week, deadline_at=None, deadline_date=None) is None


@PROPERTY
@given(garbage_zones, garbage_hours)
@example("Europe/Berlin", {"0": [[float("inf"), 1020]]})  # JSON's 1e400 reads as infinity
@example("Europe/Berlin", {"0": [[540, 1020]], "7": [[540, 1020]]})
@example("Not/AZone", {"0": [[540, 1020]]})
@example("Europe/Berlin", "09:00-17:00")
def test_a_broken_profile_never_stops_deadlines_or_reminders(zone: str, hours: object) -> None:
    week = week_of(zone, hours)  # a profile from a bad import

    assert week.zone.key in (zone, "UTC")
    asked = datetime(2026, 3, 9, 10, tzinfo=UTC)
    due = local_deadline(week, deadline_at=None, deadline_date=date(2026, 3, 12))
    assert due is not None and due > asked
    reminder_due(
        week,
        asked + 2 * DAY,
        participant_id=1,
        asked_at=asked,
        deadline=due,
        last_reminded_at=None,
    )


@PROPERTY
@given(garbage_zones, profile_hours())
def test_an_unreadable_zone_counts_as_utc_with_the_same_hours(zone: str, hours: dict) -> None:
    try:
        readable = working_week(zone, {}).zone.key == zone
    except WorkingHoursError:
        readable = False
    as_ints = {int(day): [tuple(span) for span in spans] for day, spans in hours.items()}

    week = week_of(zone, hours)

    assert week == working_week(zone if readable else "UTC", as_ints)


@PROPERTY
@given(profile_weeks())
def test_a_profile_is_read_as_the_working_week_it_describes(
    profile: tuple[WorkingWeek, datetime, dict],
) -> None:
    week, _, stored = profile
    assert week_of(stored["time_zone"], stored["working_hours"]) == week


# --------------------------------------------------------------------------- reminders


@dataclass(frozen=True)
class Run:
    """A participant's working week, when they were asked, their deadline, and a ticking clock."""

    week: WorkingWeek
    asked_at: datetime
    deadline: datetime
    clock: list[datetime]

    def due(
        self, now: datetime, last_reminded_at: datetime | None, participant_id: int = 7
    ) -> ReminderDue | None:
        return reminder_due(
            self.week,
            now,
            participant_id=participant_id,
            asked_at=self.asked_at,
            deadline=self.deadline,
            last_reminded_at=last_reminded_at,
        )

    def simulate(self, participant_id: int = 7) -> Sent:
        """Every reminder the job sends at each tick, each fed back as ``last_reminded_at``."""
        sent: Sent = []
        for now in self.clock:
            due = self.due(now, sent[-1][0] if sent else None, participant_id)
            if due is not None:
                sent.append((now, due))
        return sent

    def day(self, instant: datetime) -> date:
        return local_date(self.week, instant)


@st.composite
def reminder_runs(draw: st.DrawFn) -> Run:
    """Someone asked near a clock change, due in a few days, and a clock ticking for 2-3 weeks."""
    week, asked_at, _ = draw(profile_weeks())
    days_ahead = draw(st.integers(3, 10) | st.integers(0, 2))  # mostly a few working days
    if draw(st.booleans()):
        day = local_date(week, asked_at) + days_ahead * DAY
        deadline = local_deadline(week, deadline_at=None, deadline_date=day)
    else:
        deadline = asked_at + days_ahead * DAY + draw(st.integers(1, 1440)) * MINUTE
    assert deadline is not None
    steps = draw(st.randoms(use_true_random=False))
    return Run(week, asked_at, deadline, _clock(asked_at, draw(st.integers(14, 21)), steps))


def _clock(start: datetime, days: int, steps: random.Random) -> list[datetime]:
    """Ticks from ``start`` for ``days`` days, each 15 to 60 minutes after the one before."""
    ticks, now, end = [], start, start + days * DAY
    while now < end:
        ticks.append(now)
        now += steps.randint(15, 60) * MINUTE
    return ticks


@SIMULATION
@given(reminder_runs())
def test_reminders_only_in_working_hours_never_on_the_day_asked_at_most_once_a_day(
    run: Run,
) -> None:
    sent = run.simulate()

    days = [run.day(now) for now, _ in sent]
    assert all(is_working(run.week, now) for now, _ in sent)
    assert all(day > run.day(run.asked_at) for day in days)
    assert days == sorted(set(days))  # one a local day at the most
    assert [due.local_date for _, due in sent] == days
    assert all(due.overdue == (now >= run.deadline) for now, due in sent)


@SIMULATION
@given(reminder_runs())
def test_one_overdue_reminder_then_silence(run: Run) -> None:
    sent = run.simulate()

    overdue = [now for now, due in sent if due.overdue]
    before = [run.day(now) for now, due in sent if not due.overdue]
    # The first tick that may bring the overdue reminder: working, after the deadline, on a
    # later local day than the day they were asked and than any "it is due" reminder.
    last_quiet_day = max([run.day(run.asked_at), *before])
    chance = next(
        (
            now
            for now in run.clock
            if now >= run.deadline and is_working(run.week, now) and run.day(now) > last_quiet_day
        ),
        None,
    )
    assert overdue == ([] if chance is None else [chance])
    kinds = [due.overdue for _, due in sent]
    assert kinds == sorted(kinds)  # nothing after the overdue reminder


@SIMULATION
@given(reminder_runs())
def test_every_working_day_before_the_overdue_reminder_brings_its_reminder_first_thing(
    run: Run,
) -> None:
    sent = run.simulate()

    stop = next((now for now, due in sent if due.overdue), run.clock[-1])
    reminded_days = {run.day(now): now for now, _ in sent}
    working_ticks = [
        now
        for now in run.clock
        if now <= stop and run.day(now) > run.day(run.asked_at) and is_working(run.week, now)
    ]
    first_working_tick = {run.day(now): now for now in reversed(working_ticks)}
    assert {day: reminded_days.get(day) for day in first_working_tick} == first_working_tick


@SIMULATION
@given(reminder_runs(), st.integers(1, 10**6), st.integers(1, 10**6))
def test_reminder_keys_name_the_participant_and_their_local_day(
    run: Run, first_id: int, other: int
) -> None:
    first, second = run.simulate(first_id), run.simulate(first_id + other)

    keys = [due.discriminator for _, due in first + second]
    assert len(keys) == len(set(keys))  # the once-only ledger never swallows a due reminder
    assert [due.discriminator for _, due in first] == [
        f"{first_id}:overdue" if due.overdue else f"{first_id}:{run.day(now)}" for now, due in first
    ]


@SIMULATION
@given(reminder_runs())
def test_a_tick_that_missed_the_last_reminder_asks_for_the_same_key(run: Run) -> None:
    """Two workers reading the same state on one local day ask the ledger for one key."""
    sent = run.simulate()
    stale: list[datetime | None] = [None, *(now for now, _ in sent)]

    retried = [
        (due.discriminator, run.due(now, last_reminded_at))
        for (sent_at, due), last_reminded_at in zip(sent, stale, strict=False)
        for now in run.clock
        if now > sent_at
        and run.day(now) == due.local_date
        and (now >= run.deadline) == due.overdue  # same day, same side of the deadline
    ]

    assert all(again is None or again.discriminator == key for key, again in retried)
