"""Test data builders for decisions, made through the real services."""

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone

from meridian.briefs.services import Invitee
from meridian.decisions.ballots import Ballot
from meridian.decisions.models import DecisionRecord, Option, Proposal, ProposalParticipant
from meridian.decisions.services import (
    Deadline,
    OptionSpec,
    StanceReceipt,
    outcome_write,
    proposal_close,
    proposal_create,
    stance_submit,
)
from meridian.workspaces.models import Membership
from tests.briefs.factories import next_week

LANGUAGES = ("Python", "Rust", "Go")


def in_a_week() -> Deadline:
    return Deadline(kind="local_day", day=next_week())


def proposal(
    owner: Membership,
    participants: Sequence[Membership] = (),
    *,
    title: str = "Adopt a four-day week",
    kind: str = "consent",
    options: Sequence[str] = (),
    deadline: Deadline | None = None,
    open_now: bool = True,
    **kwargs: Any,
) -> Proposal:
    """A proposal asking ``participants`` (and its owner), open unless said otherwise."""
    if kind != "consent" and not options:
        options = LANGUAGES
    return proposal_create(
        owner=owner,
        title=title,
        participants=[Invitee(member_id=m.pk) for m in participants],
        kind=kind,
        options=[OptionSpec(label) for label in options],
        deadline=deadline or in_a_week(),
        open_now=open_now,
        **kwargs,
    )


def option(p: Proposal, label: str) -> Option:
    return Option.objects.get(proposal=p, label=label)


def ids(p: Proposal, *labels: str) -> list[int]:
    return [option(p, label).pk for label in labels]


def vote(member: Membership, p: Proposal, **ballot: Any) -> StanceReceipt:
    return stance_submit(acting=member, proposal=p, ballot=Ballot(**ballot))


def rank(member: Membership, p: Proposal, *labels: str) -> StanceReceipt:
    return vote(member, p, ranking=ids(p, *labels))


def decided(
    p: Proposal,
    *,
    statement: str = "We do it.",
    supersedes: DecisionRecord | None = None,
    **kw: Any,
) -> DecisionRecord:
    """Close the proposal early (if open) and record its outcome."""
    p.refresh_from_db()
    if p.is_open:
        proposal_close(acting=p.owner, proposal=p, reason="Everyone has spoken.")
    return outcome_write(
        acting=p.owner,
        proposal=p,
        statement=statement,
        rationale=kw.pop("rationale", "Because the team agreed."),
        supersedes=supersedes,
        **kw,
    )


def past_deadline(p: Proposal, *, by: timedelta = timedelta(minutes=1)) -> datetime:
    """Move a proposal's deadline into the past for clock-controlled tests; returns the instant.

    The services rightly refuse deadlines in the past, so tests arrange them here.
    """
    moment = timezone.now() - by
    Proposal.objects.filter(pk=p.pk).update(close_at=moment)
    ProposalParticipant.objects.filter(proposal=p).update(local_deadline=moment)
    return moment
