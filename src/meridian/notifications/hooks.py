"""What the notifications layer offers the rest: the Inbox entry of the main navigation; and
what it does when a member is removed (their inbox is resolved)."""

from datetime import datetime

from meridian.core import registry
from meridian.workspaces.models import Membership


def _deactivated(member: Membership, now: datetime) -> None:
    from meridian.notifications.services import inbox_resolve_all

    inbox_resolve_all(recipient=member, now=now)


registry.register(registry.MEMBER_DEACTIVATED, _deactivated)

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
