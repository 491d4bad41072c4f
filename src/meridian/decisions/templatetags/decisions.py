"""Template tags of the decisions pages: long lists rendered in Python, cheap for hundreds of rows.

A proposal can ask hundreds of people; looping over them in the template language costs more
than the rest of the page together, so the turnout and stance lists are built here (escaped
by format_html, exactly as the template would).
"""

from collections.abc import Iterable

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from meridian.decisions.selectors import ParticipantRow, StanceRow

register = template.Library()

_TOOK_PART = mark_safe('<span class="badge ok">Took part</span>')  # noqa: S308
_NOT_YET = mark_safe('<span class="badge off">Not yet</span>')  # noqa: S308
_OWNER = mark_safe(' <span class="muted small">(owner)</span>')  # noqa: S308


@register.simple_tag
def turnout_items(rows: Iterable[ParticipantRow], owner_id: int, open_now: bool) -> SafeString:
    """The participants as <li> items: who took part (never how), and their own deadline."""
    items = []
    for row in rows:
        deadline = (
            format_html(
                '<span class="muted small block">Closes {} · {}</span>',
                row.deadline_label,
                row.member.time_zone,
            )
            if open_now and row.local_deadline
            else ""
        )
        items.append(
            format_html(
                '<li><span class="person">{}</span>{}<span class="block small">{}</span>{}</li>',
                row.member.display_name,
                _OWNER if row.member.id == owner_id else "",
                _TOOK_PART if row.took_part else _NOT_YET,
                deadline,
            )
        )
    return mark_safe("".join(items))  # noqa: S308  (each item escaped by format_html)


@register.simple_tag
def stance_items(rows: Iterable[StanceRow]) -> SafeString:
    """Named stances as <li> items: who, what in words, and the reason they gave."""
    items = [
        format_html(
            '<li><span class="person">{}</span>: {}{}</li>',
            row.member.display_name,
            row.text[:1].upper() + row.text[1:],
            format_html('<span class="block small">“{}”</span>', row.reason) if row.reason else "",
        )
        for row in rows
    ]
    return mark_safe("".join(items))  # noqa: S308  (each item escaped by format_html)
