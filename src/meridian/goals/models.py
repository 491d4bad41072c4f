"""Goals: an objective with key results that measure themselves from the metrics' rollups.

A goal may support a parent goal of the same workspace (a tree, never a cycle). A key result
names a metric, the subject it is measured on (the workspace, a team, a member or a project),
a baseline, a target and the days it runs; its status is computed on reading
(``meridian.goals.forecast``), never stored. Check-in notes are written by a goal's owner.
"""

from django.db import models


class Aggregation(models.TextChoices):
    """How a key result's days become its value (follows the metric's own aggregation)."""

    SUM = "sum", "Sum since the start"
    MEAN = "mean", "Average since the start"
    LATEST = "latest", "Latest value"


class Goal(models.Model):
    workspace = models.ForeignKey(
        "workspaces.Workspace", on_delete=models.CASCADE, related_name="+"
    )
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True, max_length=10000)
    owner = models.ForeignKey("workspaces.Membership", on_delete=models.PROTECT, related_name="+")
    team = models.ForeignKey(
        "workspaces.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="children"
    )
    due = models.DateField()
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["due", "title", "id"]

    def __str__(self) -> str:
        return self.title


class KeyResult(models.Model):
    goal = models.ForeignKey(Goal, on_delete=models.CASCADE, related_name="key_results")
    title = models.CharField(max_length=200)
    metric = models.CharField(max_length=60)
    subject = models.CharField(max_length=10)  # metrics.models.Subject
    subject_id = models.BigIntegerField(default=0)  # 0 for the workspace
    aggregation = models.CharField(max_length=10, choices=Aggregation.choices)
    baseline = models.FloatField()
    target = models.FloatField()
    start = models.DateField()
    due = models.DateField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.title


class GoalNote(models.Model):
    goal = models.ForeignKey(Goal, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(
        "workspaces.Membership", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    body = models.TextField(max_length=10000)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"Note on {self.goal_id}"
