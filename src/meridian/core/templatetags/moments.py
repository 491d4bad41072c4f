"""``{% moment %}``: how every template shows a moment, in the reader's zone with the zone named.

The reader's zone comes from the ``reader_zone`` context variable that the workspace context
processor sets (the signed-in member's profile zone, else UTC), so a template only names the
moment and a style: ``{% moment brief.deadline_at %}`` → "Thu 10 Dec, 23:00 Europe/Berlin",
``{% moment record.decided_at "date" %}`` → "6 December 2026" (the reader's date).
"""

from datetime import date, datetime
from typing import Any

from django import template
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString

from meridian.core.moments import moment_text, relative_text, zone_label

register = template.Library()


def _zone(context: template.Context) -> str | None:
    zone: str | None = context.get("reader_zone")
    return zone


@register.simple_tag(takes_context=True)
def moment(
    context: template.Context,
    value: datetime | None,
    style: str = "datetime",
    now: datetime | None = None,
) -> str:
    """The moment as text for this page's reader; nothing for a missing moment. With ``now``
    (``{% moment t.due_by "datetime" now %}``), a moment in another year names its year."""
    if value is None or value == "":
        return ""
    return moment_text(value, _zone(context), style, now or None)


@register.simple_tag(takes_context=True)
def moment_ago(context: template.Context, value: datetime | None) -> SafeString | str:
    """ "3 hours ago" / "in 2 days", in a <time> whose title is the full moment in the reader's
    zone (a hover tells the exact time without a trip to the profile)."""
    if value is None or value == "":
        return ""
    now: Any = context.get("now") or timezone.now()
    return format_html(
        '<time datetime="{}" title="{}">{}</time>',
        value.isoformat(),
        moment_text(value, _zone(context), "long"),
        relative_text(value, now),
    )


@register.simple_tag(takes_context=True)
def reader_zone_label(context: template.Context) -> str:
    """The reader's zone as pages name it next to times ("Europe/Berlin")."""
    return zone_label(_zone(context))


@register.filter
def calendar_day(value: date | None, style: str = "date") -> str:
    """A plain calendar date (a goal's due day: no zone, no time), never a moment.

    ``date`` "31 March 2027", ``long`` "Wednesday 31 March 2027", ``short`` "31 Mar 2027".
    A datetime is refused: it is a moment, shown with ``{% moment %}`` in the reader's zone.
    """
    if value is None:
        return ""
    if isinstance(value, datetime):
        raise TypeError("calendar_day formats dates; show a moment with {% moment %}")
    if style == "long":
        return f"{value:%A} {value.day} {value:%B %Y}"
    if style == "short":
        return f"{value.day} {value:%b %Y}"
    return f"{value.day} {value:%B %Y}"
