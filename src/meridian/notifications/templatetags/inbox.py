"""``{% inbox_item entry %}``: one inbox item with its done, snooze and undo forms.

Drawn in Python rather than as a template partial: the inbox shows 25 of them, each with two
or three forms, and Django's template engine spends ~10 µs on every variable — most of the
page's time. Everything user-written (title, reason, URL) is escaped here; the markup is the
same the partial had.
"""

from html import escape
from typing import Any

from django import template
from django.utils.safestring import SafeString, mark_safe

from meridian.notifications import snooze
from meridian.notifications.selectors import InboxEntry

register = template.Library()


def _e(value: object) -> str:
    return escape(str(value), quote=True)


def _form(action: str, token: str) -> str:
    return (
        f'<form method="post" action="{action}"\n'
        f'            hx-post="{action}" hx-target="closest li" hx-swap="outerHTML">'
        f'<input type="hidden" name="csrfmiddlewaretoken" value="{token}">'
    )


_MOMENT_BUTTONS = "".join(
    f'<li><button type="submit" class="secondary" name="moment" value="{_e(value)}">'
    f"{_e(label)}</button></li>"
    for value, label in snooze.MOMENTS.items()
)


def render_inbox_item(
    entry: InboxEntry, *, item_base: str, csrf_token: str, today: str, error: str = ""
) -> SafeString:
    """The ``<li>`` of one item as the inbox lists it (``error``: a problem to name on it)."""
    item = entry.item
    pk = int(item.pk)
    title = _e(item.title)
    base = f"{_e(item_base)}{pk}/"
    token = _e(csrf_token)
    parts = [
        f'<li class="inbox-item" id="inbox-item-{pk}">\n',
        f'    <h3 class="inbox-title"><a href="{_e(item.url)}">{title}</a></h3>\n',
        '    <p class="inbox-why">',
        '<span class="badge state-overdue">Overdue</span> ' if entry.overdue else "",
        f"{_e(entry.why)}</p>\n",
    ]
    if entry.snoozed_text:
        parts.append(f'    <p class="muted small">Snoozed until {_e(entry.snoozed_text)}</p>\n')
    if error:
        parts.append(f'    <p class="error" role="alert" id="inbox-error-{pk}">{_e(error)}</p>\n')
    parts.append('    <div class="inbox-actions">\n')
    hidden = f'<span class="visually-hidden">: {title}</span>'
    if item.state == "open" and not entry.snoozed_text:
        invalid = f' aria-describedby="inbox-error-{pk}" aria-invalid="true"' if error else ""
        parts += [
            "      ",
            _form(f"{base}done/", token),
            f'\n        <button type="submit">Done{hidden}</button>\n      </form>\n',
            '      <details class="snooze">\n',
            f"        <summary>Snooze{hidden}</summary>\n        ",
            _form(f"{base}snooze/", token),
            f'\n          <ul class="snooze-moments">\n            {_MOMENT_BUTTONS}\n          </ul>\n',
            '          <div class="field">\n',
            f'            <label for="snooze-date-{pk}">Until the morning of</label>\n',
            f'            <input id="snooze-date-{pk}" name="date" type="date" '
            f'min="{_e(today)}"{invalid}>\n',
            "          </div>\n",
            '          <button type="submit" class="secondary">Snooze to that date</button>\n',
            "        </form>\n      </details>\n",
        ]
    else:
        label = "Back to inbox" if item.state == "done" else "Unsnooze"
        parts += [
            "      ",
            _form(f"{base}undo/", token),
            f'\n        <button type="submit" class="secondary">{label}{hidden}</button>\n'
            "      </form>\n",
        ]
    parts.append("    </div>\n  </li>")
    return mark_safe("".join(parts))  # noqa: S308 - every value above is escaped


@register.simple_tag(takes_context=True)
def inbox_item(context: template.Context, entry: InboxEntry) -> SafeString:
    """One item; the error, if any, only on the item it is about (``error_item``)."""
    error = context.get("error") or ""
    error_item = context.get("error_item")
    if error_item is not None and error_item != entry.item.pk:
        error = ""
    token: Any = context.get("csrf_token", "")
    return render_inbox_item(
        entry,
        item_base=str(context.get("item_base", "")),
        csrf_token=str(token),
        today=str(context.get("today", "")),
        error=str(error),
    )
