"""Shapes of the decisions API."""

from datetime import date, datetime
from typing import Any

from ninja import Field, Schema
from pydantic import model_validator

from meridian.asks.schemas import ParticipantIn, PersonRef
from meridian.decisions.ballots import Ballot
from meridian.decisions.models import DeadlineKind, Kind, Rule, Visibility
from meridian.decisions.services import Deadline, OptionSpec


class OptionIn(Schema):
    label: str
    description: str = ""

    def spec(self) -> OptionSpec:
        return OptionSpec(self.label, self.description)


class ProposalFields(Schema):
    """Fields shared by drafting and changing a proposal."""

    deadline_kind: DeadlineKind | None = Field(
        None,
        description=(
            "instant (closes at deadline_at), local_day (the end of deadline_date's working "
            "hours in each participant's zone) or working_day (once everyone has had one full "
            "working day)."
        ),
    )
    deadline_at: datetime | None = Field(
        None, description="For instant: with a UTC offset, at most five years ahead."
    )
    deadline_date: date | None = Field(
        None,
        description=(
            "For local_day, at most five years ahead: the end of that day's working hours for "
            "each participant, or of their next working day if it is a day off for them."
        ),
    )
    max_choices: int | None = Field(None, description="Multiple choice: at most this many.")
    score_max: int | None = Field(None, description="Score: the highest score (default 5).")
    dot_budget: int | None = Field(None, description="Dot vote: points per person (default 10).")
    quorum_pct: int | None = Field(None, description="Optional quorum, % of participants.")

    def deadline(self) -> Deadline:
        return Deadline(
            kind=self.deadline_kind or DeadlineKind.LOCAL_DAY,
            at=self.deadline_at,
            day=self.deadline_date,
        )


class ProposalIn(ProposalFields):
    title: str = Field(..., description="The question to decide.")
    body: str = Field("", description="Markdown: context and what is proposed.")
    kind: Kind = Kind.CONSENT
    options: list[OptionIn] = Field(default_factory=list, description="Not for consent.")
    rule: Rule = Field(Rule.OWNER_DECIDES, description="Stated before opening; shown to all.")
    visibility: Visibility = Visibility.BLIND
    anonymous: bool = Field(False, description="Nobody can ever see who chose what.")
    participants: list[ParticipantIn] = Field(..., description="Members and teams asked.")
    teams: list[str] = Field(default_factory=list, description="Team slugs it concerns.")
    tags: list[str] = Field(default_factory=list)
    brief_id: int | None = Field(None, description="Turn this brief into the proposal.")
    option_comment_ids: list[int] = Field(
        default_factory=list, description="Comments of the brief whose text become options."
    )
    open: bool = Field(True, description="Open at once (false keeps a draft).")
    urgent: bool = Field(
        False,
        description=(
            "Opened at once only: tell those asked at once, even outside their working hours; "
            "spends one of the owner's weekly urgent notifications. Over budget: 429 saying when "
            "it refills, nothing written."
        ),
    )


class ProposalPatch(ProposalFields):
    """Only the fields you send change; nothing changes once the first stance is in (409)."""

    title: str | None = None
    body: str | None = None
    kind: Kind | None = None
    options: list[OptionIn] | None = None
    rule: Rule | None = None
    visibility: Visibility | None = None
    anonymous: bool | None = None
    participants: list[ParticipantIn] | None = None
    teams: list[str] | None = None
    tags: list[str] | None = None


class OptionOut(Schema):
    id: int
    label: str
    description: str


class ProposalMemberOut(Schema):
    id: int
    display_name: str
    time_zone: str


class ProposalParticipantOut(Schema):
    member: ProposalMemberOut
    took_part: bool = Field(..., description="Whether they gave a stance (never which one).")
    local_deadline: datetime | None = Field(..., description="When it closes for them.")
    held: str = Field(
        "",
        description=(
            "For the proposal's owner, while it is open: until when this participant's email "
            "about it is held (their working hours), in your zone, e.g. 'email held until "
            "Mon 29 Mar, 08:00 Europe/Lisbon (your time)'; else empty, as on the page."
        ),
    )


class StanceOut(Schema):
    member: ProposalMemberOut
    stance: str = Field(..., description="The stance in words.")
    payload: dict[str, Any]
    reason: str
    updated_at: datetime


class ProposalSummaryOut(Schema):
    id: int
    title: str
    owner: PersonRef
    kind: str
    status: str
    rule: str
    visibility: str
    anonymous: bool
    close_at: datetime | None
    participant_count: int
    responded_count: int
    is_participant: bool
    my_responded_at: datetime | None
    record_id: int | None = Field(..., description="Its decision record, once written.")
    created_at: datetime

    @staticmethod
    def resolve_record_id(obj: Any) -> int | None:
        return getattr(obj, "record_pk", None)


class ProposalOut(Schema):
    """A proposal as the viewer may see it: others' stances and the tally only when allowed."""

    id: int
    title: str
    owner: PersonRef
    brief_id: int | None
    body: str
    body_html: str
    kind: str
    max_choices: int | None
    score_max: int | None
    dot_budget: int | None
    rule: str
    rule_text: str = Field(..., description="The rule in words, with its quorum.")
    quorum_pct: int | None
    visibility: str
    anonymous: bool
    tie_break: str = Field(..., description="How ties are broken, as the page shows it.")
    deadline_kind: str
    deadline_at: datetime | None
    deadline_date: date | None
    close_at: datetime | None = Field(
        ..., description="When the last participant's deadline falls."
    )
    my_deadline: datetime | None
    status: str
    seed: str = Field(..., description="The draw of lots' seed, fixed when the proposal opened.")
    created_at: datetime
    opened_at: datetime | None
    closed_at: datetime | None
    close_reason: str
    options: list[OptionOut] = Field(..., description="In this viewer's own shuffled order.")
    teams: list[str]
    tags: list[str]
    participants: list[ProposalParticipantOut]
    invited: int
    took_part: int
    is_participant: bool
    responded: bool
    can_vote: bool
    my_stance: StanceOut | None = Field(..., description="Your current stance (never anonymous).")
    hidden: str = Field(
        ..., description="Why stances, comments or the tally are not shown; '' if all are."
    )
    stances: list[StanceOut] = Field(..., description="Others' stances, when you may see them.")
    tally: dict[str, Any] | None = Field(
        ..., description="The running or final tally, when allowed."
    )
    verdict: dict[str, Any] | None = Field(
        ..., description="What the rule made of it, after close."
    )
    record_id: int | None


class StanceIn(Schema):
    """Send the field of the proposal's kind (option ids as numbers), and a reason."""

    position: str | None = Field(None, description="consent: agree, abstain, object or block.")
    choice: int | None = Field(None, description="single: an option id.")
    choices: list[int] | None = Field(None, description="multiple: option ids.")
    ranking: list[int] | None = Field(None, description="ranked: option ids, best first.")
    scores: dict[int, int] | None = Field(None, description="score: option id → score.")
    dots: dict[int, int] | None = Field(None, description="dot: option id → points.")
    reason: str = Field("", description="Required to object or block.")

    def ballot(self) -> Ballot:
        return Ballot(
            position=self.position,
            choice=self.choice,
            choices=self.choices,
            ranking=self.ranking,
            scores=self.scores,
            dots=self.dots,
            reason=self.reason,
        )


class StanceReceiptOut(Schema):
    anonymous: bool
    responded_at: datetime
    changed: bool = Field(..., description="This replaced your earlier stance (kept in history).")
    stance: StanceOut | None = Field(..., description="None in anonymous mode: it is not linked.")


class ProposalCommentIn(Schema):
    body: str = Field(..., description="Markdown.")
    urgent: bool = Field(
        False,
        description=(
            "A question to the owner: tell them at once, even outside their working hours; "
            "spends one of your weekly urgent notifications. Over budget: 429 saying when it "
            "refills, nothing written. 422 when the owner is not told (you are the owner, or a "
            "blind proposal's owner has not given their stance)."
        ),
    )


class ProposalCommentOut(Schema):
    id: int
    author: PersonRef
    body: str
    body_html: str
    created_at: datetime


class ProposalCloseIn(Schema):
    reason: str = Field(..., description="Why you close before the deadline.")


class OutcomeIn(Schema):
    statement: str = Field(..., description="What was decided (Markdown).")
    rationale: str = Field(..., description="Why (Markdown).")
    expected_effect: str = Field("", description='e.g. "cycle time down 20 %".')
    review_date: date | None = Field(None, description="When to check the effect.")
    supersedes_id: int | None = Field(None, description="An earlier decision this replaces.")


class FairnessOut(Schema):
    participants: int
    took_part: int
    participation_rate: float
    comments: int
    comment_gini: float = Field(..., description="0 = evenly spread, towards 1 = one voice.")
    changed_after_visible: int | None = Field(
        ..., description="Stances changed after others' were visible; null when anonymous."
    )
    changes: int | None


class RecordSummaryOut(Schema):
    id: int
    number: int
    adr_id: str
    title: str
    statement: str
    status: str = Field(..., description="in_force or superseded.")
    superseded_by: int | None
    supersedes: int | None
    owner_name: str
    kind: str
    teams: list[dict[str, str]]
    tags: list[str]
    decided_at: datetime
    review_date: date | None

    @staticmethod
    def resolve_status(obj: Any) -> str:
        return "superseded" if getattr(obj, "superseded_by", None) is not None else "in_force"

    @staticmethod
    def resolve_superseded_by(obj: Any) -> int | None:
        later = getattr(obj, "superseded_by", None)
        return later.pk if later is not None else None

    @staticmethod
    def resolve_supersedes(obj: Any) -> int | None:
        return obj.supersedes_id


class RecordOut(Schema):
    """A decision record: an immutable snapshot. It can be superseded, never changed."""

    id: int
    number: int
    adr_id: str
    title: str
    status: str
    superseded_by: int | None
    supersedes: int | None
    proposal_id: int
    brief_id: int | None
    owner: dict[str, Any]
    question: str
    kind: str
    rule: str
    rule_label: str
    rule_text: str
    quorum_pct: int | None
    visibility: str
    anonymous: bool
    tie_break: str
    seed: str
    options: list[dict[str, Any]]
    tally: dict[str, Any] | None
    verdict: dict[str, Any]
    participation: dict[str, Any]
    stances: list[dict[str, Any]]
    statement: str
    rationale: str
    expected_effect: str
    review_date: str | None
    links: list[dict[str, Any]]
    teams: list[dict[str, Any]]
    tags: list[str]
    opened_at: str
    closed_at: str
    close_reason: str
    decided_at: str
    permalink: str


class PinIn(Schema):
    team: str = Field(..., description="The team's slug.")
    brief_id: int | None = None
    record_id: int | None = None
    note: str = ""

    @model_validator(mode="after")
    def _one_of(self) -> "PinIn":
        if (self.brief_id is None) == (self.record_id is None):
            raise ValueError("give either brief_id or record_id")
        return self


class PinOut(Schema):
    id: int
    team: str
    kind: str
    brief_id: int | None
    record_id: int | None
    note: str
    created_at: datetime

    @staticmethod
    def resolve_team(obj: Any) -> str:
        return str(obj.team.slug)


class StartItemOut(Schema):
    kind: str = Field(..., description="brief or decision.")
    id: int
    title: str
    url: str
    when: datetime
    links: int = Field(..., description="How many links point at it.")
    pinned: bool
    pin_id: int | None
    note: str
