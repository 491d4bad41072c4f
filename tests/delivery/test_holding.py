"""When a held notification may go out: worked DST examples and properties across zones."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from meridian.core.workingtime import WorkingHoursError, is_working
from meridian.delivery.holding import (
    format_quiet_hours,
    hold_until,
    is_allowed,
    local_moment,
    next_allowed,
    parse_quiet_hours,
    rules_for,
)

ZONES = [
    "UTC",
    "Europe/Berlin",
    "America/New_York",
    "Asia/Kathmandu",
    "Australia/Adelaide",
    "Pacific/Chatham",
    "Australia/Lord_Howe",
    "America/Havana",
]
WEEKDAYS_9_TO_5 = {str(d): [[540, 1020]] for d in range(5)}
ALL_DAY = {str(d): [[0, 1440]] for d in range(7)}


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_a_notice_on_saturday_night_waits_for_monday_morning_in_berlin():
    rules = rules_for("Europe/Berlin", WEEKDAYS_9_TO_5, {}, [[1320, 420]])

    # Saturday 27 March 2027, 23:00 Berlin; Europe's clocks go forward that night.
    assert next_allowed(rules, utc(2027, 3, 27, 22)) == utc(2027, 3, 29, 7)  # 09:00 CEST


def test_quiet_hours_across_the_spring_gap_last_two_real_hours():
    rules = rules_for("Europe/Berlin", ALL_DAY, {}, [[60, 240]])  # quiet 01:00-04:00

    # 01:30 CET on the night the clocks skip 02:00-03:00: quiet until 04:00 CEST = 02:00 UTC.
    assert next_allowed(rules, utc(2027, 3, 28, 0, 30)) == utc(2027, 3, 28, 2)


def test_a_focus_block_holds_until_it_ends_in_kathmandu():
    rules = rules_for("Asia/Kathmandu", WEEKDAYS_9_TO_5, {"0": [[540, 660]]}, [])

    # Monday 08:45 Kathmandu (UTC+05:45): working from 09:00, focus until 11:00.
    assert next_allowed(rules, utc(2027, 3, 15, 3)) == utc(2027, 3, 15, 5, 15)


def test_a_member_without_working_hours_is_held_only_by_quiet_hours():
    rules = rules_for("UTC", {}, {}, [[1320, 420]])

    assert next_allowed(rules, utc(2027, 1, 2, 12)) == utc(2027, 1, 2, 12)
    assert next_allowed(rules, utc(2027, 1, 2, 23)) == utc(2027, 1, 3, 7)


def test_quiet_all_day_every_day_has_no_allowed_moment():
    rules = rules_for("UTC", WEEKDAYS_9_TO_5, {}, [[0, 1440]])

    assert next_allowed(rules, utc(2027, 1, 4, 12)) is None


def test_a_broken_profile_reads_as_utc_without_hours():
    rules = rules_for("Mars/Olympus", {"0": "nonsense"}, None, [["a", 1]])

    assert rules.zone == ZoneInfo("UTC")
    assert is_allowed(rules, utc(2027, 1, 3, 3))


def test_quiet_hours_are_read_as_members_type_them():
    assert parse_quiet_hours("22:00-07:00, 12:30 - 13:00") == ((1320, 420), (750, 780))
    assert format_quiet_hours([(1320, 420), (750, 780)]) == "22:00-07:00, 12:30-13:00"
    assert parse_quiet_hours(" ") == ()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("22-07", "'22-07' is not HH:MM-HH:MM"),
        ("25:00-07:00", "25:00 is not a time of day"),
        ("07:00-07:00", "07:00\u201307:00 is empty"),
        ("24:00-07:00", "is outside 00:00"),
    ],
)
def test_unreadable_quiet_hours_name_the_problem(text, message):
    with pytest.raises(WorkingHoursError, match=message):
        parse_quiet_hours(text)


def test_a_digest_time_in_the_spring_gap_is_the_end_of_the_gap():
    berlin = ZoneInfo("Europe/Berlin")

    assert local_moment(berlin, date(2027, 3, 28), time(2, 30)) == utc(2027, 3, 28, 1)
    # In the repeated autumn hour, its first occurrence.
    assert local_moment(berlin, date(2027, 10, 31), time(2, 30)) == utc(2027, 10, 31, 0, 30)


minutes = st.integers(min_value=0, max_value=1439)


@st.composite
def day_hours(draw: st.DrawFn) -> list[list[int]]:
    cuts = sorted(set(draw(st.lists(st.integers(0, 96), min_size=0, max_size=4))))
    cuts = cuts[: len(cuts) // 2 * 2]
    return [[a * 15, b * 15] for a, b in zip(cuts[::2], cuts[1::2], strict=True) if a < b]


weeks = st.dictionaries(st.sampled_from([str(d) for d in range(7)]), day_hours(), max_size=7)
quiet = st.lists(st.tuples(minutes, minutes).filter(lambda r: r[0] != r[1]).map(list), max_size=2)
instants = st.datetimes(
    min_value=datetime(2026, 1, 1), max_value=datetime(2028, 12, 31), timezones=st.just(UTC)
)


@settings(max_examples=150)
@given(st.sampled_from(ZONES), weeks, weeks, quiet, instants)
def test_next_allowed_is_the_first_allowed_moment(zone, hours, focus, quiet_hours, instant):
    rules = rules_for(zone, hours, focus, quiet_hours)

    found = next_allowed(rules, instant)

    if found is None:
        probes = [instant + timedelta(minutes=37 * k) for k in range(400)]
        assert not any(is_allowed(rules, p) for p in probes)
        return
    assert found >= instant
    assert found.utcoffset() == timedelta(0)
    assert is_allowed(rules, found)
    span = found - instant
    probes = [instant + span * k / 64 for k in range(64)]
    if span > timedelta(0):
        probes.append(found - timedelta(seconds=1))
    assert not any(is_allowed(rules, p) for p in probes if p < found)


@settings(max_examples=150)
@given(st.sampled_from(ZONES), weeks, weeks, quiet, instants)
def test_a_held_notice_never_goes_out_in_focus_or_quiet_time(zone, hours, focus, quiet_hours, in_):
    rules = rules_for(zone, hours, focus, quiet_hours)

    found = hold_until(rules, in_)

    if found is None:  # quiet or focused around the clock: delivered at once, rather than never
        probes = [in_ + timedelta(minutes=37 * k) for k in range(400)]
        assert all(is_working(rules.focus, p) or is_working(rules.quiet, p) for p in probes)
        return
    assert found >= in_
    assert not is_working(rules.focus, found) and not is_working(rules.quiet, found)
    if next_allowed(rules, in_) is not None:
        assert found == next_allowed(rules, in_)
