"""Delivery: how and when each notification reaches a member beyond the inbox."""

from django.db import models
from django.utils import timezone

from meridian.workspaces.models import Membership, Workspace

URGENT_BUDGET_DEFAULT = 3
# How many times an email (one notification, or a digest) is tried before it is given up.
MAX_ATTEMPTS = 5


class Channel(models.TextChoices):
    """Where a kind of notification goes for a member, besides the inbox (always)."""

    INBOX = "inbox", "Inbox only"
    DIGEST = "digest", "Daily digest"
    NOW = "now", "Email at once (inside my working hours)"


class DeliveryPreference(models.Model):
    """A member's choice of channel for one kind of notification, instead of the kind's default."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    membership = models.ForeignKey(
        Membership, on_delete=models.CASCADE, related_name="delivery_preferences"
    )
    kind = models.CharField(max_length=100)
    channel = models.CharField(max_length=10, choices=Channel.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["membership", "kind"], name="delivery_pref_unique")
        ]

    def __str__(self) -> str:
        return f"{self.kind} → {self.channel} for {self.membership_id}"


class DeliverySettings(models.Model):
    """A member's quiet hours: daily local ranges in which only urgent notifications arrive."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    membership = models.OneToOneField(
        Membership, on_delete=models.CASCADE, related_name="delivery_settings"
    )
    # [[1320, 420], [750, 780]]: [start, end) minutes of the local day; end < start wraps midnight.
    quiet_hours = models.JSONField(default=list, blank=True)

    def __str__(self) -> str:
        return f"Delivery settings of {self.membership_id}"


class UrgentPolicy(models.Model):
    """How many urgent notifications each member of a workspace may send per week."""

    workspace = models.OneToOneField(
        Workspace, on_delete=models.CASCADE, related_name="urgent_policy"
    )
    weekly_budget = models.PositiveSmallIntegerField(default=URGENT_BUDGET_DEFAULT)

    def __str__(self) -> str:
        return f"{self.weekly_budget} urgent a week in {self.workspace_id}"


class UrgentUse(models.Model):
    """One urgent notification a member sent (to one or many people), counted against their week."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    sender = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="+")
    # The sender's local week (its Monday) the use counts in.
    week = models.DateField()
    cause = models.CharField(max_length=200)
    used_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["sender", "week", "cause"], name="urgent_use_once_per_cause"
            )
        ]

    def __str__(self) -> str:
        return f"Urgent {self.cause} by {self.sender_id}"


class Digest(models.Model):
    """One member's daily digest email for one of their local days."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    recipient = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="digests")
    local_date = models.DateField()
    created_at = models.DateTimeField(default=timezone.now)
    item_count = models.PositiveIntegerField(default=0)
    # Built for the weekly summary alone (the goals' status) for a member who had no digest in
    # that week: sent without notifications.
    weekly_only = models.BooleanField(default=False)
    emailed_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    # A sending task holds the row until then; a task killed mid-send lets go by itself.
    lease_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["recipient", "local_date"], name="digest_once_a_day")
        ]

    def __str__(self) -> str:
        return f"Digest of {self.local_date} for {self.recipient_id}"


class Delivery(models.Model):
    """One notification on its way to one member by email: at once, held for the right moment,
    or in their next digest. It carries only what the recipient may see."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    recipient = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="deliveries")
    channel = models.CharField(max_length=10, choices=Channel.choices)
    kind = models.CharField(max_length=100)
    subject = models.CharField(max_length=300)
    url = models.CharField(max_length=500)
    body = models.TextField(blank=True)
    excerpt = models.TextField(blank=True)
    actor = models.ForeignKey(
        Membership, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    due_at = models.DateTimeField(null=True, blank=True)
    cause = models.CharField(max_length=200, blank=True)
    urgent = models.BooleanField(default=False)
    notification_id = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    # The first moment it may go out (channel "now"); the scheduler hands it to email then.
    deliver_after = models.DateTimeField(null=True, blank=True)
    # When the scheduler handed it to email (or put it into a digest); set exactly once.
    sent_at = models.DateTimeField(null=True, blank=True)
    # When the mail server accepted it.
    emailed_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    # A sending task holds the row until then; a task killed mid-send lets go by itself.
    lease_until = models.DateTimeField(null=True, blank=True)
    digest = models.ForeignKey(
        Digest, null=True, blank=True, on_delete=models.SET_NULL, related_name="items"
    )
    # In a digest but not shown: the same cause reached the member earlier.
    repeat = models.BooleanField(default=False)

    class Meta:
        indexes = [
            models.Index(fields=["channel", "sent_at", "deliver_after"]),
            models.Index(fields=["recipient", "cause"]),
            models.Index(fields=["recipient", "channel", "sent_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.kind} to {self.recipient_id} ({self.channel})"
