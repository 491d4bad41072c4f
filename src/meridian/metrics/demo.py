"""The metrics' part of ``meridian demo``: a year of history, so that every chart has a line.

Built-in metrics come from the other areas' items, which their own seeders wrote (and aged
with plain updates that tell nobody): their facts are rewritten here from the items as they now
stand. Beside them the demo workspace gets custom metrics with a value for every day (or week)
of the past year, for the workspace and for each team, written as facts with their past moments
in one batch per metric, the rollups following.
"""

import math
import random
from datetime import UTC, datetime, time, timedelta
from typing import Any

from django.utils import timezone

from meridian.core import registry
from meridian.core.moments import local_date
from meridian.metrics.models import CustomAggregation, MetricFact
from meridian.metrics.services import (
    custom_metric_create,
    facts_refresh,
    facts_write,
    zone_fixed,
)
from meridian.workspaces.models import Membership, Role, Team, Workspace

DAYS = 365
# key, label, unit, definition, aggregation, per team, every n days, level, growth per year
CUSTOM = (
    (
        "signups",
        "Sign-ups",
        "sign-ups",
        "New accounts created on the website, pushed each night by the billing system.",
        CustomAggregation.SUM,
        False,
        1,
        18.0,
        0.6,
    ),
    (
        "tickets_closed",
        "Support tickets closed",
        "tickets",
        "Customer tickets closed in the helpdesk, pushed daily per team.",
        CustomAggregation.SUM,
        True,
        1,
        6.0,
        0.3,
    ),
    (
        "satisfaction",
        "Customer satisfaction",
        "score (0–10)",
        "The weekly average answer to “How likely are you to recommend us?”.",
        CustomAggregation.MEAN,
        False,
        7,
        7.2,
        0.08,
    ),
)


def _value(rng: random.Random, level: float, growth: float, day: int, weekend: bool) -> float:
    trend = level * (1 + growth * day / DAYS)
    season = 1 + 0.12 * math.sin(2 * math.pi * day / 91)
    value = trend * season * rng.uniform(0.8, 1.2) * (0.4 if weekend else 1.0)
    return round(value, 1) if level < 10 else float(round(value))


def demo_metrics(workspace: Workspace, members: dict[str, Membership]) -> None:
    """Rewrite the built-in facts from the aged items, then write a year of custom values."""
    for kind in sorted({d.source_kind for d in registry.metrics().values()}):
        facts_refresh(workspace.pk, kind, None)
    admin = next(m for m in members.values() if m.role == Role.ADMIN)
    zone = zone_fixed(workspace.pk)
    rng = random.Random(12)
    today = local_date(timezone.now(), zone)
    teams = list(Team.objects.filter(workspace=workspace).order_by("name"))
    for key, label, unit, definition, aggregation, per_team, every, level, growth in CUSTOM:
        metric = custom_metric_create(
            acting=admin,
            key=key,
            label=label,
            unit=unit,
            definition=definition,
            aggregation=aggregation,
        )
        facts: list[MetricFact] = []
        subjects: list[Any] = teams if per_team else [None]
        for back in range(DAYS, 0, -every):
            day = today - timedelta(days=back)
            at = datetime.combine(day, time(22), UTC)
            for team in subjects:
                value = _value(rng, level, growth, DAYS - back, day.weekday() >= 5)
                subject = f"team:{team.pk}" if team else "workspace:0"
                facts.append(
                    MetricFact(
                        workspace_id=workspace.pk,
                        metric=metric.key,
                        fact_key=f"push:{subject}@{at.isoformat()}",
                        team_id=team.pk if team else None,
                        occurred_at=at,
                        day=local_date(at, zone),
                        value=value,
                        note="Demo history",
                        entered_by_id=admin.pk,
                    )
                )
        facts_write(workspace_id=workspace.pk, metric=metric.key, existing=[], wanted=facts)
