"""What briefs offer the other areas through the registry (meridian.core.registry)."""

# --- Inbox sources: what of briefs awaits a member ----------------------------------------------
from meridian.notifications.sources import InboxSource, inbox_source

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
