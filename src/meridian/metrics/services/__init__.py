"""Every write of the metrics area: facts and their rollups, the rebuild, custom metrics and
pushed values.

Facts are written once per event and rollups follow them in the same transaction: each write
computes, in Python, what its rewrites and deletes add to and take from every (metric,
subject, day) row (meridian.metrics.rollup), and the database what its new facts add (an
``INSERT ... SELECT`` from the rows just inserted), and applies those deltas with ``INSERT ...
ON CONFLICT DO UPDATE SET count = count + excluded.count``, which SQLite and PostgreSQL both run
atomically, so concurrent writers never lose each other's increments. A row whose count falls
to zero is deleted: no row means no data. Facts of percentile metrics move their histogram
rows (``MetricHistogram``: per subject, day and month, and log bucket) the same way, and no
rollup rows: their daily count and total are the day rows' sums over the buckets.

One module per concept, re-exported here (callers import from ``meridian.metrics.services``):
``facts`` (writing facts, the metrics zone), ``rollups`` (rollup and histogram maintenance),
``rebuild`` (the full recompute, the zone change), ``custom`` (custom metrics, pushed values)
and ``statements`` (the batched SQL they share).
"""

from meridian.metrics.services.custom import (
    FUTURE_SLACK,
    KEY_PATTERN,
    RESERVED_KEYS,
    Pushed,
    custom_metric_create,
    custom_metric_for,
    value_push,
)
from meridian.metrics.services.facts import (
    FactsWrite,
    facts_refresh,
    facts_stale,
    facts_write,
    facts_write_many,
    teams_of,
    zone_fixed,
    zone_of,
    zone_or_default,
)
from meridian.metrics.services.rebuild import (
    Progress,
    histograms_recompute,
    metrics_rebuild,
    metrics_zone_set,
    rollups_recompute,
)
from meridian.metrics.services.rollups import (
    histograms_apply,
    is_percentile_metric,
    rollups_apply,
)
from meridian.metrics.services.statements import CHUNK, ROWS_PER_STATEMENT, UNNEST_ROWS

__all__ = [
    "CHUNK",
    "FUTURE_SLACK",
    "KEY_PATTERN",
    "RESERVED_KEYS",
    "ROWS_PER_STATEMENT",
    "UNNEST_ROWS",
    "FactsWrite",
    "Progress",
    "Pushed",
    "custom_metric_create",
    "custom_metric_for",
    "facts_refresh",
    "facts_stale",
    "facts_write",
    "facts_write_many",
    "histograms_apply",
    "histograms_recompute",
    "is_percentile_metric",
    "metrics_rebuild",
    "metrics_zone_set",
    "rollups_apply",
    "rollups_recompute",
    "teams_of",
    "value_push",
    "zone_fixed",
    "zone_of",
    "zone_or_default",
]
