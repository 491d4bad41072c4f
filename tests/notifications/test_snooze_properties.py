"""Snooze moments, for any member's zone and hours (DST changes, odd offsets, time off).

"Next working morning" is always ahead and inside the member's working time; "in 2 working
hours" is always ahead by exactly two hours of their working time.
"""

from datetime import timedelta

from hypothesis import given

from meridian.core.workingtime import is_working, working_time_between
from meridian.notifications.snooze import in_working_hours, next_working_morning
from tests.asks.support import profile_weeks, scenarios, weeks_without_hours


@given(profile_weeks())
def test_next_working_morning_is_ahead_and_inside_working_time(drawn):
    week, now, _ = drawn
    morning = next_working_morning(week, now)
    assert morning > now
    assert is_working(week, morning)


@given(scenarios())
def test_next_working_morning_survives_time_off(drawn):
    week, now = drawn
    morning = next_working_morning(week, now)
    assert morning > now
    if week.has_hours and morning - now < timedelta(days=300):
        assert is_working(week, morning)


@given(profile_weeks())
def test_in_two_working_hours_is_two_hours_of_the_members_working_time_ahead(drawn):
    week, now, _ = drawn
    until = in_working_hours(week, now, 2)
    assert until > now
    assert working_time_between(week, now, until) == timedelta(hours=2)


@given(weeks_without_hours())
def test_without_working_hours_the_moments_are_still_ahead(drawn):
    week, now = drawn
    assert next_working_morning(week, now) > now
    assert in_working_hours(week, now, 2) == now + timedelta(hours=2)
