"""The inbox: what awaits a member, one row per cause, until they act or the cause is gone."""

from django.db import models
from django.db.models import Q


class InboxState(models.TextChoices):
    """Open (waiting, maybe snoozed), done by the member, or gone because its cause went away."""

    OPEN = "open", "Open"
    DONE = "done", "Done"
    GONE = "gone", "Gone"


class InboxItem(models.Model):
    """Something awaiting a member (a brief to answer, a stance to take), and why it is there."""

    workspace = models.ForeignKey(
        "workspaces.Workspace", on_delete=models.CASCADE, related_name="+"
    )
    recipient = models.ForeignKey(
        "workspaces.Membership", on_delete=models.CASCADE, related_name="inbox_items"
    )
    kind = models.CharField(max_length=60)
    # What the item is about, e.g. "briefs.asked:42"; the same cause again is a reminder.
    cause = models.CharField(max_length=120)
    title = models.CharField(max_length=300)
    # Why it is there, without the deadline ("Ada asked you to respond"); the deadline is added
    # in the reader's own zone when shown.
    reason = models.CharField(max_length=300, blank=True)
    url = models.CharField(max_length=500)
    actor = models.ForeignKey(
        "workspaces.Membership",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # The recipient's own deadline (follow-the-sun), if the cause has one.
    due_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    state = models.CharField(max_length=5, choices=InboxState.choices, default=InboxState.OPEN)
    snoozed_until = models.DateTimeField(null=True, blank=True)
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["recipient", "state", "due_at"], name="inbox_recipient_due"),
            models.Index(
                fields=["recipient", "state", "snoozed_until"], name="inbox_recipient_snooze"
            ),
            models.Index(fields=["cause", "state"], name="inbox_cause"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "cause"],
                condition=Q(state="open"),
                name="inbox_one_open_item_per_cause",
            ),
            models.CheckConstraint(
                condition=Q(state="done", done_at__isnull=False) | ~Q(state="done"),
                name="inbox_done_has_time",
            ),
        ]

    def __str__(self) -> str:
        return self.title
