"""``{% timeline_line event %}``: one entry of a task's timeline as a sentence a person reads."""

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString

from meridian.work.models import TaskEvent

register = template.Library()

# Actions recorded under a name of their own, with the value they name (old or new).
ACTIONS = {
    "created": ("created the task", ""),
    "blocked_by_added": ("added a blocker:", "new"),
    "blocked_by_removed": ("removed the blocker", "old"),
    "blocks_added": ("made it block", "new"),
    "blocks_removed": ("made it no longer block", "old"),
    "link_added": ("linked", "new"),
    "link_removed": ("removed the link to", "old"),
    "file_added": ("attached", "new"),
    "file_removed": ("removed the file", "old"),
    "position": ("moved the card:", "new"),
}
FIELDS = {
    "criteria": "acceptance criteria",
    "due": "due date",
    "parent": "parent task",
    "estimate": "estimate",
    "follower_ids": "followers",
}
# Changes of a value recorded under a name of their own, told as a sentence (old → new).
CHANGES = {"handover": "acknowledged a handover; owner:"}
LONGEST = 200


def _cut(text: str) -> str:
    return text if len(text) <= LONGEST else text[: LONGEST - 1] + "…"


@register.simple_tag
def timeline_line(event: TaskEvent) -> SafeString:
    """ "changed status: To do → Doing", "added a blocker: Get the domain", "created the task"."""
    if event.field in ACTIONS:
        words, side = ACTIONS[event.field]
        value = event.new if side == "new" else event.old if side == "old" else ""
        if not value:
            return format_html("{}", words)
        return format_html("{} <strong>{}</strong>", words, _cut(value))
    label = FIELDS.get(event.field, event.field.replace("_", " "))
    old = format_html("<del>{}</del>", _cut(event.old)) if event.old else "nothing"
    new = format_html("<ins>{}</ins>", _cut(event.new)) if event.new else "nothing"
    if event.field in CHANGES:
        return format_html("{} {} → {}", CHANGES[event.field], old, new)
    return format_html("changed <strong>{}</strong>: {} → {}", label, old, new)
