"""Strategies for the deadline and reminder properties, shared with the decisions tests.

The awkward calendars (DST gaps and overlaps, 30- and 45-minute offsets, time off) come from
the working-time properties in tests/core, so deadlines are tried on the same zones and hours.
Here they are added to as members store them: a zone name and ``{"0": [[540, 1020]]}``.
"""

from datetime import UTC, date, datetime
from typing import Any

from hypothesis import strategies as st

from meridian.core.workingtime import WorkingWeek, working_week
from tests.core.test_workingtime import (
    DAY,
    MINUTE,
    ZONES,
    _start_of_local_day,
    _transitions,
    day_hours,
    scenarios,
)

__all__ = [
    "DAY",
    "MINUTE",
    "REMINDER_ZONES",
    "ZONES",
    "garbage_hours",
    "garbage_zones",
    "local_date",
    "profile_hours",
    "profile_weeks",
    "scenarios",
    "start_of_local_day",
    "weeks_without_hours",
]

# Zones whose clocks change in ways people notice: DST in both hemispheres, a 30-minute DST
# shift (Lord Howe), 45-minute offsets (Chatham), and an offset that never changes (Kathmandu).
REMINDER_ZONES = (
    "America/New_York",
    "Europe/London",
    "Asia/Kathmandu",
    "Australia/Lord_Howe",
    "Pacific/Chatham",
)
_TRANSITIONS = {
    zone: [t for t in _transitions(zone) if 2024 <= t.year <= 2030] for zone in REMINDER_ZONES
}
_FIRST, _LAST = datetime(2024, 1, 1, tzinfo=UTC), datetime(2030, 12, 1, tzinfo=UTC)

OFFICE = {str(d): [[540, 1020]] for d in range(5)}
SPLIT_DAY = {str(d): [[480, 720], [780, 1080]] for d in range(5)}
NIGHT_SHIFT = {**{str(d): [[1320, 1440]] for d in range(4)}, **{str(d): [[0, 360]] for d in (1, 4)}}


def local_date(week: WorkingWeek, instant: datetime) -> date:
    """The member's calendar date at ``instant``."""
    return instant.astimezone(week.zone).date()


def start_of_local_day(week: WorkingWeek, day: date) -> datetime:
    """Brute force: the first whole minute whose local date is ``day`` (whatever DST does)."""
    return _start_of_local_day(week.zone, day)


@st.composite
def profile_hours(draw: st.DrawFn) -> dict[str, list[list[int]]]:
    """Working hours as a profile stores them: an office week, or any hours at all (some)."""
    typical = st.sampled_from([OFFICE, SPLIT_DAY, NIGHT_SHIFT])
    days = draw(st.dictionaries(st.integers(0, 6), day_hours(), max_size=7))
    if not any(days.values()):
        days[draw(st.integers(0, 6))] = draw(day_hours(min_size=2))
    drawn = {str(day): [list(span) for span in spans] for day, spans in days.items()}
    return draw(typical | st.just(drawn))


@st.composite
def instants_near_dst(draw: st.DrawFn, zone: str) -> datetime:
    """Whole minutes in 2024-2030, half of them within a few days of one of the zone's changes."""
    transitions = _TRANSITIONS[zone]
    if transitions and draw(st.booleans()):
        return draw(st.sampled_from(transitions)) + draw(st.integers(-4 * 1440, 4 * 1440)) * MINUTE
    return _FIRST + draw(st.integers(0, int((_LAST - _FIRST) / MINUTE))) * MINUTE


@st.composite
def profile_weeks(draw: st.DrawFn) -> tuple[WorkingWeek, datetime, dict[str, Any]]:
    """A member's week from a stored profile, an instant near a clock change, and the profile."""
    zone = draw(st.sampled_from(REMINDER_ZONES))
    hours = draw(profile_hours())
    week = working_week(zone, {int(day): [tuple(s) for s in spans] for day, spans in hours.items()})
    return week, draw(instants_near_dst(zone)), {"time_zone": zone, "working_hours": hours}


@st.composite
def weeks_without_hours(draw: st.DrawFn) -> tuple[WorkingWeek, datetime]:
    """A member who has set no working hours (some with time off), and an instant."""
    week, instant = draw(scenarios())
    return working_week(week.zone.key, {}, week.time_off), instant


_json = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=6),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=3), inner),
    max_leaves=12,
)
_weekday_keys = st.sampled_from(["0", "4", "6", "7", "-1", " 1", "01", "Mon", ""]) | st.text(
    max_size=3
)
_odd_minutes = st.sampled_from([float("inf"), float("-inf"), float("nan"), 1e300, 540.5, "540"])
_odd_spans = st.lists(
    st.lists(
        _odd_minutes | st.integers(-2000, 3000) | st.floats() | st.text(max_size=4), max_size=3
    )
    | st.text(max_size=4),
    max_size=3,
)
garbage_hours = (
    _json
    | st.dictionaries(_weekday_keys, _odd_spans | _json, max_size=4)
    | st.builds(
        lambda good, bad: {**good, **bad},
        profile_hours(),
        st.dictionaries(_weekday_keys, _odd_spans, max_size=2),
    )
)
"""Whatever a profile's working-hours JSON might hold after a bad import or an old version."""

garbage_zones = st.sampled_from(
    ["", " ", "Not/AZone", "America", "America/", "../etc/passwd", "zone.tab", "utc", "UTC "]
) | st.text(max_size=30)
"""Zone names that may or may not be readable."""
