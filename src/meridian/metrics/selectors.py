"""Every read of the metrics area: the catalogue, a metric's value over a period, the items
behind a number. Values come from the daily rollups (O(days) rows per subject); percentiles,
which cannot be summed from daily parts, come from the histogram rows (``MetricHistogram``,
which a percentile metric keeps in place of rollup rows: its daily count and total are the
sums of its day rows, :func:`day_sums`):
per subject, the count and sum of the facts in each 5 %-wide log bucket per day and per
month. A period's percentile is read from its whole months' rows and the days at its edges
(O((months + 62) × buckets) rows, whatever the number of facts) and is within
``rollup.RELATIVE_ERROR`` (5 %) of the exact percentile of the facts' values (exact when the
values in each bucket are equal, as a bucket of one value)."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.db import connection
from django.db.models import Count, Q, Sum
from django.db.models import Value as Constant
from django.utils import timezone

from meridian.core import registry
from meridian.core.errors import NotFound
from meridian.core.moments import local_date
from meridian.metrics.models import (
    CustomAggregation,
    CustomMetric,
    HistogramSpan,
    MetricFact,
    MetricHistogram,
    MetricRollup,
    MetricsSettings,
)
from meridian.metrics.rollup import MONTH_SUBJECTS, bucket_percentile, ratio
from meridian.metrics.services import is_percentile_metric, zone_of, zone_or_default
from meridian.workspaces.models import Membership, Profile

CUSTOM_FORMULAS = {
    CustomAggregation.SUM: "Σ values dated in the period",
    CustomAggregation.MEAN: "Σ values ÷ number of values in the period (no values: no data)",
    CustomAggregation.LEVEL: "Σ every value dated up to the end of the period",
}
PERIODS = (7, 30)
MAX_ITEMS = 200


@dataclass(frozen=True)
class MetricInfo:
    """A metric as the catalogue shows it, built-in or the workspace's own."""

    key: str
    label: str
    definition: str
    formula: str
    unit: str
    sources: str
    aggregation: str
    area: str
    custom: bool
    source_kind: str = ""


@dataclass(frozen=True)
class Value:
    """A metric's value over a period: ``number`` (or median and p85 for percentiles); None is
    "no data", never 0."""

    number: float | None = None
    median: float | None = None
    p85: float | None = None
    facts: int = 0

    @property
    def has_data(self) -> bool:
        return self.number is not None or self.median is not None


@dataclass(frozen=True)
class Period:
    """The workspace's days ``first`` to ``last``, both included."""

    first: date
    last: date
    days: int = 0


def last_days(days: int, workspace_id: int, now: datetime | None = None) -> Period:
    """The ``days`` days of the workspace's zone ending today."""
    today = local_date(now or timezone.now(), zone_of(workspace_id))
    return Period(today - timedelta(days=days - 1), today, days)


def _builtin(definition: registry.MetricDefinition) -> MetricInfo:
    return MetricInfo(
        key=definition.key,
        label=definition.label,
        definition=definition.definition,
        formula=definition.formula,
        unit=definition.unit,
        sources=definition.sources,
        aggregation=definition.aggregation,
        area=definition.area,
        custom=False,
        source_kind=definition.source_kind,
    )


def _custom(metric: CustomMetric) -> MetricInfo:
    return MetricInfo(
        key=metric.key,
        label=metric.label,
        definition=metric.definition,
        formula=CUSTOM_FORMULAS[CustomAggregation(metric.aggregation)],
        unit=metric.unit,
        sources="Values pushed through the API or entered by hand, each with its time and note",
        aggregation=metric.aggregation,
        area="Custom",
        custom=True,
    )


def metric_list_for(viewer: Membership) -> list[MetricInfo]:
    """Every metric the viewer's workspace has: the built-in ones, then its own."""
    custom = CustomMetric.objects.filter(workspace_id=viewer.workspace_id)
    return [_builtin(d) for d in registry.metrics().values()] + [_custom(m) for m in custom]


def metric_list_and_zone_for(viewer: Membership) -> tuple[list[MetricInfo], str]:
    """:func:`metric_list_for` and the workspace's metric zone (:func:`services.zone_of`) in one
    statement: the custom metrics' rows and the settings' zone as one ``UNION ALL`` (a page
    reading both made two round trips). The zone's row has an empty key, which a custom
    metric's slug never is."""
    ws = viewer.workspace_id
    fields = ("key", "label", "unit", "definition", "aggregation")
    custom = CustomMetric.objects.filter(workspace_id=ws).order_by().values_list(*fields)
    blank = Constant("")
    zone = (
        MetricsSettings.objects.filter(workspace_id=ws)
        .order_by()
        .values_list(blank, "time_zone", blank, blank, blank)
    )
    stored: str | None = None
    mine: list[MetricInfo] = []
    for key, label, unit, definition, aggregation in custom.union(zone, all=True).order_by("label"):
        if not key:
            stored = label
            continue
        row = CustomMetric(
            key=key, label=label, unit=unit, definition=definition, aggregation=aggregation
        )
        mine.append(_custom(row))
    builtin = [_builtin(d) for d in registry.metrics().values()]
    return builtin + mine, zone_or_default(ws, stored)


def metric_get_for(viewer: Membership, key: str) -> MetricInfo:
    """One metric of the viewer's workspace; 404 alike for unknown and another's custom one."""
    definition = registry.metrics().get(key)
    if definition is not None:
        return _builtin(definition)
    custom = CustomMetric.objects.filter(workspace_id=viewer.workspace_id, key=key).first()
    if custom is None:
        raise NotFound(f"No metric “{key}” in this workspace.")
    return _custom(custom)


def _fact_subject(subject: str, subject_id: int | None) -> Q:
    if subject == "member":
        return Q(member_id=subject_id)
    if subject == "project":
        return Q(project_id=subject_id)
    if subject == "team":
        return Q(team_id=subject_id)
    return Q()


def may_read(viewer: Membership, key: str, subject: str, subject_id: int | None) -> bool:
    """Whether the viewer may read the metric's value for this subject: always, except for
    metrics about people's own time, whose area decides (the tracking policy)."""
    definition = registry.metrics().get(key)
    if definition is None or definition.visible is None:
        return True
    return bool(definition.visible(viewer, subject, subject_id))


def may_read_by_all(viewer: Membership, key: str, subject: str, subject_id: int | None) -> bool:
    """Whether every member may read the metric for this subject (what a goal shows to all):
    a person's own time never, a team's or the workspace's as the policy says for anyone."""
    definition = registry.metrics().get(key)
    if definition is None or definition.visible is None:
        return True
    if subject == "member":
        return False
    return bool(definition.visible(viewer, subject, subject_id or None))


def reads_record(
    viewer: Membership,
    keys: list[str],
    subject: str,
    subject_id: int | None,
    what: str,
) -> None:
    """Tell the areas of these metrics that the viewer read them for this subject (tracking logs
    a read of another person's time in their access log); once per area's listener. Every page
    or API that shows such a metric's value for a subject calls it."""
    definitions = registry.metrics()
    listeners: dict[object, list[str]] = {}
    for key in keys:
        definition = definitions.get(key)
        if definition is not None and definition.read is not None:
            listeners.setdefault(definition.read, []).append(definition.label)
    for listener, labels in listeners.items():
        listener(viewer, subject, subject_id, f"metrics: {', '.join(labels)} ({what})")  # type: ignore[operator]


def values_for(
    viewer: Membership,
    metrics: list[MetricInfo],
    period: Period,
    *,
    subject: str = "workspace",
    subject_id: int | None = None,
    now: datetime | None = None,
) -> dict[str, Value]:
    """Each metric's value over the period for one subject, in at most four queries."""
    now = now or timezone.now()
    workspace_id = viewer.workspace_id
    today = local_date(now, zone_of(workspace_id))
    by_kind: dict[str, list[str]] = defaultdict(list)
    out: dict[str, Value] = {}
    for metric in metrics:
        if may_read(viewer, metric.key, subject, subject_id):
            by_kind[metric.aggregation].append(metric.key)
        else:
            out[metric.key] = Value()  # a person's time the viewer may not see: no data
    rollups = MetricRollup.objects.filter(
        workspace_id=workspace_id, subject=subject, subject_id=subject_id or 0
    )
    facts = MetricFact.objects.filter(_fact_subject(subject, subject_id), workspace_id=workspace_id)
    summed = by_kind["sum"] + by_kind["mean"]
    if summed:
        sums = {
            row["metric"]: row
            for row in rollups.filter(metric__in=summed, day__range=(period.first, period.last))
            .values("metric")
            .annotate(c=Sum("count"), t=Sum("total"))
        }
        for key in summed:
            row = sums.get(key)
            count = int(row["c"]) if row else 0
            total = row["t"] if row else None
            number = ratio(total, count) if key in by_kind["mean"] else (total if count else None)
            out[key] = Value(number=number, facts=count)
    if by_kind["level"]:
        # A level is the running total of every change up to the period's end; today's changes
        # count only once they have happened (an overdue mark lands at the due moment).
        whole_days = period.last if period.last < today else today - timedelta(days=1)
        levels = {
            row["metric"]: row
            for row in rollups.filter(metric__in=by_kind["level"], day__lte=whole_days)
            .values("metric")
            .annotate(c=Sum("count"), t=Sum("total"))
        }
        if period.last >= today:
            for row in (
                facts.filter(metric__in=by_kind["level"], day=today, occurred_at__lte=now)
                .values("metric")
                .annotate(c=Count("id"), t=Sum("value"))
            ):
                seen = levels.setdefault(row["metric"], {"metric": row["metric"], "c": 0, "t": 0.0})
                seen["c"] += row["c"]
                seen["t"] += row["t"]
        for key in by_kind["level"]:
            row = levels.get(key)
            out[key] = Value(
                number=row["t"] if row and row["c"] else None, facts=row["c"] if row else 0
            )
    readable = [key for keys in by_kind.values() for key in keys]
    reads_record(
        viewer, readable, subject, subject_id, f"{period.first:%Y-%m-%d} to {period.last:%Y-%m-%d}"
    )
    if by_kind["percentiles"]:
        buckets = period_buckets(
            workspace_id, by_kind["percentiles"], period.first, period.last, subject, subject_id
        )
        for key in by_kind["percentiles"]:
            got = buckets.get(key, [])
            out[key] = Value(
                median=bucket_percentile(got, 50),
                p85=bucket_percentile(got, 85),
                facts=sum(count for _, count, _ in got),
            )
    return out


def _month_after(day: date) -> date:
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)


def _spans(first: date, last: date) -> tuple[tuple[date, date] | None, list[tuple[date, date]]]:
    """The whole months of the days ``first``..``last`` (the first of the first and of the last
    of them), and the day ranges left at the edges."""
    start = first if first.day == 1 else _month_after(first)
    if _month_after(last) - timedelta(days=1) == last:  # ``last`` ends its month
        end = last.replace(day=1)
    else:
        end = (last.replace(day=1) - timedelta(days=1)).replace(day=1)
    if start > end:
        return None, [(first, last)]
    edges = []
    if first < start:
        edges.append((first, start - timedelta(days=1)))
    after = _month_after(end)
    if after <= last:
        edges.append((after, last))
    return (start, end), edges


def period_buckets(
    workspace_id: int,
    metrics: list[str],
    first: date,
    last: date,
    subject: str = "workspace",
    subject_id: int | None = None,
) -> dict[str, list[tuple[int, int, float]]]:
    """Each percentile metric's ``(bucket, count, total)`` over the days ``first``..``last``
    for one subject, from the month rows of the whole months and the day rows of the rest (one
    query); a member or a project has no month rows (``rollup.MONTH_SUBJECTS``), so all its
    days are read from day rows, no more than its facts in the period. Give them to
    :func:`rollup.bucket_percentile`."""
    if subject in MONTH_SUBJECTS:
        months, edges = _spans(first, last)
    else:
        months, edges = None, [(first, last)]
    within = Q()
    if months is not None:
        within |= Q(span=HistogramSpan.MONTH, day__range=months)
    for edge in edges:
        within |= Q(span=HistogramSpan.DAY, day__range=edge)
    out: dict[str, list[tuple[int, int, float]]] = defaultdict(list)
    for row in (
        MetricHistogram.objects.filter(
            within,
            workspace_id=workspace_id,
            metric__in=metrics,
            subject=subject,
            subject_id=subject_id or 0,
        )
        .values("metric", "bucket")
        .annotate(c=Sum("count"), t=Sum("total"))
        .order_by()
    ):
        out[row["metric"]].append((row["bucket"], int(row["c"]), row["t"]))
    return out


# A percentile metric's count and total per day, from its day histogram rows (on their primary
# key). A sum of bigints is a numeric on PostgreSQL.
_DAY_SUMS = (
    'SELECT "day", CAST(SUM("count") AS bigint), SUM("total") '  # noqa: S608 (the model's table)
    f'FROM "{MetricHistogram._meta.db_table}" '
    'WHERE "workspace_id" = %s AND "metric" = %s AND "subject" = %s AND "subject_id" = %s '
    'AND "span" = %s AND "day" <= %s{since} GROUP BY "day"'
)


def day_sums(
    workspace_id: int,
    metric: str,
    subject: str,
    subject_id: int,
    first: date | None,
    last: date,
) -> dict[date, tuple[int, float]]:
    """The (count, total) of one metric's facts per day from ``first`` (None: its whole
    history) to ``last`` for one subject: its rollup rows, or for a percentile metric, which
    keeps none, its day histogram rows summed over the buckets (``rollup.rollups_of_histograms``
    in SQL: O(days × buckets) rows read); one query. Days without facts are left out."""
    if is_percentile_metric(metric):
        params: list[Any] = [workspace_id, metric, subject, subject_id, HistogramSpan.DAY, last]
        since = ""
        if first is not None:
            since = ' AND "day" >= %s'
            params.append(first)
        # Written as SQL: compiling the grouped queryset cost more than running it.
        with connection.cursor() as cursor:
            cursor.execute(_DAY_SUMS.format(since=since), params)
            return {day: (int(count), total) for day, count, total in cursor.fetchall()}
    rollups = MetricRollup.objects.filter(
        workspace_id=workspace_id,
        metric=metric,
        subject=subject,
        subject_id=subject_id,
        day__lte=last,
    )
    if first is not None:
        rollups = rollups.filter(day__gte=first)
    return {
        day: (count, total) for day, count, total in rollups.values_list("day", "count", "total")
    }


def day_buckets(
    workspace_id: int,
    metrics: list[str],
    first: date,
    last: date,
    subject: str = "workspace",
    subject_id: int | None = None,
) -> dict[str, list[tuple[date, int, int, float]]]:
    """Each percentile metric's ``(day, bucket, count, total)`` day rows over ``first``..``last``
    for one subject: what a chart of percentiles per week groups (O(days × buckets) rows)."""
    out: dict[str, list[tuple[date, int, int, float]]] = defaultdict(list)
    for key, day, bucket, count, total in MetricHistogram.objects.filter(
        workspace_id=workspace_id,
        metric__in=metrics,
        subject=subject,
        subject_id=subject_id or 0,
        span=HistogramSpan.DAY,
        day__range=(first, last),
    ).values_list("metric", "day", "bucket", "count", "total"):
        out[key].append((day, bucket, count, total))
    return out


@dataclass(frozen=True)
class Item:
    """One fact behind a number, with the item it came from (when its area can name it)."""

    occurred_at: datetime
    value: float
    title: str
    url: str
    noun: str
    member: str
    note: str
    source_kind: str = ""
    source_id: int | None = None
    extra: dict[str, str] = field(default_factory=dict)


def items_for(
    viewer: Membership,
    metric: MetricInfo,
    period: Period,
    *,
    subject: str = "workspace",
    subject_id: int | None = None,
    limit: int = MAX_ITEMS,
) -> tuple[list[Item], int]:
    """The facts of the metric in the period (newest first, at most ``limit``) with links to
    their items, and how many there are in all."""
    facts = MetricFact.objects.filter(
        _fact_subject(subject, subject_id),
        workspace_id=viewer.workspace_id,
        metric=metric.key,
        day__range=(period.first, period.last),
    )
    definition = registry.metrics().get(metric.key)
    if definition is not None and definition.visible is not None:
        # Whoever the subject, the items behind a person's time are shown to that person only.
        if not may_read(viewer, metric.key, subject, subject_id):
            return [], 0
        facts = facts.filter(member_id=viewer.pk)
    total = facts.count()
    rows = list(facts.order_by("-occurred_at", "-id")[:limit])
    kinds = registry.link_kinds()
    titles: dict[tuple[str, int], str] = {}
    by_kind: dict[str, list[int]] = defaultdict(list)
    for fact in rows:
        if fact.source_kind and fact.source_id is not None:
            by_kind[fact.source_kind].append(fact.source_id)
    for kind, ids in by_kind.items():
        if kind in kinds:
            for item_id, title in kinds[kind].titles(viewer.workspace_id, ids).items():
                titles[(kind, item_id)] = title
    people = dict(
        Profile.objects.filter(
            workspace_id=viewer.workspace_id,
            membership_id__in={
                m for f in rows if (m := f.member_id or f.entered_by_id) is not None
            },
        ).values_list("membership_id", "display_name")
    )
    slug = viewer.workspace.slug
    items = []
    for fact in rows:
        link = kinds.get(fact.source_kind)
        title = titles.get((fact.source_kind, fact.source_id or 0), "")
        url = ""
        if link is not None and title and link.url is not None and fact.source_id is not None:
            url = link.url(slug, fact.source_id)
        if not fact.source_kind:
            title = "Value entered"
        elif link is None:  # an item no page shows (a time entry): named by its kind
            title = fact.source_kind.replace("_", " ").capitalize()
        elif not title:
            title = f"A {link.noun if link else fact.source_kind} that no longer exists"
        items.append(
            Item(
                occurred_at=fact.occurred_at,
                value=fact.value,
                title=title,
                url=url,
                noun=link.noun if link else "value",
                member=people.get(fact.member_id or fact.entered_by_id or 0, ""),
                note=fact.note,
                source_kind=fact.source_kind,
                source_id=fact.source_id,
            )
        )
    return items, total


def subject_label_for(viewer: Membership, subject: str, subject_id: int | None) -> str:
    """A subject's name as pages show it ("Team Design"); another workspace's is a 404."""
    from meridian.workspaces.models import Team

    ws = viewer.workspace_id
    name: str | None = None
    if subject == "workspace" or subject_id is None:
        return "The whole workspace"
    if subject == "member":
        name = (
            Profile.objects.filter(workspace_id=ws, membership_id=subject_id)
            .values_list("display_name", flat=True)
            .first()
        )
    elif subject == "team":
        team = Team.objects.filter(workspace_id=ws, pk=subject_id).values_list("name", flat=True)
        name = f"Team {team[0]}" if team else None
    elif subject == "project":
        kind = registry.link_kinds().get("project")
        title = kind.titles(ws, [subject_id]).get(subject_id) if kind else None
        name = f"Project {title}" if title else None
    if name is None:
        raise NotFound(f"No such {subject} in this workspace.")
    return name
