"""The one way a moment is put into words for a person: in the reader's own zone, zone named.

Every template (through the ``{% moment %}`` tag of ``core/templatetags/moments.py``), email and
error message renders times with these functions, so a brief's deadline reads the same on the
list, on its page, in the reminder email and in a form error — "Thu 10 Dec, 23:00 Europe/Berlin"
for a reader in Berlin — and a date ("Decided 6 December 2026") is the reader's date, not
UTC's. Pure Python: no ORM, no request; the caller passes the reader's zone name.
"""

from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from meridian.core import timebounds

UTC_NAME = "UTC"

# The day of the month comes from .day, not "%-d", which not every platform's strftime knows.
STYLES = ("datetime", "long", "date", "day", "longday", "time", "stamp")


@lru_cache(maxsize=512)
def reader_zone(name: str | None) -> ZoneInfo:
    """The zone of that name; a missing or unknown name (a broken profile) reads as UTC."""
    if not name:
        return ZoneInfo(UTC_NAME)
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(UTC_NAME)


def zone_label(name: str | None) -> str:
    """The zone's name as shown next to a time: the IANA name, or "UTC" for a broken one."""
    return str(reader_zone(name).key)


def in_zone(moment: datetime, zone: str | None) -> datetime:
    """The moment as the reader's wall clock shows it; a naive moment is refused.

    A moment at the calendar's edge (a year-9999 deadline stored before inputs were bounded)
    shows as the zone's last moment instead of failing the page (core.timebounds)."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("moment must be an aware datetime")
    return timebounds.in_zone(moment, reader_zone(zone))


def local_date(moment: datetime, zone: str | None) -> date:
    """The reader's calendar date at that moment (23:30 UTC is already tomorrow in Berlin)."""
    return in_zone(moment, zone).date()


def day_bounds(
    first: date | None, last: date | None, zone: str | None
) -> tuple[datetime | None, datetime | None]:
    """The UTC instants [start, end) covering the reader's days ``first`` to ``last`` inclusive,
    so a "from/to" date filter finds what the reader saw dated on those days."""
    tz = reader_zone(zone)
    start = datetime.combine(first, time(), tz).astimezone(UTC) if first else None
    end = datetime.combine(last + timedelta(days=1), time(), tz).astimezone(UTC) if last else None
    return start, end


def moment_text(
    moment: datetime, zone: str | None, style: str = "datetime", now: datetime | None = None
) -> str:
    """The moment in words for a reader in ``zone``.

    ``datetime``: "Thu 10 Dec, 23:00 Europe/Berlin"; ``long``: "Thursday 10 December 2026, 23:00
    Europe/Berlin"; ``stamp``: "2026-12-10 23:00 Europe/Berlin"; ``time``: "23:00 Europe/Berlin";
    and, being the reader's dates, without a zone: ``date`` "10 December 2026", ``day``
    "Thu 10 Dec", ``longday`` "Thursday 10 December".

    Given ``now``, a short ``datetime`` or ``day`` outside the reader's current year (both read
    in their zone) names its year: "Mon 4 Jan 2027, 17:00 Europe/Berlin" read in December 2026.
    """
    local = in_zone(moment, zone)
    label = zone_label(zone)
    year = f" {local.year}" if now is not None and in_zone(now, zone).year != local.year else ""
    if style == "datetime":
        return f"{local:%a} {local.day} {local:%b}{year}, {local:%H:%M} {label}"
    if style == "long":
        return f"{local:%A} {local.day} {local:%B %Y}, {local:%H:%M} {label}"
    if style == "stamp":
        return f"{local:%Y-%m-%d %H:%M} {label}"
    if style == "time":
        return f"{local:%H:%M} {label}"
    if style == "date":
        return f"{local.day} {local:%B %Y}"
    if style == "day":
        return f"{local:%a} {local.day} {local:%b}{year}"
    if style == "longday":
        return day_text(local.date())
    raise ValueError(f"Unknown moment style {style!r}; use one of {', '.join(STYLES)}.")


def day_text(day: date) -> str:
    """A calendar day that is already the reader's (a deadline day), as ``longday`` writes it:
    "Sunday 6 December"."""
    return f"{day:%A} {day.day} {day:%B}"


def deadline_text(moment: datetime, zone: str | None) -> str:
    """A deadline in words; local midnight reads as the end of the day before, which is how a
    "by the end of Thursday" deadline is stored: "end of Thursday 10 December, Asia/Kathmandu"."""
    local = in_zone(moment, zone)
    if (local.hour, local.minute) == (0, 0):
        return f"end of {moment_text(local - timedelta(minutes=1), zone, 'longday')}, {zone_label(zone)}"
    return moment_text(moment, zone, "long")


def _amount(n: int, unit: str) -> str:
    return f"{n} {unit}{'' if n == 1 else 's'}"


def relative_text(moment: datetime, now: datetime) -> str:
    """How far the moment is from ``now`` in words: "in 3 hours", "5 minutes ago", "just now".

    It needs no zone, which is why lists use it for recent and near things; anything further than
    two weeks reads better as a date (``moment_text``), which callers choose themselves.
    """
    seconds = int((moment - now).total_seconds())
    ahead = seconds > 0
    span = abs(seconds)
    if span < 60:
        return "just now"
    if span < 3600:
        words = _amount(span // 60, "minute")
    elif span < 86400:
        words = _amount(span // 3600, "hour")
    else:
        words = _amount(span // 86400, "day")
    return f"in {words}" if ahead else f"{words} ago"


def ago_text(moment: datetime | None, now: datetime, zone: str | None = None) -> str:
    """How long before ``now`` a moment was, in the short words a thread uses ("5 min ago");
    older than two weeks, the reader's date (in ``zone``: a UTC date can be a day off).

    Shorter than :func:`relative_text` ("5 minutes ago"), for the dense lists of comments."""
    if moment is None:
        return ""
    seconds = int((now - moment).total_seconds())
    if seconds < 60:
        return "just now"
    if seconds < 3600:
        return f"{seconds // 60} min ago"
    if seconds < 86400:
        return f"{seconds // 3600} h ago"
    days = seconds // 86400
    if days < 14:
        return f"{days} day{'s' if days > 1 else ''} ago"
    local = in_zone(moment, zone)
    return f"{local.day} {local:%b %Y}"
