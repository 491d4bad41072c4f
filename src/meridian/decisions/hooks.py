"""What decisions offer the other areas through the registry (meridian.core.registry)."""

# --- Inbox sources: what of decisions awaits a member -------------------------------------------
from meridian.notifications.sources import InboxSource, inbox_source

inbox_source(
    InboxSource(
        "decisions.asked", "Proposals to take a stance on", "{actor} asked you to take a stance"
    )
)
inbox_source(
    InboxSource(
        "decisions.outcome",
        "Outcomes to write",
        "{actor} closed the proposal: write its outcome",
        reason_without_actor="The proposal closed: write its outcome",
    )
)
inbox_source(
    InboxSource(
        "decisions.review",
        "Decision reviews due",
        "{actor}: the review date has come",
        reason_without_actor="The decision's review date has come",
    )
)
