"""Reads of handovers that areas use to show an item "in handover" with both names."""

from meridian.handovers.models import Handover, HandoverState


def pending_handovers(workspace_id: int, kind: str, ids: list[int]) -> dict[int, Handover]:
    """The open handover of each of these items that has one, with giver and receiver (1 query)."""
    if not ids:
        return {}
    rows = Handover.objects.filter(
        workspace_id=workspace_id, kind=kind, object_id__in=ids, state=HandoverState.PENDING
    ).select_related("giver__user", "receiver__user")
    return {row.object_id: row for row in rows}
