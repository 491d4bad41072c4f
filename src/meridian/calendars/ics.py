"""A member's deadlines as an RFC 5545 calendar, written with the icalendar package."""

from collections.abc import Iterable
from datetime import UTC, datetime
from urllib.parse import urlsplit

from django.conf import settings
from icalendar import Calendar, Event

from meridian.core.calendar import CalendarEntry

PRODID = "-//Meridian//Deadlines//EN"


def calendar_bytes(*, name: str, entries: Iterable[CalendarEntry], now: datetime) -> bytes:
    """The VCALENDAR with one VEVENT per entry; every time is written in UTC."""
    domain = urlsplit(settings.BASE_URL).hostname or "meridian"
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", name)
    for entry in entries:
        event = Event()
        event.add("uid", f"{entry.uid}@{domain}")
        event.add("dtstamp", (entry.stamp or now).astimezone(UTC))
        event.add("dtstart", entry.at.astimezone(UTC))
        event.add("summary", entry.summary)
        event.add("url", entry.url)
        event.add("description", entry.description or entry.url)
        event.add("transp", "TRANSPARENT")
        calendar.add_component(event)
    return calendar.to_ical()
