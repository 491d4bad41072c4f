"""The participation every ask shares: who is asked, their own deadline, responded, reminded.

``Participation`` is abstract: each area keeps its own table (``briefs.BriefParticipant``,
``decisions.ProposalParticipant``) with a foreign key to what it asks about and the membership,
and inherits these columns and their meaning, so meridian.asks.reminders and the pages read
every area's participants alike.
"""

from datetime import datetime

from django.db import models


class Participation(models.Model):
    """A member asked for something by a deadline: when they were asked, responded, reminded."""

    workspace = models.ForeignKey(
        "workspaces.Workspace", on_delete=models.CASCADE, related_name="+"
    )
    # The team through which the person was added, if the asker named a team.
    via_team = models.ForeignKey(
        "workspaces.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The ask's deadline as it falls for this person (e.g. the end of the day in their zone).
    local_deadline = models.DateTimeField(null=True, blank=True)
    added_at = models.DateTimeField(auto_now_add=True)
    responded_at = models.DateTimeField(null=True, blank=True)
    last_reminded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True

    @property
    def has_responded(self) -> bool:
        return self.responded_at is not None

    def is_overdue(self, now: datetime) -> bool:
        """Not responded, and their own deadline has passed."""
        return (
            self.responded_at is None
            and self.local_deadline is not None
            and self.local_deadline <= now
        )
