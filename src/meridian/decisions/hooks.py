"""What decisions add to the other areas through the registry (meridian.core.registry)."""

from meridian.core import registry
from meridian.decisions.calendar import proposal_deadlines

registry.register(registry.CALENDAR_SOURCES, proposal_deadlines)

# --- Inbox sources: what of decisions awaits a member -------------------------------------------
from meridian.notifications.sources import InboxSource, inbox_source  # noqa: E402

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

# --- Notification kinds (declared with the inbox; drop any the registry's own list repeats) -----
from meridian.core.registry import Channel, NotificationKind, notification_kind  # noqa: E402

_KINDS: tuple[tuple[str, str, Channel], ...] = (
    ("decision.asked", "Asked for a stance on a proposal", "now"),
    ("decision.reminder", "Reminder of a proposal waiting for your stance", "now"),
    ("decision.comment", "A comment on your proposal", "now"),
    ("decision.outcome_due", "Your proposal closed: write its outcome", "now"),
    ("decision.review", "A decision's review date has come", "now"),
    ("decision.closed", "A proposal you took part in closed", "digest"),
    ("decision.recorded", "A decision you took part in was recorded", "digest"),
)
for _name, _label, _channel in _KINDS:
    # Person-directed notices: workspace webhooks get workspace events (core.events) instead.
    notification_kind(NotificationKind(_name, _label, default_channel=_channel, webhook=False))
