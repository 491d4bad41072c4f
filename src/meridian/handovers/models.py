"""Handovers: responsibility for a task, a project or a role passed to another member.

A handover names its item by kind and id (``kind="task"``, ``object_id=42``), as the kind was
registered by its area (meridian.handovers.kinds). Until the receiver acknowledges, the giver
keeps the item (and its notifications) and the item shows "in handover" with both names; on
acknowledgement the kind's ``transfer`` makes the receiver its owner or holder.
"""

from django.db import models
from django.db.models import Q


class HandoverState(models.TextChoices):
    PENDING = "pending", "In handover"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"
    CANCELLED = "cancelled", "Cancelled"


class Handover(models.Model):
    """One item handed from one member to another, with a note, until acknowledged."""

    workspace = models.ForeignKey(
        "workspaces.Workspace", on_delete=models.CASCADE, related_name="+"
    )
    # The registered kind of the item ("task", "project", "role") and its id in that area.
    kind = models.CharField(max_length=20)
    object_id = models.PositiveBigIntegerField()
    # The item's name when it was handed over (the item may be renamed or deleted later).
    object_label = models.CharField(max_length=300)
    giver = models.ForeignKey(
        "workspaces.Membership", on_delete=models.CASCADE, related_name="handovers_given"
    )
    receiver = models.ForeignKey(
        "workspaces.Membership", on_delete=models.CASCADE, related_name="handovers_received"
    )
    note = models.TextField(blank=True)
    note_html = models.TextField(blank=True)
    state = models.CharField(
        max_length=12, choices=HandoverState.choices, default=HandoverState.PENDING
    )
    created_by = models.ForeignKey(
        "workspaces.Membership", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    # The "hand over everything" act this handover was part of, if any.
    batch = models.ForeignKey(
        "handovers.HandoverBatch",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="handovers",
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["workspace", "kind", "object_id"]),
            models.Index(fields=["receiver", "state"]),
            models.Index(fields=["giver", "state"]),
        ]
        constraints = [
            # One open handover per item at a time.
            models.UniqueConstraint(
                fields=["workspace", "kind", "object_id"],
                condition=Q(state="pending"),
                name="handover_one_pending_per_item",
            ),
            models.CheckConstraint(
                condition=~Q(giver=models.F("receiver")), name="handover_to_someone_else"
            ),
            models.CheckConstraint(
                condition=Q(
                    state="pending", acknowledged_at__isnull=True, cancelled_at__isnull=True
                )
                | Q(state="acknowledged", acknowledged_at__isnull=False, cancelled_at__isnull=True)
                | Q(state="cancelled", acknowledged_at__isnull=True, cancelled_at__isnull=False),
                name="handover_state_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.object_id}: {self.giver_id} → {self.receiver_id}"

    @property
    def is_pending(self) -> bool:
        return self.state == HandoverState.PENDING


class BatchState(models.TextChoices):
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


class HandoverBatch(models.Model):
    """ "Hand over everything": one member's items handed to one or several people in one act."""

    workspace = models.ForeignKey(
        "workspaces.Workspace", on_delete=models.CASCADE, related_name="+"
    )
    # Whose items are handed over (a member going on leave or leaving).
    giver = models.ForeignKey(
        "workspaces.Membership", on_delete=models.CASCADE, related_name="handover_batches"
    )
    created_by = models.ForeignKey(
        "workspaces.Membership", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.TextField(blank=True)
    note_html = models.TextField(blank=True)
    # [[kind, object_id, receiver_id], ...]: what was asked, in order; the run works through it.
    plan = models.JSONField(default=list)
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    # Items left out because they were no longer the giver's or already in handover.
    skipped = models.PositiveIntegerField(default=0)
    state = models.CharField(max_length=10, choices=BatchState.choices, default=BatchState.RUNNING)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"batch {self.pk}: {self.done}/{self.total}"

    @property
    def percent(self) -> int:
        return 100 if self.total == 0 else (self.done + self.skipped) * 100 // self.total


class HandoverComment(models.Model):
    """A question on a handover, or its answer: the receiver and the giver talk it through."""

    workspace = models.ForeignKey(
        "workspaces.Workspace", on_delete=models.CASCADE, related_name="+"
    )
    handover = models.ForeignKey(Handover, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey("workspaces.Membership", on_delete=models.CASCADE, related_name="+")
    # An answer names its question; a question has none.
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="answers"
    )
    body = models.TextField()
    body_html = models.TextField()
    is_question = models.BooleanField(default=False)
    answered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["handover", "created_at"])]

    def __str__(self) -> str:
        return f"comment {self.pk} on handover {self.handover_id}"

    @property
    def is_open_question(self) -> bool:
        return self.is_question and self.answered_at is None


class ReadinessSnapshot(models.Model):
    """One open item's readiness on one day, taken once a day (``handovers.readiness``): what
    the "Handover readiness" and "Bus-factor-1 items" metrics read, since a readiness score
    depends on the time it is read (recent activity, 90 days of contributors) and cannot be
    recomputed for a past day."""

    workspace = models.ForeignKey(
        "workspaces.Workspace", on_delete=models.CASCADE, related_name="+"
    )
    day = models.DateField()  # the UTC day it was taken on
    taken_at = models.DateTimeField()
    kind = models.CharField(max_length=30)
    object_id = models.BigIntegerField()
    title = models.CharField(max_length=300)
    score = models.PositiveSmallIntegerField()
    contributors_90d = models.PositiveIntegerField()
    holder_id = models.BigIntegerField(null=True, blank=True)
    project_id = models.BigIntegerField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "day", "kind", "object_id"], name="readiness_snapshot_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.object_id} on {self.day}: {self.score}"
