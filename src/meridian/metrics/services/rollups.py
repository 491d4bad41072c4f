"""Rollup and histogram maintenance: the deltas a batch of fact rewrites and deletes computed
(in meridian.metrics.rollup) added to their rows with one upsert per row, rows left without
facts dropped; on SQLite, a write's new facts added by the database from their rows
(:func:`rollups_add_inserted`; on PostgreSQL the insert's own statement does it).

``INSERT ... ON CONFLICT DO UPDATE SET count = count + excluded.count`` runs atomically on
SQLite and PostgreSQL, so concurrent writers never lose each other's increments; a row whose
count falls to zero is deleted: no row means no data.
"""

from django.db import connection

from meridian.core import registry
from meridian.dashboards.freshness import bump
from meridian.metrics.models import MetricFact, MetricHistogram, MetricRollup
from meridian.metrics.rollup import HistogramKey, RollupKey
from meridian.metrics.services.statements import (
    HISTOGRAM_KEY,
    HISTOGRAM_TYPES,
    HISTOGRAM_UPSERT,
    ROLLUP_KEY,
    ROLLUP_TYPES,
    UPSERT,
    day_adapter,
    delete_emptied,
    histograms_of_new,
    returning_emptied,
    rollups_of_new,
    run_rows,
    run_unnest,
)


def rollups_apply(workspace_id: int, deltas: dict[RollupKey, list[float]]) -> None:
    """Add the deltas to the workspace's rollup rows, then drop the rows left without facts;
    its dashboards' version is bumped in the same transaction."""
    bump(workspace_id)
    adapt = day_adapter()
    days = {day: adapt(day) for day in {key[3] for key in deltas}}
    rows = [
        (workspace_id, metric, subject, subject_id, days[day], int(count), total)
        for (metric, subject, subject_id, day), (count, total) in deltas.items()
        if count or total
    ]
    # Only a row that lost facts can have fallen to zero: then the upsert returns the counts.
    returning = returning_emptied(ROLLUP_KEY) if any(row[5] < 0 for row in rows) else ""
    table = MetricRollup._meta.db_table
    if connection.vendor == "postgresql":
        returned = run_unnest(UPSERT, table, rows, ROLLUP_TYPES, returning=returning)
    else:
        returned = run_rows(UPSERT, table, rows, width=7, returning=returning)
    delete_emptied(table, ROLLUP_KEY, ROLLUP_TYPES, workspace_id, returned)


# The facts of one write's inserts, by their ids (SQLite: one unbroken run, see
# ``statements.insert_rows_ids``), as the CTE ``new`` of ``statements.rollups_of_new``.
_NEW_BY_IDS = (
    "WITH new AS (SELECT metric, day, value, member_id, project_id, team_id, bucket "
    "FROM {facts} WHERE id BETWEEN ? AND ?) "
)


def rollups_add_inserted(
    workspace_id: int, first_id: int, last_id: int, *, histogram: bool
) -> None:
    """SQLite: add the facts with ids ``first_id``..``last_id`` (all just inserted by one write,
    of this workspace) to their rollup rows, or with ``histogram`` (a percentile metric) to
    their histogram rows instead: one upsert, adding fact by fact in id order, no fact through
    Python. New facts only add, so no row empties."""
    new = _NEW_BY_IDS.format(facts=MetricFact._meta.db_table)
    if histogram:
        upsert = histograms_of_new(MetricHistogram._meta.db_table, "?", grouped=False)
    else:
        upsert = rollups_of_new(MetricRollup._meta.db_table, "?", grouped=False)
    connection.ensure_connection()
    cursor = connection.connection.cursor()
    try:
        cursor.execute(new + upsert, [first_id, last_id, workspace_id])
    finally:
        cursor.close()


def histograms_apply(workspace_id: int, deltas: dict[HistogramKey, list[float]]) -> None:
    """Add the deltas to the workspace's histogram rows, then drop the rows left empty (its
    dashboards' version bumped)."""
    bump(workspace_id)
    adapt = day_adapter()
    days = {day: adapt(day) for day in {key[4] for key in deltas}}
    rows = [
        (workspace_id, metric, subject, subject_id, span, days[day], bucket, int(count), total)
        for (metric, subject, subject_id, span, day, bucket), (count, total) in deltas.items()
        if count or total
    ]
    returning = returning_emptied(HISTOGRAM_KEY) if any(row[7] < 0 for row in rows) else ""
    table = MetricHistogram._meta.db_table
    if connection.vendor == "postgresql":
        returned = run_unnest(HISTOGRAM_UPSERT, table, rows, HISTOGRAM_TYPES, returning=returning)
    else:
        returned = run_rows(HISTOGRAM_UPSERT, table, rows, width=9, returning=returning)
    delete_emptied(table, HISTOGRAM_KEY, HISTOGRAM_TYPES, workspace_id, returned)


def is_percentile_metric(metric: str) -> bool:
    """Whether a metric is read as percentiles (and so keeps histogram rows, and no rollup
    rows: its daily count and total are its day rows' sums, ``rollup.rollups_of_histograms``)."""
    definition = registry.metrics().get(metric)
    return definition is not None and definition.aggregation == "percentiles"
