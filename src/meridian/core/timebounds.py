"""Showing a stored moment in a zone without failing at the edges of the calendar.

``datetime`` stops at year 9999 and starts at year 1, so a moment stored near either end (a
deadline saved before inputs were bounded) cannot always be read in a zone east or west of
UTC: ``astimezone`` raises OverflowError and the page answered 500 for every member. Pages and
messages read such moments through :func:`in_zone`, which pins them to the calendar's last (or
first) wall-clock moment in that zone instead; every real deadline is far from both ends.
"""

from datetime import datetime, tzinfo

__all__ = ["in_zone"]


def in_zone(moment: datetime, zone: tzinfo) -> datetime:
    """``moment`` read in ``zone``; past the calendar's end there, its last (or first) moment."""
    try:
        return moment.astimezone(zone)
    except OverflowError:
        edge = datetime.max if moment.year > 5000 else datetime.min
        return edge.replace(tzinfo=zone)
