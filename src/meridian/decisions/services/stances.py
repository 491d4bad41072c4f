"""Stances: given, changed while the proposal accepts them, or cast anonymously once."""

import secrets
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from meridian.core.errors import Conflict, NotFound, ValidationFailed
from meridian.core.services import audit_record
from meridian.decisions import ballots
from meridian.decisions.ballots import Ballot
from meridian.decisions.erasure import superseded_ballots_erase
from meridian.decisions.models import (
    AnonymousBallot,
    Option,
    Proposal,
    ProposalParticipant,
    Stance,
    StanceRevision,
)
from meridian.decisions.services.common import (
    ANONYMOUS_FINAL,
    MAX_REASON,
    _locked,
    _require_accepting,
    asked_cause,
)
from meridian.decisions.visibility import sight_for
from meridian.notifications.services import inbox_resolve
from meridian.workspaces.models import Membership


@dataclass(frozen=True)
class StanceReceipt:
    """What giving a stance did: the named stance, or only the fact of an anonymous one."""

    proposal: Proposal
    anonymous: bool
    responded_at: datetime
    stance: Stance | None = None
    changed: bool = False


def _participant(proposal: Proposal, member: Membership) -> ProposalParticipant:
    row = ProposalParticipant.objects.filter(proposal=proposal, membership=member).first()
    if row is None:
        raise NotFound("You are not a participant of this proposal.")
    return row


@transaction.atomic
def stance_submit(*, acting: Membership, proposal: Proposal, ballot: Ballot) -> StanceReceipt:
    """A participant gives (or, unless anonymous, changes) their stance while the proposal is open."""
    proposal = _locked(proposal)
    participant = _participant(proposal, acting)
    now = timezone.now()
    _require_accepting(proposal, now, acting)
    if proposal.anonymous and participant.responded_at is not None:
        raise Conflict(ANONYMOUS_FINAL)
    options = list(Option.objects.filter(proposal=proposal))
    payload, reason = ballots.normalize(proposal, options, ballot)
    if len(reason) > MAX_REASON:
        raise ValidationFailed.field("reason", f"A reason has at most {MAX_REASON:,} characters.")
    first_time = participant.responded_at is None
    if first_time:
        ProposalParticipant.objects.filter(pk=participant.pk).update(responded_at=now)
        inbox_resolve(cause=asked_cause(proposal), recipient=acting)
    if proposal.anonymous:
        _cast_anonymously(proposal, payload, reason)
        audit_record(actor=acting, action="decision.stance", obj=proposal)
        # The replaced ballots must not survive in the raw files, where the generation
        # before this one would single out the new ballot (meridian.decisions.erasure).
        transaction.on_commit(superseded_ballots_erase)
        return StanceReceipt(proposal=proposal, anonymous=True, responded_at=now)

    stance = Stance.objects.filter(proposal=proposal, membership=acting).first()
    if stance is not None and stance.payload == payload and stance.reason == reason:
        return StanceReceipt(proposal, False, participant.responded_at or now, stance)
    sight = sight_for(proposal, responded=not first_time, is_participant=True)
    others = Stance.objects.filter(proposal=proposal).exclude(membership=acting).exists()
    if stance is None:
        stance = Stance.objects.create(
            workspace_id=proposal.workspace_id,
            proposal=proposal,
            membership=acting,
            payload=payload,
            reason=reason,
        )
    else:
        stance.payload, stance.reason = payload, reason
        stance.save(update_fields=["payload", "reason", "updated_at"])
    revision = StanceRevision.objects.create(
        workspace_id=proposal.workspace_id,
        stance=stance,
        payload=payload,
        reason=reason,
        saw_others=sight.stances and others,
    )
    # The audit log is read by admins: it says that a stance was given, never which one.
    audit_record(
        actor=acting,
        action="decision.stance",
        obj=proposal,
        data={"changed": not first_time, "revision": revision.pk},
    )
    return StanceReceipt(proposal, False, participant.responded_at or now, stance, not first_time)


def _cast_anonymously(proposal: Proposal, payload: dict, reason: str) -> None:
    """Add a ballot by rewriting the proposal's ballots in a random order with fresh random ids.

    Afterwards every ballot of the proposal was written in this one transaction, in no order
    that says which one is new: neither SQLite's rowid nor PostgreSQL's row positions and
    transaction ids single it out.
    """
    kept = list(AnonymousBallot.objects.filter(proposal=proposal).values_list("payload", "reason"))
    kept.append((payload, reason))
    secrets.SystemRandom().shuffle(kept)
    AnonymousBallot.objects.filter(proposal=proposal).delete()
    AnonymousBallot.objects.bulk_create(
        AnonymousBallot(proposal=proposal, payload=p, reason=r) for p, r in kept
    )
