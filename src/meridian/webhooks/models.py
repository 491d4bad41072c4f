"""Outgoing webhooks: where a workspace's events are posted, which hosts may be private, what was sent.

An endpoint's signing secret is never stored: it is derived from a stored nonce and the site
key (meridian.core.secrets.keyed_secret), so the database alone cannot forge a signature, and
rotating the nonce retires the old secret at once.
"""

import uuid

from django.db import models


class WebhookEndpoint(models.Model):
    """An address outside Meridian that receives a signed POST for each subscribed workspace event."""

    workspace = models.ForeignKey(
        "workspaces.Workspace", on_delete=models.CASCADE, related_name="webhook_endpoints"
    )
    url = models.URLField(max_length=2000)
    description = models.CharField(max_length=200, blank=True)
    # The event kinds posted to this address (meridian.webhooks.kinds.event_kinds).
    events = models.JSONField(default=list)
    active = models.BooleanField(default=True)
    secret_nonce = models.CharField(max_length=32)
    created_by = models.ForeignKey(
        "workspaces.Membership", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    secret_rotated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.url


class AllowedHost(models.Model):
    """A host an admin allowed to receive webhooks although it resolves to a private address."""

    workspace = models.ForeignKey(
        "workspaces.Workspace", on_delete=models.CASCADE, related_name="webhook_allowed_hosts"
    )
    host = models.CharField(max_length=253)
    added_by = models.ForeignKey(
        "workspaces.Membership", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["host"]
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "host"], name="webhook_allowed_host_unique"
            )
        ]

    def __str__(self) -> str:
        return self.host


class DeliveryStatus(models.TextChoices):
    """Whether a delivery is still being tried, reached its endpoint, or was given up."""

    PENDING = "pending", "Pending"
    SUCCEEDED = "succeeded", "Delivered"
    FAILED = "failed", "Failed"


class WebhookDelivery(models.Model):
    """One event for one endpoint: the exact body posted, and how each attempt went."""

    workspace = models.ForeignKey(
        "workspaces.Workspace", on_delete=models.CASCADE, related_name="+"
    )
    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries"
    )
    # Sent as Meridian-Delivery: receivers use it to recognise a retry they already processed.
    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField(max_length=50)
    payload = models.JSONField()
    # The JSON body exactly as posted, so every retry carries the same bytes.
    body = models.TextField()
    status = models.CharField(
        max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    response_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"]),
            models.Index(fields=["endpoint", "-created_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.kind} to {self.endpoint_id} ({self.status})"
