"""Roles: workspace roles people inhabit in turn, with duties, holders' history and rotas.

A role is not owned: it has responsibilities, a checklist of recurring duties, and a history of
who held it when (``RoleHolding``; "current holders" are the holdings not ended yet). A rota
passes it among members on a schedule, skipping anyone on time off. Every write goes through
meridian.roles.services, which bumps ``Role.version`` (optimistic concurrency).
"""

from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower

from meridian.roles.rotation import Schedule

NAME_MAX = 100
DUTY_MAX = 200
DUTIES_MAX = 30
RESPONSIBILITIES_MAX = 20_000
ROTA_MEMBERS_MAX = 20
WEEKDAY_NAMES = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]


class Cadence(models.TextChoices):
    """How often a duty comes round: its checklist resets each day, week or month."""

    DAILY = "daily", "Daily"
    WEEKLY = "weekly", "Weekly"
    MONTHLY = "monthly", "Monthly"


class Role(models.Model):
    """A responsibility that people hold in turn ("Release manager"), described well enough that
    anyone can pick it up."""

    workspace = models.ForeignKey(
        "workspaces.Workspace", on_delete=models.CASCADE, related_name="roles"
    )
    name = models.CharField(max_length=NAME_MAX)
    responsibilities = models.TextField(blank=True)
    responsibilities_html = models.TextField(blank=True)
    version = models.PositiveIntegerField(default=1)
    archived_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        "workspaces.Membership", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        constraints = [models.UniqueConstraint(Lower("name"), "workspace", name="role_unique_name")]

    def __str__(self) -> str:
        return self.name

    @property
    def is_archived(self) -> bool:
        return self.archived_at is not None


class Duty(models.Model):
    """One recurring duty of a role ("Check the error budget", weekly): a line of its checklist."""

    workspace = models.ForeignKey(
        "workspaces.Workspace", on_delete=models.CASCADE, related_name="+"
    )
    role = models.ForeignKey(Role, on_delete=models.CASCADE, related_name="duties")
    text = models.CharField(max_length=DUTY_MAX)
    cadence = models.CharField(max_length=10, choices=Cadence.choices, default=Cadence.WEEKLY)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.text


class DutyCheck(models.Model):
    """A duty done for one period (the day, week or month starting ``period_start`` in the
    holder's zone); the checklist shows it ticked until the next period begins."""

    workspace = models.ForeignKey(
        "workspaces.Workspace", on_delete=models.CASCADE, related_name="+"
    )
    duty = models.ForeignKey(Duty, on_delete=models.CASCADE, related_name="checks")
    period_start = models.DateField()
    checked_by = models.ForeignKey(
        "workspaces.Membership", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    checked_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["duty", "period_start"], name="duty_check_once")
        ]

    def __str__(self) -> str:
        return f"{self.duty} done for {self.period_start}"


class HoldingHow(models.TextChoices):
    """How a member came to hold a role."""

    ASSIGNED = "assigned", "Assigned"
    ROTA = "rota", "Rota"
    HANDOVER = "handover", "Handover"


class HoldingEnd(models.TextChoices):
    """How a holding ended, when that is worth telling apart (blank: released or passed on)."""

    LEFT = "left", "Left the workspace"


class RoleHolding(models.Model):
    """A member holding a role from ``started_at`` until ``ended_at`` (open while they hold it):
    the role's history of holders."""

    workspace = models.ForeignKey(
        "workspaces.Workspace", on_delete=models.CASCADE, related_name="+"
    )
    role = models.ForeignKey(Role, on_delete=models.CASCADE, related_name="holdings")
    membership = models.ForeignKey(
        "workspaces.Membership", on_delete=models.CASCADE, related_name="role_holdings"
    )
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    how = models.CharField(max_length=10, choices=HoldingHow.choices, default=HoldingHow.ASSIGNED)
    started_by = models.ForeignKey(
        "workspaces.Membership", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    ended_by = models.ForeignKey(
        "workspaces.Membership", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    ended_how = models.CharField(max_length=10, choices=HoldingEnd.choices, blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        indexes = [
            models.Index(fields=["role", "ended_at"]),
            models.Index(fields=["workspace", "membership", "ended_at"]),
        ]
        constraints = [
            # A member holds a role once at a time.
            models.UniqueConstraint(
                fields=["role", "membership"],
                condition=Q(ended_at__isnull=True),
                name="role_holding_one_open",
            ),
            models.CheckConstraint(
                condition=Q(ended_at__isnull=True) | Q(ended_at__gte=models.F("started_at")),
                name="role_holding_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.membership_id} holds {self.role_id} from {self.started_at}"

    @property
    def is_current(self) -> bool:
        return self.ended_at is None


class RotaPeriod(models.TextChoices):
    """How a rota's turns are measured."""

    DAYS = "days", "Every few days"
    WEEKLY = "weekly", "Weekly, on a weekday"


class Rota(models.Model):
    """Passes a role among members in order on a schedule (turns change at a local time),
    skipping anyone on time off for the coming turn."""

    workspace = models.ForeignKey(
        "workspaces.Workspace", on_delete=models.CASCADE, related_name="+"
    )
    role = models.OneToOneField(Role, on_delete=models.CASCADE, related_name="rota")
    # Membership ids in turn order.
    member_ids = models.JSONField(default=list)
    period = models.CharField(max_length=10, choices=RotaPeriod.choices, default=RotaPeriod.WEEKLY)
    every_days = models.PositiveSmallIntegerField(default=7)
    weekday = models.PositiveSmallIntegerField(default=0)  # 0 = Monday, for weekly rotas
    at = models.TimeField()
    zone = models.CharField(max_length=64, default="UTC")
    starts_on = models.DateField()
    # The last turn the scheduler applied (-1: none yet), and what it had to say about it.
    last_turn = models.IntegerField(default=-1)
    note = models.CharField(max_length=300, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"Rota of {self.role_id}"

    @property
    def weekday_name(self) -> str:
        return WEEKDAY_NAMES[self.weekday % 7]

    def schedule(self) -> Schedule:
        """The rota's turns as pure arithmetic (meridian.roles.rotation)."""
        if self.period == RotaPeriod.WEEKLY:
            return Schedule.weekly(self.starts_on, self.weekday, self.at, self.zone)
        return Schedule(self.starts_on, self.every_days, self.at, self.zone)
