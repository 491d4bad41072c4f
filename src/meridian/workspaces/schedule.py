"""Time-based work of the workspaces area, run by the scheduler (see meridian.core.scheduler)."""

from collections.abc import Iterator
from datetime import datetime
from functools import partial

from meridian.core.scheduler import Occurrence, run_key, without_runs
from meridian.core.services import audit_record
from meridian.workspaces.models import Invitation

# At most this many lapsed invitations are recorded per tick; the next tick continues.
BATCH = 200


def invitations_expired(now: datetime) -> Iterator[Occurrence]:
    """Each invitation that lapsed unused is noted once in its workspace's audit log."""
    lapsed = Invitation.objects.filter(
        expires_at__lte=now, accepted_at__isnull=True, revoked_at__isnull=True
    )
    pending = without_runs(lapsed, "invitation.expired").select_related("workspace")
    for invitation in pending.order_by("expires_at", "pk")[:BATCH]:
        yield Occurrence(
            run_key("invitation.expired", invitation.pk),
            partial(
                audit_record,
                actor=None,
                action="invitation.expired",
                obj=invitation,
                data={"email": invitation.email, "expired_at": invitation.expires_at.isoformat()},
            ),
        )
