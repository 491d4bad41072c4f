"""Decisions: proposals with a rule stated up front, stances gathered fairly, and the decision log.

A Proposal is drafted, opened (its rule, options and deadline are then fixed for everyone) and
closed, by its deadline or early by its owner. Its owner then writes the outcome, and the
outcome becomes a DecisionRecord: an immutable snapshot that can only be superseded by a later
record, never changed or deleted (a model guard here, database triggers in the migrations).

Anonymous proposals keep two facts apart for good: ProposalParticipant says *that* a member
took part (for turnout and reminders); AnonymousBallot holds a choice and knows nothing of who
made it — no membership, no timestamp, no sequential id.
"""

import uuid
from typing import Any

from django.db import models
from django.db.models import Q
from django.urls import reverse

from meridian.asks.models import Participation
from meridian.core.errors import Conflict

RECORD_IMMUTABLE = (
    "A decision record cannot be changed or deleted; write a new decision that supersedes it."
)


class Kind(models.TextChoices):
    """How a proposal asks for positions; the values are those of meridian.decisions.tally.Kind."""

    CONSENT = "consent", "Consent / advice"
    SINGLE = "single", "Single choice"
    MULTIPLE = "multiple", "Multiple choice"
    RANKED = "ranked", "Ranked choice"
    SCORE = "score", "Score"
    DOT = "dot", "Dot vote"


class Rule(models.TextChoices):
    """The decision rule, stated before the proposal opens and shown to everyone."""

    OWNER_DECIDES = "owner_decides", "The owner decides after hearing advice"
    NO_BLOCKS = "no_blocks", "Passes with no blocks"
    MAJORITY = "majority", "Majority of votes cast"


class Visibility(models.TextChoices):
    """When members see each other's stances and the running tally."""

    OPEN = "open", "Open: stances are visible as they come in"
    BLIND = "blind", "Blind: you see others' stances once you have given yours"
    HIDDEN = "hidden_until_close", "Hidden until close: nobody sees the tally before it closes"


class DeadlineKind(models.TextChoices):
    """When the proposal closes: one instant, or follow-the-sun in each participant's zone."""

    INSTANT = "instant", "A moment in time"
    LOCAL_DAY = "local_day", "End of a day, in each participant's own time zone"
    WORKING_DAY = "working_day", "After everyone has had at least one full working day"


class ProposalStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    OPEN = "open", "Open"
    CLOSED = "closed", "Closed"


class Proposal(models.Model):
    """A question put to members under a rule stated up front, open until its deadline."""

    workspace = models.ForeignKey(
        "workspaces.Workspace", on_delete=models.CASCADE, related_name="proposals"
    )
    owner = models.ForeignKey(
        "workspaces.Membership", on_delete=models.RESTRICT, related_name="proposals_owned"
    )
    # The brief this proposal was turned from, if any.
    brief = models.ForeignKey(
        "briefs.Brief", null=True, blank=True, on_delete=models.SET_NULL, related_name="proposals"
    )
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    body_html = models.TextField(blank=True)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.CONSENT)
    max_choices = models.PositiveSmallIntegerField(null=True, blank=True)  # MULTIPLE
    score_max = models.PositiveSmallIntegerField(null=True, blank=True)  # SCORE
    dot_budget = models.PositiveSmallIntegerField(null=True, blank=True)  # DOT
    rule = models.CharField(max_length=15, choices=Rule.choices, default=Rule.OWNER_DECIDES)
    quorum_pct = models.PositiveSmallIntegerField(null=True, blank=True)
    visibility = models.CharField(
        max_length=20, choices=Visibility.choices, default=Visibility.BLIND
    )
    anonymous = models.BooleanField(default=False)
    deadline_kind = models.CharField(
        max_length=12, choices=DeadlineKind.choices, default=DeadlineKind.LOCAL_DAY
    )
    deadline_at = models.DateTimeField(null=True, blank=True)  # INSTANT
    deadline_date = models.DateField(null=True, blank=True)  # LOCAL_DAY
    # When it closes: the last participant's local deadline, fixed when the proposal opens.
    close_at = models.DateTimeField(null=True, blank=True, db_index=True)
    # The draw of lots that breaks ties, fixed when the proposal opens (see tally.DRAW_OF_LOTS).
    seed = models.CharField(max_length=32, blank=True)
    status = models.CharField(
        max_length=10, choices=ProposalStatus.choices, default=ProposalStatus.DRAFT
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    opened_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        "workspaces.Membership", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    close_reason = models.CharField(max_length=500, blank=True)
    # Frozen at close: the tally (tally.py's result as JSON) and what the rule made of it.
    tally = models.JSONField(null=True, blank=True)
    verdict = models.JSONField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["workspace", "status", "-created_at"]),
            models.Index(fields=["status", "close_at"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(deadline_kind="instant", deadline_at__isnull=False)
                | Q(deadline_kind="local_day", deadline_date__isnull=False)
                | Q(deadline_kind="working_day"),
                name="proposal_deadline_matches_kind",
            ),
            models.CheckConstraint(
                condition=Q(status="draft", opened_at__isnull=True, closed_at__isnull=True)
                | Q(status="open", opened_at__isnull=False, close_at__isnull=False)
                & Q(closed_at__isnull=True)
                | Q(status="closed", opened_at__isnull=False, closed_at__isnull=False),
                name="proposal_status_has_times",
            ),
            models.CheckConstraint(
                condition=Q(quorum_pct__isnull=True) | Q(quorum_pct__gte=1, quorum_pct__lte=100),
                name="proposal_quorum_is_a_percentage",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse(
            "proposal_detail", kwargs={"workspace": self.workspace.slug, "proposal_id": self.pk}
        )

    @property
    def is_open(self) -> bool:
        return self.status == ProposalStatus.OPEN

    @property
    def mode_label(self) -> str:
        """How positions are gathered, in a word or three: "Blind, anonymous"."""
        short = {"open": "Open", "blind": "Blind", "hidden_until_close": "Hidden until close"}
        label = short.get(self.visibility, self.visibility)
        return f"{label}, anonymous" if self.anonymous else label

    @property
    def is_closed(self) -> bool:
        return self.status == ProposalStatus.CLOSED

    @property
    def is_draft(self) -> bool:
        return self.status == ProposalStatus.DRAFT


class ProposalTeam(models.Model):
    """A team a proposal concerns: its decision shows on that team's log and start-here page."""

    workspace = models.ForeignKey(
        "workspaces.Workspace", on_delete=models.CASCADE, related_name="+"
    )
    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="team_rows")
    team = models.ForeignKey("workspaces.Team", on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["proposal", "team"], name="proposal_team_unique")
        ]

    def __str__(self) -> str:
        return f"{self.team_id} on proposal {self.proposal_id}"


class ProposalTag(models.Model):
    """A word that files a proposal (and its decision record) for the log's tag filter."""

    workspace = models.ForeignKey(
        "workspaces.Workspace", on_delete=models.CASCADE, related_name="+"
    )
    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="tag_rows")
    name = models.CharField(max_length=40)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["proposal", "name"], name="proposal_tag_unique")
        ]
        indexes = [models.Index(fields=["workspace", "name"])]

    def __str__(self) -> str:
        return self.name


class Option(models.Model):
    """One of the answers a member can choose, rank, score or put dots on."""

    workspace = models.ForeignKey(
        "workspaces.Workspace", on_delete=models.CASCADE, related_name="+"
    )
    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="options")
    label = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    position = models.PositiveSmallIntegerField(default=0)
    # The brief comment whose text became this option ("turn a brief into a proposal").
    source_comment = models.ForeignKey(
        "briefs.Comment", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.label


class ProposalParticipant(Participation):
    """A member asked for a stance: their own deadline, and *that* they responded — never what."""

    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="participants")
    membership = models.ForeignKey(
        "workspaces.Membership", on_delete=models.CASCADE, related_name="proposal_participations"
    )

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["proposal", "membership"], name="proposal_participant_unique"
            )
        ]
        indexes = [models.Index(fields=["membership", "responded_at"])]

    def __str__(self) -> str:
        return f"{self.membership_id} on proposal {self.proposal_id}"


class Stance(models.Model):
    """A named member's current position on a proposal that is not anonymous."""

    workspace = models.ForeignKey(
        "workspaces.Workspace", on_delete=models.CASCADE, related_name="+"
    )
    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="stances")
    membership = models.ForeignKey(
        "workspaces.Membership", on_delete=models.CASCADE, related_name="stances"
    )
    # The normalized ballot, e.g. {"position": "object"} or {"ranking": ["12", "9"]}.
    payload = models.JSONField()
    reason = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["proposal", "membership"], name="stance_unique")
        ]

    def __str__(self) -> str:
        return f"Stance of {self.membership_id} on proposal {self.proposal_id}"


class StanceRevision(models.Model):
    """Every stance a member gave, in order: the history kept when a stance changes."""

    workspace = models.ForeignKey(
        "workspaces.Workspace", on_delete=models.CASCADE, related_name="+"
    )
    stance = models.ForeignKey(Stance, on_delete=models.CASCADE, related_name="revisions")
    payload = models.JSONField()
    reason = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # Whether others' stances were visible to the member when they gave this one (fairness).
    saw_others = models.BooleanField(default=False)

    class Meta:
        ordering = ["stance", "created_at", "id"]

    def __str__(self) -> str:
        return f"Revision of stance {self.stance_id}"


class AnonymousBallot(models.Model):
    """A choice on an anonymous proposal: no member, no time, no order — only its proposal.

    The random primary key replaces a sequential id, and the service rewrites all of a
    proposal's ballots in a random order each time one is cast, so neither a column nor the
    rows' physical order ties a ballot to the moment, or the person, it came from. There is
    deliberately no ``workspace`` column either: the proposal carries it.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    proposal = models.ForeignKey(
        Proposal, on_delete=models.CASCADE, related_name="anonymous_ballots"
    )
    payload = models.JSONField()
    reason = models.TextField(blank=True)

    def __str__(self) -> str:
        return f"Anonymous ballot on proposal {self.proposal_id}"


class ProposalComment(models.Model):
    """A message in a proposal's discussion (hidden, like stances, from blind participants)."""

    workspace = models.ForeignKey(
        "workspaces.Workspace", on_delete=models.CASCADE, related_name="+"
    )
    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(
        "workspaces.Membership", on_delete=models.RESTRICT, related_name="proposal_comments"
    )
    body = models.TextField()
    body_html = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["proposal", "created_at"])]

    def __str__(self) -> str:
        return f"Comment {self.pk} on proposal {self.proposal_id}"


class Outcome(models.Model):
    """What the owner decided once the proposal closed, why, and what they expect it to change."""

    workspace = models.ForeignKey(
        "workspaces.Workspace", on_delete=models.CASCADE, related_name="+"
    )
    proposal = models.OneToOneField(Proposal, on_delete=models.CASCADE, related_name="outcome")
    author = models.ForeignKey("workspaces.Membership", on_delete=models.RESTRICT, related_name="+")
    statement = models.TextField()
    statement_html = models.TextField(blank=True)
    rationale = models.TextField()
    rationale_html = models.TextField(blank=True)
    expected_effect = models.CharField(max_length=500, blank=True)
    review_date = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"Outcome of proposal {self.proposal_id}"


class DecisionRecordQuerySet(models.QuerySet["DecisionRecord"]):
    def update(self, **kwargs: Any) -> int:
        raise RecordImmutable(RECORD_IMMUTABLE)

    def delete(self) -> tuple[int, dict[str, int]]:
        raise RecordImmutable(RECORD_IMMUTABLE)


class RecordImmutable(Conflict):
    """Someone tried to change or delete a decision record (HTTP 409)."""


class DecisionRecord(models.Model):
    """The immutable log entry of a decision: everything needed to understand it, years later.

    Everything shown is copied in when the record is written (question, rule, options, tally
    with its instant-runoff rounds, participation, outcome, links), so nothing that changes
    elsewhere later can change what the record says. Foreign keys are PROTECT: deleting what a
    record points to must never rewrite it. Supersession points backwards (``supersedes``);
    the earlier record learns it was superseded only through the reverse relation.
    """

    workspace = models.ForeignKey(
        "workspaces.Workspace", on_delete=models.PROTECT, related_name="decision_records"
    )
    # The record's number in its workspace's log (ADR-0007), in the order they were decided.
    number = models.PositiveIntegerField()
    proposal = models.OneToOneField(Proposal, on_delete=models.PROTECT, related_name="record")
    supersedes = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="superseded_by"
    )
    brief = models.ForeignKey(
        "briefs.Brief", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    owner = models.ForeignKey("workspaces.Membership", on_delete=models.PROTECT, related_name="+")
    owner_name = models.CharField(max_length=100)
    title = models.CharField(max_length=200)
    question = models.TextField(blank=True)
    question_html = models.TextField(blank=True)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    rule = models.CharField(max_length=15, choices=Rule.choices)
    rule_text = models.TextField()
    quorum_pct = models.PositiveSmallIntegerField(null=True, blank=True)
    visibility = models.CharField(max_length=20, choices=Visibility.choices)
    anonymous = models.BooleanField(default=False)
    tie_break = models.TextField(blank=True)
    seed = models.CharField(max_length=32, blank=True)
    options = models.JSONField(default=list)  # [{"id": "12", "label": ..., "description": ...}]
    tally = models.JSONField(null=True)
    verdict = models.JSONField(default=dict)  # {"outcome", "explanation", "option"}
    participation = models.JSONField(default=dict)  # {"invited", "took_part", "people": [...]}
    stances = models.JSONField(default=list)  # named stances; always empty when anonymous
    statement = models.TextField()
    statement_html = models.TextField(blank=True)
    rationale = models.TextField()
    rationale_html = models.TextField(blank=True)
    expected_effect = models.CharField(max_length=500, blank=True)
    review_date = models.DateField(null=True, blank=True)
    links = models.JSONField(default=list)  # related items: the brief and what it linked
    teams = models.JSONField(default=list)  # [{"slug", "name"}]
    tags = models.JSONField(default=list)
    opened_at = models.DateTimeField()
    closed_at = models.DateTimeField()
    close_reason = models.CharField(max_length=500, blank=True)
    decided_at = models.DateTimeField()

    objects = DecisionRecordQuerySet.as_manager()

    class Meta:
        ordering = ["-decided_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["workspace", "number"], name="decision_record_number")
        ]
        indexes = [models.Index(fields=["workspace", "-decided_at"])]

    def __str__(self) -> str:
        return f"Decision {self.number}: {self.title}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise RecordImmutable(RECORD_IMMUTABLE)
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse(
            "decision_record", kwargs={"workspace": self.workspace.slug, "record_id": self.pk}
        )

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise RecordImmutable(RECORD_IMMUTABLE)

    @property
    def adr_id(self) -> str:
        return adr_id_of(self.number)


def adr_id_of(number: int) -> str:
    """How a record's number is written wherever it is shown: ADR-0007."""
    return f"ADR-{number:04d}"


class PinKind(models.TextChoices):
    BRIEF = "brief", "Brief"
    DECISION = "decision", "Decision"


class Pin(models.Model):
    """A brief or decision a team puts on its start-here page for newcomers to read first."""

    workspace = models.ForeignKey(
        "workspaces.Workspace", on_delete=models.CASCADE, related_name="+"
    )
    team = models.ForeignKey("workspaces.Team", on_delete=models.CASCADE, related_name="pins")
    kind = models.CharField(max_length=10, choices=PinKind.choices)
    brief = models.ForeignKey(
        "briefs.Brief", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    record = models.ForeignKey(
        DecisionRecord, null=True, blank=True, on_delete=models.PROTECT, related_name="pins"
    )
    note = models.CharField(max_length=300, blank=True)
    pinned_by = models.ForeignKey(
        "workspaces.Membership", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind="brief", brief__isnull=False, record__isnull=True)
                | Q(kind="decision", brief__isnull=True, record__isnull=False),
                name="pin_target_matches_kind",
            ),
            models.UniqueConstraint(
                fields=["team", "brief"], condition=Q(kind="brief"), name="pin_unique_brief"
            ),
            models.UniqueConstraint(
                fields=["team", "record"], condition=Q(kind="decision"), name="pin_unique_record"
            ),
        ]

    def __str__(self) -> str:
        return f"Pin {self.pk} on team {self.team_id}"
