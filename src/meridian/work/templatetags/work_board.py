"""``{% board_column column %}``: a board column's cards, written in Python for speed.

A board may hold thousands of cards, each with its own "Move to…" form (the board works
without JavaScript); the template engine would spend most of the page's time on them, so the
cards of a column are put together here, every value escaped.
"""

from html import escape  # the standard library's: Django's wraps it for lazy text, slower
from typing import Any

from django import template
from django.middleware.csrf import get_token
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe

from meridian.core.moments import moment_text
from meridian.work.selectors_views import Board, Card, Column

register = template.Library()


def _options(board: Board, selected: str) -> str:
    return "".join(
        f'<option value="{escape(c.status["key"])}"'
        f"{' selected' if c.status['key'] == selected else ''}>{escape(c.status['label'])}</option>"
        for c in board.columns
    )


@register.simple_tag(takes_context=True)
def board_column(context: template.Context, board: Board, column: Column) -> SafeString:
    """The ``<li>`` cards of one column, in board order."""
    workspace = context["workspace"].slug
    request = context["request"]
    zone = context.get("reader_zone")
    now = context["now"]
    can_write = bool(context.get("can_write"))
    csrf = escape(get_token(request)) if can_write else ""
    task_url = reverse("task_detail", kwargs={"workspace": workspace, "task_id": 0})[:-2]
    move_url = reverse("task_move", kwargs={"workspace": workspace, "task_id": 0})[:-7]
    options = _options(board, column.status["key"])
    parts: list[str] = []
    for card in column.cards:
        parts.append(_card(card, task_url, move_url, options, csrf, zone, now, can_write))
    return mark_safe("".join(parts))  # noqa: S308 — every value above is escaped


def _card(
    card: Card,
    task_url: str,
    move_url: str,
    options: str,
    csrf: str,
    zone: str | None,
    now: Any,
    can_write: bool,
) -> str:
    pk = card.pk
    title = escape(card.title)
    owner = (
        f'<span class="card-owner">{escape(card.owner_name)}</span>'
        + ("" if card.owner_active else ' <span class="badge left">Left the workspace</span>')
        if card.owner_id
        else '<span class="card-owner muted">Nobody</span>'
    )
    due = ""
    if card.due_by is not None:
        late = not card.is_done and card.due_by < now
        due = (
            f'<span class="card-due{" overdue" if late else ""}">'
            f"{'<span class="badge state-overdue">Overdue</span> ' if late else ''}"
            f'Due <time datetime="{card.due_by.isoformat()}">'
            f"{escape(moment_text(card.due_by, zone, 'datetime', now))}</time></span>"
        )
    blocked = ""
    if card.blockers:
        names = ", ".join(
            f'<a href="{task_url}{b.pk}/">#{b.pk} {escape(b.title)}</a>'
            + (f" ({escape(b.owner_name)})" if b.owner_name else "")
            for b in card.blockers
        )
        blocked = f'<p class="card-blocked"><span class="badge state-blocked">Blocked</span> by {names}</p>'
    move = ""
    if can_write:
        move = (
            f'<details class="card-move"><summary>Move to…<span class="visually-hidden"> '
            f"(#{pk} {title})</span></summary>"
            f'<form method="post" action="{move_url}{pk}/move/">'
            f'<input type="hidden" name="csrfmiddlewaretoken" value="{csrf}">'
            f'<input type="hidden" name="version" value="{card.version}">'
            f'<label for="mv-{pk}-s">Status</label><select id="mv-{pk}-s" name="status">{options}</select>'
            f'<label for="mv-{pk}-p">Place</label><select id="mv-{pk}-p" name="place">'
            '<option value="bottom">Bottom</option><option value="top">Top</option></select>'
            '<button type="submit" class="secondary small">Move</button></form></details>'
        )
    return (
        f'<li class="task-card" id="card-{pk}" data-id="{pk}" data-version="{card.version}"'
        f' data-title="{title}"{' tabindex="0"' if can_write else ""}'
        f' aria-describedby="board-keys">'
        f'<a class="card-title" href="{task_url}{pk}/"><span class="muted">#{pk}</span> {title}</a>'
        f'<p class="card-meta">{owner}{" · " if due else ""}{due}</p>{blocked}{move}</li>'
    )
