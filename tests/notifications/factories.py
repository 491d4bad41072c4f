"""Test data builders for the inbox: many items at once for list and query-count tests."""

from datetime import timedelta

from django.utils import timezone

from meridian.notifications.models import InboxItem
from meridian.workspaces.models import Membership


def many_items(member: Membership, count: int, *, actor: Membership | None = None) -> None:
    """``count`` open items for ``member``; every other one has a deadline, one a day later."""
    now = timezone.now()
    InboxItem.objects.bulk_create(
        InboxItem(
            workspace_id=member.workspace_id,
            recipient=member,
            kind="brief.asked",
            cause=f"briefs.asked:{100_000 + n}",
            title=f"Brief number {n}",
            reason=f"{actor.profile.display_name if actor else 'Someone'} asked you to respond",
            url=f"/w/{member.workspace.slug}/briefs/{n}/",
            actor=actor,
            due_at=now + timedelta(days=1 + n) if n % 2 else None,
            created_at=now - timedelta(minutes=n),
            updated_at=now,
        )
        for n in range(count)
    )
