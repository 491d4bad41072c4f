"""Working-time moments for the inbox, pure: when to snooze to, and how a deadline reads.

Everything here takes the member's ``WorkingWeek`` (their zone and hours, core.workingtime),
so "next working morning" is the start of *their* next working day and "the end of your
Thursday" is the end of *their* Thursday.
"""

from datetime import date, datetime, time, timedelta
from typing import Any, Literal

from meridian.core.moments import in_zone, moment_text, zone_label
from meridian.core.workingtime import (
    WorkingHoursError,
    WorkingWeek,
    add_working_time,
    end_of_local_day,
    working_intervals,
    working_week,
)

Moment = Literal["next_working_morning", "in_2_working_hours"]
MOMENTS: dict[str, str] = {
    "next_working_morning": "Next working morning",
    "in_2_working_hours": "In 2 working hours",
}
# Without working hours a member's "morning" is 09:00 in their zone.
DEFAULT_MORNING = time(9, 0)
_LOOKAHEAD_DAYS = 400


def member_week(zone: str, hours: Any) -> WorkingWeek:
    """The member's week from their profile (``{"0": [[540, 1020]]}``); unreadable parts fall
    back to no hours or UTC, so a broken profile never stops their inbox."""
    try:
        days = {int(day): [(int(a), int(b)) for a, b in spans] for day, spans in hours.items()}
    except (TypeError, ValueError, AttributeError, OverflowError):
        days = {}
    for candidate_zone, candidate_days in ((zone, days), (zone, {}), ("UTC", days), ("UTC", {})):
        try:
            return working_week(candidate_zone, candidate_days)
        except WorkingHoursError:
            continue
    raise AssertionError("unreachable: UTC without hours is always a valid week")


def _day_start(week: WorkingWeek, day: date) -> datetime:
    return datetime.combine(day, time(), week.zone)


def morning_of(week: WorkingWeek, day: date) -> datetime:
    """When the member starts work on that local day (09:00 their time if they do not work)."""
    spans = list(
        working_intervals(week, _day_start(week, day), _day_start(week, day + timedelta(1)))
    )
    if spans:
        return spans[0][0]
    return datetime.combine(day, DEFAULT_MORNING, week.zone)


def next_working_morning(week: WorkingWeek, now: datetime) -> datetime:
    """The start of the member's next working day still ahead (today's, if it has not begun)."""
    today = in_zone(now, week.zone.key).date()
    if week.has_hours:
        for offset in range(_LOOKAHEAD_DAYS):
            day = today + timedelta(days=offset)
            spans = list(
                working_intervals(week, _day_start(week, day), _day_start(week, day + timedelta(1)))
            )
            # A day's first span, unclipped: it starts at its own beginning, not at "now".
            if spans and spans[0][0] > now and spans[0][0] >= _day_start(week, day):
                return spans[0][0]
    morning = datetime.combine(today + timedelta(days=1), DEFAULT_MORNING, week.zone)
    return morning


def in_working_hours(week: WorkingWeek, now: datetime, hours: int) -> datetime:
    """``hours`` of the member's working time from now (plain hours if they have none)."""
    if not week.has_hours:
        return now + timedelta(hours=hours)
    return add_working_time(week, now, timedelta(hours=hours))


def moment_at(moment: str, week: WorkingWeek, now: datetime) -> datetime:
    """The instant a named snooze moment means for the member now."""
    if moment == "next_working_morning":
        return next_working_morning(week, now)
    if moment == "in_2_working_hours":
        return in_working_hours(week, now, 2)
    raise ValueError(f"Unknown moment {moment!r}; use one of {', '.join(MOMENTS)}.")


def due_phrase(due: datetime, week: WorkingWeek, now: datetime) -> str:
    """The deadline as the member reads it: "by the end of your Thursday (17:00 Europe/Berlin)".

    A deadline at the end of the member's working day (or at their local midnight) is "the end
    of your <day>" (with its date when it is a week or more away); any other is the moment
    itself. Whether it has passed is for the reader to show (``InboxEntry.overdue``).
    """
    zone = week.zone.key
    local = in_zone(due, zone)
    day = local.date()
    if (local.hour, local.minute) == (0, 0):
        day -= timedelta(days=1)
    midnight = (local.hour, local.minute) == (0, 0)
    if midnight or due == end_of_local_day(week, day):
        days_away = (day - in_zone(now, zone).date()).days
        name = f"{day:%A}" if 0 <= days_away < 7 else f"{day:%A} {day.day} {day:%B}"
        at = zone_label(zone) if midnight else moment_text(due, zone, "time")
        words = f"the end of your {name} ({at})"
    else:
        words = f"{moment_text(due, zone, 'datetime')}"
    return f"by {words}"
