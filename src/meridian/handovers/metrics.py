"""The handovers area's built-in metrics, from the daily readiness snapshots
(``ReadinessSnapshot``, taken by the ``handovers.readiness`` job; source kind
``readiness_snapshot``). Each snapshot row is about the item's holder (its member) and its
project:

* ``handover_readiness`` (mean): the item's readiness score (0–100) that day — over a period,
  the average readiness of the open items on the days of the period;
* ``bus_factor_one_items`` (a level): +1 when the snapshot was taken if the item had at most
  one contributor in the 90 days before, −1 a day later (when the next day's snapshot takes
  over) — the number of such open items in the latest snapshot at the end of the period.

A day without a snapshot (the job did not run) has no readiness and no bus-factor-1 items.
"""

from collections.abc import Iterator
from datetime import timedelta

from meridian.core.registry import FactIn
from meridian.handovers.models import ReadinessSnapshot

DAY = timedelta(days=1)


def _snapshots(workspace_id: int, ids: list[int] | None) -> Iterator[ReadinessSnapshot]:
    rows = ReadinessSnapshot.objects.filter(workspace_id=workspace_id)
    if ids is not None:
        rows = rows.filter(pk__in=ids)
    yield from rows.order_by("pk").iterator(chunk_size=2000)


def _note(row: ReadinessSnapshot) -> str:
    return f"{row.kind.capitalize()} “{row.title}”: readiness {row.score}, {row.contributors_90d} contributor(s) in 90 days"


def readiness_facts(workspace_id: int, ids: list[int] | None) -> Iterator[FactIn]:
    for row in _snapshots(workspace_id, ids):
        yield FactIn(
            row.pk,
            row.taken_at,
            row.score,
            member_id=row.holder_id,
            project_id=row.project_id,
            part="score",
            note=_note(row),
        )


def bus_factor_facts(workspace_id: int, ids: list[int] | None) -> Iterator[FactIn]:
    for row in _snapshots(workspace_id, ids):
        if row.contributors_90d > 1:
            continue
        subject = {"member_id": row.holder_id, "project_id": row.project_id}
        yield FactIn(row.pk, row.taken_at, 1, part="on", note=_note(row), **subject)
        yield FactIn(row.pk, row.taken_at + DAY, -1, part="off", note=_note(row), **subject)
