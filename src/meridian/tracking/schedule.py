"""Retention: once a day per workspace, raw slots older than the policy's R days are deleted;
the daily rollups (what every report reads) remain."""

from collections.abc import Iterator
from datetime import datetime
from functools import partial

from django.db.models import Exists, OuterRef

from meridian.core.scheduler import Occurrence, run_key
from meridian.tracking.models import ActivitySlot
from meridian.tracking.services import slots_expire
from meridian.workspaces.models import Workspace

JOB = "tracking.retention"


def slots_retention(now: datetime) -> Iterator[Occurrence]:
    """Each workspace holding raw slots, once per UTC day."""
    holding = Workspace.objects.filter(
        # Through its members: the slot table's only index begins with the member.
        Exists(ActivitySlot.objects.filter(member__workspace_id=OuterRef("pk")))
    ).values_list("pk", flat=True)
    for workspace_id in holding:
        yield Occurrence(
            run_key(JOB, f"{workspace_id}:{now.date().isoformat()}"),
            partial(slots_expire, workspace_id=workspace_id, now=now),
        )
