"""Follow-the-sun deadlines and reminder timing for anyone asked: pure functions, no ORM.

"End of Thursday" is the end of Thursday's working hours in each participant's own zone
(meridian.core.workingtime.end_of_working_day), so one ask has as many deadlines as its
participants have zones; it is due, as a whole, when the last of them has passed. Three kinds
of deadline exist (:func:`participant_deadline`): an instant, the same for everyone; the end of
a day in each participant's zone; and "after everyone has had at least one full working day"
(:func:`full_working_day_end`). Briefs use the first two, proposals all three.

The rule for days off: when the day is not a working day for someone (a weekend in their
week, or a day wholly on time off), their deadline is the end of their *next* working day, not
the midnight of their day off; time off entered after they were asked moves it later the same
way, never earlier (meridian.asks.people.deadlines_moved_by_time_off). Asks, reminders, pages and the API all read that one computed
deadline. The forms warn before sending, naming who is affected and their new deadline
(:func:`day_off_shift`, meridian.asks.people.deadline_day_off_shifts).

Bounds (:func:`deadline_problem`): a deadline lies at most ``DEADLINE_HORIZON`` (five years)
ahead, and a day before yesterday (UTC) has ended everywhere, so both are refused with a message
naming the field before anything is computed or stored. Values stored before these bounds
existed are still rendered safely (meridian.core.moments).

Reminder rules (:func:`reminder_due`; meridian.asks.reminders applies them for the areas'
scheduler jobs):

* only people who have not responded, on open asks that have a deadline;
* only while the participant is inside their working hours (``is_working``);
* never on the local day they were asked (the invitation itself told them), and at most once
  per local working day after that;
* before their local deadline a reminder says when it is due; after it, exactly one more
  reminder says it is overdue, and then the ask stops reminding them (the author sees who is
  overdue). Chasing further is a person's job, not a robot's. An area may leave the overdue
  reminder out (a proposal closes at its last deadline instead).
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Any, Protocol

from meridian.core.workingtime import (
    WorkingHoursError,
    WorkingWeek,
    end_of_local_day,
    end_of_working_day,
    is_working,
    next_working_day,
    wall_time_instant,
    working_intervals,
    working_week,
)

ONE_DAY = timedelta(days=1)

HoursJson = Mapping[str, Sequence[Sequence[int]]]


@dataclass(frozen=True)
class Deadline:
    """A respond-by deadline: one instant, the end of a day in each participant's zone, or none."""

    at: datetime | None = None
    day: date | None = None

    @property
    def kind(self) -> str:
        if self.at is not None:
            return "instant"
        return "local_day" if self.day is not None else "none"


@lru_cache(maxsize=4096)
def _week(zone: str, hours: tuple[tuple[int, tuple[tuple[int, int], ...]], ...]) -> WorkingWeek:
    return working_week(zone, dict(hours))


def week_of(zone: str, hours: HoursJson) -> WorkingWeek:
    """A member's working week from their profile (zone name and ``{"0": [[540, 1020]]}``).

    Hours that cannot be read count as no working hours in the same zone; a zone that cannot be
    read counts as UTC, with the member's hours kept. A broken profile must not stop anyone
    else's deadline or reminder.
    """
    try:
        key = tuple(
            sorted(
                (int(day), tuple((int(a), int(b)) for a, b in spans))
                for day, spans in hours.items()
            )
        )
    except (TypeError, ValueError, AttributeError, OverflowError):  # Overflow: JSON's 1e400
        key = ()
    fallbacks = ((zone, key), (zone, ()), ("UTC", key), ("UTC", ()))
    for candidate_zone, candidate_key in fallbacks:
        try:
            return _week(candidate_zone, candidate_key)
        except WorkingHoursError:
            continue
    raise AssertionError("unreachable: UTC without hours is always a valid week")


def with_time_off(week: WorkingWeek, away: Iterable[tuple[date, date]]) -> WorkingWeek:
    """``week`` minus whole days away, given as (first, last) dates of the member's calendar:
    from the local midnight starting ``first`` to the one ending ``last``, DST-safe."""
    spans = [
        (wall_time_instant(week.zone, first, 0), wall_time_instant(week.zone, last + ONE_DAY, 0))
        for first, last in away
    ]
    return replace(week, time_off=tuple(spans)) if spans else week


def local_deadline(
    week: WorkingWeek, *, deadline_at: datetime | None, deadline_date: date | None
) -> datetime | None:
    """When the ask is due for this person: the instant itself, or the end of their local day."""
    if deadline_at is not None:
        return deadline_at
    if deadline_date is not None:
        return end_of_working_day(week, deadline_date)
    return None


def day_off_shift(week: WorkingWeek, day: date) -> date | None:
    """The working day a deadline on ``day`` moves to for this person, or None if it stays.

    None too for someone without working days in sight: their deadline stays at the day's end.
    """
    working = next_working_day(week, day)
    return working if working is not None and working != day else None


DEADLINE_HORIZON = timedelta(days=5 * 365 + 1)
"""How far ahead a deadline may lie: five years (and a leap day), plenty for an async ask."""


def deadline_problem(
    *, at: datetime | None = None, day: date | None = None, now: datetime
) -> tuple[str, str] | None:
    """The field and message refusing a deadline outside the bounds, or None if it is within.

    Checked first, so that nothing (and no date arithmetic near year 1 or 9999) runs on it.
    """
    latest = now.astimezone(UTC) + DEADLINE_HORIZON
    if at is not None and at.tzinfo is not None and at.utcoffset() is not None:
        try:
            moment = at.astimezone(UTC)
        except OverflowError:  # 0001-01-01T00:00+14:00 or 9999-12-31T23:00-05:00 leave the calendar
            moment = None
        if moment is None and at.year < 5000:  # later passed moments: the callers' own check
            return "deadline_at", f"The deadline {at.isoformat()} has already passed."
        if moment is None or moment > latest:
            return (
                "deadline_at",
                f"The deadline {at:%Y-%m-%d} is too far ahead: give one before "
                f"{latest:%Y-%m-%d} (at most five years from now).",
            )
    if day is not None:
        if day < (now.astimezone(UTC) - timedelta(days=1)).date():
            return (
                "deadline_date",
                f"The day {day.isoformat()} has already passed: choose today or a later day.",
            )
        if day > latest.date():
            return (
                "deadline_date",
                f"The day {day.isoformat()} is too far ahead: give one before "
                f"{latest:%Y-%m-%d} (at most five years from now).",
            )
    return None


def local_day_start(week: WorkingWeek, now: datetime) -> datetime:
    """The start (local midnight) of the person's day that ``now`` falls on."""
    return datetime.combine(now.astimezone(week.zone).date(), time(0), tzinfo=week.zone)


@dataclass(frozen=True)
class ReminderDue:
    """A reminder that may go out now: its once-only discriminator and whether it is overdue."""

    discriminator: str
    overdue: bool
    local_date: date


def reminder_due(
    week: WorkingWeek,
    now: datetime,
    *,
    participant_id: int,
    asked_at: datetime,
    deadline: datetime,
    last_reminded_at: datetime | None,
) -> ReminderDue | None:
    """Whether a reminder is due for one participant now, by the module's rules (None if not)."""
    if last_reminded_at is not None and last_reminded_at >= deadline:
        return None  # the one overdue reminder went out already
    if not is_working(week, now):
        return None
    today = now.astimezone(week.zone).date()
    if today <= asked_at.astimezone(week.zone).date():
        return None
    if last_reminded_at is not None and last_reminded_at.astimezone(week.zone).date() >= today:
        return None
    if now < deadline:
        return ReminderDue(f"{participant_id}:{today.isoformat()}", overdue=False, local_date=today)
    return ReminderDue(f"{participant_id}:overdue", overdue=True, local_date=today)


class _Profile(Protocol):
    @property
    def time_zone(self) -> str: ...
    @property
    def working_hours(self) -> Any: ...


class _Member(Protocol):
    @property
    def profile(self) -> _Profile: ...


class Reminded(Protocol):
    """What the rules read of someone asked (a participant row, meridian.asks.models)."""

    @property
    def pk(self) -> Any: ...
    @property
    def membership(self) -> _Member: ...
    @property
    def local_deadline(self) -> datetime | None: ...
    @property
    def last_reminded_at(self) -> datetime | None: ...


def participant_reminder_due(
    participant: Reminded,
    now: datetime,
    *,
    asked_at: datetime,
    week: WorkingWeek | None = None,
) -> ReminderDue | None:
    """:func:`reminder_due` for one participant with a deadline, in their profile's working week
    (or ``week``, e.g. with their time off)."""
    profile = participant.membership.profile
    assert participant.local_deadline is not None  # the reminder jobs list only those with one
    return reminder_due(
        week or week_of(profile.time_zone, profile.working_hours),
        now,
        participant_id=participant.pk,
        asked_at=asked_at,
        deadline=participant.local_deadline,
        last_reminded_at=participant.last_reminded_at,
    )


# How far ahead to look for a full working day (long time off) before giving up.
SEARCH_DAYS = 400


def _local_midnight(week: WorkingWeek, day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=week.zone)


def full_working_day_end(week: WorkingWeek, opened_at: datetime) -> datetime:
    """The end of the member's first whole working day after ``opened_at``.

    A day counts if it has working hours and none of them had begun when the ask opened
    (an ask opened before someone's working day starts gives them that same day). For
    someone without working hours it is the end of the next local day.
    """
    first = opened_at.astimezone(week.zone).date()
    if week.has_hours:
        for offset in range(SEARCH_DAYS):
            day = first + timedelta(days=offset)
            start = _local_midnight(week, day)
            end = end_of_local_day(week, day)
            spans = list(working_intervals(week, start, end))
            if spans and spans[0][0] >= opened_at:
                return end
    return end_of_local_day(week, first + timedelta(days=1))


def participant_deadline(
    week: WorkingWeek,
    kind: str,
    *,
    opened_at: datetime,
    deadline_at: datetime | None,
    deadline_date: date | None,
) -> datetime:
    """One participant's deadline for an ask opened at ``opened_at``.

    ``kind`` is ``"instant"``, ``"local_day"`` or ``"working_day"`` (a full working day).
    """
    if kind == "working_day":
        return full_working_day_end(week, opened_at)
    due = local_deadline(week, deadline_at=deadline_at, deadline_date=deadline_date)
    if due is None:
        raise ValueError(f"A {kind} deadline needs its moment or its day.")
    return due


def deadline_label(moment: datetime | None) -> str:
    """A local deadline in words, in the moment's own zone; midnight (a day without working
    hours) reads "end of <day>", e.g. "end of Thu 12 Mar" or "Thu 12 Mar, 17:00"."""
    if moment is None:
        return ""
    if (moment.hour, moment.minute) == (0, 0):
        day = moment - timedelta(minutes=1)
        return f"end of {day:%a} {day.day} {day:%b}"
    return f"{moment:%a} {moment.day} {moment:%b}, {moment:%H:%M}"
