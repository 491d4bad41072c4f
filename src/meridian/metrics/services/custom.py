"""A workspace's own metrics: defining one, and the values pushed to it (each a fact)."""

import math
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.db import transaction
from django.utils import timezone

from meridian.core import registry
from meridian.core.errors import FieldErrors, NotFound
from meridian.core.moments import local_date
from meridian.core.services import audit_record
from meridian.metrics.models import CustomAggregation, CustomMetric, MetricFact, Subject
from meridian.metrics.services.facts import facts_write, teams_of, zone_fixed
from meridian.workspaces.access import require_role
from meridian.workspaces.models import Membership, Role, Team

# A pushed value may be stamped a little ahead of the server's clock (the sender's clock runs
# fast), never further: a value from next year is a mistake.
FUTURE_SLACK = timedelta(minutes=5)
KEY_PATTERN = re.compile(r"^[a-z][a-z0-9_]{1,59}$")
# Names the pages and the API use beside metric keys (/metrics/new/, /metrics/settings).
RESERVED_KEYS = frozenset({"new", "settings"})


@transaction.atomic
def custom_metric_create(
    *,
    acting: Membership,
    key: str,
    label: str,
    definition: str,
    unit: str = "",
    aggregation: str = CustomAggregation.SUM,
) -> CustomMetric:
    """Define a workspace's own metric (admins), its key unique among every metric it sees."""
    require_role(acting, Role.ADMIN)
    problems = FieldErrors()
    key = (key or "").strip()
    if not KEY_PATTERN.match(key):
        problems.add(
            "key",
            "A key is 2 to 60 lowercase letters, digits or underscores, starting with a letter.",
        )
    elif key in RESERVED_KEYS:
        problems.add("key", f"“{key}” is a word the metrics pages use; choose another key.")
    elif (
        key in registry.metrics()
        or CustomMetric.objects.filter(workspace_id=acting.workspace_id, key=key).exists()
    ):
        problems.add("key", f"There is already a metric with the key “{key}”.")
    label = (label or "").strip()
    if not label or len(label) > 100:
        problems.add("label", "A metric needs a label of at most 100 characters.")
    definition = (definition or "").strip()
    if not definition or len(definition) > 2000:
        problems.add(
            "definition", "Say in words what the metric measures (at most 2,000 characters)."
        )
    unit = (unit or "").strip()
    if len(unit) > 30:
        problems.add("unit", "A unit is at most 30 characters.")
    if aggregation not in CustomAggregation.values:
        problems.add(
            "aggregation", f"Aggregation is one of: {', '.join(CustomAggregation.values)}."
        )
    problems.raise_any()
    metric = CustomMetric.objects.create(
        workspace_id=acting.workspace_id,
        key=key,
        label=label,
        definition=definition,
        unit=unit,
        aggregation=aggregation,
        created_by=acting,
    )
    audit_record(actor=acting, action="metrics.custom_create", obj=metric, data={"key": key})
    return metric


@dataclass(frozen=True)
class Pushed:
    """What a pushed value became: its fact, and whether it was new (else it replaced one)."""

    fact: MetricFact
    created: bool


def _subject_check(
    acting: Membership, subject: str, subject_id: int | None, problems: FieldErrors
) -> tuple[int | None, int | None, int | None]:
    """(member_id, project_id, team_id) for a pushed value's subject, each in this workspace."""
    workspace_id = acting.workspace_id
    if subject == Subject.WORKSPACE:
        return None, None, None
    if subject not in Subject.values:
        problems.add("subject", f"A subject is one of: {', '.join(Subject.values)}.")
        return None, None, None
    if subject_id is None:
        problems.add("subject_id", f"Name the {subject} the value is about.")
        return None, None, None
    if subject == Subject.MEMBER:
        if Membership.objects.filter(workspace_id=workspace_id, pk=subject_id).exists():
            return subject_id, None, teams_of(workspace_id).get(subject_id)
    elif subject == Subject.TEAM:
        if Team.objects.filter(workspace_id=workspace_id, pk=subject_id).exists():
            return None, None, subject_id
    else:
        kind = registry.link_kinds().get("project")
        if kind is not None and kind.titles(workspace_id, [subject_id]):
            return None, subject_id, None
    problems.add("subject_id", f"No such {subject} in this workspace.")
    return None, None, None


def custom_metric_for(acting: Membership, key: str) -> CustomMetric:
    """A custom metric of the acting member's workspace; 404 alike for missing and foreign."""
    metric = CustomMetric.objects.filter(workspace_id=acting.workspace_id, key=key).first()
    if metric is None:
        raise NotFound(f"No custom metric “{key}” in this workspace.")
    return metric


@transaction.atomic
def value_push(
    *,
    acting: Membership,
    metric: CustomMetric,
    at: datetime,
    value: float,
    subject: str = Subject.WORKSPACE,
    subject_id: int | None = None,
    note: str = "",
    now: datetime | None = None,
) -> Pushed:
    """Record a custom metric's value for a subject at a moment: the same metric, subject and
    moment again replaces the value (pushing twice counts once)."""
    if metric.workspace_id != acting.workspace_id:
        raise NotFound(f"No custom metric “{metric.key}” in this workspace.")
    now = now or timezone.now()
    problems = FieldErrors()
    if at.tzinfo is None or at.utcoffset() is None:
        problems.add("at", "Give the moment with its offset or “Z” (e.g. 2026-03-31T17:00:00Z).")
    elif at > now + FUTURE_SLACK:
        problems.add("at", "A value cannot be dated in the future.")
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        problems.add("value", "A value is a finite number.")
    note = (note or "").strip()
    if len(note) > 2000:
        problems.add("note", "A note is at most 2,000 characters.")
    member_id, project_id, team_id = _subject_check(acting, subject, subject_id, problems)
    problems.raise_any()
    moment = at.astimezone(UTC)
    fact_key = f"push:{subject}:{subject_id or 0}@{moment.isoformat()}"
    existing = list(
        MetricFact.objects.select_for_update().filter(
            workspace_id=acting.workspace_id, metric=metric.key, fact_key=fact_key
        )
    )
    fact = MetricFact(
        workspace_id=acting.workspace_id,
        metric=metric.key,
        fact_key=fact_key,
        member_id=member_id,
        project_id=project_id,
        team_id=team_id,
        occurred_at=at,
        day=local_date(at, zone_fixed(acting.workspace_id)),
        value=float(value),
        note=note,
        entered_by_id=acting.pk,
    )
    facts_write(
        workspace_id=acting.workspace_id, metric=metric.key, existing=existing, wanted=[fact]
    )
    saved = MetricFact.objects.get(
        workspace_id=acting.workspace_id, metric=metric.key, fact_key=fact_key
    )
    return Pushed(saved, created=not existing)
