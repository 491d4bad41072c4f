"""The metrics API: the catalogue with current values, custom metrics, pushed values, and the
items behind a number. An unknown metric or another workspace's custom one is a 404."""

from datetime import date
from typing import Any

from django.utils import timezone
from ninja import Field, Query, Router, Schema, Status

from meridian.core.errors import ValidationFailed
from meridian.core.schemas import Problem
from meridian.metrics import selectors, services
from meridian.metrics.schemas import (
    CustomMetricIn,
    ItemsOut,
    MetricOut,
    MetricsSettingsIn,
    MetricsSettingsOut,
    ValueIn,
    ValueOut,
)
from meridian.workspaces.access import ApiRequest, requires
from meridian.workspaces.models import Role

router = Router(tags=["metrics"])
ERRORS: dict[int, Any] = {403: Problem, 404: Problem, 422: Problem}
MAX_DAYS = 366


def _metric_out(metric: selectors.MetricInfo, values: list[tuple[Any, Any]]) -> dict[str, Any]:
    return {
        **{k: getattr(metric, k) for k in MetricOut.model_fields if k != "values"},
        "values": [
            {
                "days": period.days,
                "first": period.first,
                "last": period.last,
                "value": value.number,
                "median": value.median,
                "p85": value.p85,
                "facts": value.facts,
            }
            for period, value in values
        ],
    }


@router.get("/metrics/settings", response=MetricsSettingsOut, summary="The metrics settings")
@requires(Role.GUEST)
def settings_get(request: ApiRequest) -> dict[str, Any]:
    """The time zone whose midnights split the workspace's metric days."""
    return {"time_zone": services.zone_of(request.membership.workspace_id)}


@router.put(
    "/metrics/settings",
    response={200: MetricsSettingsOut, **ERRORS},
    summary="Change the metrics settings (admins)",
)
@requires(Role.ADMIN)
def settings_put(request: ApiRequest, payload: MetricsSettingsIn) -> dict[str, Any]:
    """Every fact is re-dated in the new zone and every rollup recomputed."""
    saved = services.metrics_zone_set(acting=request.membership, time_zone=payload.time_zone)
    return {"time_zone": saved.time_zone}


@router.get("/metrics", response=list[MetricOut], summary="The metric catalogue")
@requires(Role.GUEST)
def metric_list(request: ApiRequest) -> list[dict[str, Any]]:
    """Every metric with its definition, formula, unit, sources and values over the last 7 and
    30 days for the workspace (null: no data)."""
    viewer = request.membership
    metrics = selectors.metric_list_for(viewer)
    periods = [selectors.last_days(days, viewer.workspace_id) for days in selectors.PERIODS]
    values = [selectors.values_for(viewer, metrics, period) for period in periods]
    return [
        _metric_out(m, [(p, v[m.key]) for p, v in zip(periods, values, strict=True)])
        for m in metrics
    ]


@router.post(
    "/metrics", response={201: MetricOut, **ERRORS}, summary="Define a custom metric (admins)"
)
@requires(Role.ADMIN)
def metric_create(request: ApiRequest, payload: CustomMetricIn) -> Status:
    """Its values then come through `POST /metrics/{key}/values`."""
    metric = services.custom_metric_create(acting=request.membership, **payload.model_dump())
    info = selectors.metric_get_for(request.membership, metric.key)
    return Status(201, _metric_out(info, []))


@router.post(
    "/metrics/{key}/values",
    response={200: ValueOut, 201: ValueOut, **ERRORS},
    summary="Push a custom metric's value",
)
@requires(Role.MEMBER)
def value_push(request: ApiRequest, key: str, payload: ValueIn) -> Status:
    """Idempotent per metric, subject and time: pushing the same again answers 200 and keeps one
    value (the latest). A time in the future or a value that is not a finite number is a 422
    naming the field; an unknown metric is a 404."""
    metric = services.custom_metric_for(request.membership, key)
    pushed = services.value_push(
        acting=request.membership,
        metric=metric,
        at=payload.at,
        value=payload.value,
        subject=payload.subject,
        subject_id=payload.subject_id,
        note=payload.note,
    )
    fact = pushed.fact
    out = {
        "metric": metric.key,
        "at": fact.occurred_at,
        "value": fact.value,
        "subject": payload.subject,
        "subject_id": payload.subject_id if payload.subject != "workspace" else None,
        "note": fact.note,
        "created": pushed.created,
    }
    return Status(201 if pushed.created else 200, out)


class ItemsQuery(Schema):
    days: int | None = Field(None, ge=1, le=MAX_DAYS, description="The last n days (default 7).")
    first: date | None = Field(None, description="Or a range of the workspace's days: from…")
    last: date | None = Field(None, description="…to (both included).")
    subject: str = Field("workspace", description="workspace, member, project or team")
    subject_id: int | None = Field(None, ge=1)


@router.get(
    "/metrics/{key}/items",
    response={200: ItemsOut, **ERRORS},
    summary="The items behind a metric's number",
)
@requires(Role.GUEST)
def metric_items(request: ApiRequest, key: str, q: Query[ItemsQuery]) -> dict[str, Any]:
    """The facts of the metric in the period, newest first, each with its item's title and page."""
    viewer = request.membership
    metric = selectors.metric_get_for(viewer, key)
    if q.first is not None or q.last is not None:
        if q.first is None or q.last is None:
            raise ValidationFailed.field("first", "Give both first and last, or days.")
        if q.last < q.first or (q.last - q.first).days >= MAX_DAYS:
            raise ValidationFailed.field(
                "last", f"last is on or after first, at most {MAX_DAYS} days on."
            )
        period = selectors.Period(q.first, q.last, (q.last - q.first).days + 1)
    else:
        period = selectors.last_days(q.days or 7, viewer.workspace_id, timezone.now())
    if q.subject not in ("workspace", "member", "project", "team"):
        raise ValidationFailed.field("subject", "A subject is workspace, member, project or team.")
    items, total = selectors.items_for(
        viewer, metric, period, subject=q.subject, subject_id=q.subject_id
    )
    return {
        "metric": metric.key,
        "first": period.first,
        "last": period.last,
        "total": total,
        "items": [
            {
                "occurred_at": i.occurred_at,
                "value": i.value,
                "title": i.title,
                "url": i.url,
                "kind": i.source_kind,
                "id": i.source_id,
                "member": i.member,
                "note": i.note,
            }
            for i in items
        ],
    }
