"""Every read of the dashboards area: one dashboard — its charts and tables, every number with
the link to the items behind it — from the metrics' daily rollups.

A dashboard reads a constant number of queries whatever its size: the subject, the layout,
the key results on the subject, then in one statement the rollups of every chart's metric, a
level's history before the first week, the daily histogram rows of percentile metrics over
the weeks shown (metrics selectors) and the key results' rollups, and on the workspace's
dashboard the teams and their rollups. Never the raw facts, so its cost does not grow with the number
of facts.
"""

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Literal

from django.db import connection
from django.db.models import OuterRef, Q, Subquery, Sum
from django.urls import reverse
from django.utils import timezone

from meridian.core import registry
from meridian.core.errors import NotFound
from meridian.core.moments import local_date
from meridian.dashboards.access import may_customize
from meridian.dashboards.charts import (
    Week,
    forecast_band,
    week_values,
    weeks_ending,
)
from meridian.dashboards.models import TeamDashboard
from meridian.goals import selectors as goals
from meridian.goals.models import Aggregation, KeyResult
from meridian.metrics.models import HistogramSpan, MetricHistogram, MetricRollup
from meridian.metrics.rollup import bucket_bins, range_bucket_percentiles
from meridian.metrics.selectors import (
    MetricInfo,
    metric_list_and_zone_for,
    reads_record,
    subject_label_for,
)
from meridian.metrics.services import is_percentile_metric
from meridian.workspaces.models import Membership, Team

Kind = Literal["workspace", "team", "project", "person"]
KINDS: tuple[Kind, ...] = ("workspace", "team", "project", "person")
SUBJECT_OF: dict[str, str] = {
    "workspace": "workspace",
    "team": "team",
    "project": "project",
    "person": "member",
}
WEEKS = 12
MAX_KEY_RESULTS = 6
KEY_RESULTS_ENDED_DAYS = 28  # a key result due longer ago than this leaves the dashboard
MAX_TEAMS = 60


@dataclass(frozen=True)
class Cell:
    """One number (or label) of a chart's table; ``url`` opens the items behind it."""

    value: float | str | None
    url: str = ""
    spark: tuple[float | None, ...] = ()
    label: str = ""  # what the number is, for a screen reader, where the table does not say


@dataclass
class Chart:
    """A chart and the table that holds the same numbers.

    ``kind`` tells the page how to draw it: ``series`` (a metric per week), ``percentiles``
    (median and 85th percentile per week), ``histogram`` (how the values spread),
    ``key_result`` (the value per day with its target line and forecast band) or ``table``
    (teams × metrics with a sparkline per cell). ``rows[i][0]`` is the row's label.
    """

    slug: str
    title: str
    kind: str
    unit: str
    columns: list[str]
    rows: list[list[Cell]]
    metric: str = ""
    description: str = ""
    target: float | None = None
    baseline: float | None = None

    @property
    def has_data(self) -> bool:
        return any(
            isinstance(c.value, float | int) for row in self.rows for c in row[1:] if c.value != ""
        )

    def as_json(self) -> dict[str, Any]:
        """The chart's numbers as the page's script, the JSON export and the API read them."""
        return {
            "slug": self.slug,
            "title": self.title,
            "kind": self.kind,
            "unit": self.unit,
            "metric": self.metric,
            "description": self.description,
            "target": self.target,
            "baseline": self.baseline,
            "columns": self.columns,
            "rows": [
                [
                    {
                        "value": c.value,
                        "url": c.url,
                        **({"spark": list(c.spark)} if c.spark else {}),
                    }
                    for c in row
                ]
                for row in self.rows
            ],
        }


@dataclass
class Dashboard:
    """A dashboard as its page, its exports and the API show it."""

    kind: str
    subject: str
    subject_id: int | None
    title: str
    today: date
    weeks: list[Week]
    charts: list[Chart] = field(default_factory=list)
    key_results: list[Chart] = field(default_factory=list)
    statuses: list[goals.Status] = field(default_factory=list)
    multiples: list[Chart] = field(default_factory=list)
    table: Chart | None = None
    multiples_title: str = ""
    hidden: list[str] = field(default_factory=list)
    custom_layout: bool = False
    may_customize: bool = False
    zone: str = "UTC"
    # The workspace dashboard's ways on: (label, URL) of the projects' dashboards.
    projects: list[tuple[str, str]] = field(default_factory=list)
    # The keys of the metrics shown, whose reads were logged (``reads_record``).
    shown: list[str] = field(default_factory=list)

    def all_charts(self) -> list[Chart]:
        return [
            *self.charts,
            *self.key_results,
            *self.multiples,
            *([self.table] if self.table else []),
        ]

    def chart(self, slug: str) -> Chart | None:
        return next((c for c in self.all_charts() if c.slug == slug), None)


def _week_label(week: Week) -> str:
    if week.first.month == week.last.month:
        return f"{week.first.day}–{week.last.day} {week.last:%b}"
    return f"{week.first.day} {week.first:%b} – {week.last.day} {week.last:%b}"


class _Links:
    """The drill-down link of a number: the metric's items over some days for a subject."""

    def __init__(self, slug: str) -> None:
        self.base = reverse("metrics_items", kwargs={"workspace": slug, "key": "KEY"})
        self.paths: dict[str, str] = {}
        self.days: dict[date, str] = {}

    def __call__(self, key: str, first: date, last: date, subject: str, subject_id: int) -> str:
        # Built by hand (hundreds per page, on a few dozen days and metrics, so each path and
        # day is written once): dates, a subject word and an id need no quoting, and a metric
        # key is a slug.
        path = self.paths.get(key) or self.paths.setdefault(key, self.base.replace("KEY", key))
        days = self.days
        since = days.get(first) or days.setdefault(first, first.isoformat())
        until = days.get(last) or days.setdefault(last, last.isoformat())
        url = f"{path}?first={since}&last={until}"
        if subject != "workspace":
            url += f"&subject={subject}&subject_id={int(subject_id)}"
        return url


def layout_for(viewer: Membership, kind: str, subject_id: int | None) -> tuple[list[str], bool]:
    """The metric keys a dashboard shows, in order, and whether a team chose them."""
    if kind == "team" and subject_id is not None:
        saved = (
            TeamDashboard.objects.filter(workspace_id=viewer.workspace_id, team_id=subject_id)
            .values_list("metrics", flat=True)
            .first()
        )
        if saved:
            return list(saved), True
    return [], False


def _title_and_layout(
    viewer: Membership, kind: str, subject_id: int | None
) -> tuple[str, list[str], bool]:
    """The dashboard's title (:func:`subject_label_for`) and :func:`layout_for`'s answer; for
    a team both in one query (its name with its saved layout beside it), another workspace's
    team a 404 alike."""
    if kind != "team" or subject_id is None:
        title = subject_label_for(viewer, SUBJECT_OF[kind], subject_id)
        return title, *layout_for(viewer, kind, subject_id)
    saved = TeamDashboard.objects.filter(workspace_id=viewer.workspace_id, team_id=OuterRef("pk"))
    found = (
        Team.objects.filter(workspace_id=viewer.workspace_id, pk=subject_id)
        .annotate(layout=Subquery(saved.values("metrics")[:1]))
        .values_list("name", "layout")
        .first()
    )
    if found is None:
        raise NotFound("No such team in this workspace.")
    name, layout = found
    return f"Team {name}", list(layout or []), bool(layout)


SeriesKey = tuple[str, str, int]  # (metric, subject, subject id) of a key result


def _rollups(
    workspace_id: int,
    subject: str,
    subject_id: int,
    metrics: Sequence[MetricInfo],
    weeks: Sequence[Week],
    key_results: Sequence[KeyResult] = (),
) -> tuple[
    dict[str, list[tuple[date, int, float]]],
    dict[str, tuple[int, float]],
    dict[SeriesKey, dict[date, tuple[int, float]]],
    dict[str, list[tuple[date, int, int, float]]],
]:
    """Everything a subject's dashboard reads of the metrics, by metric key: the daily rows of
    summed, averaged and level metrics over the weeks, each level's count and total before
    them, the daily (count, total) of each key result's series up to the last week's end (from
    its start; a level's whole history; a percentile metric's summed from its day histogram
    rows, as ``metrics.selectors.day_sums``), and the percentile metrics' day histogram rows
    over the weeks (metrics selectors: O(days × buckets), whatever the number of facts); one
    query.

    One statement, a ``UNION ALL`` of one SELECT per part and series, each on its table's
    unique index (an ``OR`` of them makes SQLite scan the workspace's rows): on PostgreSQL
    each statement is a round trip, which was a third of the API's time. A row may come in
    two parts: each part feeds only its own."""
    keys = [m.key for m in metrics if m.aggregation != "percentiles"]
    levels = [m.key for m in metrics if m.aggregation == "level"]
    percentiles = [m.key for m in metrics if m.aggregation == "percentiles"]
    rows: dict[str, list[tuple[date, int, float]]] = defaultdict(list)
    before: dict[str, tuple[int, float]] = {}
    by_series: dict[SeriesKey, dict[date, tuple[int, float]]] = defaultdict(dict)
    facts: dict[str, list[tuple[date, int, int, float]]] = defaultdict(list)
    first, last = weeks[0].first, weeks[-1].last
    rollup, histogram = _statement_tables()
    parts: list[str] = []
    params: list[Any] = []
    if keys:
        parts.append(_part(_CHART, rollup, _COLUMNS, len(keys), '"day" BETWEEN %s AND %s'))
        params += [workspace_id, subject, subject_id, *keys, first, last]
    if percentiles:
        condition = '"span" = %s AND "day" BETWEEN %s AND %s'
        parts.append(_part(_HISTOGRAM, histogram, _BUCKETS, len(percentiles), condition))
        params += [workspace_id, subject, subject_id, *percentiles, HistogramSpan.DAY]
        params += [first, last]
    series: set[tuple[str, str, int, date | None]] = set()
    for kr in key_results:
        # A level needs its history before the start; a sum or a mean only its own days.
        since = None if kr.aggregation == Aggregation.LATEST else kr.start
        series.add((kr.metric, kr.subject, kr.subject_id, since))
    for key, sub, sid, since in sorted(series, key=str):
        days = '"day" <= %s' if since is None else '"day" BETWEEN %s AND %s'
        params += [workspace_id, sub, sid, key]
        if is_percentile_metric(key):
            # No rollup rows: each day's count and total summed from its histogram rows.
            condition = f'"span" = %s AND {days} GROUP BY "metric", "subject", "subject_id", "day"'
            parts.append(_part(_SERIES, histogram, _DAY_SUMS, 1, condition))
            params.append(HistogramSpan.DAY)
        else:
            parts.append(_part(_SERIES, rollup, _COLUMNS, 1, days))
        params += [last] if since is None else [since, last]
    if levels:
        # Last: a compound statement's columns take their types from its first SELECT, and
        # this one's day is NULL.
        condition = '"day" < %s GROUP BY "metric", "subject", "subject_id"'
        parts.append(_part(_BEFORE, rollup, _SUMS, len(levels), condition))
        params += [workspace_id, subject, subject_id, *levels, first]
    if not parts:
        return rows, before, by_series, facts
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(parts), params)
        found = cursor.fetchall()
    for part, key, sub, sid, day, count, total in found:
        if part == _CHART:
            rows[key].append((day, count, total))
        elif part == _SERIES:
            by_series[(key, sub, sid)][day] = (count, total)
        elif part == _HISTOGRAM:
            facts[key].append((day, sid, count, total))
        else:
            before[key] = (int(count), float(total))
    return rows, before, by_series, facts


def _statement_tables() -> tuple[str, str]:
    return (
        connection.ops.quote_name(MetricRollup._meta.db_table),
        connection.ops.quote_name(MetricHistogram._meta.db_table),
    )


def _part(number: int, table: str, columns: str, metrics: int, condition: str) -> str:
    """One SELECT of :func:`_rollups`' statement: one subject's rows of some metrics (as many
    placeholders as ``metrics``) on ``condition``; parameters: workspace, subject, subject id,
    the metrics, then the condition's."""
    keys = ", ".join(["%s"] * metrics)
    return " ".join(
        (
            "SELECT",
            f"{number},",
            columns,
            "FROM",
            table,
            "WHERE",
            _WHERE,
            f'AND "metric" IN ({keys})',
            "AND",
            condition,
        )
    )


_CHART, _SERIES, _BEFORE, _HISTOGRAM = 0, 1, 2, 3  # the parts of :func:`_rollups`' statement
_WHERE = '"workspace_id" = %s AND "subject" = %s AND "subject_id" = %s'
_COLUMNS = '"metric", "subject", "subject_id", "day", "count", "total"'
_BUCKETS = '"metric", "subject", "bucket", "day", "count", "total"'  # a bucket in the id's place
# A sum of bigints is a numeric on PostgreSQL, which would make every count of the union one.
_SUMS = '"metric", "subject", "subject_id", NULL, CAST(SUM("count") AS bigint), SUM("total")'
_DAY_SUMS = '"metric", "subject", "subject_id", "day", CAST(SUM("count") AS bigint), SUM("total")'


def _levels_before(
    workspace_id: int,
    subject: str,
    subject_ids: Sequence[int],
    metrics: Sequence[MetricInfo],
    first: date,
) -> dict[tuple[str, int], tuple[int, float]]:
    """Each level metric's count and total before ``first``, by (metric, subject id); one
    query (none without a level metric)."""
    levels = [m.key for m in metrics if m.aggregation == "level"]
    before: dict[tuple[str, int], tuple[int, float]] = {}
    if levels and subject_ids:
        for row in (
            MetricRollup.objects.filter(
                workspace_id=workspace_id,
                subject=subject,
                subject_id__in=subject_ids,
                metric__in=levels,
                day__lt=first,
            )
            .values("metric", "subject_id")
            .annotate(c=Sum("count"), t=Sum("total"))
        ):
            before[(row["metric"], row["subject_id"])] = (int(row["c"]), row["t"])
    return before


def _week_sums(
    workspace_id: int,
    subject: str,
    subject_ids: Sequence[int],
    metrics: Sequence[MetricInfo],
    weeks: Sequence[Week],
) -> tuple[dict[tuple[str, int], list[tuple[date, int, float]]], dict[tuple[str, int], Any]]:
    """As :func:`_rollups` for many subjects at once (the workspace's teams), the days summed
    into their weeks by the database: a row per subject and metric rather than per day (one
    row a week, dated the week's first day, is what :func:`charts.week_values` needs), and each
    level's count and total before the first week; two queries."""
    keys = [m.key for m in metrics if m.aggregation != "percentiles"]
    rows: dict[tuple[str, int], list[tuple[date, int, float]]] = defaultdict(list)
    if not keys or not subject_ids:
        return rows, {}
    sums: dict[str, Any] = {}
    for i, week in enumerate(weeks):
        in_week = Q(day__range=(week.first, week.last))
        sums[f"c{i}"] = Sum("count", filter=in_week)
        sums[f"t{i}"] = Sum("total", filter=in_week)
    found: Any = (
        MetricRollup.objects.filter(
            workspace_id=workspace_id,
            subject=subject,
            subject_id__in=subject_ids,
            metric__in=keys,
            day__range=(weeks[0].first, weeks[-1].last),
        )
        .values("metric", "subject_id")
        .annotate(**sums)
        .order_by()
    )
    for row in found:
        rows[(row["metric"], row["subject_id"])] = [
            (week.first, int(row[f"c{i}"]), float(row[f"t{i}"]))
            for i, week in enumerate(weeks)
            if row[f"c{i}"] is not None
        ]
    return rows, _levels_before(workspace_id, subject, subject_ids, metrics, weeks[0].first)


def _metric_charts(
    metric: MetricInfo,
    weeks: list[Week],
    rows: list[tuple[date, int, float]],
    before: tuple[int, float],
    facts: list[tuple[date, int, int, float]],
    link: Any,
    subject: str,
    subject_id: int,
    labels: list[str],
) -> list[Chart]:
    def url(week: Week) -> str:
        return link(metric.key, week.first, week.last, subject, subject_id)

    if metric.aggregation == "percentiles":
        per_week = range_bucket_percentiles(facts, [(w.first, w.last) for w in weeks])
        series = Chart(
            slug=metric.key,
            title=metric.label,
            kind="percentiles",
            unit=metric.unit,
            metric=metric.key,
            description=metric.definition,
            columns=["Week", "Median", "85th percentile"],
            rows=[
                [Cell(label), Cell(p50, url(w)), Cell(p85, url(w))]
                for label, w, (p50, p85) in zip(labels, weeks, per_week, strict=True)
            ],
        )
        whole = link(metric.key, weeks[0].first, weeks[-1].last, subject, subject_id)
        spread = Chart(
            slug=f"{metric.key}-distribution",
            title=f"{metric.label}: how it spreads over {len(weeks)} weeks",
            kind="histogram",
            unit=metric.unit,
            metric=metric.key,
            description=f"How many items took how long, over the {len(weeks)} weeks shown.",
            columns=[f"{metric.unit or 'Value'} from – to", "Items"],
            rows=[
                [Cell(f"{low:,.1f} – {high:,.1f}"), Cell(count, whole)]
                for low, high, count in bucket_bins(facts)
            ],
        )
        return [series, spread]
    values = week_values(rows, weeks, metric.aggregation, before)
    return [
        Chart(
            slug=metric.key,
            title=metric.label,
            kind="series",
            unit=metric.unit,
            metric=metric.key,
            description=metric.definition,
            columns=["Week", metric.unit or "Value"],
            rows=[
                [Cell(label), Cell(value, url(w))]
                for label, w, value in zip(labels, weeks, values, strict=True)
            ],
        )
    ]


def _key_results_on(
    viewer: Membership, kind: str, subject: str, subject_id: int, today: date
) -> list[KeyResult]:
    """The key results measured on the subject — and on a team's dashboard those of the team's
    goals, whatever they measure — due from four weeks ago on; one query."""
    on_subject = Q(subject=subject, subject_id=subject_id)
    if kind == "team":
        on_subject |= Q(goal__team_id=subject_id)
    return list(
        KeyResult.objects.filter(
            on_subject,
            goal__workspace_id=viewer.workspace_id,
            due__gte=today - timedelta(days=KEY_RESULTS_ENDED_DAYS),
        )
        .select_related("goal")
        .order_by("due", "id")[:MAX_KEY_RESULTS]
    )


def _key_result_charts(
    key_results: list[KeyResult],
    by_series: dict[SeriesKey, dict[date, tuple[int, float]]],
    today: date,
    link: Any,
) -> tuple[list[Chart], list[goals.Status]]:
    """Per key result, per day: the value, the target, and the forecast band to the due date
    (from the fit its status made); no query."""
    charts, statuses = [], []
    for kr in key_results:
        series = goals.series_from(
            kr, by_series.get((kr.metric, kr.subject, kr.subject_id), {}), today
        )
        status = goals.status_of(kr, today, series)
        band = {
            p.day: p
            for p in forecast_band(series, start=kr.start, due=kr.due, line=status.forecast.fit)
        }
        # A point a week from the start, and the latest day: a key result's line over months
        # stays a few dozen points (its table too); the forecast is weekly already.
        values = {
            day: value
            for day, value in series
            if (day - kr.start).days % 7 == 0 or day == series[-1][0]
        }
        days = sorted(set(values) | set(band))
        rows = []
        for day in days:
            point = band.get(day)
            rows.append(
                [
                    Cell(day.isoformat()),
                    Cell(
                        values.get(day),
                        link(kr.metric, kr.start, day, kr.subject, kr.subject_id)
                        if day in values
                        else "",
                    ),
                    Cell(kr.target),
                    Cell(point.low if point else None),
                    Cell(point.mid if point else None),
                    Cell(point.high if point else None),
                ]
            )
        charts.append(
            Chart(
                slug=f"kr{kr.pk}",
                title=f"{kr.goal.title}: {kr.title}",
                kind="key_result",
                unit="",
                metric=kr.metric,
                description=status.sentence,
                columns=["Day", "Value", "Target", "Forecast low", "Forecast", "Forecast high"],
                rows=rows,
                target=kr.target,
                baseline=kr.baseline,
            )
        )
        statuses.append(status)
    return charts, statuses


def _team_table(
    viewer: Membership,
    metrics: list[MetricInfo],
    weeks: list[Week],
    labels: list[str],
    link: Any,
) -> tuple[Chart | None, list[Chart]]:
    """Teams × metrics, each cell the latest week with a sparkline of the weeks, and the first
    metric drawn once per team (small multiples, one scale); three queries."""
    teams = list(
        Team.objects.filter(workspace_id=viewer.workspace_id)
        .order_by("name")
        .values_list("pk", "name")[:MAX_TEAMS]
    )
    # Metrics about people's own time are left out: each team's own dashboard shows them as the
    # tracking policy allows (a team's only with at least k members).
    definitions = registry.metrics()
    summed = [
        m
        for m in metrics
        if m.aggregation != "percentiles"
        and getattr(definitions.get(m.key), "visible", None) is None
    ]
    if not teams or not summed:
        return None, []
    rows, before = _week_sums(viewer.workspace_id, "team", [pk for pk, _ in teams], summed, weeks)
    last = weeks[-1]
    table_rows = []
    multiples = []
    for pk, name in teams:
        page = reverse("dashboard_team", kwargs={"workspace": viewer.workspace.slug, "team_id": pk})
        cells = [Cell(name, page)]
        for metric in summed:
            values = week_values(
                rows.get((metric.key, pk), []),
                weeks,
                metric.aggregation,
                before.get((metric.key, pk), (0, 0.0)),
            )
            cells.append(
                Cell(
                    values[-1],
                    link(metric.key, last.first, last.last, "team", pk),
                    tuple(values),
                    f"{metric.label} of {name}",
                )
            )
            if metric is summed[0]:
                multiples.append(
                    Chart(
                        slug=f"team{pk}-{metric.key}",
                        title=f"{name}: {metric.label}",
                        kind="series",
                        unit=metric.unit,
                        metric=metric.key,
                        columns=["Week", metric.unit or "Value"],
                        rows=[
                            [Cell(label), Cell(v, link(metric.key, w.first, w.last, "team", pk))]
                            for label, w, v in zip(labels, weeks, values, strict=True)
                        ],
                    )
                )
        table_rows.append(cells)
    table = Chart(
        slug="teams",
        title=f"Every team, the week to {last.last.day} {last.last:%B}",
        kind="table",
        unit="",
        columns=["Team", *[m.label for m in summed]],
        rows=table_rows,
        description="Each cell: the latest week's value, with a line of the weeks before it.",
    )
    return table, multiples


def _project_links(viewer: Membership) -> list[tuple[str, str]]:
    """The latest projects' dashboards (named through the work area's link kind; one query)."""
    kind = registry.link_kinds().get("project")
    if kind is None:
        return []
    slug = viewer.workspace.slug
    return [
        (name, reverse("dashboard_project", kwargs={"workspace": slug, "project_id": pk}))
        for pk, name in kind.recent(viewer.workspace_id, MAX_TEAMS)
    ]


def dashboard_for(
    viewer: Membership, kind: str, subject_id: int | None = None, now: datetime | None = None
) -> Dashboard:
    """The dashboard of the workspace, a team, a project or a person (``subject_id``: the team,
    project or membership id). Another workspace's subject is a 404 (NotFound)."""
    now = now or timezone.now()
    workspace_id = viewer.workspace_id
    subject = SUBJECT_OF[kind]
    sid = subject_id or 0
    title, chosen, custom = _title_and_layout(
        viewer, kind, subject_id if kind != "workspace" else None
    )
    every_metric, zone = metric_list_and_zone_for(viewer)
    today = local_date(now, zone)
    weeks = weeks_ending(today, WEEKS)
    labels = [_week_label(w) for w in weeks]
    every = {m.key: m for m in every_metric}
    metrics = [every[k] for k in chosen if k in every] if custom else list(every.values())
    hidden: list[str] = []
    # Metrics about a person's own time say who may read them (the tracking policy: a person's
    # figures as it allows, a team's only with at least k members); the rest is hidden by name.
    # Each policy is asked once per dashboard, however many metrics share it.
    definitions = registry.metrics()
    whose = subject_id if kind != "workspace" else None
    answers: dict[Any, bool] = {}
    for m in metrics:
        visible = getattr(definitions.get(m.key), "visible", None)
        if visible is None:
            continue
        if visible not in answers:
            answers[visible] = bool(visible(viewer, subject, whose))
        if not answers[visible]:
            hidden.append(m.label)
    metrics = [m for m in metrics if m.label not in hidden]
    # Another person's time figures shown here go to their tracking access log.
    shown = [m.key for m in metrics]
    reads_record(viewer, shown, subject, whose, f"{kind} dashboard")
    link = _Links(viewer.workspace.slug)
    key_results = _key_results_on(viewer, kind, subject, sid, today)
    rows, before, by_series, facts = _rollups(
        workspace_id, subject, sid, metrics, weeks, key_results
    )
    board = Dashboard(
        kind=kind,
        subject=subject,
        subject_id=subject_id,
        title=title,
        today=today,
        weeks=weeks,
        hidden=hidden,
        custom_layout=custom,
        zone=zone,
        shown=shown,
    )
    for metric in metrics:
        board.charts += _metric_charts(
            metric,
            weeks,
            rows.get(metric.key, []),
            before.get(metric.key, (0, 0.0)),
            facts.get(metric.key, []),
            link,
            subject,
            sid,
            labels,
        )
    board.key_results, board.statuses = _key_result_charts(key_results, by_series, today, link)
    if kind == "workspace":
        board.table, board.multiples = _team_table(viewer, metrics, weeks, labels, link)
        board.projects = _project_links(viewer)
        board.multiples_title = next(
            (m.label for m in metrics if m.aggregation != "percentiles"), ""
        )
    if kind == "team" and subject_id is not None:
        board.may_customize = may_customize(viewer, subject_id)
    return board
