"""The workspace events decisions emit (meridian.core.events), for webhooks and other listeners.

What may leave the workspace is decided here with :func:`sight_for`, as for every page:
nothing about stances while a proposal is open (no counts, no names, no choices); at close,
the outcome the rule found, which names no voter; and on a blind proposal, the discussion's
authors stay hidden until close, as they are on the page.
"""

from typing import Any

from django.conf import settings

from meridian.core.events import event_emit
from meridian.decisions.models import Proposal, ProposalComment, ProposalStatus
from meridian.decisions.visibility import sight_for
from meridian.workspaces.models import Membership


def _proposal(proposal: Proposal) -> dict[str, Any]:
    return {
        "id": proposal.pk,
        "title": proposal.title,
        "url": settings.BASE_URL + proposal.get_absolute_url(),
        "status": proposal.status,
        "kind": proposal.kind,
        "rule": proposal.rule,
        "visibility": proposal.visibility,
        "anonymous": proposal.anonymous,
        "closes_at": proposal.close_at.isoformat() if proposal.close_at else None,
    }


def _actor(member: Membership | None) -> dict[str, Any] | None:
    if member is None:
        return None
    return {"id": member.pk, "name": member.profile.display_name}


def proposal_opened(proposal: Proposal, actor: Membership) -> None:
    """``proposal.opened``: its owner opened it; participants are asked for their stance."""
    event_emit(
        workspace_id=proposal.workspace_id,
        kind="proposal.opened",
        payload={"proposal": _proposal(proposal), "actor": _actor(actor)},
    )


def proposal_closed(proposal: Proposal, actor: Membership | None) -> None:
    """``proposal.closed``: early by its owner (actor) or at its deadline (no actor), with the outcome."""
    verdict = proposal.verdict or {}
    option = verdict.get("option")
    labels = {str(pk): label for pk, label in proposal.options.values_list("pk", "label")}
    event_emit(
        workspace_id=proposal.workspace_id,
        kind="proposal.closed",
        payload={
            "proposal": _proposal(proposal),
            "outcome": {
                "result": verdict.get("outcome"),
                "explanation": verdict.get("explanation"),
                "option": labels.get(str(option), option) if option is not None else None,
            },
            "reason": proposal.close_reason,
            "actor": _actor(actor),
        },
    )


def proposal_comment_added(comment: ProposalComment, proposal: Proposal, actor: Membership) -> None:
    """``comment.added`` on a proposal; on an open blind proposal, without who wrote it.

    A draft is its owner's alone (others get 404), so nothing about it leaves the workspace.
    """
    if proposal.status == ProposalStatus.DRAFT:
        return
    data = _proposal(proposal)
    # What a member who has not taken a stance may see of the discussion now.
    public = sight_for(proposal, responded=False, is_participant=False).comments
    event_emit(
        workspace_id=proposal.workspace_id,
        kind="comment.added",
        payload={
            "comment": {
                "id": comment.pk,
                "on": "proposal",
                "url": f"{data['url']}#comment-{comment.pk}" if public else data["url"],
            },
            "proposal": data,
            "actor": _actor(actor) if public else None,
        },
    )
