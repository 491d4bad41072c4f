"""Time-based work of the decisions area: closing at the deadline, reminders, review dates.

* ``proposal.close:<proposal id>`` closes an open proposal whose deadline has passed. The
  scheduler claims the key and closes in one transaction, so two workers, or a worker killed
  half way through, still close each proposal exactly once.
* ``proposal.reminder:<participant id>:<local date>`` reminds someone who has not given a
  stance, inside their working hours, at most once per local working day, never on the day
  they were asked (the rules of meridian.asks.deadlines). There is no "overdue" reminder:
  when the last deadline passes, the proposal closes.
* ``decision.review:<record id>`` tells a decision's owner, on its review date in their own
  zone and inside their working hours, that it is time to check the expected effect.
* ``decision.ballots_erase:<UTC hour>`` erases, once an hour while anonymous proposals are
  open or lately closed, replaced ballots that a vote's own erasure had to leave behind
  because a transaction was open across it (meridian.decisions.erasure).
"""

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from functools import partial

from django.db import transaction
from django.db.models import Q

from meridian.asks.deadlines import week_of
from meridian.asks.reminders import reminders_due
from meridian.core.scheduler import Occurrence, run_key, without_runs
from meridian.core.workingtime import is_working
from meridian.decisions.erasure import superseded_ballots_erase
from meridian.decisions.models import (
    DecisionRecord,
    Proposal,
    ProposalParticipant,
    ProposalStatus,
)
from meridian.decisions.services import (
    participant_remind,
    proposal_close_due,
    record_review_remind,
)

CLOSE = "proposal.close"
REMIND = "proposal.reminder"
REVIEW = "decision.review"
ERASE = "decision.ballots_erase"


def proposals_to_close(now: datetime) -> Iterator[Occurrence]:
    """Open proposals whose last participant's deadline has passed."""
    due = Proposal.objects.filter(status=ProposalStatus.OPEN, close_at__lte=now).order_by("pk")
    for proposal_id in without_runs(due, CLOSE).values_list("pk", flat=True):
        yield Occurrence(
            run_key(CLOSE, proposal_id),
            partial(proposal_close_due, proposal_id=proposal_id, now=now),
        )


def _opened_at(participant: ProposalParticipant) -> datetime:
    """When a participant was asked: when the proposal opened (or they were added later)."""
    return participant.proposal.opened_at or participant.added_at


def proposal_reminders(now: datetime) -> Iterator[Occurrence]:
    """Participants of open proposals without a stance, in their working hours, not yet today."""
    waiting = ProposalParticipant.objects.filter(
        proposal__status=ProposalStatus.OPEN,
        proposal__close_at__gt=now,
        local_deadline__gt=now,
    ).select_related("proposal")
    for participant, due in reminders_due(waiting, now, asked_at=_opened_at, overdue=False):
        yield Occurrence(
            run_key(REMIND, due.discriminator),
            partial(participant_remind, participant_id=participant.pk, now=now),
        )


def decision_reviews(now: datetime) -> Iterator[Occurrence]:
    """Records whose review date has come in their owner's zone, during the owner's working hours."""
    soon = (now + timedelta(days=1)).date()  # the earliest zones are a day ahead of UTC
    records = (
        without_runs(DecisionRecord.objects.filter(review_date__lte=soon), REVIEW)
        .select_related("owner__profile")
        .order_by("pk")
    )
    for record in records.iterator(chunk_size=500):
        profile = record.owner.profile
        week = week_of(profile.time_zone, profile.working_hours)
        assert record.review_date is not None  # filtered above
        if now.astimezone(week.zone).date() < record.review_date:
            continue
        if week.has_hours and not is_working(week, now):
            continue
        yield Occurrence(
            run_key(REVIEW, record.pk), partial(record_review_remind, record_id=record.pk)
        )


def anonymous_ballots_erase(now: datetime) -> Iterator[Occurrence]:
    """Once an hour while anonymous proposals are open, or closed within the last day."""
    recent = Q(status=ProposalStatus.OPEN) | Q(closed_at__gte=now - timedelta(days=1))
    if Proposal.objects.filter(recent, anonymous=True).exists():
        # VACUUM and checkpoints cannot run inside the tick's transaction: after its commit.
        yield Occurrence(
            run_key(ERASE, now.astimezone(UTC).strftime("%Y-%m-%dT%H")),
            partial(transaction.on_commit, superseded_ballots_erase),
        )
