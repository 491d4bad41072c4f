"""Every write of the dashboards area: a team's choice of metrics and their order."""

from django.db import transaction

from meridian.core.errors import NotFound, PermissionDenied, ValidationFailed
from meridian.dashboards.access import may_customize
from meridian.dashboards.models import TeamDashboard
from meridian.metrics.selectors import metric_list_for
from meridian.workspaces.models import Membership, Team

MAX_METRICS = 24


@transaction.atomic
def team_dashboard_save(*, acting: Membership, team: Team, metrics: list[str]) -> TeamDashboard:
    """Save which metrics the team's dashboard shows, in this order (admins and the team's
    leads); an unknown metric, a repeated one or an empty list is refused, nothing written."""
    if team.workspace_id != acting.workspace_id:
        raise NotFound("No such team in this workspace.")
    if not may_customize(acting, team.pk):
        raise PermissionDenied("Only an admin or one of the team's leads may change its dashboard.")
    known = {m.key for m in metric_list_for(acting)}
    unknown = [key for key in metrics if key not in known]
    if unknown:
        raise ValidationFailed.field("metrics", f"No metric “{unknown[0]}” in this workspace.")
    if len(set(metrics)) != len(metrics):
        raise ValidationFailed.field("metrics", "Each metric can be shown once.")
    if not metrics:
        raise ValidationFailed.field("metrics", "Choose at least one metric.")
    if len(metrics) > MAX_METRICS:
        raise ValidationFailed.field("metrics", f"At most {MAX_METRICS} metrics.")
    dashboard, _ = TeamDashboard.objects.update_or_create(
        team=team,
        defaults={"workspace_id": acting.workspace_id, "metrics": metrics, "updated_by": acting},
    )
    return dashboard
