"""Helpers of the delivery tests: declared kinds, notices, a tick that runs its tasks."""

from datetime import datetime
from typing import Any

from meridian.core import registry
from meridian.core.scheduler import TickResult, registered_jobs, tick
from meridian.workspaces.models import Membership

ASKED = registry.notification_kind(
    registry.NotificationKind("test.asked", label="Asked for input", default_channel="now")
)
REPLIED = registry.notification_kind(
    registry.NotificationKind("test.replied", label="Replies to you", default_channel="digest")
)
MENTIONED = registry.notification_kind(
    registry.NotificationKind("test.mentioned", label="Mentions", default_channel="inbox")
)
WEEKDAYS_9_TO_5 = {str(d): [[540, 1020]] for d in range(5)}


def notice(recipient: Membership, kind: str = "test.asked", **fields: Any) -> registry.Notice:
    """A notice as the notifications layer hands it to each channel."""
    values: dict[str, Any] = {
        "workspace_id": recipient.workspace_id,
        "recipient_id": recipient.pk,
        "kind": kind,
        "subject": "Review the Q3 plan",
        "url": "/w/acme/briefs/1/",
    }
    values.update(fields)
    return registry.Notice(**values)


def delivery_jobs() -> list:
    return [job for job in registered_jobs() if job.name.startswith(("delivery.", "digest."))]


def run_tick(capture: Any, now: datetime) -> TickResult:
    """One scheduler tick at ``now`` over the delivery jobs, running the tasks it enqueues."""
    with capture(execute=True):
        return tick(now, jobs=delivery_jobs())


def victim_delivery(sender: Membership, recipient: Membership) -> dict[str, int]:
    """A delivery in the tenancy test's victim workspace, its subject carrying a marker."""
    from meridian.delivery.services import delivery_accept

    delivery = delivery_accept(
        notice(recipient, actor_id=sender.pk, subject="Zeta Secret Works deadline")
    )
    assert delivery is not None
    return {"delivery_id": delivery.pk}
