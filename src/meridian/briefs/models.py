"""Briefs: the asynchronous replacement for a meeting, its ask, its thread and who answered.

Markdown fields keep the author's text; the ``*_html`` beside each is its sanitized rendering,
made once by the service that writes the text (meridian.core.markdown), so a page with hundreds
of comments renders none of them again.

Files attached as related material live in Django's storage (like recordings), under a name
the server makes up, and are served only by an authorized view, always as a download.
"""

from typing import TYPE_CHECKING

from django.db import models
from django.db.models import Q

from meridian.asks.models import Participation
from meridian.core.errors import size_label

if TYPE_CHECKING:
    from meridian.workspaces.models import Membership


class AskKind(models.TextChoices):
    """What the brief needs from its participants."""

    FEEDBACK = "feedback", "Feedback"
    APPROVAL = "approval", "Approval"
    DECISION = "decision", "Decision"
    FYI = "fyi", "FYI"


class DeadlineKind(models.TextChoices):
    """How the respond-by deadline is meant: none, one instant, or a day in each person's zone."""

    NONE = "none", "No deadline"
    INSTANT = "instant", "A moment in time"
    LOCAL_DAY = "local_day", "End of a day, in each participant's own time zone"


class BriefStatus(models.TextChoices):
    """A draft only its author sees, open for input once sent, or closed with a summary."""

    DRAFT = "draft", "Draft"
    OPEN = "open", "Open"
    CLOSED = "closed", "Closed"


class SentBriefManager(models.Manager["Brief"]):
    """Briefs that were sent (open or closed): what everybody may see, and the default.

    A draft is its author's alone, so ``Brief.objects`` leaves drafts out everywhere (lists,
    search rebuilds, metrics, other areas' menus); the few places that show a draft to its
    author read ``Brief.all_objects`` through ``visible_to``.
    """

    def get_queryset(self) -> "models.QuerySet[Brief]":
        return super().get_queryset().exclude(status=BriefStatus.DRAFT)


class AllBriefManager(models.Manager["Brief"]):
    """Every brief, drafts included: only for the briefs area's own reads and writes."""

    def visible_to(self, member: "Membership") -> "models.QuerySet[Brief]":
        """The briefs of the member's workspace they may see: every sent one, and their drafts."""
        return self.filter(workspace_id=member.workspace_id).filter(
            ~Q(status=BriefStatus.DRAFT) | Q(author_id=member.pk)
        )


class Brief(models.Model):
    """A written or recorded walkthrough with an explicit ask, sent instead of calling a meeting."""

    workspace = models.ForeignKey(
        "workspaces.Workspace", on_delete=models.CASCADE, related_name="briefs"
    )
    author = models.ForeignKey(
        "workspaces.Membership", on_delete=models.RESTRICT, related_name="briefs_authored"
    )
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    body_html = models.TextField(blank=True)
    ask_kind = models.CharField(max_length=10, choices=AskKind.choices, default=AskKind.FEEDBACK)
    # The concrete questions the participants are asked to answer, in order.
    questions = models.JSONField(default=list, blank=True)
    deadline_kind = models.CharField(
        max_length=10, choices=DeadlineKind.choices, default=DeadlineKind.NONE
    )
    deadline_at = models.DateTimeField(null=True, blank=True)  # DeadlineKind.INSTANT
    deadline_date = models.DateField(null=True, blank=True)  # DeadlineKind.LOCAL_DAY
    # The last participant's local deadline: the brief is overdue only after this instant.
    respond_by = models.DateTimeField(null=True, blank=True, db_index=True)
    # The meeting this brief replaces, for the "synchronous hours saved" count.
    meeting_people = models.PositiveIntegerField(null=True, blank=True)
    meeting_minutes = models.PositiveIntegerField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=BriefStatus.choices, default=BriefStatus.OPEN)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        "workspaces.Membership",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    summary = models.TextField(blank=True)
    summary_html = models.TextField(blank=True)
    # A draft whose author sent it while its recording was still processing: it goes out
    # (participants told once) when the recording is ready.
    send_requested_at = models.DateTimeField(null=True, blank=True)

    objects = SentBriefManager()
    all_objects = AllBriefManager()

    class Meta:
        ordering = ["-created_at", "-id"]
        base_manager_name = "all_objects"
        indexes = [
            models.Index(fields=["workspace", "status", "-created_at"]),
            models.Index(fields=["workspace", "-created_at"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    deadline_kind="none", deadline_at__isnull=True, deadline_date__isnull=True
                )
                | Q(deadline_kind="instant", deadline_at__isnull=False, deadline_date__isnull=True)
                | Q(
                    deadline_kind="local_day", deadline_at__isnull=True, deadline_date__isnull=False
                ),
                name="brief_deadline_matches_kind",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["draft", "open"], closed_at__isnull=True)
                | Q(status="closed", closed_at__isnull=False),
                name="brief_closed_has_time",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_open(self) -> bool:
        return self.status == BriefStatus.OPEN

    @property
    def is_draft(self) -> bool:
        return self.status == BriefStatus.DRAFT

    @property
    def is_editable(self) -> bool:
        """Its author may still change it (and its recording): a draft, or open."""
        return self.status != BriefStatus.CLOSED

    @property
    def meeting_hours_saved(self) -> float:
        """People × minutes of the meeting this brief replaces, in hours (0 when not given)."""
        return (self.meeting_people or 0) * (self.meeting_minutes or 0) / 60


class ParticipantKind(models.TextChoices):
    """Whether the author needs this person's response, or only offers them the brief."""

    REQUIRED = "required", "Required"
    OPTIONAL = "optional", "Optional"


class BriefParticipant(Participation):
    """A member asked to take in a brief: when they saw it, responded, and their own deadline."""

    brief = models.ForeignKey(Brief, on_delete=models.CASCADE, related_name="participants")
    membership = models.ForeignKey(
        "workspaces.Membership", on_delete=models.CASCADE, related_name="brief_participations"
    )
    kind = models.CharField(
        max_length=10, choices=ParticipantKind.choices, default=ParticipantKind.REQUIRED
    )
    first_seen_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["brief", "membership"], name="brief_participant_unique")
        ]
        indexes = [models.Index(fields=["membership", "responded_at"])]

    def __str__(self) -> str:
        return f"{self.membership} on {self.brief}"

    @property
    def is_required(self) -> bool:
        return self.kind == ParticipantKind.REQUIRED


class Comment(models.Model):
    """A message in a brief's thread: a reply, a question, or a participant's response to the ask."""

    workspace = models.ForeignKey(
        "workspaces.Workspace", on_delete=models.CASCADE, related_name="+"
    )
    brief = models.ForeignKey(Brief, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(
        "workspaces.Membership", on_delete=models.RESTRICT, related_name="brief_comments"
    )
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="replies"
    )
    body = models.TextField()
    body_html = models.TextField(blank=True)
    # Seconds into the brief's recording that this comment is about (a pin on the timeline).
    at_seconds = models.FloatField(null=True, blank=True)
    is_question = models.BooleanField(default=False)
    answered_at = models.DateTimeField(null=True, blank=True)
    answered_by = models.ForeignKey(
        "workspaces.Membership",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # The reply that answers this question, when the answer is one.
    answer = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The participant's response to the brief's ask (sets their responded_at).
    is_response = models.BooleanField(default=False)
    mentions = models.ManyToManyField(
        "workspaces.Membership", through="Mention", related_name="+", blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)
    edited_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["brief", "created_at"]),
            models.Index(fields=["brief", "is_question", "answered_at"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(at_seconds__isnull=True) | Q(at_seconds__gte=0),
                name="comment_pin_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"Comment {self.pk} on {self.brief_id}"

    @property
    def is_answered(self) -> bool:
        return self.answered_at is not None

    @property
    def pin_label(self) -> str:
        """The pinned moment as the player shows it, e.g. "1:05" ("" when not pinned)."""
        if self.at_seconds is None:
            return ""
        whole = int(self.at_seconds)
        return f"{whole // 60}:{whole % 60:02d}"


class Mention(models.Model):
    """A member named with @ in a comment, so they are told about it."""

    workspace = models.ForeignKey(
        "workspaces.Workspace", on_delete=models.CASCADE, related_name="+"
    )
    comment = models.ForeignKey(Comment, on_delete=models.CASCADE, related_name="mention_rows")
    membership = models.ForeignKey(
        "workspaces.Membership", on_delete=models.CASCADE, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["comment", "membership"], name="mention_unique")
        ]

    def __str__(self) -> str:
        return f"{self.membership} in comment {self.comment_id}"


class CommentRevision(models.Model):
    """A comment's text as it was before an edit: the thread's history is never lost."""

    workspace = models.ForeignKey(
        "workspaces.Workspace", on_delete=models.CASCADE, related_name="+"
    )
    comment = models.ForeignKey(Comment, on_delete=models.CASCADE, related_name="revisions")
    body = models.TextField()
    # When the replaced text had been written (the comment's creation or its previous edit).
    written_at = models.DateTimeField()
    replaced_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["comment", "written_at", "id"]

    def __str__(self) -> str:
        return f"Revision of comment {self.comment_id} from {self.written_at:%Y-%m-%d %H:%M}"


class LinkRelation(models.TextChoices):
    """How linked material relates to the brief."""

    CONTEXT = "context", "Context"
    DEPENDS_ON = "depends_on", "Depends on"
    BLOCKS = "blocks", "Blocks"
    SUPERSEDES = "supersedes", "Supersedes"


class LinkTarget(models.TextChoices):
    """What a link points at. Tasks and decisions point by id into their apps."""

    BRIEF = "brief", "Brief"
    URL = "url", "Web address"
    TASK = "task", "Task"
    DECISION = "decision", "Decision"
    FILE = "file", "File"


class BriefLink(models.Model):
    """Related material of a brief: another brief, a web address, a task, a decision or a file.

    The extension point for the decisions and work apps: they register their kind at the
    registry's ``LINK_KINDS`` from their hooks.py (how to check an id, name the object and
    reach its page), links are made with
    ``target=DECISION`` (or ``TASK``) and ``target_id`` = their object's id, through
    ``briefs.services.link_add``, and they find the briefs behind one of their objects with
    ``briefs.selectors.briefs_linked_to``.
    """

    # What the link points at, as a person reads it ("ADR-0007 Use PostgreSQL"): filled in by
    # the selectors that show links, None where there is nothing to name.
    target_title: str | None = None
    # Where the object's page is, and what its kind is called, for the kinds other areas
    # registered (filled in by the same selectors).
    target_url: str = ""
    target_noun: str = ""

    workspace = models.ForeignKey(
        "workspaces.Workspace", on_delete=models.CASCADE, related_name="+"
    )
    brief = models.ForeignKey(Brief, on_delete=models.CASCADE, related_name="links")
    relation = models.CharField(
        max_length=12, choices=LinkRelation.choices, default=LinkRelation.CONTEXT
    )
    target = models.CharField(max_length=10, choices=LinkTarget.choices)
    target_brief = models.ForeignKey(
        Brief, null=True, blank=True, on_delete=models.CASCADE, related_name="linked_from"
    )
    url = models.URLField(max_length=2000, blank=True)
    target_id = models.PositiveBigIntegerField(null=True, blank=True)  # TASK, DECISION
    # FILE: the stored name is briefs/<workspace id>/<random>, never the person's file name;
    # that name is kept apart (cleaned, for display and downloads), with size and type.
    file = models.FileField(max_length=300, blank=True)
    filename = models.CharField(max_length=255, blank=True)
    file_size = models.PositiveBigIntegerField(null=True, blank=True)
    # What the server found the file to be (from its first bytes), else what the client said.
    content_type = models.CharField(max_length=100, blank=True)
    note = models.CharField(max_length=500, blank=True)
    created_by = models.ForeignKey(
        "workspaces.Membership", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["workspace", "target", "target_id"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    target="brief",
                    target_brief__isnull=False,
                    url="",
                    target_id__isnull=True,
                    file="",
                    file_size__isnull=True,
                )
                | Q(
                    target="url",
                    target_brief__isnull=True,
                    target_id__isnull=True,
                    file="",
                    file_size__isnull=True,
                )
                & ~Q(url="")
                | Q(
                    target__in=["task", "decision"],
                    target_brief__isnull=True,
                    url="",
                    target_id__isnull=False,
                    file="",
                    file_size__isnull=True,
                )
                | Q(
                    target="file",
                    target_brief__isnull=True,
                    url="",
                    target_id__isnull=True,
                    file_size__isnull=False,
                )
                & ~Q(file="")
                & ~Q(filename=""),
                name="brief_link_target_matches_kind",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_relation_display()} link of brief {self.brief_id}"

    @property
    def file_size_label(self) -> str:
        """The attached file's size as a person reads it, e.g. "1.5 MiB" ("" for other links)."""
        return size_label(self.file_size) if self.file_size is not None else ""
