"""The dashboards API: the same dashboards as the pages, every number with the link to the
items behind it, and a team's choice of metrics. Another workspace's subject is a 404."""

import json
from typing import Any

from django.http import HttpResponse
from ninja import Router

from meridian.core.schemas import Problem
from meridian.dashboards import access, answers, selectors, services
from meridian.dashboards.schemas import DashboardKind, DashboardOut, LayoutIn, LayoutOut
from meridian.metrics.selectors import metric_list_for
from meridian.workspaces.access import ApiRequest, requires
from meridian.workspaces.models import Role

router = Router(tags=["dashboards"])
ERRORS: dict[int, Any] = {403: Problem, 404: Problem, 422: Problem}


def _number(value: Any) -> Any:
    # What DashboardOut's ``float | str | None`` makes of a count: a float.
    return float(value) if type(value) is int else value


def _chart(chart: selectors.Chart) -> dict[str, Any]:
    return {
        "slug": chart.slug,
        "title": chart.title,
        "kind": chart.kind,
        "unit": chart.unit,
        "metric": chart.metric,
        "description": chart.description,
        "target": _number(chart.target),
        "baseline": _number(chart.baseline),
        "columns": chart.columns,
        "rows": [
            [
                {"value": _number(c.value), "url": c.url, "spark": [_number(v) for v in c.spark]}
                for c in row
            ]
            for row in chart.rows
        ],
    }


def _out(board: selectors.Dashboard) -> bytes:
    """The dashboard as :class:`DashboardOut`'s JSON, written straight from the selectors'
    dataclasses: validating every cell through the schema again cost about a third of the
    request. The tests check that this is exactly what the schema makes of it (and the
    OpenAPI document still describes it by ``response=DashboardOut``)."""
    data = {
        "kind": board.kind,
        "title": board.title,
        "today": board.today.isoformat(),
        "time_zone": board.zone,
        "weeks": [{"first": w.first.isoformat(), "last": w.last.isoformat()} for w in board.weeks],
        "charts": [_chart(c) for c in board.charts],
        "key_results": [_chart(c) for c in board.key_results],
        "multiples": [_chart(c) for c in board.multiples],
        "table": _chart(board.table) if board.table else None,
        "hidden": board.hidden,
        "custom_layout": board.custom_layout,
    }
    return json.dumps(data).encode()


def _answer(request: ApiRequest, kind: str, subject_id: int | None) -> HttpResponse:
    """The dashboard's JSON, stored while the workspace's dashboards stay the same (answers)."""
    viewer = request.membership
    content = answers.dashboard_answer(
        viewer,
        version=answers.current(viewer),
        fmt="api",
        kind=kind,
        subject_id=subject_id,
        query=request.GET.urlencode(),
        make=_out,
    )
    return HttpResponse(content, content_type="application/json; charset=utf-8")


@router.get(
    "/dashboards/workspace",
    response={200: DashboardOut, **ERRORS},
    summary="The workspace's dashboard",
)
@requires(Role.GUEST)
def workspace_dashboard(request: ApiRequest) -> HttpResponse:
    """The workspace's metrics over the last 12 weeks, its key results, every team side by
    side."""
    return _answer(request, "workspace", None)


@router.get(
    "/dashboards/{kind}/{subject_id}",
    response={200: DashboardOut, **ERRORS},
    summary="A team's, project's or person's dashboard",
)
@requires(Role.GUEST)
def subject_dashboard(request: ApiRequest, kind: DashboardKind, subject_id: int) -> HttpResponse:
    """``subject_id`` is the team's, project's or membership's id. A person's activity figures
    follow the workspace's tracking policy."""
    return _answer(request, kind, subject_id)


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
