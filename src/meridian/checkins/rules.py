"""When a member is asked a check-in: pure functions over their working week, no ORM.

A check-in names weekdays and a local time ("09:30 on Monday to Friday"). For one member and one
local day the rule (:func:`ask_moment`) is:

* not on a weekday the check-in leaves out, not on a day off in the member's week, and not on a
  day wholly on time off (the caller passes those days);
* at the local time when it falls inside the member's working hours that day;
* otherwise at the start of their next working interval that day, or, when the time is after
  the day's last interval, at the start of the day's first one, so nobody is asked outside
  working hours and nobody misses a working day (the define form names who is moved and when);
* a member with no working hours at all is asked at the local time on every weekday named.

A wall time in a DST gap resolves to the end of the gap; a repeated time to its first
occurrence (meridian.core.workingtime). A prompt stays answerable until the member's next one
(:func:`next_ask_moment`).
"""

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache

from meridian.core.workingtime import (
    WorkingWeek,
    add_working_time,
    wall_time_instant,
    working_intervals,
)

# How far ahead the next prompt is looked for; beyond it a prompt stays answerable without end.
NEXT_HORIZON_DAYS = 21
# A prompt still unanswered after this much of the member's working time is reminded, once,
# if that comes before their next prompt (meridian.checkins.schedule.reminders_due).
REMIND_AFTER = timedelta(hours=4)


@dataclass(frozen=True)
class AskPlan:
    """When a member is asked on one local day; ``moved`` when the check-in's time was outside
    their working hours that day."""

    day: date
    moment: datetime
    moved: bool


def minute_of(at: time) -> int:
    return at.hour * 60 + at.minute


@lru_cache(maxsize=65536)
def _plan(week: WorkingWeek, day: date, minute: int, weekdays: frozenset[int]) -> AskPlan | None:
    if day.weekday() not in weekdays:
        return None
    wanted = wall_time_instant(week.zone, day, minute)
    if not week.has_hours:
        return AskPlan(day, wanted, False)
    start = wall_time_instant(week.zone, day, 0)
    end = wall_time_instant(week.zone, day + timedelta(days=1), 0)
    spans = list(working_intervals(week, start, end))
    if not spans:
        return None
    for span_start, span_end in spans:
        if span_start <= wanted < span_end:
            return AskPlan(day, wanted, False)
        if wanted < span_start:
            return AskPlan(day, span_start, True)
    return AskPlan(day, spans[0][0], True)


def ask_moment(
    week: WorkingWeek,
    day: date,
    at: time,
    weekdays: Iterable[int],
    away: Collection[date] = (),
) -> AskPlan | None:
    """When the member whose week this is is asked on local ``day``; None when they are not."""
    if day in away:
        return None
    return _plan(week, day, minute_of(at), frozenset(weekdays))


def next_ask_moment(
    week: WorkingWeek,
    day: date,
    at: time,
    weekdays: Iterable[int],
    away: Collection[date] = (),
) -> datetime | None:
    """The moment of the member's first prompt after local ``day`` (None within the horizon)."""
    days = frozenset(weekdays)
    for ahead in range(1, NEXT_HORIZON_DAYS + 1):
        plan = ask_moment(week, day + timedelta(days=ahead), at, days, away)
        if plan is not None:
            return plan.moment
    return None


def local_day(week: WorkingWeek, instant: datetime) -> date:
    """The member's local date at ``instant``."""
    return instant.astimezone(week.zone).date()


def remind_moment(week: WorkingWeek, asked_at: datetime) -> datetime:
    """When an unanswered prompt asked at ``asked_at`` is reminded at the earliest: after
    ``REMIND_AFTER`` of the member's working time (of plain time without working hours)."""
    if not week.has_hours:
        return asked_at + REMIND_AFTER
    return add_working_time(week, asked_at, REMIND_AFTER)
