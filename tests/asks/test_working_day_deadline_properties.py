"""Properties of proposal deadlines: everyone gets one whole working day of their own.

"After everyone has had at least one full working day" is checked against a brute-force
oracle that looks at each local day in turn, on the same awkward calendars as the working-time
properties (DST gaps and overlaps, odd offsets, time off); the other kinds are the briefs'
follow-the-sun deadlines.
"""

from datetime import date, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from meridian.asks.deadlines import (
    SEARCH_DAYS,
    full_working_day_end,
    local_deadline,
    participant_deadline,
)
from meridian.core.workingtime import WorkingWeek, working_intervals, working_time_between
from tests.asks.support import (
    DAY,
    MINUTE,
    local_date,
    profile_weeks,
    scenarios,
    start_of_local_day,
    weeks_without_hours,
)

PROPERTY = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

weeks_with_hours = scenarios() | scenarios(hot=True) | profile_weeks().map(lambda p: p[:2])


def _openings(weeks: st.SearchStrategy[tuple[WorkingWeek, datetime]]) -> st.SearchStrategy:
    """A member's week and when the proposal opened: within three days of an awkward instant."""
    return st.tuples(weeks, st.integers(-3 * 1440, 3 * 1440)).map(
        lambda drawn: (drawn[0][0], drawn[0][1] + drawn[1] * MINUTE)
    )


openings = _openings(weeks_with_hours)


def _first_whole_working_day_end(week: WorkingWeek, opened_at: datetime) -> datetime:
    """Oracle: look at each local day from the opening on; the first whose working time all
    starts at or after the opening, and that has some, ends at its last working instant."""
    day = local_date(week, opened_at)
    for _ in range(SEARCH_DAYS):
        spans = list(
            working_intervals(
                week, start_of_local_day(week, day), start_of_local_day(week, day + DAY)
            )
        )
        if spans and min(start for start, _ in spans) >= opened_at:
            return max(end for _, end in spans)
        day += DAY
    raise AssertionError("no whole working day within the search horizon")


@PROPERTY
@given(openings)
def test_the_full_working_day_is_the_first_local_day_worked_wholly_after_opening(
    opening: tuple[WorkingWeek, datetime],
) -> None:
    week, opened_at = opening

    due = full_working_day_end(week, opened_at)

    assert due == _first_whole_working_day_end(week, opened_at)


@PROPERTY
@given(openings)
def test_the_full_working_day_lies_after_opening_and_ends_a_local_day_of_work(
    opening: tuple[WorkingWeek, datetime],
) -> None:
    week, opened_at = opening

    due = full_working_day_end(week, opened_at)

    day = local_date(week, due - timedelta(microseconds=1))  # an end belongs to its day
    whole_day = (start_of_local_day(week, day), start_of_local_day(week, day + DAY))
    assert due > opened_at
    assert working_time_between(week, opened_at, due) >= working_time_between(week, *whole_day)
    assert working_time_between(week, due, whole_day[1]) == timedelta()  # nothing left that day
    assert working_time_between(week, *whole_day) > timedelta()


@PROPERTY
@given(openings, st.integers(0, 3 * 1440))
def test_opening_later_never_gives_anyone_an_earlier_deadline(
    opening: tuple[WorkingWeek, datetime], later: int
) -> None:
    week, opened_at = opening

    assert full_working_day_end(week, opened_at) <= full_working_day_end(
        week, opened_at + later * MINUTE
    )


@PROPERTY
@given(_openings(weeks_without_hours()))
def test_without_working_hours_the_deadline_is_the_end_of_the_next_local_day(
    opening: tuple[WorkingWeek, datetime],
) -> None:
    week, opened_at = opening

    due = full_working_day_end(week, opened_at)

    assert due == start_of_local_day(week, local_date(week, opened_at) + 2 * DAY)


@PROPERTY
@given(
    openings | _openings(weeks_without_hours()),
    st.integers(-10 * 1440, 10 * 1440),
    st.integers(-5, 10),
)
def test_each_kind_of_deadline_means_what_the_proposal_page_says(
    opening: tuple[WorkingWeek, datetime], offset: int, days_ahead: int
) -> None:
    week, opened_at = opening
    instant, day = opened_at + offset * MINUTE, local_date(week, opened_at) + days_ahead * DAY

    def deadline(kind: str, at: datetime | None, on: date | None) -> datetime:
        return participant_deadline(
            week, kind, opened_at=opened_at, deadline_at=at, deadline_date=on
        )

    assert deadline("instant", instant, None) == instant
    assert deadline("local_day", None, day) == local_deadline(
        week, deadline_at=None, deadline_date=day
    )
    assert deadline("working_day", instant, day) == full_working_day_end(week, opened_at)
    assert deadline("working_day", None, None) == full_working_day_end(week, opened_at)
    with pytest.raises(ValueError, match="needs its moment or its day"):
        deadline("local_day", None, None)
