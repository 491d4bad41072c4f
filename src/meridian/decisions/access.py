"""Access helpers of the decisions area: one per object, 404 alike for missing and not yours.

Every member of a workspace (guests included) may read its proposals and its decision log:
decisions are the workspace's memory. A draft is its owner's until it opens. What a reader may
see *inside* an open proposal (others' stances, the tally, the discussion) is decided by
meridian.decisions.selectors.sight_for.
"""

from meridian.core.errors import NotFound
from meridian.decisions.models import DecisionRecord, Pin, Proposal, ProposalStatus
from meridian.workspaces.models import Membership


def proposal_get_for(viewer: Membership, proposal_id: int) -> Proposal:
    """A proposal of the viewer's workspace (a draft only for its owner); 404 otherwise."""
    # Few joins on purpose: PostgreSQL spent ~5 ms planning the eight-table join this once
    # was, ten times its execution. The brief and whoever closed it load when shown.
    proposal = (
        Proposal.objects.select_related("owner__profile")
        .filter(workspace_id=viewer.workspace_id, pk=proposal_id)
        .first()
    )
    if proposal is None or (
        proposal.status == ProposalStatus.DRAFT and proposal.owner_id != viewer.pk
    ):
        raise NotFound("No such proposal in this workspace.")
    proposal.workspace = viewer.workspace  # the same row, read with the membership
    return proposal


def record_get_for(viewer: Membership, record_id: int) -> DecisionRecord:
    """A decision record of the viewer's workspace; 404 when missing or foreign."""
    record = (
        DecisionRecord.objects.select_related("workspace", "supersedes", "superseded_by", "brief")
        .filter(workspace_id=viewer.workspace_id, pk=record_id)
        .first()
    )
    if record is None:
        raise NotFound("No such decision in this workspace.")
    return record


def pin_get_for(viewer: Membership, pin_id: int) -> Pin:
    """A start-here pin of the viewer's workspace; 404 when missing or foreign."""
    pin = (
        Pin.objects.select_related("team", "brief", "record")
        .filter(workspace_id=viewer.workspace_id, pk=pin_id)
        .first()
    )
    if pin is None:
        raise NotFound("No such pin in this workspace.")
    return pin
