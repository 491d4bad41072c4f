"""Template tags of the decisions pages: long lists rendered in Python, cheap for hundreds of rows.

A proposal can ask hundreds of people; looping over them in the template language costs more
than the rest of the page together, so the turnout and stance lists are built here, every
value escaped exactly as the template would.
"""

from collections.abc import Iterable
from datetime import datetime

from django import template
from django.forms import BoundField
from django.utils.html import escape, format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

from meridian.core.moments import ago_text, moment_text
from meridian.decisions.models import ProposalComment
from meridian.decisions.selectors import ParticipantRow, StanceRow

register = template.Library()

_TOOK_PART = mark_safe('<span class="badge ok">Took part</span>')
_NOT_YET = mark_safe('<span class="badge off">Not yet</span>')
_OWNER = mark_safe(' <span class="muted small">(owner)</span>')


@register.simple_tag
def turnout_items(rows: Iterable[ParticipantRow], owner_id: int, open_now: bool) -> SafeString:
    """The participants as <li> items: who took part (never how), and their own deadline."""
    labels: dict[object, str] = {}  # one zone's people share a deadline: format it once
    items = []
    for row in rows:
        deadline = ""
        if open_now and row.local_deadline is not None:
            key = (row.local_deadline, row.member.time_zone)
            if key not in labels:
                labels[key] = (
                    f'<span class="muted small block">Closes {escape(row.deadline_label)}'
                    f" · {escape(row.member.time_zone)}</span>"
                )
            deadline = labels[key]
        items.append(
            f'<li><span class="person">{escape(row.member.display_name)}</span>'
            f"{_OWNER if row.member.id == owner_id else ''}"
            f'<span class="block small">{_TOOK_PART if row.took_part else _NOT_YET}</span>'
            f"{deadline}"
            f"{f'<span class="muted small block held">{escape(row.held)}</span>' if row.held else ''}"
            "</li>"
        )
    return mark_safe("".join(items))  # noqa: S308  (every value above is escaped)


@register.simple_tag
def stance_items(rows: Iterable[StanceRow]) -> SafeString:
    """Named stances as <li> items: who, what in words, and the reason they gave."""
    items = []
    for row in rows:
        reason = f'<span class="block small">“{escape(row.reason)}”</span>' if row.reason else ""
        text = row.text[:1].upper() + row.text[1:]
        items.append(
            f'<li><span class="person">{escape(row.member.display_name)}</span>: '
            f"{escape(text)}{reason}</li>"
        )
    return mark_safe("".join(items))  # noqa: S308  (every value above is escaped)


@register.simple_tag(takes_context=True)
def comment_items(
    context: template.Context, comments: Iterable[ProposalComment], now: datetime
) -> SafeString:
    """The discussion as <li> items. Every value is escaped except ``body_html``, which the
    service sanitized when the comment was written (as the brief thread does it)."""
    zone: str | None = context.get("reader_zone")
    items = []
    for c in comments:
        pk = int(c.pk)
        items.append(
            f'<li><article id="comment-{pk}" class="comment" aria-labelledby="comment-{pk}-by">'
            f'<header class="comment-head"><span id="comment-{pk}-by" class="person">'
            f"{escape(c.author.profile.display_name)}</span> "
            f'<span class="muted small"><time datetime="{escape(c.created_at.isoformat())}" '
            f'title="{escape(moment_text(c.created_at, zone, "long"))}">'
            f"{escape(ago_text(c.created_at, now, zone))}</time></span></header>"
            f'<div class="md">{c.body_html}</div></article></li>'
        )
    return mark_safe("".join(items))  # noqa: S308  (escaped above; body_html sanitized on write)


@register.simple_tag
def quick_select(field: BoundField) -> SafeString:
    """A ChoiceField's <select>, as Django's widget would render it, without a template per option.

    A ranked-choice ballot has one select per rank, each listing every option: rendered through
    the widget templates, that alone costs more than the rest of the proposal page.
    """
    value = "" if field.value() is None else str(field.value())
    attrs = field.build_widget_attrs({})
    options = format_html_join(
        "",
        '<option value="{}"{}>{}</option>',
        (
            (key, mark_safe(" selected") if str(key) == value else "", label)
            for key, label in field.field.choices  # type: ignore[attr-defined]
        ),
    )
    return format_html(
        '<select name="{}" id="{}"{}{}>{}</select>',
        field.html_name,
        field.auto_id,
        mark_safe(" required") if attrs.get("required") else "",
        mark_safe(' aria-invalid="true"') if field.errors else "",
        options,
    )
