"""Inbox sources: what kinds of cause put an item in a member's inbox, declared by each area.

An area registers one ``InboxSource`` per kind of cause from its ``hooks.py``; the cause's
prefix (before the colon) finds it. The source says how the item explains itself.
"""

from dataclasses import dataclass

from meridian.core import registry


@dataclass(frozen=True)
class InboxSource:
    """A kind of cause that puts items in inboxes, e.g. ``briefs.asked``."""

    prefix: str
    label: str
    # Why the item is there, with ``{actor}`` for who caused it ("{actor} asked you to respond").
    reason: str
    # The same without anyone to name (a scheduler's reminder, a deleted member).
    reason_without_actor: str = "Waiting for you"


def inbox_source(source: InboxSource) -> InboxSource:
    """Declare a kind of inbox cause."""
    return registry.register(registry.INBOX_SOURCES, source)


def source_for(cause: str) -> InboxSource | None:
    """The declared source of a cause like ``briefs.asked:42``."""
    prefix = cause.split(":", 1)[0]
    for source in registry.items(registry.INBOX_SOURCES):
        if isinstance(source, InboxSource) and source.prefix == prefix:
            return source
    return None
