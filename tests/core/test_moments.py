"""The one way a moment is put into words: the reader's zone, named; the reader's dates."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from meridian.core.moments import (
    day_bounds,
    deadline_text,
    local_date,
    moment_text,
    relative_text,
)

ZONES = [
    "UTC",
    "Europe/Berlin",
    "Pacific/Kiritimati",
    "Asia/Kathmandu",
    "America/St_Johns",
    "Pacific/Pago_Pago",
    "Australia/Lord_Howe",
    "Pacific/Chatham",
]
instants = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2035, 12, 31), timezones=st.just(UTC)
)


def test_a_deadline_reads_in_the_readers_zone_with_the_zone_named():
    deadline = datetime(2026, 12, 10, 22, 0, tzinfo=UTC)
    assert moment_text(deadline, "Europe/Berlin") == "Thu 10 Dec, 23:00 Europe/Berlin"
    assert moment_text(deadline, "UTC") == "Thu 10 Dec, 22:00 UTC"
    assert moment_text(deadline, "Europe/Berlin", "long") == (
        "Thursday 10 December 2026, 23:00 Europe/Berlin"
    )
    assert moment_text(deadline, "Asia/Kathmandu", "stamp") == "2026-12-11 03:45 Asia/Kathmandu"


def test_the_past_deadline_of_the_issue_reads_09_00_berlin_not_08_00_utc():
    nine_in_berlin = datetime(2026, 12, 5, 9, 0, tzinfo=ZoneInfo("Europe/Berlin"))
    assert moment_text(nine_in_berlin, "Europe/Berlin", "stamp") == "2026-12-05 09:00 Europe/Berlin"


def test_a_record_decided_at_23_30_utc_is_dated_the_next_day_in_berlin():
    decided = datetime(2026, 12, 5, 23, 30, tzinfo=UTC)
    assert moment_text(decided, "Europe/Berlin", "date") == "6 December 2026"
    assert moment_text(decided, "UTC", "date") == "5 December 2026"
    assert local_date(decided, "Pacific/Kiritimati") == date(2026, 12, 6)


def test_new_years_eve_at_23_30_utc_is_already_next_year_east_of_utc():
    eve = datetime(2026, 12, 31, 23, 30, tzinfo=UTC)
    assert moment_text(eve, "Asia/Kathmandu", "long") == (
        "Friday 1 January 2027, 05:15 Asia/Kathmandu"
    )
    assert moment_text(eve, "America/St_Johns", "day") == "Thu 31 Dec"


def test_a_broken_or_missing_zone_reads_as_utc_and_says_so():
    moment = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    assert moment_text(moment, "Mars/Olympus_Mons") == "Sun 1 Mar, 12:00 UTC"
    assert moment_text(moment, "") == "Sun 1 Mar, 12:00 UTC"
    assert moment_text(moment, None, "time") == "12:00 UTC"


def test_a_naive_moment_or_an_unknown_style_is_refused():
    with pytest.raises(ValueError, match="aware"):
        moment_text(datetime(2026, 3, 1, 12, 0), "UTC")
    with pytest.raises(ValueError, match="Unknown moment style 'fancy'"):
        moment_text(datetime(2026, 3, 1, 12, 0, tzinfo=UTC), "UTC", "fancy")


def test_relative_time_reads_ahead_and_behind():
    now = datetime(2026, 12, 5, 23, 30, tzinfo=UTC)
    assert relative_text(now + timedelta(hours=3, minutes=5), now) == "in 3 hours"
    assert relative_text(now - timedelta(minutes=1), now) == "1 minute ago"
    assert relative_text(now - timedelta(seconds=20), now) == "just now"
    assert relative_text(now + timedelta(days=2), now) == "in 2 days"


@given(moment=instants, zone=st.sampled_from(ZONES))
def test_every_timed_style_shows_the_local_wall_clock_and_names_the_zone(moment, zone):
    local = moment.astimezone(ZoneInfo(zone))
    for style in ("datetime", "long", "stamp", "time"):
        text = moment_text(moment, zone, style)
        assert text.endswith(f"{local:%H:%M} {zone}")
    assert moment_text(moment, zone, "date") == f"{local.day} {local:%B %Y}"
    assert local_date(moment, zone) == local.date()


@given(moment=instants, zone=st.sampled_from(ZONES))
def test_the_same_instant_in_any_zone_reads_as_the_same_instant(moment, zone):
    text = moment_text(moment, zone, "stamp").removesuffix(f" {zone}")
    parsed = datetime.strptime(text, "%Y-%m-%d %H:%M").replace(tzinfo=ZoneInfo(zone))
    # A wall time repeated by a DST fall-back is either of its two instants.
    candidates = {parsed.replace(fold=0).astimezone(UTC), parsed.replace(fold=1).astimezone(UTC)}
    assert moment.replace(second=0, microsecond=0) in candidates


@given(now=instants, seconds=st.integers(min_value=-(10**8), max_value=10**8))
def test_relative_time_is_symmetric_around_now(now, seconds):
    ahead = relative_text(now + timedelta(seconds=seconds), now)
    behind = relative_text(now - timedelta(seconds=seconds), now)
    if abs(seconds) < 60:
        assert ahead == behind == "just now"
    elif seconds > 0:
        assert ahead.startswith("in ") and behind == f"{ahead.removeprefix('in ')} ago"
    else:
        assert behind.startswith("in ") and ahead == f"{behind.removeprefix('in ')} ago"


@given(
    moment=instants,
    zone=st.sampled_from(ZONES),
    before=st.integers(min_value=0, max_value=3),
    after=st.integers(min_value=0, max_value=3),
)
def test_a_date_filter_covers_exactly_the_readers_days(moment, zone, before, after):
    day = local_date(moment, zone)
    start, end = day_bounds(day - timedelta(days=before), day + timedelta(days=after), zone)
    assert start is not None and end is not None
    assert start <= moment < end
    # The day after the range and the day before it are outside.
    start_next, _ = day_bounds(day + timedelta(days=after + 1), None, zone)
    _, end_prev = day_bounds(None, day - timedelta(days=before + 1), zone)
    assert start_next == end and end_prev == start


def test_a_deadline_at_local_midnight_reads_as_the_end_of_the_day_before():
    midnight = datetime(2026, 12, 11, 0, 0, tzinfo=ZoneInfo("Asia/Kathmandu"))
    assert deadline_text(midnight, "Asia/Kathmandu") == (
        "end of Thursday 10 December, Asia/Kathmandu"
    )
    assert deadline_text(midnight, "Europe/Berlin") == (
        "Thursday 10 December 2026, 19:15 Europe/Berlin"
    )


def test_a_calendar_day_is_written_without_a_zone_and_a_moment_is_refused():
    from datetime import UTC, date, datetime

    from meridian.core.templatetags.moments import calendar_day

    day = date(2027, 3, 31)
    assert calendar_day(day) == "31 March 2027"
    assert calendar_day(day, "long") == "Wednesday 31 March 2027"
    assert calendar_day(day, "short") == "31 Mar 2027"
    assert calendar_day(None) == ""
    with pytest.raises(TypeError):
        calendar_day(datetime(2027, 3, 31, 12, tzinfo=UTC))


@given(moment=instants, now=instants, zone=st.sampled_from(ZONES))
def test_a_short_moment_names_its_year_exactly_when_it_is_not_the_readers_current_year(
    moment, now, zone
):
    local, today = moment.astimezone(ZoneInfo(zone)), now.astimezone(ZoneInfo(zone))
    other_year = local.year != today.year

    for style in ("datetime", "day"):
        with_now = moment_text(moment, zone, style, now)
        assert (f" {local.year}" in with_now) is other_year
        # Without a "now", or within the year, the text is the short one.
        if not other_year:
            assert with_now == moment_text(moment, zone, style)
    assert moment_text(moment, zone, "datetime", now).endswith(f"{local:%H:%M} {zone}")


def test_a_due_date_next_january_names_its_year_and_one_this_december_does_not():
    now = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)

    january = moment_text(datetime(2027, 1, 4, 16, 0, tzinfo=UTC), "Europe/Berlin", "datetime", now)
    december = moment_text(datetime(2026, 12, 10, 16, tzinfo=UTC), "Europe/Berlin", "datetime", now)

    assert january == "Mon 4 Jan 2027, 17:00 Europe/Berlin"
    assert december == "Thu 10 Dec, 17:00 Europe/Berlin"
