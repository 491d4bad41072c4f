"""The dashboards API: the same dashboards as the pages, every number with the link to the
items behind it, and a team's choice of metrics. Another workspace's subject is a 404."""

from typing import Any

from ninja import Router

from meridian.core.schemas import Problem
from meridian.dashboards import access, selectors, services
from meridian.dashboards.schemas import DashboardKind, DashboardOut, LayoutIn, LayoutOut
from meridian.metrics.selectors import metric_list_for
from meridian.workspaces.access import ApiRequest, requires
from meridian.workspaces.models import Role

router = Router(tags=["dashboards"])
ERRORS: dict[int, Any] = {403: Problem, 404: Problem, 422: Problem}


def _out(board: selectors.Dashboard) -> dict[str, Any]:
    return {
        "kind": board.kind,
        "title": board.title,
        "today": board.today,
        "time_zone": board.zone,
        "weeks": [{"first": w.first, "last": w.last} for w in board.weeks],
        "charts": [c.as_json() for c in board.charts],
        "key_results": [c.as_json() for c in board.key_results],
        "multiples": [c.as_json() for c in board.multiples],
        "table": board.table.as_json() if board.table else None,
        "hidden": board.hidden,
        "custom_layout": board.custom_layout,
    }


@router.get(
    "/dashboards/workspace",
    response={200: DashboardOut, **ERRORS},
    summary="The workspace's dashboard",
)
@requires(Role.GUEST)
def workspace_dashboard(request: ApiRequest) -> dict[str, Any]:
    """The workspace's metrics over the last 12 weeks, its key results, every team side by
    side."""
    return _out(selectors.dashboard_for(request.membership, "workspace"))


@router.get(
    "/dashboards/{kind}/{subject_id}",
    response={200: DashboardOut, **ERRORS},
    summary="A team's, project's or person's dashboard",
)
@requires(Role.GUEST)
def subject_dashboard(request: ApiRequest, kind: DashboardKind, subject_id: int) -> dict[str, Any]:
    """``subject_id`` is the team's, project's or membership's id. A person's activity figures
    follow the workspace's tracking policy."""
    return _out(selectors.dashboard_for(request.membership, kind, subject_id))


@router.get(
    "/dashboards/team/{team_id}/layout",
    response={200: LayoutOut, **ERRORS},
    summary="Which metrics a team's dashboard shows",
)
@requires(Role.GUEST)
def layout_get(request: ApiRequest, team_id: int) -> dict[str, Any]:
    team = access.team_get_for(request.membership, team_id)
    chosen, custom = selectors.layout_for(request.membership, "team", team.pk)
    if not custom:
        chosen = [m.key for m in metric_list_for(request.membership)]
    return {"team_id": team.pk, "metrics": chosen, "custom": custom}


@router.put(
    "/dashboards/team/{team_id}/layout",
    response={200: LayoutOut, **ERRORS},
    summary="Choose a team dashboard's metrics (admins and the team's leads)",
)
@requires(Role.MEMBER)
def layout_put(request: ApiRequest, team_id: int, payload: LayoutIn) -> dict[str, Any]:
    """An unknown metric, a repeated one or none at all is a 422, nothing saved."""
    team = access.team_get_for(request.membership, team_id)
    saved = services.team_dashboard_save(
        acting=request.membership, team=team, metrics=payload.metrics
    )
    return {"team_id": team.pk, "metrics": saved.metrics, "custom": True}
