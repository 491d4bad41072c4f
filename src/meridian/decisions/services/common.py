"""What the decisions services share: limits, the proposal's settings, addresses, names and the checks on its state."""

from dataclasses import dataclass
from datetime import date, datetime

from meridian.asks.people import Invitee
from meridian.core.errors import Conflict, PermissionDenied
from meridian.core.moments import moment_text
from meridian.decisions.models import (
    DeadlineKind,
    DecisionRecord,
    Proposal,
    ProposalParticipant,
    ProposalStatus,
)
from meridian.workspaces.models import Membership

MAX_TITLE = 200
MAX_BODY = 50_000
MAX_OPTIONS = 20
MAX_OPTION_LABEL = 200
MAX_OPTION_DESCRIPTION = 2_000
MAX_REASON = 5_000
MAX_COMMENT = 20_000
MAX_TEXT = 20_000
MAX_TAGS = 10
MAX_TAG = 40
MAX_SCORE = 100
MAX_DOTS = 1_000
MAX_CLOSE_REASON = 500
MAX_EFFECT = 500
MAX_NOTE = 300
DEFAULT_SCORE_MAX = 5
DEFAULT_DOT_BUDGET = 10
RULE_FIXED = "The decision rule cannot change once the first stance is in ({when})."
PROPOSAL_FIXED = (
    "A proposal cannot change once the first stance is in ({when}); close it and open a new one."
)
ANONYMOUS_FINAL = (
    "In anonymous mode your stance is final once cast: nothing links it to you, so it cannot "
    "be found again to change it."
)


@dataclass(frozen=True)
class Deadline:
    """When a proposal closes: an instant, the end of a day in each zone, or a full working day."""

    kind: str = DeadlineKind.LOCAL_DAY
    at: datetime | None = None
    day: date | None = None


@dataclass(frozen=True)
class OptionSpec:
    """One option as written by the owner, or taken from a brief's comment."""

    label: str
    description: str = ""
    source_comment_id: int | None = None


@dataclass
class _Config:
    """Everything about a proposal that its owner sets, checked as one."""

    title: str
    body: str
    kind: str
    options: list[OptionSpec]
    max_choices: int | None
    score_max: int | None
    dot_budget: int | None
    rule: str
    quorum_pct: int | None
    visibility: str
    anonymous: bool
    deadline: Deadline
    participants: list[Invitee]
    teams: list[str]
    tags: list[str]


def proposal_url(proposal: Proposal) -> str:
    """The site-relative address of a proposal's page."""
    return proposal.get_absolute_url()


def record_url(record: DecisionRecord) -> str:
    """The permalink of a decision record."""
    return record.get_absolute_url()


def _name(member: Membership) -> str:
    return str(member.profile.display_name)


def _when(moment: datetime, reader: Membership) -> str:
    """A moment as the member it is said to reads it: in their own zone, zone named."""
    return moment_text(moment, reader.profile.time_zone, "stamp")


def _locked(proposal: Proposal) -> Proposal:
    """The proposal as the database has it now, locked until the transaction ends."""
    return (
        Proposal.objects.select_for_update(of=("self",))
        .select_related("workspace", "owner__profile", "brief")
        .get(pk=proposal.pk)
    )


def _require_owner(acting: Membership, proposal: Proposal, doing: str) -> None:
    if acting.pk != proposal.owner_id:
        raise PermissionDenied(f"Only the proposal's owner can {doing}.")


def _first_stance_at(proposal: Proposal) -> datetime | None:
    return (
        ProposalParticipant.objects.filter(proposal=proposal, responded_at__isnull=False)
        .order_by("responded_at")
        .values_list("responded_at", flat=True)
        .first()
    )


def _require_accepting(proposal: Proposal, now: datetime, acting: Membership) -> None:
    """Refuse a stance on a proposal that is not open, or whose deadline has passed."""
    if proposal.status == ProposalStatus.DRAFT:
        raise Conflict("This proposal is not open yet; its owner is still drafting it.")
    if proposal.status == ProposalStatus.CLOSED:
        assert proposal.closed_at is not None
        raise Conflict(
            f"This proposal closed on {_when(proposal.closed_at, acting)}; stances are no longer accepted."
        )
    if proposal.close_at is not None and proposal.close_at <= now:
        raise Conflict(
            f"This proposal closed at its deadline, {_when(proposal.close_at, acting)}; "
            "stances are no longer accepted."
        )


def asked_cause(proposal: Proposal) -> str:
    """The inbox cause of being asked for a stance (one item per participant)."""
    return f"decisions.asked:{proposal.pk}"
