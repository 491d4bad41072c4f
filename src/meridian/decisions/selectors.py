"""Reads of decisions that the pages and the API share, always through the viewer's membership.

Everything about others' positions goes through visibility.sight_for, so a blind or hidden
proposal shows the same nothing in the page, the API and the exports.
"""

import hashlib
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.core.cache import cache
from django.db.models import (
    Count,
    Exists,
    F,
    IntegerField,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone

from meridian.asks.deadlines import deadline_label, week_of
from meridian.briefs.models import (
    Brief,
    BriefLink,
    BriefParticipant,
    Comment,
    LinkTarget,
    ParticipantKind,
)
from meridian.core import registry
from meridian.core.moments import day_bounds
from meridian.core.timebounds import in_zone
from meridian.decisions import ballots
from meridian.decisions.fairness import Fairness
from meridian.decisions.models import (
    AnonymousBallot,
    DecisionRecord,
    Kind,
    Option,
    Pin,
    PinKind,
    Proposal,
    ProposalComment,
    ProposalParticipant,
    ProposalStatus,
    ProposalTag,
    Stance,
    StanceRevision,
    adr_id_of,
)
from meridian.decisions.services.common import asked_cause
from meridian.decisions.visibility import Sight, sight_for, viewer_order
from meridian.workspaces.models import Membership, Team

SCOPES = {
    "all": "All proposals",
    "to_answer": "Waiting for my stance",
    "involved": "Asked of me",
    "owned": "Mine",
}
STATUSES = {"": "Any state", "draft": "Drafts", "open": "Open", "closed": "Closed"}
RECORD_STATUSES = {
    "": "In force and superseded",
    "in_force": "In force",
    "superseded": "Superseded",
}
START_HERE_LIMIT = 10


@dataclass(frozen=True)
class ProposalFilters:
    """The proposal list filters shared by the list page and the API."""

    scope: str = "all"
    status: str = ""
    q: str = ""


def _count(qs: QuerySet[Any]) -> Coalesce:
    counted = (
        qs.filter(proposal=OuterRef("pk")).values("proposal").annotate(n=Count("pk")).values("n")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def proposal_list_for(*, viewer: Membership, filters: ProposalFilters) -> QuerySet[Proposal]:
    """The workspace's proposals (drafts only the viewer's own), newest first, with turnout."""
    qs = Proposal.objects.filter(workspace_id=viewer.workspace_id).filter(
        ~Q(status=ProposalStatus.DRAFT) | Q(owner_id=viewer.pk)
    )
    mine = ProposalParticipant.objects.filter(proposal=OuterRef("pk"), membership_id=viewer.pk)
    if filters.scope == "to_answer":
        qs = qs.filter(Exists(mine.filter(responded_at__isnull=True)), status=ProposalStatus.OPEN)
    elif filters.scope == "involved":
        qs = qs.filter(Exists(mine))
    elif filters.scope == "owned":
        qs = qs.filter(owner_id=viewer.pk)
    if filters.status in ("draft", "open", "closed"):
        qs = qs.filter(status=filters.status)
    if filters.q:
        qs = qs.filter(Q(title__icontains=filters.q) | Q(body__icontains=filters.q))
    participants = ProposalParticipant.objects.all()
    return (
        qs.select_related("owner__profile")
        # Lists show neither a proposal's text nor its closing tally (JSON decoded per row).
        .defer("body", "body_html", "tally", "verdict")
        .annotate(
            record_pk=F("record__pk"),
            participant_count=_count(participants),
            responded_count=_count(participants.filter(responded_at__isnull=False)),
            is_participant=Exists(mine),
            my_responded_at=Subquery(mine.values("responded_at")[:1]),
        )
        .order_by("-created_at", "-id")
    )


# --- Tallies as the page shows them -------------------------------------------------------------


@dataclass
class Bar:
    """One option's result: its label, its number, and its share of the largest for a bar."""

    label: str
    value: float
    share: int
    note: str = ""
    winner: bool = False
    position: str = ""  # a consent bar's position (agree, abstain, object, block); "" otherwise


@dataclass
class RoundView:
    """One instant-runoff round: votes per continuing option, who went out, and why."""

    number: int
    cells: list[tuple[str, int | None]]  # (label, votes); None once the option is out
    exhausted: int
    eliminated: list[str]
    winner: str
    tie_break: str


@dataclass
class TallyView:
    """A tally (running or final) in the shape the templates and the exports read."""

    kind: str
    ballots: int
    invalid: int
    bars: list[Bar] = field(default_factory=list)
    rounds: list[RoundView] = field(default_factory=list)
    borda: list[Bar] = field(default_factory=list)
    reasons: list[tuple[str, str]] = field(default_factory=list)  # (position, reason)
    headline: str = ""


def _bars(
    values: dict[str, float],
    labels: dict[str, str],
    winner: str | None,
    notes: dict[str, str] | None = None,
) -> list[Bar]:
    top = max(values.values(), default=0) or 1
    ordered = sorted(values.items(), key=lambda kv: (-kv[1], labels.get(kv[0], kv[0])))
    return [
        Bar(
            labels.get(key, key),
            value,
            round(100 * value / top),
            note=(notes or {}).get(key, ""),
            winner=key == winner,
        )
        for key, value in ordered
    ]


def tally_view(data: dict[str, Any], labels: dict[str, str]) -> TallyView:
    """Read a tally's JSON (as ballots.as_json makes it) into bars, rounds and reasons."""
    kind = data.get("kind", "")
    view = TallyView(kind=kind, ballots=int(data.get("ballots", 0)), invalid=data.get("invalid", 0))
    if kind == Kind.CONSENT:
        counts = data.get("counts", {})
        view.bars = [
            Bar(p.capitalize(), counts.get(p, 0), 0, position=p)
            for p in ("agree", "abstain", "object", "block")
        ]
        top = max((b.value for b in view.bars), default=0) or 1
        for bar in view.bars:
            bar.share = round(100 * bar.value / top)
        for position in ("block", "object"):
            view.reasons += [(position, r) for r in data.get("reasons", {}).get(position, [])]
    elif kind in (Kind.SINGLE, Kind.MULTIPLE):
        view.bars = _bars(data.get("counts", {}), labels, data.get("winner"))
    elif kind == Kind.SCORE:
        notes = {k: f"mean {m:.2f}" for k, m in data.get("means", {}).items()}
        view.bars = _bars(data.get("totals", {}), labels, data.get("winner"), notes)
    elif kind == Kind.DOT:
        view.bars = _bars(data.get("totals", {}), labels, data.get("winner"))
    elif kind == Kind.RANKED:
        irv = data.get("irv", {})
        order = list(labels)
        for r in irv.get("rounds", []):
            counts = r.get("counts", {})
            view.rounds.append(
                RoundView(
                    number=r.get("number", 0),
                    cells=[(labels[k], counts.get(k)) for k in order],
                    exhausted=r.get("exhausted", 0),
                    eliminated=[labels.get(k, k) for k in r.get("eliminated", [])],
                    winner=labels.get(r.get("winner") or "", ""),
                    tie_break=r.get("tie_break", ""),
                )
            )
        borda = data.get("borda", {})
        view.borda = _bars(borda.get("points", {}), labels, borda.get("winner"))
        winner = irv.get("winner")
        view.bars = _bars(
            (irv.get("rounds") or [{}])[-1].get("counts", {}) if irv.get("rounds") else {},
            labels,
            winner,
        )
    return view


# --- One proposal -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Person:
    """A member as lists show them: id, name and zone (no model, so long lists stay cheap)."""

    id: int
    display_name: str
    time_zone: str


@dataclass
class ParticipantRow:
    """A participant as the proposal page shows them: whether they took part, their deadline."""

    member: Person
    responded_at: datetime | None
    local_deadline: datetime | None  # in their own zone
    # For the owner: when this participant's email is held until, in the owner's zone ("").
    held: str = ""

    @property
    def took_part(self) -> bool:
        return self.responded_at is not None

    @property
    def deadline_label(self) -> str:
        return deadline_label(self.local_deadline)


@dataclass
class StanceRow:
    """A named stance the viewer may see, in words."""

    member: Person
    payload: dict[str, Any]
    reason: str
    updated_at: datetime
    text: str


@dataclass
class ProposalDetail:
    """Everything the proposal page and the API show one viewer, in a fixed number of queries."""

    proposal: Proposal
    options: list[Option]  # in the viewer's own order
    labels: dict[str, str]
    participants: list[ParticipantRow]  # by name; the first ``shown`` of them when limited
    invited: int  # all participants
    took_part: int  # of all participants
    me: ParticipantRow | None
    sight: Sight
    my_stance: Stance | None
    stances: list[StanceRow]  # by name (reasons first if asked); the first ``limit`` if given
    stance_count: int  # all named stances the viewer may see
    tally: TallyView | None
    tally_data: dict[str, Any] | None
    comments: list[ProposalComment]
    hidden_comments: int
    viewer_deadline: datetime | None
    fairness: Fairness | None  # for the owner only
    record: DecisionRecord | None
    now: datetime

    @property
    def rule_text(self) -> str:
        return ballots.rule_text(self.proposal)

    @property
    def tie_break(self) -> str:
        return ballots.tie_break_text(self.proposal)

    @property
    def viewer_deadline_label(self) -> str:
        return deadline_label(self.viewer_deadline)

    @property
    def participants_cut(self) -> int:
        """How many participants the list leaves out (0 when it shows them all)."""
        return self.invited - len(self.participants)

    @property
    def stances_cut(self) -> int:
        return self.stance_count - len(self.stances)

    @property
    def accepting(self) -> bool:
        """Open, and its deadline has not passed."""
        p = self.proposal
        return p.is_open and (p.close_at is None or p.close_at > self.now)

    @property
    def can_vote(self) -> bool:
        if self.me is None or not self.accepting:
            return False
        return not (self.proposal.anonymous and self.me.responded_at is not None)

    @property
    def my_stance_text(self) -> str:
        if self.my_stance is None:
            return ""
        return ballots.describe(self.proposal, self.my_stance.payload, self.labels)


# Pages show names and zones only; each profile's week would be JSON decoded for nothing.
_WEEKS = ("working_hours", "focus_blocks")


def _without_weeks(*paths: str) -> list[str]:
    return [f"{path}__profile__{f}" for path in paths for f in _WEEKS]


def _participant_rows(
    proposal: Proposal, *, limit: int | None = None, member_id: int | None = None
) -> list[ParticipantRow]:
    """Participants by name (the first ``limit``), or the one member ``member_id``."""
    rows = ProposalParticipant.objects.filter(proposal=proposal)
    if member_id is not None:
        rows = rows.filter(membership_id=member_id)
    values = rows.order_by("membership__profile__display_name", "id").values_list(
        "membership_id",
        "membership__profile__display_name",
        "membership__profile__time_zone",
        "responded_at",
        "local_deadline",
    )
    zones: dict[str, Any] = {}  # a zone's name read once per page, not once per person
    made = []
    for member, name, zone_name, responded_at, due in values if limit is None else values[:limit]:
        if zone_name not in zones:
            zones[zone_name] = week_of(zone_name, {}).zone
        made.append(
            ParticipantRow(
                Person(member, name, zone_name),
                responded_at,
                in_zone(due, zones[zone_name]) if due else None,
            )
        )
    return made


def _stance_rows(
    proposal: Proposal,
    labels: dict[str, str],
    *,
    limit: int | None = None,
    reasons_first: bool = False,
) -> list[StanceRow]:
    """Named stances by name; with ``reasons_first``, those giving a reason (the arguments) first."""
    described: dict[str, str] = {}  # many people take the same position: word it once
    rows = []
    values = (
        Stance.objects.filter(proposal=proposal)
        .annotate(reasonless=Q(reason=""))
        .order_by(
            *(["reasonless"] if reasons_first else []), "membership__profile__display_name", "id"
        )
        .values_list(
            "membership_id",
            "membership__profile__display_name",
            "membership__profile__time_zone",
            "payload",
            "reason",
            "updated_at",
        )
    )
    for member_id, name, zone, payload, reason, updated_at in (
        values if limit is None else values[:limit]
    ):
        key = repr(sorted(payload.items()))
        if key not in described:
            described[key] = ballots.describe(proposal, payload, labels)
        rows.append(
            StanceRow(Person(member_id, name, zone), payload, reason, updated_at, described[key])
        )
    return rows


def _ballot_version(proposal: Proposal) -> tuple[int, str]:
    """How many ballots a proposal has, and a mark that changes whenever one is given or changed.

    Named stances: the newest stance revision's id, which only grows (every stance given or
    changed writes one), unlike a timestamp taken from some server's clock. Anonymous ballots
    cannot change, so their number is their version.
    """
    if proposal.anonymous:
        return AnonymousBallot.objects.filter(proposal=proposal).count(), ""
    version = Stance.objects.filter(proposal=proposal).aggregate(
        n=Count("pk", distinct=True), last=Max("revisions__pk")
    )
    return version["n"], str(version["last"] or "")


def running_tally(proposal: Proposal, options: list[Option]) -> tuple[dict[str, Any], int]:
    """An open proposal's tally of every ballot in, and their number.

    Counting hundreds of ballots on every page view costs more than the rest of the page, and
    the tally only changes when a ballot does, so it is cached under the ballots' version (and
    the options and seed it was counted with). It holds counts only, never who chose what;
    whether a viewer may see it is decided by the caller, through ``sight_for``.
    """
    n, last = _ballot_version(proposal)
    if n == 0:
        return ballots.as_json(ballots.count(proposal, options, [])), 0
    key = (
        "meridian:tally:"
        + hashlib.sha256(
            f"{proposal.pk}|{proposal.kind}|{proposal.seed}|{n}|{last}|"
            f"{','.join(str(o.pk) for o in options)}".encode()
        ).hexdigest()
    )
    data = cache.get(key)
    if data is None:
        data = ballots.as_json(ballots.count(proposal, options, ballots.stored(proposal)))
        cache.set(key, data, timeout=TALLY_CACHE_SECONDS)
    return data, n


# A cached running tally is keyed by its ballots' version, so it never goes stale; this only
# bounds how long one nobody asks for again stays in the cache.
TALLY_CACHE_SECONDS = 24 * 3600


def tally_for(
    proposal: Proposal,
    options: list[Option],
    sight: Sight,
    stored: list[tuple[dict, str]] | None = None,
) -> dict[str, Any] | None:
    """The tally the viewer may see: the frozen one after close, the running one if allowed."""
    if not sight.tally:
        return None
    if proposal.is_closed and proposal.tally is not None:
        return dict(proposal.tally)
    if stored is None:
        return running_tally(proposal, options)[0]
    return ballots.as_json(ballots.count(proposal, options, stored))


def fairness_for(proposal: Proposal) -> Fairness:
    """Participation, evenness of the discussion, and stances changed after others were visible."""
    people = list(
        ProposalParticipant.objects.filter(proposal=proposal)
        .order_by("membership__profile__display_name", "id")
        .values_list("membership_id", "responded_at")
    )
    ids = [member_id for member_id, _ in people]
    per_author = dict(
        ProposalComment.objects.filter(proposal=proposal, author_id__in=ids)
        .values("author_id")
        .annotate(n=Count("pk"))
        .values_list("author_id", "n")
    )
    changed: int | None = None
    changes: int | None = None
    if not proposal.anonymous:
        revisions = StanceRevision.objects.filter(stance__proposal=proposal)
        total = revisions.count()
        stances = Stance.objects.filter(proposal=proposal).count()
        changes = total - stances
        # A member's first stance is no change; later ones that saw others are anchoring.
        firsts = (
            StanceRevision.objects.filter(stance=OuterRef("stance"))
            .order_by("created_at", "id")
            .values("pk")[:1]
        )
        changed = revisions.filter(saw_others=True).exclude(pk=Subquery(firsts)).count()
    return Fairness(
        participants=len(people),
        took_part=sum(1 for _, responded_at in people if responded_at is not None),
        comment_counts=tuple(per_author.get(i, 0) for i in ids),
        changed_after_visible=changed,
        changes=changes,
    )


# How many participants and stances the proposal page lists before "show all".
PAGE_LIST_LIMIT = 50


def proposal_detail_for(
    *,
    viewer: Membership,
    proposal: Proposal,
    now: datetime | None = None,
    limit: int | None = None,
    reasons_first: bool = False,
) -> ProposalDetail:
    """One proposal (already through the access helper) as this viewer may see it.

    With ``limit``, the participant and stance lists hold at most that many rows (the page's
    first view of a large proposal); the counts, the tally and the viewer's own row are always
    of everyone. The number of queries does not depend on how many people are asked.
    """
    now = now or timezone.now()
    options = list(Option.objects.filter(proposal=proposal).order_by("position", "id"))
    labels = {str(o.pk): o.label for o in options}
    participants = _participant_rows(proposal, limit=limit)
    if viewer.pk == proposal.owner_id and proposal.is_open:
        # Who is not yet told, and until when (the delivery layer knows): one query.
        held = registry.held_notes(viewer, asked_cause(proposal), now)
        for row in participants:
            row.held = held.get(row.member.id, "")
    counts = ProposalParticipant.objects.filter(proposal=proposal).aggregate(
        invited=Count("pk"), took_part=Count("pk", filter=Q(responded_at__isnull=False))
    )
    if limit is None:
        me = next((r for r in participants if r.member.id == viewer.pk), None)
    else:  # the viewer may be beyond the first rows
        me = next(iter(_participant_rows(proposal, member_id=viewer.pk)), None)
    responded = me is not None and me.responded_at is not None
    sight = sight_for(proposal, responded=responded, is_participant=me is not None)
    my_stance = (
        Stance.objects.filter(proposal=proposal, membership=viewer).first()
        if not proposal.anonymous and me is not None
        else None
    )
    stances = (
        _stance_rows(proposal, labels, limit=limit, reasons_first=reasons_first)
        if sight.stances
        else []
    )
    all_comments = (
        ProposalComment.objects.filter(proposal=proposal)
        .select_related("author__profile")
        .defer(*_without_weeks("author"))
    )
    if sight.comments:
        comments = list(all_comments.order_by("created_at", "id"))
        hidden = 0
    else:
        comments = list(all_comments.filter(author=viewer).order_by("created_at", "id"))
        hidden = all_comments.exclude(author=viewer).count()
    if limit is None:  # every stance is at hand: count them as they are
        stance_count = len(stances)
        named = [(r.payload, r.reason) for r in stances] if sight.stances else None
        data = tally_for(proposal, options, sight, named)
    else:
        counted: int | None = None
        if sight.tally and not (proposal.is_closed and proposal.tally is not None):
            data, counted = running_tally(proposal, options)
        else:
            data = tally_for(proposal, options, sight)
        stance_count = 0
        if sight.stances:
            stance_count = counted if counted is not None else _ballot_version(proposal)[0]
    record = (
        DecisionRecord.objects.filter(proposal=proposal).first() if proposal.is_closed else None
    )
    return ProposalDetail(
        proposal=proposal,
        options=viewer_order(options, proposal_id=proposal.pk, viewer_id=viewer.pk),
        labels=labels,
        participants=participants,
        invited=counts["invited"],
        took_part=counts["took_part"],
        me=me,
        sight=sight,
        my_stance=my_stance,
        stances=stances,
        stance_count=stance_count,
        tally=tally_view(data, labels) if data is not None else None,
        tally_data=data,
        comments=comments,
        hidden_comments=hidden,
        viewer_deadline=me.local_deadline if me else None,
        fairness=fairness_for(proposal) if viewer.pk == proposal.owner_id else None,
        record=record,
        now=now,
    )


def comment_list_for(*, viewer: Membership, proposal: Proposal) -> list[ProposalComment]:
    """The discussion as the viewer may see it (only their own while blind)."""
    return proposal_detail_for(viewer=viewer, proposal=proposal).comments


def brief_comments_for_options(*, viewer: Membership, brief: Brief) -> QuerySet[Comment]:
    """A brief's comments, offered as options when the brief is turned into a proposal."""
    return (
        Comment.objects.filter(workspace_id=viewer.workspace_id, brief=brief)
        .select_related("author__profile")
        .order_by("created_at", "id")
    )


def brief_invitees_for(*, viewer: Membership, brief: Brief) -> list[int]:
    """Who a proposal turned from a brief asks by default: the brief's author and required people.

    Someone the brief only offered itself to (optional) was never asked for input, so they do
    not become a voter unless the owner adds them.
    """
    ids = list(
        BriefParticipant.objects.filter(brief=brief, kind=ParticipantKind.REQUIRED).values_list(
            "membership_id", flat=True
        )
    )
    return [brief.author_id, *ids]


# --- The decision log ----------------------------------------------------------------------------


@dataclass(frozen=True)
class RecordFilters:
    """The decision log filters shared by the log page and the API."""

    team: str = ""
    tag: str = ""
    status: str = ""  # "", "in_force" or "superseded"
    decided_from: date | None = None
    decided_to: date | None = None
    participant: int | None = None
    q: str = ""


# What a list of records shows (the log's rows, the API's RecordSummaryOut).
RECORD_SUMMARY_FIELDS = (
    "workspace_id",
    "number",
    "title",
    "statement",
    "statement_html",
    "owner_name",
    "kind",
    "teams",
    "tags",
    "decided_at",
    "review_date",
)


def record_list_for(*, viewer: Membership, filters: RecordFilters) -> QuerySet[DecisionRecord]:
    """The workspace's decision records, newest first, narrowed by the log's filters."""
    qs = DecisionRecord.objects.filter(workspace_id=viewer.workspace_id)
    if filters.team:
        qs = qs.filter(proposal__team_rows__team__slug=filters.team)
    if filters.tag:
        qs = qs.filter(
            Exists(ProposalTag.objects.filter(proposal=OuterRef("proposal"), name=filters.tag))
        )
    if filters.status == "in_force":
        qs = qs.filter(superseded_by__isnull=True)
    elif filters.status == "superseded":
        qs = qs.filter(superseded_by__isnull=False)
    # The days are the viewer's, as the log dates the records ("Decided 6 December").
    start, end = day_bounds(filters.decided_from, filters.decided_to, viewer.profile.time_zone)
    if start is not None:
        qs = qs.filter(decided_at__gte=start)
    if end is not None:
        qs = qs.filter(decided_at__lt=end)
    if filters.participant:
        qs = qs.filter(
            Exists(
                ProposalParticipant.objects.filter(
                    proposal=OuterRef("proposal"), membership_id=filters.participant
                )
            )
        )
    if filters.q:
        qs = qs.filter(
            Q(title__icontains=filters.q)
            | Q(statement__icontains=filters.q)
            | Q(rationale__icontains=filters.q)
        )
    return (
        qs.select_related("superseded_by", "supersedes")
        # The log and the API list show a record's summary: its tally, stances, participation,
        # options and long texts (JSON decoded per row) would be most of the page's time.
        .only(*RECORD_SUMMARY_FIELDS, "superseded_by__number", "supersedes__number")
        .order_by("-decided_at", "-id")
    )


def tags_in_use_for(*, viewer: Membership) -> list[str]:
    """The tags of the workspace's decided proposals, for the log's tag filter."""
    return list(
        ProposalTag.objects.filter(workspace_id=viewer.workspace_id, proposal__record__isnull=False)
        .values_list("name", flat=True)
        .distinct()
        .order_by("name")
    )


def records_in_force_for(*, viewer: Membership, limit: int = 200) -> list[DecisionRecord]:
    """Decisions that a new one could supersede: in force, newest first."""
    return list(
        DecisionRecord.objects.filter(
            workspace_id=viewer.workspace_id, superseded_by__isnull=True
        ).order_by("-decided_at", "-id")[:limit]
    )


@dataclass
class RecordDetail:
    """A decision record with what points at it: the record superseding it, briefs, pins."""

    record: DecisionRecord
    superseded_by: DecisionRecord | None
    briefs: list[Brief]
    pins: list[Pin]
    tally: TallyView | None
    files_kept: frozenset[int] = frozenset()  # the record's file links still on their brief

    @property
    def labels(self) -> dict[str, str]:
        return {o["id"]: o["label"] for o in self.record.options}


def record_detail_for(*, viewer: Membership, record: DecisionRecord) -> RecordDetail:
    """One record (already through the access helper) with its reverse links."""
    superseded_by = DecisionRecord.objects.filter(supersedes=record).first()
    linking = BriefLink.objects.filter(
        workspace_id=viewer.workspace_id, target=LinkTarget.DECISION, target_id=record.pk
    ).values("brief_id")
    briefs = list(
        Brief.objects.filter(workspace_id=viewer.workspace_id)
        .filter(Q(pk__in=linking) | Q(pk=record.brief_id))
        .order_by("created_at", "id")
    )
    pins = list(Pin.objects.filter(record=record).select_related("team").order_by("team__name"))
    labels = {o["id"]: o["label"] for o in record.options}
    # The record is a snapshot: a file taken off its brief since stays listed, without a link.
    file_ids = [link["id"] for link in record.links if link.get("kind") == "file"]
    kept = BriefLink.objects.filter(
        workspace_id=viewer.workspace_id, target=LinkTarget.FILE, pk__in=file_ids
    ).values_list("pk", flat=True)
    return RecordDetail(
        record=record,
        superseded_by=superseded_by,
        briefs=briefs,
        pins=pins,
        tally=tally_view(record.tally, labels) if record.tally else None,
        files_kept=frozenset(kept) if file_ids else frozenset(),
    )


# --- Links from briefs (registered with meridian.briefs.links in DecisionsConfig.ready) -------


def _record_label(number: int, title: str) -> str:
    return f"{adr_id_of(number)} {title}"


def record_link_titles(workspace_id: int, ids: list[int]) -> dict[int, str]:
    """ "ADR-0007 Use PostgreSQL" for those of the ids that are records of the workspace."""
    rows = DecisionRecord.objects.filter(workspace_id=workspace_id, pk__in=ids)
    return {pk: _record_label(n, t) for pk, n, t in rows.values_list("pk", "number", "title")}


def record_link_choices(workspace_id: int, limit: int) -> list[tuple[int, str]]:
    """The workspace's latest records, newest first, for a brief's "link a decision" menu."""
    rows = DecisionRecord.objects.filter(workspace_id=workspace_id).order_by("-decided_at", "-id")
    return [
        (pk, _record_label(n, t)) for pk, n, t in rows.values_list("pk", "number", "title")[:limit]
    ]


def record_link_url(workspace_slug: str, record_id: int) -> str:
    """The page of a decision record, for a brief's link to it."""
    return reverse("decision_record", kwargs={"workspace": workspace_slug, "record_id": record_id})


# --- Start here ----------------------------------------------------------------------------------


@dataclass
class StartItem:
    """One thing a newcomer to a team should read: a brief or a decision, why, and when."""

    kind: str  # "brief" or "decision"
    title: str
    when: datetime
    links: int
    pin: Pin | None
    brief: Brief | None = None
    record: DecisionRecord | None = None

    @property
    def target_id(self) -> int:
        target = self.record if self.record is not None else self.brief
        assert target is not None
        return int(target.pk)

    @property
    def url(self) -> str:
        if self.record is not None:
            return self.record.get_absolute_url()
        assert self.brief is not None
        return reverse(
            "brief_detail",
            kwargs={"workspace": self.brief.workspace.slug, "brief_id": self.brief.pk},
        )


START_RECORD_FIELDS = (
    "number",
    "title",
    "statement_html",
    "decided_at",
    "workspace__slug",
    "workspace__name",
)


def start_here_for(
    *, viewer: Membership, team: Team, limit: int = START_HERE_LIMIT
) -> list[StartItem]:
    """A team's pinned and most-linked briefs and decisions in force, oldest foundations first.

    Pinned items always appear; then up to ``limit`` more, most-linked first: the team's
    decisions in force, and the briefs that asked the team and were linked to at least once
    (by another brief or by a proposal turned from them).
    """
    ws = viewer.workspace_id
    # The pins give ids, notes and kinds; the briefs and records themselves are read below.
    pins = list(Pin.objects.filter(workspace_id=ws, team=team))
    pinned_records = {p.record_id: p for p in pins if p.kind == PinKind.DECISION}
    pinned_briefs = {p.brief_id: p for p in pins if p.kind == PinKind.BRIEF}

    decision_links = (
        BriefLink.objects.filter(
            workspace_id=ws, target=LinkTarget.DECISION, target_id=OuterRef("pk")
        )
        .values("target_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    records = (
        DecisionRecord.objects.filter(workspace_id=ws, superseded_by__isnull=True)
        .select_related("workspace")
        # What the list shows: a record's tally, stances and texts (JSON decoded per row) are
        # most of its weight, and most of this page's time when they were read.
        .only(*START_RECORD_FIELDS)
        .filter(Q(proposal__team_rows__team=team) | Q(pk__in=list(pinned_records)))
        .annotate(
            link_count=Coalesce(Subquery(decision_links, output_field=IntegerField()), Value(0))
        )
        .distinct()
    )
    brief_links = (
        BriefLink.objects.filter(workspace_id=ws, target_brief=OuterRef("pk"))
        .values("target_brief")
        .annotate(n=Count("pk"))
        .values("n")
    )
    proposals_from = (
        Proposal.objects.filter(workspace_id=ws, brief=OuterRef("pk"))
        .values("brief")
        .annotate(n=Count("pk"))
        .values("n")
    )
    briefs = (
        Brief.objects.filter(workspace_id=ws)
        .select_related("workspace")
        .only("title", "created_at", "workspace__slug", "workspace__name")
        .filter(
            Q(pk__in=BriefParticipant.objects.filter(via_team=team).values("brief_id"))
            | Q(pk__in=list(pinned_briefs))
        )
        .annotate(
            link_count=Coalesce(Subquery(brief_links, output_field=IntegerField()), Value(0))
            + Coalesce(Subquery(proposals_from, output_field=IntegerField()), Value(0))
        )
    )
    items: list[StartItem] = []
    # A team's decisions in force are its foundations: the most-linked first, even unlinked.
    for r in records.order_by("-link_count", "decided_at")[: limit + len(pinned_records)]:
        items.append(
            StartItem(
                "decision", r.title, r.decided_at, r.link_count, pinned_records.get(r.pk), record=r
            )
        )
    for b in briefs.filter(Q(pk__in=list(pinned_briefs)) | Q(link_count__gte=1)).order_by(
        "-link_count", "created_at"
    )[: limit + len(pinned_briefs)]:
        items.append(
            StartItem(
                "brief", b.title, b.created_at, b.link_count, pinned_briefs.get(b.pk), brief=b
            )
        )
    pinned = [i for i in items if i.pin is not None]
    linked = sorted((i for i in items if i.pin is None), key=lambda i: -i.links)[:limit]
    return sorted(pinned + linked, key=lambda i: i.when)


def team_candidates_for(*, viewer: Membership) -> QuerySet[Team]:
    """The workspace's teams, for the pin menu."""
    return Team.objects.filter(workspace_id=viewer.workspace_id).order_by("name")


def recent_briefs_for(*, viewer: Membership, limit: int = 50) -> list[Brief]:
    """Recent briefs of the workspace, for the "pin a brief" menu."""
    return list(
        Brief.objects.filter(workspace_id=viewer.workspace_id)
        .order_by("-created_at", "-id")
        .only("pk", "title")[:limit]
    )
