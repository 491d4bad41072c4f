"""When a notification may reach a member: inside working hours, outside quiet hours and focus.

Pure Python on top of :mod:`meridian.core.workingtime` (no ORM), so the DST rules are the ones
every deadline uses. A member's :class:`Rules` are their working week, their focus blocks (the
same weekly shape, in the same zone) and their quiet hours (daily local ranges that may wrap past
midnight, "22:00-07:00"). :func:`next_allowed` is the first instant at or after a given one that
is inside working time and outside focus and quiet time, in UTC.

* A member without any working hours is not held by working hours (only by focus and quiet), so
  clearing one's hours never silences Meridian for good.
* When no allowed instant exists within ``SEARCH_HORIZON``, :func:`next_allowed` answers
  ``None``. :func:`hold_until` then drops the working hours first (focus and quiet hours that
  cover every working hour): quiet hours are the member's stronger wish. Only when even that
  finds nothing (quiet hours of 00:00-24:00 every day) does the caller deliver at once rather
  than never.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from meridian.core.workingtime import (
    SEARCH_HORIZON,
    WorkingHoursError,
    WorkingWeek,
    is_working,
    working_intervals,
    working_week,
)

Minutes = int
MINUTES_PER_DAY = 1440
_ONE_MINUTE = timedelta(minutes=1)
QuietRange = tuple[Minutes, Minutes]
_WINDOW = timedelta(days=7)
_RANGE_RE = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*[-\u2013\u2014]\s*(\d{1,2}):(\d{2})\s*$")


@dataclass(frozen=True)
class Rules:
    """A member's delivery rules: working week, focus blocks and quiet hours, in their zone."""

    week: WorkingWeek
    focus: WorkingWeek
    quiet: WorkingWeek

    @property
    def zone(self) -> ZoneInfo:
        return self.week.zone


def _fmt(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def parse_quiet_hours(text: str) -> tuple[QuietRange, ...]:
    """Read quiet hours as a member types them: "22:00-07:00, 12:30-13:00" ("" is none).

    A range whose end is before its start runs past midnight. Raises ``WorkingHoursError``
    naming the entry that cannot be read.
    """
    ranges: list[QuietRange] = []
    for entry in (part for part in text.split(",") if part.strip()):
        match = _RANGE_RE.match(entry)
        if match is None:
            raise WorkingHoursError(f"{entry.strip()!r} is not HH:MM-HH:MM (e.g. 22:00-07:00)")
        h1, m1, h2, m2 = (int(g) for g in match.groups())
        for hour, minute in ((h1, m1), (h2, m2)):
            if minute > 59 or hour > 24 or (hour == 24 and minute != 0):
                raise WorkingHoursError(
                    f"{hour:02d}:{minute:02d} is not a time of day (00:00\u201324:00)"
                )
        ranges.append((h1 * 60 + m1, h2 * 60 + m2))
    return validate_quiet_hours(ranges)


def validate_quiet_hours(ranges: Iterable[Sequence[int]]) -> tuple[QuietRange, ...]:
    """Check quiet ranges given as minute pairs; an empty range or 24:00 as a start is refused."""
    checked: list[QuietRange] = []
    for item in ranges:
        if len(item) != 2 or not all(isinstance(m, int) and not isinstance(m, bool) for m in item):
            raise WorkingHoursError(f"{list(item)!r} is not a pair of minutes since midnight")
        start, end = item
        if not 0 <= start < MINUTES_PER_DAY or not 0 <= end <= MINUTES_PER_DAY:
            raise WorkingHoursError(f"{list(item)!r} is outside 00:00\u201324:00")
        if start == end:
            raise WorkingHoursError(f"{_fmt(start)}\u2013{_fmt(end)} is empty")
        checked.append((start, end))
    return tuple(checked)


def format_quiet_hours(ranges: Iterable[Sequence[int]]) -> str:
    """Quiet hours the way members type them, the inverse of :func:`parse_quiet_hours`."""
    return ", ".join(f"{_fmt(a)}-{_fmt(b)}" for a, b in ranges)


def _daily(ranges: Iterable[QuietRange]) -> tuple[tuple[Minutes, Minutes], ...]:
    """One day's quiet intervals: wrapping ranges split at midnight, overlaps merged."""
    pieces: list[tuple[int, int]] = []
    for start, end in ranges:
        if end > start:
            pieces.append((start, end))
        else:
            pieces.append((start, MINUTES_PER_DAY))
            if end > 0:
                pieces.append((0, end))
    merged: list[tuple[int, int]] = []
    for start, end in sorted(pieces):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return tuple(merged)


def _week_key(hours: object) -> tuple[tuple[int, tuple[tuple[int, int], ...]], ...]:
    try:
        return tuple(
            sorted(
                (int(day), tuple((int(a), int(b)) for a, b in spans))
                for day, spans in hours.items()  # type: ignore[attr-defined]
            )
        )
    except (TypeError, ValueError, AttributeError, OverflowError):
        return ()


@lru_cache(maxsize=8192)
def _rules(
    zone: str,
    hours: tuple[tuple[int, tuple[tuple[int, int], ...]], ...],
    focus: tuple[tuple[int, tuple[tuple[int, int], ...]], ...],
    quiet: tuple[QuietRange, ...],
) -> Rules:
    try:
        working_week(zone, {})
    except WorkingHoursError:
        zone = "UTC"

    def week(days: object) -> WorkingWeek:
        try:
            return working_week(zone, dict(days))  # type: ignore[call-overload]
        except WorkingHoursError:
            return working_week(zone, {})

    daily = _daily(quiet)
    return Rules(week=week(hours), focus=week(focus), quiet=week({d: daily for d in range(7)}))


def rules_for(
    zone: str, working_hours: object, focus_blocks: object, quiet_hours: Iterable[Sequence[int]]
) -> Rules:
    """A member's rules from their profile's fields and their quiet hours.

    Anything unreadable (a broken zone, hours or ranges) counts as absent, so one broken
    profile never stops a delivery: a bad zone reads as UTC, bad hours as none.
    """
    try:
        quiet = validate_quiet_hours(quiet_hours)
    except (WorkingHoursError, TypeError):
        quiet = ()
    return _rules(zone or "UTC", _week_key(working_hours), _week_key(focus_blocks), quiet)


def _aware(instant: datetime) -> datetime:
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError("instant must be an aware datetime")
    return instant.astimezone(UTC)


def is_allowed(rules: Rules, instant: datetime) -> bool:
    """Whether a non-urgent notification may be delivered at ``instant``."""
    instant = _aware(instant)
    at_work = is_working(rules.week, instant) if rules.week.has_hours else True
    return at_work and not is_working(rules.focus, instant) and not is_working(rules.quiet, instant)


def _blocked(rules: Rules, start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
    spans = sorted(
        [*working_intervals(rules.focus, start, end), *working_intervals(rules.quiet, start, end)]
    )
    merged: list[tuple[datetime, datetime]] = []
    for a, b in spans:
        if merged and a <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(b, merged[-1][1]))
        else:
            merged.append((a, b))
    return merged


def _open(rules: Rules, start: datetime, end: datetime) -> Iterator[tuple[datetime, datetime]]:
    if rules.week.has_hours:
        yield from working_intervals(rules.week, start, end)
    else:
        yield (start, end)


def next_allowed(rules: Rules, instant: datetime) -> datetime | None:
    """The first instant at or after ``instant`` when a non-urgent notification may be delivered.

    Inside working hours (if the member has any), outside focus blocks and quiet hours; ``None``
    when there is none within ``SEARCH_HORIZON``. The answer is in UTC.
    """
    instant = _aware(instant)
    start = instant
    limit = instant + SEARCH_HORIZON
    while start < limit:
        end = min(start + _WINDOW, limit)
        blocked = _blocked(rules, start, end)
        for open_start, open_end in _open(rules, start, end):
            candidate = open_start
            for block_start, block_end in blocked:
                if block_end <= candidate:
                    continue
                if block_start > candidate:
                    break
                candidate = block_end
            if candidate < open_end:
                return candidate
        start = end
    return None


def hold_until(rules: Rules, instant: datetime) -> datetime | None:
    """The moment a non-urgent notification goes out: the next allowed one; when focus and quiet
    hours cover every working hour, the next moment outside them; ``None`` when there is none."""
    found = next_allowed(rules, instant)
    if found is None and rules.week.has_hours:
        found = next_allowed(replace(rules, week=working_week(rules.zone.key, {})), instant)
    return found


def deliver_after(rules: Rules, instant: datetime, *, urgent: bool = False) -> datetime:
    """When a notification arriving at ``instant`` goes out: at once if urgent or if the rules
    can never be met, else at the next allowed moment (see :func:`hold_until`)."""
    if urgent:
        return _aware(instant)
    return hold_until(rules, instant) or _aware(instant)


def _exists(zone: ZoneInfo, naive: datetime) -> bool:
    return naive.replace(tzinfo=zone).astimezone(UTC).astimezone(zone).replace(tzinfo=None) == naive


def local_moment(zone: ZoneInfo, day: date, at: time) -> datetime:
    """The real instant of wall time ``at`` on local ``day``: its first occurrence in a repeated
    hour, and the end of the gap for a wall time the clocks skip (as working hours resolve)."""
    naive = datetime.combine(day, at)
    if _exists(zone, naive):
        return naive.replace(tzinfo=zone).astimezone(UTC)
    probe = naive.replace(second=0, microsecond=0)
    while not _exists(zone, probe):
        probe -= _ONE_MINUTE
    return probe.replace(tzinfo=zone).astimezone(UTC) + _ONE_MINUTE
