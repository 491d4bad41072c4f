"""Tests for meridian.core.workingtime: worked DST examples, errors, and properties across zones."""

from __future__ import annotations

from bisect import bisect_left
from datetime import UTC, date, datetime, time, timedelta
from itertools import accumulate, pairwise
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from meridian.core.workingtime import (
    SEARCH_HORIZON,
    WorkingHoursError,
    WorkingWeek,
    add_working_time,
    end_of_local_day,
    format_hours,
    is_working,
    next_working_instant,
    parse_hours,
    validate_day,
    working_intervals,
    working_time_between,
    working_week,
)

ZONES = [
    "UTC",
    "Europe/Berlin",
    "America/New_York",
    "Australia/Lord_Howe",
    "Asia/Kathmandu",
    "Pacific/Chatham",
    "America/Sao_Paulo",
    "Asia/Kolkata",
    "America/Havana",  # changes clocks at midnight: 24:00 and 00:00 in gaps and overlaps
]
MINUTE = timedelta(minutes=1)
DAY = timedelta(days=1)
WEEK = timedelta(days=7)
EPSILON = timedelta(microseconds=1)
PROPERTY = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def _transitions(zone_name: str) -> list[datetime]:
    """Every UTC offset change of ``zone_name`` in 2000-2035, to the minute."""
    zone = ZoneInfo(zone_name)
    found: list[datetime] = []
    t = utc(2000, 1, 1)
    while t < utc(2036, 1, 1):
        nxt = t + 3 * DAY
        if t.astimezone(zone).utcoffset() != nxt.astimezone(zone).utcoffset():
            lo, hi = t, nxt  # offset(lo) differs from offset(hi): bisect to the minute
            while hi - lo > MINUTE:
                mid = lo + ((hi - lo) // MINUTE // 2) * MINUTE
                if mid.astimezone(zone).utcoffset() == lo.astimezone(zone).utcoffset():
                    lo = mid
                else:
                    hi = mid
            found.append(hi)
        t = nxt
    return found


TRANSITIONS = {name: _transitions(name) for name in ZONES}
ZONES_WITH_TRANSITIONS = [name for name in ZONES if TRANSITIONS[name]]


# --------------------------------------------------------------------------- strategies

boundary = st.one_of(st.integers(0, 96).map(lambda q: q * 15), st.integers(0, 1440))


@st.composite
def day_hours(
    draw: st.DrawFn, min_size: int = 0, hot: tuple[int, ...] = ()
) -> list[tuple[int, int]]:
    """A valid day: strictly increasing boundaries paired up (so sorted and non-overlapping)."""
    # Points near a transition: the exact edges of its gap or overlap are the likeliest.
    points_from = (
        st.one_of(boundary, st.sampled_from(hot), st.sampled_from(hot[:2])) if hot else boundary
    )
    points = sorted(draw(st.lists(points_from, unique=True, min_size=min_size, max_size=6)))
    return [(points[i], points[i + 1]) for i in range(0, len(points) - 1, 2)]


def _hot_minutes(zone: ZoneInfo, transition: datetime) -> tuple[date, tuple[int, ...]]:
    """A transition's local date and wall-clock minutes around its gap or overlap, edges first."""
    before = (transition - MINUTE).astimezone(zone).replace(tzinfo=None) + MINUTE
    after = transition.astimezone(zone).replace(tzinfo=None)
    low, high = min(before, after), max(before, after)
    day = low.date()
    midnight = datetime.combine(day, time())
    edges = [int((low - midnight) / MINUTE), int((high - midnight) / MINUTE)]
    near = [edges[0] + k * 15 for k in range(-2, (edges[1] - edges[0]) // 15 + 3)]
    minutes = list(dict.fromkeys(m for m in [*edges, *near] if 0 <= m <= 1440))
    return day, tuple(minutes)


@st.composite
def instants(draw: st.DrawFn, zone: str) -> datetime:
    """Whole-minute UTC instants over 2000-2035, half of them within days of a DST transition."""
    transitions = TRANSITIONS[zone]
    near_transition = draw(st.booleans())
    if transitions and near_transition:
        base = draw(st.sampled_from(transitions))
        return base + draw(st.integers(-4 * 1440, 4 * 1440)) * MINUTE
    return utc(2000, 1, 1) + draw(st.integers(0, 36 * 365 * 1440)) * MINUTE


@st.composite
def scenarios(
    draw: st.DrawFn, time_off: bool = True, hot: bool | None = None
) -> tuple[WorkingWeek, datetime]:
    """A random valid working week with at least some hours, and an instant to work around.

    With ``hot`` (by default: at random) the zone has DST, the transition day's hours have
    boundaries in or near the gap or overlap, and the instant falls shortly before it.
    """
    zone = draw(st.sampled_from(ZONES_WITH_TRANSITIONS if hot else ZONES))
    days = draw(st.dictionaries(st.integers(0, 6), day_hours(), max_size=7))
    if not any(days.values()):
        days[draw(st.integers(0, 6))] = draw(day_hours(min_size=2))
    base = draw(instants(zone))
    transitions = TRANSITIONS[zone]
    if transitions and (hot or (hot is None and draw(st.booleans()))):
        # Put boundaries right in the gap or overlap of the transition nearest ``base``.
        nearest = min(transitions, key=lambda t: abs(t - base))
        day, minutes = _hot_minutes(ZoneInfo(zone), nearest)
        days[day.weekday()] = draw(day_hours(min_size=2, hot=minutes))
        base = nearest - draw(st.integers(0, 24 * 60)) * MINUTE
    off: list[tuple[datetime, datetime]] = []
    if time_off:
        for _ in range(draw(st.integers(0, 3))):
            start = base + draw(st.integers(-3 * 1440, 10 * 1440)) * MINUTE
            off.append((start, start + draw(st.integers(0, 4 * 1440)) * MINUTE))
    return working_week(zone, days, off), base


durations = st.integers(0, 40 * 24 * 60).map(lambda m: m * MINUTE) | st.integers(
    0, 10 * 86_400_000_000
).map(lambda us: timedelta(microseconds=us))


# --------------------------------------------------------------------------- worked examples


def test_berlin_spring_forward_shortens_the_day() -> None:
    week = working_week("Europe/Berlin", {6: "01:00-04:00"})
    assert working_time_between(week, utc(2026, 3, 28), utc(2026, 3, 30)) == timedelta(hours=2)
    assert list(working_intervals(week, utc(2026, 3, 28), utc(2026, 3, 30))) == [
        (utc(2026, 3, 29, 0), utc(2026, 3, 29, 2))
    ]


def test_berlin_fall_back_lengthens_the_day() -> None:
    week = working_week("Europe/Berlin", {6: "01:00-04:00"})
    assert working_time_between(week, utc(2026, 10, 24), utc(2026, 10, 26)) == timedelta(hours=4)


def test_berlin_interval_inside_the_gap_is_dropped() -> None:
    week = working_week("Europe/Berlin", {6: "02:15-02:45"})
    assert working_time_between(week, utc(2026, 3, 28), utc(2026, 3, 30)) == timedelta(0)
    # ... but the same wall-clock interval is 30 minutes on an ordinary Sunday.
    assert working_time_between(week, utc(2026, 4, 4), utc(2026, 4, 6)) == timedelta(minutes=30)


def test_berlin_end_inside_the_repeated_hour_uses_its_second_occurrence() -> None:
    week = working_week("Europe/Berlin", {6: "01:00-02:30"})
    assert list(working_intervals(week, utc(2026, 10, 24), utc(2026, 10, 26))) == [
        (utc(2026, 10, 24, 23), utc(2026, 10, 25, 1, 30))
    ]


def test_end_where_the_repeated_hour_begins_is_not_lengthened() -> None:
    # Berlin repeats 02:00-03:00 on 2026-10-25; the clock reaches 02:00 from below only once.
    week = working_week("Europe/Berlin", {6: "00:00-02:00"})
    assert list(working_intervals(week, utc(2026, 10, 24), utc(2026, 10, 26))) == [
        (utc(2026, 10, 24, 22), utc(2026, 10, 25, 0))
    ]
    # ... while a start there is its first occurrence, so 02:00-03:00 is two real hours.
    week = working_week("Europe/Berlin", {6: "02:00-03:00"})
    assert working_time_between(week, utc(2026, 10, 24), utc(2026, 10, 26)) == timedelta(hours=2)
    # New York repeats 01:00-02:00 on 2026-11-01.
    week = working_week("America/New_York", {6: "00:00-01:00, 01:30-03:00"})
    assert list(working_intervals(week, utc(2026, 10, 31), utc(2026, 11, 3))) == [
        (utc(2026, 11, 1, 4), utc(2026, 11, 1, 5)),
        (utc(2026, 11, 1, 5, 30), utc(2026, 11, 1, 8)),
    ]


def test_new_york_transitions() -> None:
    week = working_week("America/New_York", {6: "01:00-04:00"})
    assert working_time_between(week, utc(2026, 3, 7), utc(2026, 3, 10)) == timedelta(hours=2)
    assert working_time_between(week, utc(2026, 10, 31), utc(2026, 11, 3)) == timedelta(hours=4)


def test_lord_howe_half_hour_dst_shift() -> None:
    week = working_week("Australia/Lord_Howe", {6: "01:00-03:00"})
    # DST ends on 2026-04-05 (02:00 back to 01:30): half an hour extra.
    assert working_time_between(week, utc(2026, 4, 3), utc(2026, 4, 6)) == timedelta(hours=2.5)
    # DST starts on 2026-10-04 (02:00 forward to 02:30): half an hour less.
    assert working_time_between(week, utc(2026, 10, 2), utc(2026, 10, 5)) == timedelta(hours=1.5)


def test_chatham_45_minute_offsets_and_dst() -> None:
    week = working_week("Pacific/Chatham", {6: "02:00-05:00"})
    assert list(working_intervals(week, utc(2026, 9, 25), utc(2026, 9, 28))) == [
        (utc(2026, 9, 26, 13, 15), utc(2026, 9, 26, 15, 15))  # 02:45 -> 03:45 skipped
    ]
    assert working_time_between(week, utc(2026, 4, 3), utc(2026, 4, 6)) == timedelta(hours=4)


def test_kathmandu_split_day() -> None:
    week = working_week("Asia/Kathmandu", {2: "09:00-12:00, 14:00-18:00"})
    wednesday = (utc(2026, 6, 2), utc(2026, 6, 5))
    assert list(working_intervals(week, *wednesday)) == [
        (utc(2026, 6, 3, 3, 15), utc(2026, 6, 3, 6, 15)),
        (utc(2026, 6, 3, 8, 15), utc(2026, 6, 3, 12, 15)),
    ]
    assert working_time_between(week, *wednesday) == timedelta(hours=7)
    assert is_working(week, utc(2026, 6, 3, 3, 15))
    assert not is_working(week, utc(2026, 6, 3, 6, 15))  # 12:00 local: lunch
    assert next_working_instant(week, utc(2026, 6, 3, 7)) == utc(2026, 6, 3, 8, 15)
    # Two hours from 11:00 local: one before lunch, one after.
    assert add_working_time(week, utc(2026, 6, 3, 5, 15), timedelta(hours=2)) == utc(
        2026, 6, 3, 9, 15
    )
    assert end_of_local_day(week, date(2026, 6, 3)) == utc(2026, 6, 3, 12, 15)


def test_end_of_thursday_differs_between_chatham_and_new_york() -> None:
    hours = {3: "09:00-17:00"}
    thursday = date(2026, 6, 4)
    chatham = end_of_local_day(working_week("Pacific/Chatham", hours), thursday)
    new_york = end_of_local_day(working_week("America/New_York", hours), thursday)
    assert chatham == utc(2026, 6, 4, 4, 15)  # +12:45 in June
    assert new_york == utc(2026, 6, 4, 21)  # -04:00 in June
    # Chatham's Thursday is over before New York's Thursday has started (09:00 EDT = 13:00 UTC).
    assert chatham < utc(2026, 6, 4, 13) < new_york
    assert chatham.tzinfo is UTC and new_york.tzinfo is UTC
    # In January Chatham is on daylight time (+13:45) and New York on standard time (-05:00).
    assert end_of_local_day(working_week("Pacific/Chatham", hours), date(2026, 1, 8)) == utc(
        2026, 1, 8, 3, 15
    )
    assert end_of_local_day(working_week("America/New_York", hours), date(2026, 1, 8)) == utc(
        2026, 1, 8, 22
    )


def test_end_of_a_day_off_is_the_next_local_midnight() -> None:
    week = working_week("America/New_York", {3: "09:00-17:00"})
    assert end_of_local_day(week, date(2026, 6, 5)) == utc(2026, 6, 6, 4)


def test_end_of_day_subtracts_time_off() -> None:
    off = [(utc(2026, 6, 4, 17), utc(2026, 6, 5))]  # Thursday from 13:00 EDT
    week = working_week("America/New_York", {3: "09:00-12:00, 14:00-18:00"}, off)
    assert end_of_local_day(week, date(2026, 6, 4)) == utc(2026, 6, 4, 16)


def test_night_shift_across_midnight_is_one_interval() -> None:
    week = working_week("Europe/Berlin", {0: "22:00-24:00", 1: "00:00-02:00"})
    assert list(working_intervals(week, utc(2026, 6, 1), utc(2026, 6, 3))) == [
        (utc(2026, 6, 1, 20), utc(2026, 6, 2, 0))
    ]
    assert end_of_local_day(week, date(2026, 6, 1)) == utc(2026, 6, 1, 22)  # Tuesday 00:00


def test_sao_paulo_midnight_transitions() -> None:
    # 2018-11-04: clocks jumped from 00:00 to 01:00, so Sunday started at 01:00.
    week = working_week("America/Sao_Paulo", {5: "22:00-24:00", 6: "00:00-02:00"})
    assert list(working_intervals(week, utc(2018, 11, 3), utc(2018, 11, 5))) == [
        (utc(2018, 11, 4, 1), utc(2018, 11, 4, 4))
    ]
    # 2019-02-17: clocks went from 00:00 back to 23:00 Saturday, so Saturday 22-24 is 3 hours.
    week = working_week("America/Sao_Paulo", {5: "22:00-24:00"})
    assert working_time_between(week, utc(2019, 2, 16), utc(2019, 2, 18)) == timedelta(hours=3)


def test_havana_midnight_transitions() -> None:
    # 2026-11-01: 01:00 back to 00:00, so midnight happens twice. Saturday's 24:00 is the first
    # midnight (when the date changes) and Sunday's 00:00 start is the same instant.
    week = working_week("America/Havana", {5: "22:00-24:00", 6: "00:00-02:00"})
    assert list(working_intervals(week, utc(2026, 10, 31), utc(2026, 11, 2))) == [
        (utc(2026, 11, 1, 2), utc(2026, 11, 1, 7))
    ]
    assert end_of_local_day(week, date(2026, 10, 31)) == utc(2026, 11, 1, 4)
    # 2026-03-08: midnight does not exist (00:00 jumps to 01:00); Saturday ends at 01:00 CDT.
    saturday = working_week("America/Havana", {5: "22:00-24:00"})
    assert end_of_local_day(saturday, date(2026, 3, 7)) == utc(2026, 3, 8, 5)
    assert working_time_between(saturday, utc(2026, 3, 7), utc(2026, 3, 9)) == timedelta(hours=2)


def test_samoa_skipped_day() -> None:
    week = working_week("Pacific/Apia", {4: "09:00-17:00"})  # 2011-12-30 (a Friday) never was
    assert working_time_between(week, utc(2011, 12, 28), utc(2012, 1, 2)) == timedelta(0)
    assert end_of_local_day(week, date(2011, 12, 30)) == utc(2011, 12, 30, 10)


def test_add_working_time_over_a_weekend_and_zero() -> None:
    week = working_week("Europe/Berlin", {d: "09:00-17:00" for d in range(5)})
    friday_4pm = utc(2026, 6, 5, 14)
    assert add_working_time(week, friday_4pm, timedelta(hours=2)) == utc(2026, 6, 8, 8)
    assert add_working_time(week, friday_4pm, timedelta(hours=1)) == utc(2026, 6, 5, 15)
    saturday = utc(2026, 6, 6, 12)
    assert add_working_time(week, saturday, timedelta(0)) == saturday
    assert next_working_instant(week, saturday) == utc(2026, 6, 8, 7)


def test_long_spans_are_exact_and_fast() -> None:
    hours = {d: "09:00-12:00, 13:00-17:30" for d in range(5)}
    for zone in ("Europe/Berlin", "Pacific/Chatham", "Australia/Lord_Howe"):
        week = working_week(zone, hours)
        first, last = date(2025, 1, 1), date(2027, 1, 1)
        start = datetime.combine(first, time(), ZoneInfo(zone))
        end = datetime.combine(last, time(), ZoneInfo(zone))
        weekdays = sum(1 for n in range((last - first).days) if (first + n * DAY).weekday() < 5)
        total = working_time_between(week, start, end)
        assert total == weekdays * timedelta(hours=7.5)
        assert add_working_time(week, start, total) == end_of_local_day(week, date(2026, 12, 31))


def test_time_off_is_skipped() -> None:
    off = [(utc(2026, 6, 1), utc(2027, 9, 1))]
    week = working_week("UTC", {0: "09:00-17:00"}, off)
    assert next_working_instant(week, utc(2026, 6, 1)) is None  # beyond the 400-day horizon
    assert add_working_time(week, utc(2026, 6, 1), timedelta(hours=1)) == utc(2027, 9, 6, 10)
    assert next_working_instant(week, utc(2026, 6, 1) + SEARCH_HORIZON - 2 * WEEK) == utc(
        2027, 9, 6, 9
    )


def test_week_without_hours() -> None:
    week = working_week("Europe/Berlin", {0: "", 3: []})
    assert not week.has_hours
    assert next_working_instant(week, utc(2026, 1, 1)) is None
    assert working_time_between(week, utc(2026, 1, 1), utc(2027, 1, 1)) == timedelta(0)
    assert end_of_local_day(week, date(2026, 1, 1)) == utc(2026, 1, 1, 23)
    with pytest.raises(WorkingHoursError, match="no working hours"):
        add_working_time(week, utc(2026, 1, 1), timedelta(hours=1))


def test_week_normalisation_equality_and_hash() -> None:
    berlin = ZoneInfo("Europe/Berlin")
    a = WorkingWeek(berlin, {1: ((840, 1080), (540, 720))})
    b = working_week("Europe/Berlin", {1: "09:00-12:00, 14:00-18:00", 2: ""})
    assert a == b and hash(a) == hash(b)
    assert a.days[1] == ((540, 720), (840, 1080)) and a.days[0] == ()
    assert dict(a.days) == {0: (), 1: ((540, 720), (840, 1080)), 2: (), 3: (), 4: (), 5: (), 6: ()}
    off = working_week(
        "UTC", {}, [(utc(2026, 1, 2), utc(2026, 1, 3)), (utc(2026, 1, 1), utc(2026, 1, 2))]
    )
    assert off.time_off == ((utc(2026, 1, 1), utc(2026, 1, 3)),)


# --------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("14:00-12:00", "14:00–12:00 ends before it starts"),
        ("09:00-12:00, 11:00-13:00", "09:00–12:00 overlaps 11:00–13:00"),
        ("11:00-13:00, 09:00-12:00", "09:00–12:00 overlaps 11:00–13:00"),
        ("09:00-09:00", "09:00–09:00 is empty"),
        ("25:00-26:00", "25:00 is not a time of day"),
        ("09:00-24:30", "24:30 is not a time of day"),
        ("12:60-13:00", "12:60 is not a time of day"),
        ("24:00-24:00", "24:00 can only end an interval"),
        ("9-5", "'9-5' is not HH:MM-HH:MM"),
        ("09:00-12:00,", "'' is not HH:MM-HH:MM"),
    ],
)
def test_parse_errors_name_the_problem(text: str, message: str) -> None:
    with pytest.raises(WorkingHoursError) as info:
        parse_hours(text)
    assert message in str(info.value)


def test_parse_and_format() -> None:
    assert parse_hours("09:00-12:00, 14:00-18:00") == ((540, 720), (840, 1080))
    assert parse_hours("") == () and parse_hours("   ") == ()
    assert parse_hours("9:30 – 12:00,14:00-24:00") == ((570, 720), (840, 1440))
    assert parse_hours("09:00-12:00, 12:00-13:00") == ((540, 780),)
    assert format_hours(((540, 720), (840, 1080))) == "09:00-12:00, 14:00-18:00"
    assert format_hours(((0, 1440),)) == "00:00-24:00"
    assert format_hours(()) == ""


def test_validate_day_names_the_weekday() -> None:
    assert validate_day(0, [(840, 1080), (540, 720)]) == ((540, 720), (840, 1080))
    with pytest.raises(WorkingHoursError, match=r"^Tuesday: 14:00–12:00 ends before it starts$"):
        validate_day(1, [(840, 720)])
    with pytest.raises(WorkingHoursError, match=r"^Monday: 09:00–12:00 overlaps 11:00–13:00$"):
        validate_day(0, [(540, 720), (660, 780)])
    with pytest.raises(WorkingHoursError, match="out of range"):
        validate_day(4, [(-5, 60)])
    with pytest.raises(WorkingHoursError, match="out of range"):
        validate_day(4, [(60, 1441)])
    with pytest.raises(WorkingHoursError, match="Unknown weekday: 7"):
        validate_day(7, [])
    with pytest.raises(WorkingHoursError, match="whole minutes"):
        half_past_nine: Any = 9.5
        validate_day(2, [(half_past_nine, 12)])


def test_working_week_errors() -> None:
    with pytest.raises(WorkingHoursError, match=r"^Unknown time zone: 'Mars/Olympus'$"):
        working_week("Mars/Olympus", {})
    for bad in ("", "../etc/passwd", "Europe"):
        with pytest.raises(WorkingHoursError, match="Unknown time zone"):
            working_week(bad, {})
    with pytest.raises(WorkingHoursError, match=r"^Tuesday: 14:00–12:00 ends before it starts$"):
        working_week("UTC", {1: "14:00-12:00"})
    with pytest.raises(WorkingHoursError, match=r"^Monday: 09:00–12:00 overlaps 11:00–13:00$"):
        working_week("UTC", {0: [(540, 720), (660, 780)]})
    with pytest.raises(WorkingHoursError, match="ends before it starts"):
        working_week("UTC", {}, [(utc(2026, 1, 2), utc(2026, 1, 1))])
    with pytest.raises(ValueError, match="naive"):
        working_week("UTC", {}, [(datetime(2026, 1, 1), utc(2026, 1, 2))])


def test_naive_datetimes_and_negative_amounts_are_rejected() -> None:
    week = working_week("UTC", {0: "09:00-17:00"})
    naive = datetime(2026, 1, 1, 12)
    with pytest.raises(ValueError, match="naive"):
        is_working(week, naive)
    with pytest.raises(ValueError, match="naive"):
        next_working_instant(week, naive)
    with pytest.raises(ValueError, match="naive"):
        add_working_time(week, naive, timedelta(hours=1))
    with pytest.raises(ValueError, match="naive"):
        working_time_between(week, utc(2026, 1, 1), naive)
    with pytest.raises(ValueError, match="naive"):
        working_intervals(week, naive, utc(2026, 1, 1))
    with pytest.raises(ValueError, match="negative"):
        add_working_time(week, utc(2026, 1, 1), timedelta(minutes=-1))


def test_inputs_in_any_zone_give_utc_results() -> None:
    week = working_week("Asia/Kolkata", {d: "10:00-18:00" for d in range(7)})
    local = datetime(2026, 6, 3, 9, 0, tzinfo=ZoneInfo("Asia/Kolkata"))
    found = next_working_instant(week, local)
    assert found == utc(2026, 6, 3, 4, 30) and found is not None and found.tzinfo is UTC
    assert add_working_time(week, local, timedelta(hours=1)).tzinfo is UTC


# --------------------------------------------------------------------------- properties


@PROPERTY
@given(scenarios(), durations)
def test_add_then_measure_round_trips(scenario: tuple[WorkingWeek, datetime], d: timedelta) -> None:
    week, start = scenario
    end = add_working_time(week, start, d)
    assert end >= start and end.tzinfo is UTC
    assert working_time_between(week, start, end) == d


@PROPERTY
@given(scenarios(), durations, durations)
def test_add_is_monotonic_and_lands_in_working_time(
    scenario: tuple[WorkingWeek, datetime], d1: timedelta, d2: timedelta
) -> None:
    week, start = scenario
    d1, d2 = min(d1, d2), max(d1, d2)
    r1, r2 = add_working_time(week, start, d1), add_working_time(week, start, d2)
    assert r1 <= r2
    if d2 > timedelta(0):
        # Inside working time, or at the end of an interval: working just before it.
        assert is_working(week, r2 - EPSILON)
        ends = {end for _, end in working_intervals(week, r2 - WEEK, r2 + WEEK)}
        assert is_working(week, r2) or r2 in ends


@PROPERTY
@given(scenarios(), st.integers(0, 20 * 1440), st.integers(0, 20 * 1440))
def test_between_is_additive(scenario: tuple[WorkingWeek, datetime], gap1: int, gap2: int) -> None:
    week, a = scenario
    b = a + gap1 * MINUTE + timedelta(seconds=gap2 % 60)
    c = b + gap2 * MINUTE
    assert working_time_between(week, a, b) + working_time_between(
        week, b, c
    ) == working_time_between(week, a, c)
    assert working_time_between(week, c, a) == timedelta(0)


@PROPERTY
@given(scenarios(), st.integers(0, 59_999_999))
def test_next_working_instant(scenario: tuple[WorkingWeek, datetime], micro: int) -> None:
    week, x = scenario
    x += timedelta(microseconds=micro)
    found = next_working_instant(week, x)
    assert found is not None  # generated time off is far shorter than the horizon
    assert found >= x and is_working(week, found)
    assert working_time_between(week, x, found) == timedelta(0)
    assert (found == x) == is_working(week, x)


@PROPERTY
@given(scenarios())
def test_is_working_matches_a_minute_of_working_time(
    scenario: tuple[WorkingWeek, datetime],
) -> None:
    week, t = scenario  # whole minutes; all boundaries fall on whole minutes too
    expected = MINUTE if is_working(week, t) else timedelta(0)
    assert working_time_between(week, t, t + MINUTE) == expected


@PROPERTY
@given(scenarios(time_off=False))
def test_a_week_without_transitions_has_exactly_the_configured_hours(
    scenario: tuple[WorkingWeek, datetime],
) -> None:
    week, t = scenario
    # No transition in the week nor a day either side (intervals can reach across the edges).
    hours = range(-25, 7 * 24 + 26)
    offsets = {(t + n * timedelta(hours=1)).astimezone(week.zone).utcoffset() for n in hours}
    assume(len(offsets) == 1)
    configured = sum((end - start for day in week.days.values() for start, end in day), 0)
    assert working_time_between(week, t, t + WEEK) == configured * MINUTE


@PROPERTY
@given(scenarios(), st.integers(0, 10 * 1440))
def test_intervals_are_disjoint_ordered_and_inside_the_window(
    scenario: tuple[WorkingWeek, datetime], length: int
) -> None:
    week, start = scenario
    end = start + length * MINUTE
    spans = list(working_intervals(week, start, end))
    for s, e in spans:
        assert start <= s < e <= end and s.tzinfo is UTC and e.tzinfo is UTC
    for (_, e1), (s2, _) in pairwise(spans):
        assert e1 < s2  # merged: never touching, never overlapping
    assert sum((e - s for s, e in spans), timedelta(0)) == working_time_between(week, start, end)


def _overlap(
    spans: list[tuple[datetime, datetime]], off: tuple[tuple[datetime, datetime], ...]
) -> timedelta:
    total = timedelta(0)
    for s, e in spans:
        for os, oe in off:
            total += max(timedelta(0), min(e, oe) - max(s, os))
    return total


@PROPERTY
@given(scenarios(), st.integers(0, 14 * 1440))
def test_time_off_is_never_counted(scenario: tuple[WorkingWeek, datetime], length: int) -> None:
    week, start = scenario
    end = start + length * MINUTE
    plain = WorkingWeek(week.zone, week.days)
    with_off = list(working_intervals(week, start, end))
    assert _overlap(with_off, week.time_off) == timedelta(0)
    for s, _ in week.time_off:
        if start <= s < end:
            assert not is_working(week, s)
    without = list(working_intervals(plain, start, end))
    assert working_time_between(week, start, end) == working_time_between(
        plain, start, end
    ) - _overlap(without, week.time_off)


@PROPERTY
@given(scenarios())
def test_end_of_local_day_is_the_last_working_instant_of_that_day(
    scenario: tuple[WorkingWeek, datetime],
) -> None:
    week, t = scenario
    day = t.astimezone(week.zone).date()
    day_start, next_day_start = (
        _start_of_local_day(week.zone, day),
        _start_of_local_day(week.zone, day + DAY),
    )
    result = end_of_local_day(week, day)
    ends = [e for _, e in working_intervals(week, day_start, next_day_start)]
    assert result == (max(ends) if ends else next_day_start)


def _start_of_local_day(zone: ZoneInfo, day: date) -> datetime:
    """Brute force: the first whole UTC minute whose local date is ``day`` or later."""
    t = datetime.combine(day, time(), zone).astimezone(UTC) - timedelta(hours=3)
    while t.astimezone(zone).date() < day:
        t += MINUTE
    return t


@PROPERTY
@given(st.lists(day_hours(), min_size=1, max_size=1).map(lambda days: days[0]))
def test_format_and_parse_are_inverse(hours: list[tuple[int, int]]) -> None:
    normalized = validate_day(0, hours)
    assert parse_hours(format_hours(normalized)) == normalized
    assert format_hours(parse_hours(format_hours(normalized))) == format_hours(normalized)


@PROPERTY
@given(scenarios() | scenarios(hot=True), st.integers(1, 3 * 1440))
def test_matches_a_brute_force_oracle_minute_by_minute(
    scenario: tuple[WorkingWeek, datetime], length: int
) -> None:
    """Resolve boundaries by scanning every real minute's wall-clock time, independently.

    A start is the first real minute whose local wall time is at or after it (so a time in a gap
    becomes the end of the gap and a repeated time its first occurrence); an end is one minute
    after the last real minute whose wall time is before it (so a repeated time's second
    occurrence, except for the time that opens the repeated span, and 24:00 the next midnight).
    """
    week, start = scenario
    end = start + length * MINUTE
    scan_start = start - 2 * DAY
    n = int((end + 2 * DAY - scan_start) / MINUTE)
    walls = [(scan_start + i * MINUTE).astimezone(week.zone).replace(tzinfo=None) for i in range(n)]
    prefix_max = list(accumulate(walls, max))
    suffix_min = list(accumulate(reversed(walls), min))[::-1]
    working = bytearray(n)
    first_day = start.astimezone(week.zone).date() - DAY
    for k in range((end.astimezone(week.zone).date() + DAY - first_day).days + 1):
        day = first_day + k * DAY
        midnight = datetime.combine(day, time())
        for s, e in week.days[day.weekday()]:
            i = bisect_left(prefix_max, midnight + s * MINUTE)
            j = bisect_left(suffix_min, midnight + e * MINUTE)
            working[i:j] = b"\x01" * max(0, j - i)
    for os, oe in week.time_off:
        i = max(0, min(n, int((os - scan_start) / MINUTE)))
        j = max(0, min(n, int((oe - scan_start) / MINUTE)))
        working[i:j] = bytes(max(0, j - i))
    lo = int((start - scan_start) / MINUTE)
    expected = working[lo : lo + length]

    actual = bytearray(length)
    for span_start, span_end in working_intervals(week, start, end):
        i, j = int((span_start - start) / MINUTE), int((span_end - start) / MINUTE)
        actual[i:j] = b"\x01" * (j - i)
    assert actual == expected
