"""Tracking: time entries and timers, the workspace's tracking policy, synced activity slots,
their daily rollups, and the log of who read a person's individual figures.

Activity is captured on the person's own machine (``meridian agent``); the server only ever
holds what the policy and the person allowed: per 15-minute slot, active and AFK seconds per
category, and optionally app names and window titles. Raw slots are kept ``retention_days``;
the daily rollups (member × day × category) are what every report reads.
"""

from django.db import models
from django.db.models import F, Q


class Visibility(models.TextChoices):
    """Who may see a person's individual figures besides the person."""

    SELF = "self", "Only the person"
    ADMINS = "admins", "The person and workspace admins"
    EVERYONE = "everyone", "Every member of the workspace"


class TrackingPolicy(models.Model):
    """What a workspace allows to be shared from the agents, how long, and who sees whom."""

    workspace = models.OneToOneField(
        "workspaces.Workspace", on_delete=models.CASCADE, related_name="tracking_policy"
    )
    # Minutes per category are always allowed: they are the least a sync carries.
    allow_apps = models.BooleanField(default=False)
    allow_titles = models.BooleanField(default=False)
    retention_days = models.PositiveIntegerField(default=30)
    min_group_size = models.PositiveIntegerField(default=5)
    individual_visibility = models.CharField(
        max_length=10, choices=Visibility.choices, default=Visibility.SELF
    )
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        "workspaces.Membership", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(retention_days__gte=1) & Q(min_group_size__gte=2),
                name="tracking_policy_bounds",
            )
        ]

    def __str__(self) -> str:
        return f"Tracking policy of workspace {self.workspace_id}"


class TimeEntry(models.Model):
    """A span of a member's time, by hand or by the timer; no end means the timer is running."""

    workspace = models.ForeignKey(
        "workspaces.Workspace", on_delete=models.CASCADE, related_name="+"
    )
    member = models.ForeignKey(
        "workspaces.Membership", on_delete=models.CASCADE, related_name="time_entries"
    )
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    note = models.CharField(max_length=500, blank=True)
    tags = models.JSONField(default=list, blank=True)
    # What the time was spent on, through the link registry ("task", "project", "brief", ...).
    link_kind = models.CharField(max_length=30, blank=True)
    link_id = models.PositiveBigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["member"],
                condition=Q(ended_at__isnull=True),
                name="time_entry_one_running_timer",
            ),
            models.CheckConstraint(
                condition=Q(ended_at__isnull=True) | Q(ended_at__gt=F("started_at")),
                name="time_entry_ends_after_start",
            ),
            models.CheckConstraint(
                condition=(Q(link_kind="") & Q(link_id__isnull=True))
                | (~Q(link_kind="") & Q(link_id__isnull=False)),
                name="time_entry_link_whole",
            ),
        ]
        indexes = [
            models.Index(fields=["member", "started_at"]),
            models.Index(fields=["workspace", "started_at"]),
            # Covering index of the team report's project time: a period's project-linked
            # entries of a workspace without touching the table (key columns, not INCLUDE,
            # so that SQLite has the same index).
            models.Index(
                fields=["workspace", "link_kind", "started_at", "ended_at", "link_id", "member"],
                name="time_entry_report",
            ),
        ]

    def __str__(self) -> str:
        return f"Time entry {self.pk} of member {self.member_id}"

    @property
    def running(self) -> bool:
        return self.ended_at is None


class TimeEntryRevision(models.Model):
    """What a time entry said before an edit, who changed it and when."""

    workspace = models.ForeignKey(
        "workspaces.Workspace", on_delete=models.CASCADE, related_name="+"
    )
    entry = models.ForeignKey(TimeEntry, on_delete=models.CASCADE, related_name="revisions")
    editor = models.ForeignKey(
        "workspaces.Membership", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField()
    before = models.JSONField()

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"Revision {self.pk} of time entry {self.entry_id}"


class ActivitySlot(models.Model):
    """One synced 15-minute slot of a member's activity in one category (and app, title)."""

    # No index of their own, and the slot's key (member, start first) the only index besides
    # the primary key: it serves every lookup by member and time, and retention reaches a
    # workspace's slots through its members. Each index less is one less to write per synced
    # slot (a (workspace, start) index cost a third of a new sync's COPY on PostgreSQL).
    # Neither is a database constraint: PostgreSQL checks a foreign key row by row at commit
    # (5,000 lookups per sync, ~40 % of a new sync's server time). Slots are only written by
    # ``tracking.ingest``, which first locks the member's row (and so knows it exists, and
    # keeps it until commit) and takes the workspace from it; deleting a member or a workspace
    # still deletes their slots (Django's cascade, tested on both databases).
    workspace = models.ForeignKey(
        "workspaces.Workspace",
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    member = models.ForeignKey(
        "workspaces.Membership",
        on_delete=models.CASCADE,
        related_name="activity_slots",
        db_index=False,
        db_constraint=False,
    )
    start = models.DateTimeField()
    category = models.CharField(max_length=100)
    # "" when the detail was not shared: the key must stay unique, and NULLs never collide.
    app = models.CharField(max_length=200, blank=True, default="")
    title = models.CharField(max_length=500, blank=True, default="")
    active_seconds = models.PositiveIntegerField()
    afk_seconds = models.PositiveIntegerField()
    # The member's own date of the slot when it arrived: the rollup row it counts in.
    day = models.DateField()
    # The agent (one per computer) that measured the slot: part of the slot's key.
    agent_id = models.UUIDField()
    # When the slot's current figures arrived (a re-send of the same figures leaves it).
    received_at = models.DateTimeField()

    class Meta:
        constraints = [
            # Each of a person's computers (agents) keeps its own slots: two of them active
            # in the same quarter hour must not overwrite each other's figures on sync. Start
            # second: a sync reads its range, retention a member's slots before a day.
            models.UniqueConstraint(
                fields=["member", "start", "agent_id", "category", "app", "title"],
                name="activity_slot_member_start_key",
            ),
        ]

    def __str__(self) -> str:
        return f"Slot {self.start} {self.category} of member {self.member_id}"


class ActivityDaily(models.Model):
    """A member's active and AFK seconds in one category on one of their days (the rollup)."""

    workspace = models.ForeignKey(
        "workspaces.Workspace", on_delete=models.CASCADE, related_name="+"
    )
    member = models.ForeignKey(
        "workspaces.Membership", on_delete=models.CASCADE, related_name="activity_days"
    )
    day = models.DateField()
    category = models.CharField(max_length=100)
    active_seconds = models.BigIntegerField(default=0)
    afk_seconds = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["member", "day", "category"], name="activity_daily_key"
            ),
        ]
        # Covering index of the team report: a week of a workspace without touching the table.
        indexes = [
            models.Index(
                fields=["workspace", "day", "member", "category", "active_seconds"],
                name="activity_daily_report",
            )
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.category} of member {self.member_id}"


class ActivityWeekly(models.Model):
    """A member's active and AFK seconds in one category in one of their weeks (Monday to
    Sunday): the sum of the daily rollup, so that a team's weekly report reads a seventh of
    the rows. Moved by the same sync that moves the daily rows."""

    workspace = models.ForeignKey(
        "workspaces.Workspace", on_delete=models.CASCADE, related_name="+"
    )
    member = models.ForeignKey(
        "workspaces.Membership", on_delete=models.CASCADE, related_name="activity_weeks"
    )
    week = models.DateField()  # the Monday
    category = models.CharField(max_length=100)
    active_seconds = models.BigIntegerField(default=0)
    afk_seconds = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["member", "week", "category"], name="activity_weekly_key"
            ),
        ]
        indexes = [
            models.Index(
                fields=["workspace", "week", "member", "category", "active_seconds"],
                name="activity_weekly_report",
            )
        ]

    def __str__(self) -> str:
        return f"Week of {self.week} {self.category} of member {self.member_id}"


class TrackingAccess(models.Model):
    """Someone other than the person read that person's individual tracking figures."""

    workspace = models.ForeignKey(
        "workspaces.Workspace", on_delete=models.CASCADE, related_name="+"
    )
    subject = models.ForeignKey(
        "workspaces.Membership", on_delete=models.CASCADE, related_name="tracking_reads"
    )
    viewer = models.ForeignKey(
        "workspaces.Membership", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    viewer_name = models.CharField(max_length=100)
    at = models.DateTimeField()
    what = models.CharField(max_length=200)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["subject", "at"])]

    def __str__(self) -> str:
        return f"{self.viewer_name} read member {self.subject_id}'s figures"


class RuleField(models.TextChoices):
    """What a category rule's pattern is searched in."""

    APP = "app", "App name"
    TITLE = "title", "Window title"


class CategoryRule(models.Model):
    """A workspace's rule for the agents: a regular expression on the app name or the window
    title → a category. Agents try a person's own relabels first, then these in order (the
    first match wins), and use their built-in rules when the workspace has none."""

    workspace = models.ForeignKey(
        "workspaces.Workspace", on_delete=models.CASCADE, related_name="+"
    )
    position = models.PositiveIntegerField()
    field = models.CharField(max_length=5, choices=RuleField.choices)
    pattern = models.CharField(max_length=200)
    category = models.CharField(max_length=100)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        "workspaces.Membership", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["position", "id"]
        indexes = [models.Index(fields=["workspace", "position"])]

    def __str__(self) -> str:
        return f"{self.field} ~ {self.pattern} → {self.category}"


class FocusCategory(models.Model):
    """A category of synced activity the workspace counts as focus time (an admin's choice):
    the "Hours in focus categories" metric and its share of the hours active read these."""

    workspace = models.ForeignKey(
        "workspaces.Workspace", on_delete=models.CASCADE, related_name="+"
    )
    name = models.CharField(max_length=100)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        "workspaces.Membership", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["workspace", "name"], name="focus_category_unique")
        ]

    def __str__(self) -> str:
        return self.name
