"""Readiness snapshots: once a UTC day per workspace, every open item's readiness is kept
(``services.readiness_snapshot_take``), for the readiness and bus-factor metrics."""

from collections.abc import Iterator
from datetime import datetime
from functools import partial

from meridian.core.scheduler import Occurrence, run_key
from meridian.handovers.services import readiness_snapshot_take
from meridian.workspaces.models import Workspace

JOB = "handovers.readiness"


def readiness_snapshots(now: datetime) -> Iterator[Occurrence]:
    """Each workspace, once per UTC day."""
    for workspace_id in Workspace.objects.order_by("pk").values_list("pk", flat=True):
        yield Occurrence(
            run_key(JOB, f"{workspace_id}:{now.date().isoformat()}"),
            partial(readiness_snapshot_take, workspace_id=workspace_id, now=now),
        )
