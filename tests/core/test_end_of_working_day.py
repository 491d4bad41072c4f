"""The rule for days off in working time: "end of <day>" on a day off is the next working day's end."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from meridian.core.workingtime import (
    end_of_local_day,
    end_of_working_day,
    next_working_day,
    working_time_between,
    working_week,
)
from tests.core.test_workingtime import _start_of_local_day, scenarios

OFFICE = {d: "09:00-17:00" for d in range(5)}
BERLIN = ZoneInfo("Europe/Berlin")


def test_a_saturday_is_the_end_of_monday_and_a_friday_stays_friday():
    week = working_week("Europe/Berlin", OFFICE)
    assert end_of_working_day(week, date(2026, 12, 5)) == datetime(2026, 12, 7, 17, tzinfo=BERLIN)
    assert end_of_working_day(week, date(2026, 12, 4)) == datetime(2026, 12, 4, 17, tzinfo=BERLIN)


def test_a_day_wholly_on_time_off_moves_to_the_first_day_back():
    off = (datetime(2026, 12, 21, tzinfo=BERLIN), datetime(2027, 1, 4, tzinfo=BERLIN))
    week = working_week("Europe/Berlin", OFFICE, [off])
    assert next_working_day(week, date(2026, 12, 24)) == date(2027, 1, 4)
    assert end_of_working_day(week, date(2026, 12, 24)) == datetime(2027, 1, 4, 17, tzinfo=BERLIN)


def test_a_day_off_across_the_spring_clock_change_ends_with_mondays_hours():
    week = working_week("Europe/Berlin", OFFICE)
    # Sunday 29 March 2026 is 23 hours long in Berlin; the deadline is Monday 17:00 CEST.
    assert end_of_working_day(week, date(2026, 3, 29)) == datetime(2026, 3, 30, 15, tzinfo=UTC)


def test_without_any_working_hours_it_is_the_days_own_midnight():
    week = working_week("Asia/Tokyo", {})
    assert next_working_day(week, date(2026, 12, 6)) is None
    assert end_of_working_day(week, date(2026, 12, 6)) == end_of_local_day(week, date(2026, 12, 6))


@pytest.mark.parametrize("day", [date.max, date.max - timedelta(days=3), date.min])
def test_the_ends_of_the_calendar_do_not_raise(day):
    week = working_week("Pacific/Kiritimati", OFFICE)
    found = next_working_day(week, day)
    assert found is None or found >= day


@settings(max_examples=100, deadline=None)
@given(scenarios(), st.integers(-5, 30))
def test_the_next_working_day_is_the_first_day_with_working_time(scenario, days_ahead):
    week, instant = scenario
    day = instant.astimezone(week.zone).date() + timedelta(days=days_ahead)

    found = next_working_day(week, day)

    if found is None:  # no working time at all for longer than the search looks
        start = _start_of_local_day(week.zone, day)
        assert working_time_between(week, start, start + timedelta(days=300)) == timedelta()
        assert end_of_working_day(week, day) == end_of_local_day(week, day)
    else:
        assert found >= day
        starts = _start_of_local_day(week.zone, found)
        ends = _start_of_local_day(week.zone, found + timedelta(days=1))
        assert working_time_between(week, starts, ends) > timedelta()  # it is a working day
        before = working_time_between(week, _start_of_local_day(week.zone, day), starts)
        assert before == timedelta()  # and none of the days before it is one
        assert end_of_working_day(week, day) == end_of_local_day(week, found)
