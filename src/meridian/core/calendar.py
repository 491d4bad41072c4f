"""The shape of one deadline in a member's calendar feed, as the areas' calendar sources return it.

An area registers a function at ``registry.CALENDAR_SOURCES`` (in its ``hooks.py``) that takes a
membership and returns that member's deadlines as :class:`CalendarEntry` items; the calendars
app turns them into VEVENTs without importing the area.
"""

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class CalendarEntry:
    """One deadline of one member: a stable id, when it falls for them, and where to act."""

    # Unique for all time and stable across refreshes, e.g. "brief-participant-42".
    uid: str
    # The member's own deadline (follow-the-sun), an aware datetime.
    at: datetime
    summary: str
    # Absolute URL of the page where the member acts.
    url: str
    description: str = ""
    # When the thing behind the entry last changed (the VEVENT's DTSTAMP).
    stamp: datetime | None = None
