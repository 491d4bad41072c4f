"""Access helpers of the handovers area: 404 alike for missing and not yours.

A handover is part of the workspace's record (documented by default): members and admins read
any handover of their workspace; a guest reads only those they give or receive.
"""

from meridian.core.errors import NotFound
from meridian.handovers.models import Handover, HandoverBatch, HandoverComment
from meridian.workspaces.models import Membership, Role


def handover_get_for(viewer: Membership, handover_id: int) -> Handover:
    """A handover of the viewer's workspace, with both people; 404 when missing or foreign."""
    handover = (
        Handover.objects.select_related(
            "giver__profile", "receiver__profile", "created_by__profile"
        )
        .filter(workspace_id=viewer.workspace_id, pk=handover_id)
        .first()
    )
    if handover is None or (
        not viewer.has_role(Role.MEMBER)
        and viewer.pk not in (handover.giver_id, handover.receiver_id)
    ):
        raise NotFound("No such handover in this workspace.")
    handover.workspace = viewer.workspace
    return handover


def question_get_for(viewer: Membership, handover: Handover, comment_id: int) -> HandoverComment:
    """A question of one handover; 404 when missing or on another handover."""
    question = HandoverComment.objects.filter(
        workspace_id=viewer.workspace_id, handover_id=handover.pk, pk=comment_id
    ).first()
    if question is None:
        raise NotFound("No such question on this handover.")
    return question


def batch_get_for(viewer: Membership, batch_id: int) -> HandoverBatch:
    """A "hand over everything" batch the viewer started, is handed from or receives items of
    (admins: any)."""
    batch = HandoverBatch.objects.filter(workspace_id=viewer.workspace_id, pk=batch_id).first()
    if batch is None or (
        not viewer.is_admin
        and viewer.pk not in (batch.giver_id, batch.created_by_id)
        and not batch.handovers.filter(receiver_id=viewer.pk).exists()
    ):
        raise NotFound("No such handover batch in this workspace.")
    return batch
