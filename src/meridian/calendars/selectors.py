"""Reads of calendar feeds: a member's own feed, the member behind a feed address, their entries."""

from meridian.calendars.models import CalendarFeed
from meridian.core import registry
from meridian.core.calendar import CalendarEntry
from meridian.core.errors import NotFound
from meridian.core.secrets import digest
from meridian.workspaces.models import Membership


def feed_of(*, viewer: Membership) -> CalendarFeed | None:
    """The viewer's own feed, if they made one."""
    return CalendarFeed.objects.filter(membership=viewer).first()


def feed_member(secret: str) -> Membership:
    """The active member whose feed address holds ``secret``; 404 for any other secret."""
    if not secret.startswith("cal_") or len(secret) > 100:
        raise NotFound("No such calendar.")
    feed = (
        CalendarFeed.objects.select_related("membership__profile", "membership__workspace")
        .filter(digest=digest(secret), membership__is_active=True)
        .first()
    )
    if feed is None:
        raise NotFound("No such calendar.")
    return feed.membership


def calendar_entries_for(*, member: Membership) -> list[CalendarEntry]:
    """Every deadline the areas' calendar sources list for the member, soonest first."""
    entries: list[CalendarEntry] = []
    for source in registry.items(registry.CALENDAR_SOURCES):
        entries.extend(source(member))
    return sorted(entries, key=lambda e: (e.at, e.uid))
