"""A member's secret calendar feed address: the deadlines Meridian asks of them, in their calendar app."""

from django.db import models


class CalendarFeed(models.Model):
    """The secret that opens one member's ICS feed; stored as a digest, replaced on rotation.

    The address's secret is derived from ``nonce`` and the site key (core.secrets.keyed_secret),
    so the member's profile can show it again while the database alone cannot rebuild it.
    """

    workspace = models.ForeignKey(
        "workspaces.Workspace", on_delete=models.CASCADE, related_name="+"
    )
    membership = models.OneToOneField(
        "workspaces.Membership", on_delete=models.CASCADE, related_name="calendar_feed"
    )
    nonce = models.CharField(max_length=32)
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    rotated_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"Calendar feed of {self.membership_id}"
