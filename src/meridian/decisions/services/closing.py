"""Closing a proposal, by its owner or at the last participant's deadline, and reminders before it."""

from datetime import datetime

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from meridian.asks.reminders import reminder_take
from meridian.core.errors import Conflict, ValidationFailed
from meridian.core.moments import moment_text
from meridian.core.services import audit_record
from meridian.decisions import ballots, events
from meridian.decisions.models import Option, Proposal, ProposalParticipant, ProposalStatus
from meridian.decisions.search import proposal_search_index
from meridian.decisions.services.common import (
    MAX_CLOSE_REASON,
    _locked,
    _name,
    _require_owner,
    _when,
    asked_cause,
    proposal_url,
)
from meridian.notifications.services import inbox_resolve, notification_send
from meridian.search.text import excerpt
from meridian.workspaces.models import Membership


def _close(proposal: Proposal, *, by: Membership | None, reason: str, now: datetime) -> Proposal:
    """Close a locked, open proposal: freeze its tally and verdict, ask the owner for the outcome."""
    options = list(Option.objects.filter(proposal=proposal))
    labels = {str(o.pk): o.label for o in options}
    result = ballots.count(proposal, options, ballots.stored(proposal))
    invited = ProposalParticipant.objects.filter(proposal=proposal).count()
    proposal.status = ProposalStatus.CLOSED
    proposal.closed_at = now
    proposal.closed_by = by
    proposal.close_reason = reason
    proposal.tally = ballots.as_json(result)
    proposal.verdict = ballots.verdict(proposal, result, invited, labels)
    proposal.save(
        update_fields=[
            "status",
            "closed_at",
            "closed_by",
            "close_reason",
            "tally",
            "verdict",
            "updated_at",
        ]
    )
    audit_record(
        actor=by,
        action="decision.proposal_close",
        obj=proposal,
        workspace=proposal.workspace,
        data={"early": by is not None, "outcome": proposal.verdict["outcome"]},
    )
    proposal_search_index(proposal, comments=True)
    url = proposal_url(proposal)
    inbox_resolve(cause=asked_cause(proposal))
    notification_send(
        recipient=proposal.owner,
        kind="decision.outcome_due",
        actor=by,
        cause=f"decisions.outcome:{proposal.pk}",
        subject=f"Closed: write the outcome of {proposal.title}",
        url=reverse(
            "proposal_outcome",
            kwargs={"workspace": proposal.workspace.slug, "proposal_id": proposal.pk},
        ),
        body=str(proposal.verdict["explanation"]),
        excerpt=excerpt(proposal.body),
    )
    for row in ProposalParticipant.objects.select_related("membership").filter(proposal=proposal):
        if row.membership_id != proposal.owner_id:
            notification_send(
                recipient=row.membership,
                kind="decision.closed",
                subject=f"Closed: {proposal.title}",
                url=url,
                body=str(proposal.verdict["explanation"]),
                excerpt=excerpt(proposal.body),
            )
    events.proposal_closed(proposal, by)
    return proposal


@transaction.atomic
def proposal_close(*, acting: Membership, proposal: Proposal, reason: str) -> Proposal:
    """The owner closes the proposal before its deadline, saying why."""
    proposal = _locked(proposal)
    _require_owner(acting, proposal, "close it")
    if proposal.status == ProposalStatus.CLOSED:
        assert proposal.closed_at is not None
        raise Conflict(f"This proposal already closed on {_when(proposal.closed_at, acting)}.")
    if proposal.status == ProposalStatus.DRAFT:
        raise Conflict("This proposal has not opened yet; there is nothing to close.")
    reason = reason.strip()
    if not reason:
        raise ValidationFailed.field(
            "reason", "Say why you close the proposal before its deadline."
        )
    if len(reason) > MAX_CLOSE_REASON:
        raise ValidationFailed.field(
            "reason", f"A reason has at most {MAX_CLOSE_REASON} characters."
        )
    return _close(proposal, by=acting, reason=reason, now=timezone.now())


def proposal_close_due(*, proposal_id: int, now: datetime) -> None:
    """Close a proposal whose deadline has passed (the scheduler's effect, once per proposal)."""
    proposal = (
        Proposal.objects.select_for_update(of=("self",))
        .select_related("workspace", "owner__profile")
        .filter(pk=proposal_id)
        .first()
    )
    if proposal is None or proposal.status != ProposalStatus.OPEN:
        return  # closed early by its owner meanwhile
    if proposal.close_at is None or proposal.close_at > now:
        return
    _close(proposal, by=None, reason="The deadline passed.", now=now)


def participant_remind(*, participant_id: int, now: datetime) -> None:
    """Remind one participant who has not given a stance yet (the scheduler decided it is due)."""
    taken = reminder_take(
        ProposalParticipant.objects.select_related(
            "proposal__workspace", "proposal__owner__profile", "membership__profile"
        ).filter(
            pk=participant_id, responded_at__isnull=True, proposal__status=ProposalStatus.OPEN
        ),
        now,
    )
    if taken is None:
        return
    row, zone = taken
    proposal = row.proposal
    audit_record(
        actor=None,
        action="decision.remind",
        obj=proposal,
        workspace=proposal.workspace,
        data={"participant": row.membership_id},
    )
    body = ""
    if row.local_deadline is not None:
        body = f"It closes {moment_text(row.local_deadline, zone, 'long')}."
    notification_send(
        recipient=row.membership,
        kind="decision.reminder",
        subject=f"Reminder: {_name(proposal.owner)} asks for your stance on {proposal.title}",
        url=proposal_url(proposal),
        body=body,
        actor=proposal.owner,
        due_at=row.local_deadline,
        cause=asked_cause(proposal),
        excerpt=excerpt(proposal.body),
    )
