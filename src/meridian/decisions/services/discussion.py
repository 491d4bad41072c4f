"""A proposal's discussion: comments from its members, and from the guests it asks, while open."""

from django.db import transaction
from django.utils import timezone

from meridian.core import registry
from meridian.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from meridian.core.markdown import render_markdown
from meridian.core.services import audit_record
from meridian.decisions import events
from meridian.decisions.models import Proposal, ProposalComment, ProposalParticipant, ProposalStatus
from meridian.decisions.search import proposal_comment_search_index
from meridian.decisions.services.common import MAX_COMMENT, _locked, _name, proposal_url
from meridian.decisions.visibility import sight_for
from meridian.notifications.services import notification_send
from meridian.search.text import excerpt
from meridian.workspaces.models import Membership, Role


@transaction.atomic
def proposal_comment_add(
    *, acting: Membership, proposal: Proposal, body: str, urgent: bool = False
) -> ProposalComment:
    """Add to a proposal's discussion (members, or guests who are asked), while it is open.

    ``urgent`` (a question to the owner) tells the owner at once, even outside their working
    hours, spending one of the writer's weekly urgent notifications; over budget nothing is
    written (HTTP 429). It needs an owner who is told: not the writer, and one who may
    already read the discussion (a blind proposal's owner before their own stance may not).
    """
    proposal = _locked(proposal)
    if acting.workspace_id != proposal.workspace_id:
        raise NotFound("No such proposal in this workspace.")
    if proposal.status == ProposalStatus.CLOSED:
        raise Conflict("This proposal is closed; its discussion is read-only.")
    is_participant = ProposalParticipant.objects.filter(
        proposal=proposal, membership=acting
    ).exists()
    if not acting.has_role(Role.MEMBER) and not is_participant:
        raise PermissionDenied("Guests can take part only in proposals they are asked in.")
    body = body.strip()
    if not body:
        raise ValidationFailed.field("body", "Write something first.")
    if len(body) > MAX_COMMENT:
        raise ValidationFailed.field("body", f"A comment has at most {MAX_COMMENT:,} characters.")
    owner_responded = ProposalParticipant.objects.filter(
        proposal=proposal, membership_id=proposal.owner_id, responded_at__isnull=False
    ).exists()
    owner_sees = sight_for(proposal, responded=owner_responded, is_participant=True).comments
    owner_told = proposal.owner_id != acting.pk and owner_sees
    if urgent:
        if not owner_told:
            raise ValidationFailed.field(
                "urgent",
                "Nobody is told about this comment now (the owner wrote the proposal, or cannot "
                "read its discussion before their own stance), so it cannot be urgent.",
            )
        # Before anything is written: over budget, the writer gets a 429 and no comment.
        registry.urgent_check(acting, timezone.now())
    comment = ProposalComment.objects.create(
        workspace_id=proposal.workspace_id,
        proposal=proposal,
        author=acting,
        body=body,
        body_html=render_markdown(body),
    )
    audit_record(
        actor=acting, action="decision.comment", obj=comment, data={"proposal": proposal.pk}
    )
    proposal_comment_search_index(comment, proposal)
    if owner_told:
        notification_send(
            recipient=proposal.owner,
            kind="decision.comment",
            actor=acting,
            subject=f"{_name(acting)} commented on {proposal.title}",
            url=f"{proposal_url(proposal)}#comment-{comment.pk}",
            # Only sent when the owner may already read the comments (sight_for above).
            excerpt=excerpt(comment.body),
            urgent=urgent,
        )
    events.proposal_comment_added(comment, proposal, acting)
    return comment
