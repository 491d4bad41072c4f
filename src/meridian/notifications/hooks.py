"""What the notifications layer offers the rest: the Inbox entry of the main navigation."""

from meridian.core import registry

registry.nav(
    registry.NavEntry(
        label="Inbox",
        url_name="inbox",
        order=0,
        current_prefixes=("inbox",),
        badge_url_name="inbox_badge",
        badge_event="inbox-changed",
    )
)
