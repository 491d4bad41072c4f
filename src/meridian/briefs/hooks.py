"""What briefs add to the other areas through the registry (meridian.core.registry)."""

from meridian.briefs.calendar import brief_deadlines
from meridian.core import registry

registry.register(registry.CALENDAR_SOURCES, brief_deadlines)

# --- Inbox sources: what of briefs awaits a member ----------------------------------------------
from meridian.notifications.sources import InboxSource, inbox_source  # noqa: E402

inbox_source(
    InboxSource("briefs.asked", "Briefs waiting for your input", "{actor} asked you to respond")
)
inbox_source(
    InboxSource("briefs.question", "Questions asked of you", "{actor} asked you a question")
)
inbox_source(InboxSource("briefs.mention", "Mentions", "{actor} mentioned you"))
inbox_source(
    InboxSource("briefs.reply", "Replies to your comments", "{actor} replied to your comment")
)

# --- Notification kinds (declared with the inbox; drop any the registry's own list repeats) -----
from meridian.core.registry import Channel, NotificationKind, notification_kind  # noqa: E402

_KINDS: tuple[tuple[str, str, Channel], ...] = (
    ("brief.asked", "Asked for input in a brief", "now"),
    ("brief.reminder", "Reminder of a brief waiting for your input", "now"),
    ("brief.overdue", "A brief you were asked in is overdue", "now"),
    ("brief.mention", "Mentioned in a brief's thread", "now"),
    ("brief.reply", "A reply to your comment", "now"),
    ("brief.comment", "A comment, question or response on your brief", "now"),
    ("brief.answered", "Your question was answered", "digest"),
    ("brief.closed", "A brief you were asked in was closed", "digest"),
)
for _name, _label, _channel in _KINDS:
    # Person-directed notices: workspace webhooks get workspace events (core.events) instead.
    notification_kind(NotificationKind(_name, _label, default_channel=_channel, webhook=False))
