"""Dashboards: the workspace, team, project and person pages drawn from the metrics' rollups.

The pages themselves are computed on reading; what is stored is a team's choice of which
metrics its dashboard shows, in which order.
"""

from django.db import models


class TeamDashboard(models.Model):
    """A team's dashboard layout: the metric keys it shows, in order, chosen by a lead or admin."""

    workspace = models.ForeignKey(
        "workspaces.Workspace", on_delete=models.CASCADE, related_name="+"
    )
    team = models.OneToOneField("workspaces.Team", on_delete=models.CASCADE, related_name="+")
    metrics = models.JSONField(default=list)
    updated_by = models.ForeignKey(
        "workspaces.Membership", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"Dashboard of team {self.team_id}"


class DashboardVersion(models.Model):
    """A workspace's dashboard version: bumped, in the writing transaction, by every write that
    can change one of its dashboards, so a cached answer is fresh exactly while it holds."""

    workspace = models.OneToOneField(
        "workspaces.Workspace", on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    version = models.BigIntegerField()

    def __str__(self) -> str:
        return f"Dashboards of workspace {self.workspace_id} at {self.version}"
