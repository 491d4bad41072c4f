"""When a proposal closes for each participant: pure functions over working time, no ORM.

Three kinds of deadline (models.DeadlineKind):

* an instant: the same moment for everyone;
* the end of a day in each participant's zone (follow-the-sun, as briefs do it:
  meridian.briefs.deadlines.local_deadline);
* "after everyone has had at least one full working day": for each participant, the end of
  the first local day whose working hours all lie after the proposal opened
  (:func:`full_working_day_end`).

A proposal closes when the last of its participants' deadlines has passed, so nobody loses
their day because someone else's zone is ahead.
"""

from datetime import date, datetime, time, timedelta

from meridian.briefs.deadlines import local_deadline
from meridian.core.workingtime import WorkingWeek, end_of_local_day, working_intervals

# How far ahead to look for a full working day (long time off) before giving up.
SEARCH_DAYS = 400


def _local_midnight(week: WorkingWeek, day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=week.zone)


def full_working_day_end(week: WorkingWeek, opened_at: datetime) -> datetime:
    """The end of the member's first whole working day after ``opened_at``.

    A day counts if it has working hours and none of them had begun when the proposal opened
    (a proposal opened before someone's working day starts gives them that same day). For
    someone without working hours it is the end of the next local day.
    """
    first = opened_at.astimezone(week.zone).date()
    if week.has_hours:
        for offset in range(SEARCH_DAYS):
            day = first + timedelta(days=offset)
            start = _local_midnight(week, day)
            end = end_of_local_day(week, day)
            spans = list(working_intervals(week, start, end))
            if spans and spans[0][0] >= opened_at:
                return end
    return end_of_local_day(week, first + timedelta(days=1))


def participant_deadline(
    week: WorkingWeek,
    kind: str,
    *,
    opened_at: datetime,
    deadline_at: datetime | None,
    deadline_date: date | None,
) -> datetime:
    """One participant's deadline for a proposal opened at ``opened_at``."""
    if kind == "working_day":
        return full_working_day_end(week, opened_at)
    due = local_deadline(week, deadline_at=deadline_at, deadline_date=deadline_date)
    if due is None:
        raise ValueError(f"A {kind} deadline needs its moment or its day.")
    return due
