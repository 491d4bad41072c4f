"""Proposal deadlines: "after everyone has had at least one full working day", in each zone."""

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from meridian.asks.deadlines import full_working_day_end, participant_deadline
from meridian.core.workingtime import working_intervals, working_week

NINE_TO_FIVE = {d: [(540, 1020)] for d in range(5)}
BERLIN = working_week("Europe/Berlin", NINE_TO_FIVE)
KATHMANDU = working_week("Asia/Kathmandu", NINE_TO_FIVE)


def utc(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 3, day, hour, minute, tzinfo=UTC)


def test_opened_before_the_working_day_starts_that_day_counts():
    # Monday 9 March 2026, 06:00 in Berlin: the whole working day is still ahead.
    assert full_working_day_end(BERLIN, utc(9, 5)) == utc(9, 16)  # 17:00 CET


def test_opened_during_the_working_day_the_next_one_counts():
    assert full_working_day_end(BERLIN, utc(9, 10)) == utc(10, 16)


def test_opened_on_friday_afternoon_the_full_day_is_monday():
    assert full_working_day_end(BERLIN, utc(13, 12)) == utc(16, 16)


def test_each_zone_has_its_own_full_day():
    opened = utc(9, 10)  # Monday: 11:00 in Berlin, 15:45 in Kathmandu
    assert full_working_day_end(KATHMANDU, opened) == utc(10, 11, 15)  # Tuesday 17:00 NPT
    assert full_working_day_end(BERLIN, opened) == utc(10, 16)


def test_time_off_pushes_the_full_day_past_it():
    week = working_week(
        "Europe/Berlin",
        NINE_TO_FIVE,
        time_off=[(utc(9, 23), utc(11, 23))],  # Tue and Wed off
    )
    assert full_working_day_end(week, utc(9, 10)) == utc(12, 16)


def test_someone_without_working_hours_gets_until_the_end_of_the_next_day():
    nobody = working_week("Asia/Tokyo", {})
    assert full_working_day_end(nobody, utc(9, 10)) == datetime(
        2026, 3, 11, 0, 0, tzinfo=UTC
    ) - timedelta(hours=9)


def test_the_other_kinds_are_the_briefs_follow_the_sun_deadlines():
    assert participant_deadline(
        BERLIN, "instant", opened_at=utc(9, 10), deadline_at=utc(20, 12), deadline_date=None
    ) == utc(20, 12)
    assert participant_deadline(
        KATHMANDU,
        "local_day",
        opened_at=utc(9, 10),
        deadline_at=None,
        deadline_date=utc(12, 0).date(),
    ) == utc(12, 11, 15)


@settings(max_examples=200, deadline=None)
@given(st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2028, 12, 31)))
def test_a_whole_working_day_always_lies_between_opening_and_the_deadline(naive):
    opened = naive.replace(tzinfo=UTC)
    due = full_working_day_end(BERLIN, opened)
    assert due > opened
    worked = sum(
        (end - start for start, end in working_intervals(BERLIN, opened, due)), timedelta()
    )
    assert worked >= timedelta(hours=8)
