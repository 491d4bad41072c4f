"""Working time: when a member is at work, in their own time zone, as real instants.

Every deadline and reminder in Meridian is built on this module: "end of Thursday" means the end
of that day's working hours in each person's zone, and reminders are only sent inside working
hours. It is pure Python (dataclasses, ``datetime`` and ``zoneinfo``) and knows nothing of the ORM.

A :class:`WorkingWeek` holds a member's recurring weekly hours as wall-clock intervals per weekday
(minutes since local midnight, half-open ``[start, end)``), their IANA zone, and absolute
intervals of time off. Every function takes and returns *aware* datetimes (naive ones raise
``ValueError``); results are always in UTC.

Turning wall-clock boundaries into real instants (DST rules)
-------------------------------------------------------------
Each day's intervals are resolved on that local date with ``zoneinfo``:

* An ordinary wall time maps to its single instant.
* A wall time that does not exist (it falls in a DST gap, e.g. 02:30 in Berlin on the last Sunday
  of March) maps to the first real instant after the gap, i.e. the moment of the transition. A
  working interval touching the gap is therefore shortened by the skipped time, and an interval
  lying wholly inside the gap is dropped. Berlin 01:00-04:00 on 2026-03-29 is 2 real hours.
* A wall time that happens twice (a DST overlap, e.g. 02:30 in Berlin on the last Sunday of
  October) resolves with ``fold=0`` (its first occurrence) when it starts an interval and
  ``fold=1`` (its second occurrence) when it ends one, so an interval spanning the repeated hour
  gets the extra real hour. Berlin 01:00-04:00 on 2026-10-25 is 4 real hours, and 01:00-02:30
  that day is 2.5 real hours (01:00 CEST to 02:30 CET).
* One refinement for ends: a wall time that *opens* the repeated span (02:00 in Berlin on that
  day) is, strictly, ambiguous too, but the clock only reaches it from below once, at its first
  occurrence (afterwards it shows 02:00-02:59 twice, never anything earlier), so that is where an
  interval ending there ends: Berlin 00:00-02:00 on 2026-10-25 is 2 real hours, not 3. In
  general an end is the instant after which the clock no longer shows a time before it.
* ``1440`` ("24:00") is the next local midnight, by the same rule as any other end: the first
  instant of the next local date (if that midnight falls in a gap, the end of the gap; if it
  opens a repeated span, its first occurrence). It is therefore the same instant as the next
  day's "00:00" start, so a night shift written as Monday 22:00-24:00 plus Tuesday 00:00-02:00
  is one unbroken interval.
* Offsets are whatever the zone database says, so zones with 30- and 45-minute offsets
  (Asia/Kathmandu, Pacific/Chatham) and 30-minute DST shifts (Australia/Lord_Howe) need nothing
  special.

Other conventions
-----------------
* Time off is subtracted from the resolved instants everywhere, including "end of day".
* ``add_working_time`` returns the *earliest* instant by which the amount has elapsed: the
  instant itself for a zero amount, otherwise a working instant or the end of a working
  interval. It raises ``WorkingHoursError`` for a week without working hours and ``ValueError``
  for a negative amount.
* ``next_working_instant`` gives up (``None``) after ``SEARCH_HORIZON`` (400 days).
* ``end_of_local_day`` of a day without working hours is that day's next local midnight.
* ``end_of_working_day`` is what a deadline day means for a person (the rule for days off):
  the end of that day's working hours or, when the day is not a working day for them (a day
  off in their week, or a day wholly on time off), the end of their *next* working day, so a
  deadline never lands on a day off. Someone with no working day within ``SEARCH_HORIZON`` gets
  the day's next local midnight, as before. ``next_working_day`` names that day.
* Adjacent intervals of one day are merged ("09:00-12:00, 12:00-13:00" is "09:00-13:00");
  overlapping, inverted, empty or out-of-range ones raise ``WorkingHoursError``.

* ``working_week`` also accepts a day's hours as text, as :func:`parse_hours` reads it.

Computations walk the calendar a day at a time (and jump over long stretches of time off), never
minute by minute, so spans of months or years are cheap.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from operator import itemgetter
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

__all__ = [
    "SEARCH_HORIZON",
    "WEEKDAY_NAMES",
    "Minutes",
    "WorkingHoursError",
    "WorkingWeek",
    "add_working_time",
    "end_of_local_day",
    "end_of_working_day",
    "format_hours",
    "is_working",
    "next_working_day",
    "next_working_instant",
    "parse_hours",
    "validate_day",
    "wall_time_instant",
    "working_intervals",
    "working_time_between",
    "working_week",
]

Minutes = int  # minutes since local midnight, 0..1440
Interval = tuple[Minutes, Minutes]
Span = tuple[datetime, datetime]

MINUTES_PER_DAY = 1440
WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
SEARCH_HORIZON = timedelta(days=400)
"""How far ahead :func:`next_working_instant` looks before concluding there is no working time."""

_ONE_DAY = timedelta(days=1)
_ONE_SECOND = timedelta(seconds=1)
_ONE_MINUTE = timedelta(minutes=1)
_ONE_MICROSECOND = timedelta(microseconds=1)
_ZERO = timedelta(0)
_ENTRY_RE = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*[-\u2013\u2014]\s*(\d{1,2}):(\d{2})\s*$")


class WorkingHoursError(ValueError):
    """Working hours, a time zone or time off that cannot be used, with a message naming why."""


class _WeekDays(Mapping[int, tuple[Interval, ...]]):
    """An immutable, hashable weekday (0=Monday..6=Sunday) to working-intervals mapping."""

    __slots__ = ("_days",)

    def __init__(self, days: tuple[tuple[Interval, ...], ...]) -> None:
        self._days = days

    def __getitem__(self, weekday: int) -> tuple[Interval, ...]:
        if isinstance(weekday, int) and 0 <= weekday < len(self._days):
            return self._days[weekday]
        raise KeyError(weekday)

    def __iter__(self) -> Iterator[int]:
        return iter(range(len(self._days)))

    def __len__(self) -> int:
        return len(self._days)

    def __hash__(self) -> int:
        return hash(self._days)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, _WeekDays):
            return self._days == other._days
        return super().__eq__(other)

    def __repr__(self) -> str:
        return repr(dict(self.items()))


@dataclass(frozen=True)
class WorkingWeek:
    """A member's recurring weekly working hours in their own IANA zone, minus time off."""

    # Construction validates and normalises: ``days`` becomes an immutable mapping of all seven
    # weekdays (() for a day off) and ``time_off`` is put in UTC, sorted and merged, so weeks
    # meaning the same hours compare equal, and weeks are hashable.

    zone: ZoneInfo
    # weekday 0=Monday..6=Sunday -> sorted, non-overlapping [start, end) minute intervals
    days: Mapping[int, tuple[tuple[Minutes, Minutes], ...]]
    # aware [start, end) absolute intervals that are NOT working time
    time_off: tuple[tuple[datetime, datetime], ...] = ()

    def __post_init__(self) -> None:
        if not isinstance(self.zone, ZoneInfo):
            raise WorkingHoursError(f"Time zone must be a ZoneInfo, not {self.zone!r}")
        object.__setattr__(self, "days", _normalize_days(self.days))
        object.__setattr__(self, "time_off", _normalize_time_off(self.time_off))

    @property
    def has_hours(self) -> bool:
        """Whether the member works at all in a normal week."""
        return any(self.days.values())


# --------------------------------------------------------------------------- parsing, validation


def _fmt(minute: int) -> str:
    """Render a minute of the day as HH:MM for messages (raw number if out of range)."""
    if 0 <= minute <= MINUTES_PER_DAY:
        return f"{minute // 60:02d}:{minute % 60:02d}"
    return f"minute {minute}"


def _fmt_interval(interval: Interval) -> str:
    """Render an interval for error messages, with an en dash as in the product's copy."""
    return f"{_fmt(interval[0])}\u2013{_fmt(interval[1])}"


def _normalize(intervals: Iterable[tuple[int, int]], prefix: str) -> tuple[Interval, ...]:
    """Check and sort one day's intervals, merging touching ones; errors start with ``prefix``."""
    checked: list[Interval] = []
    for item in intervals:
        try:
            start, end = item
        except (TypeError, ValueError):
            raise WorkingHoursError(f"{prefix}{item!r} is not a (start, end) pair") from None
        if not all(isinstance(m, int) and not isinstance(m, bool) for m in (start, end)):
            raise WorkingHoursError(f"{prefix}{item!r} must be whole minutes since midnight")
        if not 0 <= start < MINUTES_PER_DAY:
            if start == MINUTES_PER_DAY:
                raise WorkingHoursError(f"{prefix}24:00 can only end an interval, not start one")
            raise WorkingHoursError(
                f"{prefix}start {_fmt(start)} is out of range (00:00\u201324:00)"
            )
        if not 0 <= end <= MINUTES_PER_DAY:
            raise WorkingHoursError(f"{prefix}end {_fmt(end)} is out of range (00:00\u201324:00)")
        if end < start:
            raise WorkingHoursError(f"{prefix}{_fmt_interval((start, end))} ends before it starts")
        if end == start:
            raise WorkingHoursError(f"{prefix}{_fmt_interval((start, end))} is empty")
        checked.append((start, end))
    checked.sort()
    merged: list[Interval] = []
    for current in checked:
        if merged and current[0] < merged[-1][1]:
            raise WorkingHoursError(
                f"{prefix}{_fmt_interval(merged[-1])} overlaps {_fmt_interval(current)}"
            )
        if merged and current[0] == merged[-1][1]:
            merged[-1] = (merged[-1][0], current[1])
        else:
            merged.append(current)
    return tuple(merged)


def _parse_pairs(text: str, prefix: str) -> list[Interval]:
    """Read "HH:MM-HH:MM, ..." into raw minute pairs without checking order or overlap."""
    if not text.strip():
        return []
    pairs: list[Interval] = []
    for entry in text.split(","):
        match = _ENTRY_RE.match(entry)
        if match is None:
            raise WorkingHoursError(
                f"{prefix}{entry.strip()!r} is not HH:MM-HH:MM (e.g. 09:00-17:00)"
            )
        h1, m1, h2, m2 = (int(g) for g in match.groups())
        for hour, minute in ((h1, m1), (h2, m2)):
            if minute > 59 or hour > 24 or (hour == 24 and minute != 0):
                raise WorkingHoursError(
                    f"{prefix}{hour:02d}:{minute:02d} is not a time of day (00:00\u201324:00)"
                )
        pairs.append((h1 * 60 + m1, h2 * 60 + m2))
    return pairs


def parse_hours(text: str) -> tuple[tuple[Minutes, Minutes], ...]:
    """Read one day's hours as a member types them ("09:00-12:00, 14:00-18:00"; "" is a day off)."""
    return _normalize(_parse_pairs(text, ""), "")


def format_hours(intervals: Iterable[tuple[Minutes, Minutes]]) -> str:
    """Render one day's hours the way members type them, the inverse of :func:`parse_hours`."""
    return ", ".join(f"{_fmt(start)}-{_fmt(end)}" for start, end in intervals)


def _weekday_prefix(weekday: int) -> str:
    """The "Tuesday: " prefix for error messages, after checking the weekday number."""
    if isinstance(weekday, bool) or not isinstance(weekday, int) or not 0 <= weekday <= 6:
        raise WorkingHoursError(f"Unknown weekday: {weekday!r} (expected 0=Monday..6=Sunday)")
    return f"{WEEKDAY_NAMES[weekday]}: "


def validate_day(
    weekday: int, intervals: Iterable[tuple[Minutes, Minutes]]
) -> tuple[tuple[Minutes, Minutes], ...]:
    """Check one weekday's working hours, returning them sorted with touching intervals merged."""
    return _normalize(intervals, _weekday_prefix(weekday))


def _normalize_days(days: Mapping[int, Iterable[tuple[int, int]] | str]) -> _WeekDays:
    """Validate a weekday mapping (values are interval lists or typed text) into all 7 days."""
    if isinstance(days, _WeekDays):
        return days
    if not isinstance(days, Mapping):
        raise WorkingHoursError(f"Working days must be a mapping of weekday to hours, not {days!r}")
    result: list[tuple[Interval, ...]] = [() for _ in WEEKDAY_NAMES]
    for weekday, hours in days.items():
        prefix = _weekday_prefix(weekday)
        pairs = _parse_pairs(hours, prefix) if isinstance(hours, str) else hours
        result[weekday] = _normalize(pairs, prefix)
    return _WeekDays(tuple(result))


def _require_aware(value: datetime, what: str) -> datetime:
    """Return ``value`` in UTC, raising ValueError if it is naive (or not a datetime)."""
    if not isinstance(value, datetime):
        raise TypeError(f"{what} must be a datetime, not {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{what} must be timezone-aware, got naive {value.isoformat()}")
    return value.astimezone(UTC)


def _normalize_time_off(time_off: Iterable[tuple[datetime, datetime]]) -> tuple[Span, ...]:
    """Validate time off and return it in UTC, sorted, with overlapping or touching spans merged."""
    spans: list[Span] = []
    for item in time_off:
        try:
            raw_start, raw_end = item
        except (TypeError, ValueError):
            raise WorkingHoursError(f"Time off {item!r} is not a (start, end) pair") from None
        start = _require_aware(raw_start, "Time off start")
        end = _require_aware(raw_end, "Time off end")
        if end < start:
            raise WorkingHoursError(
                f"Time off {start.isoformat()}\u2013{end.isoformat()} ends before it starts"
            )
        if end > start:
            spans.append((start, end))
    spans.sort()
    merged: list[Span] = []
    for start, end in spans:
        if merged and start <= merged[-1][1]:
            if end > merged[-1][1]:
                merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return tuple(merged)


def _zone(name: str) -> ZoneInfo:
    """Look up an IANA zone name, raising WorkingHoursError("Unknown time zone: ...")."""
    if not isinstance(name, str) or not name.strip():
        raise WorkingHoursError(f"Unknown time zone: {name!r}")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise WorkingHoursError(f"Unknown time zone: {name!r}") from None


def working_week(
    zone: str,
    days: Mapping[int, Iterable[tuple[int, int]] | str],
    time_off: Iterable[tuple[datetime, datetime]] = (),
) -> WorkingWeek:
    """Build a member's working week from a zone name, weekday hours and time off, validated."""
    return WorkingWeek(zone=_zone(zone), days=_normalize_days(days), time_off=tuple(time_off))


# --------------------------------------------------------------------------- resolving instants


def _wall(instant: datetime, zone: ZoneInfo) -> datetime:
    """The naive local wall-clock reading of ``instant`` in ``zone``."""
    return instant.astimezone(zone).replace(tzinfo=None)


@lru_cache(maxsize=65536)
def _resolve(zone: ZoneInfo, day: date, minute: Minutes, is_end: bool) -> datetime:
    """The real UTC instant of wall time ``minute`` on local ``day``, by the module's DST rules."""
    naive = datetime(day.year, day.month, day.day) + minute * _ONE_MINUTE  # 1440: next midnight
    first = naive.replace(tzinfo=zone, fold=0).astimezone(UTC)
    if _wall(first, zone) != naive:
        return _gap_end(zone, naive)
    if is_end:
        second = naive.replace(tzinfo=zone, fold=1).astimezone(UTC)
        # The second occurrence, unless the clock was not just below the wall time then (the
        # time opens the repeated span, so it was last reached from below at its first one).
        if second != first and _wall(second - _ONE_MICROSECOND, zone) < naive:
            return second
    return first


def wall_time_instant(zone: ZoneInfo, day: date, minute: Minutes) -> datetime:
    """The real instant (UTC) at which the clock in ``zone`` shows ``minute`` on local ``day``,
    by this module's DST rules for a start (a time in a gap is the end of the gap; a repeated
    time is its first occurrence). For "ask at 09:00 local" in other areas."""
    return _resolve(zone, day, minute, False)


def _gap_end(zone: ZoneInfo, naive: datetime) -> datetime:
    """The first real instant after the DST gap that swallows nonexistent wall time ``naive``."""
    # Read with the offsets before and after the gap, the wall time gives two instants, one
    # before the transition and one after it; bisect between them for the transition itself
    # (in whole seconds: zone transitions fall on whole seconds).
    a = naive.replace(tzinfo=zone, fold=0).astimezone(UTC)
    b = naive.replace(tzinfo=zone, fold=1).astimezone(UTC)
    lo, hi = min(a, b), max(a, b)
    lo_s, hi_s = 0, int((hi - lo).total_seconds())
    while lo_s < hi_s:
        mid = (lo_s + hi_s) // 2
        if _wall(lo + mid * _ONE_SECOND, zone) > naive:
            hi_s = mid
        else:
            lo_s = mid + 1
    return lo + hi_s * _ONE_SECOND


def _local_date(week: WorkingWeek, instant: datetime) -> date:
    """The member's local calendar date at ``instant``."""
    return instant.astimezone(week.zone).date()


def _subtract_time_off(week: WorkingWeek, start: datetime, end: datetime) -> Iterator[Span]:
    """The parts of ``[start, end)`` not covered by the week's time off, in order."""
    off = week.time_off
    i = bisect_right(off, start, key=itemgetter(0)) - 1
    if i >= 0 and off[i][1] > start:
        start = off[i][1]
    i += 1
    while i < len(off) and off[i][0] < end:
        if start < off[i][0]:
            yield start, off[i][0]
        start = max(start, off[i][1])
        i += 1
    if start < end:
        yield start, end


def _day_spans(week: WorkingWeek, day: date) -> list[Span]:
    """The real working spans that local ``day``'s configured hours produce, minus time off."""
    spans: list[Span] = []
    for start_min, end_min in week.days.get(day.weekday(), ()):
        start = _resolve(week.zone, day, start_min, False)
        end = _resolve(week.zone, day, end_min, True)
        if start < end:
            spans.extend(_subtract_time_off(week, start, end))
    return spans


def _skip_time_off(week: WorkingWeek, day: date) -> date:
    """Jump past days lying wholly inside one stretch of time off (never past a working span)."""
    if not week.time_off:
        return day
    day_start = _resolve(week.zone, day, 0, False)
    i = bisect_right(week.time_off, day_start, key=itemgetter(0)) - 1
    if i >= 0 and week.time_off[i][1] > day_start:
        target = _local_date(week, week.time_off[i][1]) - _ONE_DAY
        if target > day:
            return target
    return day


def _spans(week: WorkingWeek, first_day: date, last_day: date | None) -> Iterator[Span]:
    """Disjoint, ordered working spans from local ``first_day`` on (through ``last_day``).

    Consecutive spans may touch (e.g. across midnight); callers that need them merged merge.
    With ``last_day=None`` it never ends, so callers must know the week has working hours.
    """
    day = first_day
    latest: datetime | None = None
    while last_day is None or day <= last_day:
        day = _skip_time_off(week, day)
        if last_day is not None and day > last_day:
            return
        for start, end in _day_spans(week, day):
            if latest is not None and start < latest:
                start = latest  # only if an overlap straddles midnight: never count twice
            if start < end:
                yield start, end
                latest = end
        day += _ONE_DAY


# --------------------------------------------------------------------------- queries


def working_intervals(week: WorkingWeek, start: datetime, end: datetime) -> Iterator[Span]:
    """The member's working time within ``[start, end)``: clipped, merged UTC intervals in order."""
    window_start = _require_aware(start, "start")
    window_end = _require_aware(end, "end")
    return _clipped(week, window_start, window_end)


def _clipped(week: WorkingWeek, window_start: datetime, window_end: datetime) -> Iterator[Span]:
    """Generator behind :func:`working_intervals` (arguments already checked and in UTC)."""
    if window_end <= window_start:
        return
    first = _local_date(week, window_start) - _ONE_DAY
    last = _local_date(week, window_end) + _ONE_DAY
    current: Span | None = None
    for span_start, span_end in _spans(week, first, last):
        if span_start >= window_end:
            break
        start, end = max(span_start, window_start), min(span_end, window_end)
        if start >= end:
            continue
        if current is not None and start <= current[1]:
            current = (current[0], max(current[1], end))
        else:
            if current is not None:
                yield current
            current = (start, end)
    if current is not None:
        yield current


def is_working(week: WorkingWeek, instant: datetime) -> bool:
    """Whether the member is inside their working hours (and not on time off) at ``instant``."""
    moment = _require_aware(instant, "instant")
    day = _local_date(week, moment)
    for start, end in _spans(week, day - _ONE_DAY, day + _ONE_DAY):
        if start > moment:
            break
        if moment < end:
            return True
    return False


def next_working_instant(week: WorkingWeek, instant: datetime) -> datetime | None:
    """When the member is next at work (``instant`` if now), or None if not within the horizon."""
    moment = _require_aware(instant, "instant")
    if not week.has_hours:
        return None
    horizon = moment + SEARCH_HORIZON
    day = _local_date(week, moment)
    for start, end in _spans(week, day - _ONE_DAY, _local_date(week, horizon) + _ONE_DAY):
        if end > moment:
            found = max(start, moment)
            return found if found <= horizon else None
    return None


def add_working_time(week: WorkingWeek, instant: datetime, amount: timedelta) -> datetime:
    """The deadline "``amount`` of working time after ``instant``": the first instant it is met."""
    moment = _require_aware(instant, "instant")
    if not isinstance(amount, timedelta):
        raise TypeError(f"amount must be a timedelta, not {type(amount).__name__}")
    if amount < _ZERO:
        raise ValueError(f"amount must not be negative, got {amount}")
    if not week.has_hours:
        raise WorkingHoursError("This working week has no working hours")
    if amount == _ZERO:
        return moment
    remaining = amount
    for start, end in _spans(week, _local_date(week, moment) - _ONE_DAY, None):
        if end <= moment:
            continue
        start = max(start, moment)
        length = end - start
        if remaining <= length:
            return start + remaining
        remaining -= length
    raise AssertionError("unreachable: a week with working hours has endless working spans")


def working_time_between(week: WorkingWeek, start: datetime, end: datetime) -> timedelta:
    """How much of the member's working time lies in ``[start, end)``; zero if ``end <= start``."""
    total = _ZERO
    for span_start, span_end in working_intervals(week, start, end):
        total += span_end - span_start
    return total


def end_of_local_day(week: WorkingWeek, day: date) -> datetime:
    """What "end of <day>" means for the member: their last working interval's end, or midnight."""
    if isinstance(day, datetime) or not isinstance(day, date):
        raise TypeError(f"day must be a date, not {type(day).__name__}")
    spans = _day_spans(week, day)
    if spans:
        return max(end for _, end in spans)
    return _resolve(week.zone, day, MINUTES_PER_DAY, True)


def next_working_day(week: WorkingWeek, day: date) -> date | None:
    """The member's first local date on or after ``day`` with working time, if any soon.

    None when there is none within ``SEARCH_HORIZON`` (no working hours at all, a very long time
    off, or the end of the calendar).
    """
    if isinstance(day, datetime) or not isinstance(day, date):
        raise TypeError(f"day must be a date, not {type(day).__name__}")
    if not week.has_hours:
        return None
    last = day + SEARCH_HORIZON if day <= date.max - SEARCH_HORIZON else date.max
    current = day
    while current <= last:
        try:
            current = _skip_time_off(week, current)
            if current > last:
                return None
            if _day_spans(week, current):
                return current
        except OverflowError:  # the zone's offset pushes the day's instants past year 9999
            return None
        if current == date.max:
            return None
        current += _ONE_DAY
    return None


def end_of_working_day(week: WorkingWeek, day: date) -> datetime:
    """When a deadline of "end of <day>" falls for the member, by the rule for days off.

    The end of that day's working hours; if ``day`` is not a working day for them, the end of
    their next working day (see the module docstring); with none in sight, the day's midnight.
    """
    working = next_working_day(week, day)
    return end_of_local_day(week, day if working is None else working)


def member_week(zone: str | None, hours: Any) -> WorkingWeek | None:
    """A member's working week from their profile's zone and stored hours (``{weekday:
    [[start, end], ...]}``), or None when they have none or it does not parse."""
    try:
        days = {int(d): [(int(a), int(b)) for a, b in spans] for d, spans in (hours or {}).items()}
        week = working_week(zone or "UTC", days)
    except (WorkingHoursError, TypeError, ValueError, AttributeError):
        return None
    return week if week.has_hours else None


def working_hours_or_elapsed(week: WorkingWeek | None, start: datetime, end: datetime) -> float:
    """Hours of ``[start, end)`` inside the working week, or the elapsed hours without one:
    what "in working hours" means for metrics of people who set no hours."""
    if week is None:
        return max((end - start).total_seconds(), 0.0) / 3600
    return working_time_between(week, start, end).total_seconds() / 3600
