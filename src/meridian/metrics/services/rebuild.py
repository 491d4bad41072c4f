"""The full rebuild (``meridian metrics rebuild``): every built-in fact rewritten from the
areas' items, then every rollup and histogram row recomputed from the facts by grouped
``INSERT … SELECT`` statements, no fact through Python (a percentile metric's histogram rows
only, as its writes keep them); and the metrics zone, whose change recomputes every fact's day.
"""

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from django.db import connection, transaction
from django.db.models import Count

from meridian.core import registry
from meridian.core.moments import local_date
from meridian.core.services import audit_record
from meridian.dashboards.freshness import bump
from meridian.metrics.models import (
    HistogramSpan,
    MetricFact,
    MetricHistogram,
    MetricRollup,
    MetricsSettings,
    Subject,
)
from meridian.metrics.rollup import MONTH_SUBJECTS
from meridian.metrics.services.facts import facts_refresh
from meridian.metrics.services.rollups import is_percentile_metric
from meridian.metrics.services.statements import CHUNK
from meridian.workspaces.access import require_role
from meridian.workspaces.models import Membership, Role, Workspace
from meridian.workspaces.services import validate_time_zone

Progress = Callable[[int, int], object]


# One statement per (metric, subject kind): the database groups the facts itself, a scan of the
# metric's facts by the (workspace, metric, day) index, no row through Python.
_RECOMPUTE = (
    "INSERT INTO {rollups} (workspace_id, metric, subject, subject_id, day, count, total) "
    "SELECT workspace_id, metric, {mark}, {column}, day, COUNT(*), SUM(value) FROM {facts} "
    "WHERE workspace_id = {mark} AND metric = {mark}{only} "
    "GROUP BY workspace_id, metric, {group}day"
)
_SUBJECT_COLUMNS = (
    (Subject.WORKSPACE, "0", ""),
    (Subject.MEMBER, "member_id", " AND member_id IS NOT NULL"),
    (Subject.PROJECT, "project_id", " AND project_id IS NOT NULL"),
    (Subject.TEAM, "team_id", " AND team_id IS NOT NULL"),
)


# A percentile metric's day rows, one statement per subject kind, grouped by the bucket each
# fact was given when written (``MetricFact.bucket``: ``rollup.bucket_of`` in Python, the
# incremental path's own bucket, so no SQL logarithm has to agree with Python's to the bit).
_HISTOGRAM_DAYS = (
    "INSERT INTO {histograms} (workspace_id, metric, subject, subject_id, span, day, bucket, "
    "count, total) "
    "SELECT workspace_id, metric, {mark}, {column}, {mark}, day, bucket, COUNT(*), SUM(value) "
    "FROM {facts} WHERE workspace_id = {mark} AND metric = {mark}{only} "
    "GROUP BY workspace_id, metric, {group}day, bucket"
)
# Its month rows (of ``rollup.MONTH_SUBJECTS`` only), summed from its day rows (far fewer
# rows than facts).
_HISTOGRAM_MONTHS = (
    "INSERT INTO {histograms} (workspace_id, metric, subject, subject_id, span, day, bucket, "
    "count, total) "
    "SELECT workspace_id, metric, subject, subject_id, {mark}, {month}, bucket, SUM(count), "
    "SUM(total) FROM {histograms} WHERE workspace_id = {mark} AND metric = {mark} "
    "AND span = {mark} AND subject IN ({subjects}) "
    "GROUP BY workspace_id, metric, subject, subject_id, {month}, bucket"
)


def _first_of_month() -> str:
    """The SQL of ``day``'s month's first day, on this database."""
    if connection.vendor == "postgresql":
        return "CAST(date_trunc('month', day) AS date)"
    return "date(day, 'start of month')"


def histograms_recompute(workspace_id: int, metric: str) -> int:
    """Replace one percentile metric's histogram rows by a recompute from its facts: grouped
    ``INSERT … SELECT`` statements (the day rows per subject kind from the facts, the month
    rows of ``rollup.MONTH_SUBJECTS`` from the day rows), no fact through Python; the number of rows written."""
    table = MetricHistogram._meta.db_table
    bump(workspace_id)
    MetricHistogram.objects.filter(workspace_id=workspace_id, metric=metric).delete()
    mark = "?" if connection.vendor == "sqlite" else "%s"
    connection.ensure_connection()
    cursor = connection.connection.cursor()
    try:
        for subject, column, only in _SUBJECT_COLUMNS:
            sql = _HISTOGRAM_DAYS.format(
                histograms=table,
                facts=MetricFact._meta.db_table,
                mark=mark,
                column=column,
                group="" if column == "0" else f"{column}, ",
                only=only,
            )
            cursor.execute(sql, [str(subject), str(HistogramSpan.DAY), workspace_id, metric])
        sql = _HISTOGRAM_MONTHS.format(
            histograms=table,
            mark=mark,
            month=_first_of_month(),
            subjects=", ".join(f"'{subject}'" for subject in MONTH_SUBJECTS),
        )
        cursor.execute(
            sql, [str(HistogramSpan.MONTH), workspace_id, metric, str(HistogramSpan.DAY)]
        )
    finally:
        cursor.close()
    return MetricHistogram.objects.filter(workspace_id=workspace_id, metric=metric).count()


# SQLite's page cache while a rebuild runs (KiB): its grouped scans and inserts touch far more
# pages than the connection's usual 2 MB hold; given back when the rebuild ends.
REBUILD_CACHE_KIB = 256 * 1024


@contextmanager
def _rebuild_cache() -> Iterator[None]:
    """On SQLite, a bigger page cache for the rebuild's statements, then the usual one."""
    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        (usual,) = cursor.fetchone()
        cursor.execute(f"PRAGMA cache_size = -{REBUILD_CACHE_KIB}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA cache_size = {int(usual)}")


def rollups_recompute(workspace_id: int, progress: Progress | None = None) -> int:
    """Replace the workspace's rollups by a full recompute from its facts: per metric, one
    grouped ``INSERT … SELECT`` per kind of subject, or for a percentile metric its histogram
    rows instead (``progress(facts done, facts)``). The number of rollup rows."""
    counts = dict(
        MetricFact.objects.filter(workspace_id=workspace_id)
        .values("metric")
        .annotate(n=Count("id"))
        .values_list("metric", "n")
        .order_by("metric")
    )
    total = sum(counts.values())
    mark = "?" if connection.vendor == "sqlite" else "%s"
    done = 0
    with transaction.atomic(), _rebuild_cache():
        bump(workspace_id)
        MetricRollup.objects.filter(workspace_id=workspace_id).delete()
        MetricHistogram.objects.filter(workspace_id=workspace_id).delete()
        connection.ensure_connection()
        cursor = connection.connection.cursor()
        try:
            if progress:
                progress(0, total)
            for metric, facts in counts.items():
                # A percentile metric keeps histogram rows in place of rollup rows.
                percentiles = is_percentile_metric(metric)
                if percentiles:
                    histograms_recompute(workspace_id, metric)
                for subject, column, only in () if percentiles else _SUBJECT_COLUMNS:
                    sql = _RECOMPUTE.format(
                        rollups=MetricRollup._meta.db_table,
                        facts=MetricFact._meta.db_table,
                        mark=mark,
                        column=column,
                        group="" if column == "0" else f"{column}, ",
                        only=only,
                    )
                    cursor.execute(sql, [str(subject), workspace_id, metric])
                done += facts
                if progress:
                    progress(done, total)
        finally:
            cursor.close()
    return MetricRollup.objects.filter(workspace_id=workspace_id).count()


def metrics_rebuild(
    *,
    workspace_ids: list[int] | None = None,
    progress: Callable[[str, int, int], object] | None = None,
) -> dict[str, int]:
    """Backfill every built-in metric's facts from the areas' items, then recompute every
    rollup from the facts (``meridian metrics rebuild``)."""
    workspaces = Workspace.objects.order_by("pk")
    if workspace_ids is not None:
        workspaces = workspaces.filter(pk__in=workspace_ids)
    kinds = sorted({d.source_kind for d in registry.metrics().values()})
    facts = rows = 0
    for workspace in workspaces:
        for kind in kinds:
            with transaction.atomic():
                facts += facts_refresh(workspace.pk, kind, None, maintain=False)

        def step(done: int, total: int, slug: str = workspace.slug) -> None:
            if progress:
                progress(slug, done, total)

        rows += rollups_recompute(workspace.pk, step)
    return {"facts_changed": facts, "rollup_rows": rows}


@transaction.atomic
def metrics_zone_set(*, acting: Membership, time_zone: str) -> MetricsSettings:
    """Set the zone whose midnights split the workspace's metric days (admins); every fact's
    day and every rollup are recomputed in it."""
    require_role(acting, Role.ADMIN)
    zone = validate_time_zone(time_zone)
    settings, _ = MetricsSettings.objects.update_or_create(
        workspace_id=acting.workspace_id, defaults={"time_zone": zone}
    )
    facts = list(MetricFact.objects.filter(workspace_id=acting.workspace_id))
    for fact in facts:
        fact.day = local_date(fact.occurred_at, zone)
    MetricFact.objects.bulk_update(facts, ["day"], batch_size=CHUNK)
    rollups_recompute(acting.workspace_id)
    audit_record(actor=acting, action="metrics.zone_set", obj=settings, data={"zone": zone})
    return settings
