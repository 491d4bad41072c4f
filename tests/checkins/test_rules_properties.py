"""Properties of when a member is asked (meridian.checkins.rules), over drawn zones, weeks,
days and times: never outside working hours, always on that local day, at the chosen time
whenever it is a working time, and never on a day the check-in or the member leaves out."""

from datetime import date, time

from hypothesis import given
from hypothesis import strategies as st

from meridian.checkins.rules import ask_moment, next_ask_moment
from meridian.core.workingtime import is_working, working_week

ZONES = [
    "UTC", "Europe/Berlin", "America/New_York", "Asia/Kathmandu", "Australia/Lord_Howe",
    "Pacific/Chatham", "America/Havana", "Asia/Tokyo",
]  # fmt: skip


@st.composite
def weeks(draw):
    days = {}
    for weekday in range(7):
        if draw(st.booleans()):
            start = draw(st.integers(0, 1380))
            end = draw(st.integers(start + 30, 1440))
            days[weekday] = [(start, end)]
    return working_week(draw(st.sampled_from(ZONES)), days)


days_ = st.dates(min_value=date(2026, 1, 1), max_value=date(2028, 12, 31))
times = st.times().map(lambda t: t.replace(second=0, microsecond=0))
weekday_sets = st.sets(st.integers(0, 6), min_size=1)


@given(weeks(), days_, times, weekday_sets)
def test_a_member_is_asked_inside_working_hours_on_that_local_day(week, day, at, weekdays):
    plan = ask_moment(week, day, at, weekdays)
    if plan is None:
        return
    assert day.weekday() in weekdays
    assert plan.moment.astimezone(week.zone).date() == day
    if week.has_hours:
        assert is_working(week, plan.moment)


@given(weeks(), days_, times, weekday_sets)
def test_the_chosen_time_is_kept_whenever_it_is_working_time(week, day, at, weekdays):
    plan = ask_moment(week, day, at, weekdays)
    if plan is not None and not plan.moved:
        local = plan.moment.astimezone(week.zone)
        # The wall clock shows the chosen time, or the end of a DST gap the time falls in.
        assert local.time().replace(second=0) == at or local.time() > at


@given(weeks(), days_, times, weekday_sets)
def test_no_ask_on_a_day_off_and_the_next_one_comes_later(week, day, at, weekdays):
    plan = ask_moment(week, day, at, weekdays, away={day})
    assert plan is None
    after = next_ask_moment(week, day, at, weekdays)
    if after is not None:
        assert after.astimezone(week.zone).date() > day


def test_a_time_before_work_moves_to_its_start():
    week = working_week("Europe/London", {0: [(600, 1080)]})
    plan = ask_moment(week, date(2027, 3, 8), time(9, 30), [0])
    assert plan is not None and plan.moved
    assert plan.moment.astimezone(week.zone).time() == time(10, 0)
