"""Every write of the metrics area: facts and their rollups, custom metrics, pushed values.

Facts are written once per event and rollups follow them in the same transaction: each write
computes, in Python, what it adds to and takes from every (metric, subject, day) row
(meridian.metrics.rollup) and applies those deltas with one ``INSERT ... ON CONFLICT DO
UPDATE SET count = count + excluded.count`` per row, which SQLite and PostgreSQL both run
atomically, so concurrent writers never lose each other's increments. A row whose count falls
to zero is deleted: no row means no data. Facts of percentile metrics also move their
histogram rows (``MetricHistogram``: per subject, day and month, and log bucket) the same way.
"""

import logging
import math
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import islice
from typing import Any

from django.db import connection, transaction
from django.db.models import Count
from django.utils import timezone

from meridian.core import registry
from meridian.core.errors import FieldErrors, NotFound
from meridian.core.moments import local_date
from meridian.core.registry import FactIn, MetricDefinition
from meridian.core.services import audit_record
from meridian.metrics import rollup
from meridian.metrics.models import (
    CustomAggregation,
    CustomMetric,
    MetricFact,
    MetricHistogram,
    MetricRollup,
    MetricsSettings,
    Subject,
)
from meridian.metrics.rollup import FactRow, HistogramKey, RollupKey
from meridian.workspaces.access import require_role
from meridian.workspaces.models import Membership, Role, Team, TeamMembership, Workspace
from meridian.workspaces.services import validate_time_zone

logger = logging.getLogger(__name__)

# A pushed value may be stamped a little ahead of the server's clock (the sender's clock runs
# fast), never further: a value from next year is a mistake.
FUTURE_SLACK = timedelta(minutes=5)
KEY_PATTERN = re.compile(r"^[a-z][a-z0-9_]{1,59}$")
# Names the pages and the API use beside metric keys (/metrics/new/, /metrics/settings).
RESERVED_KEYS = frozenset({"new", "settings"})
CHUNK = 2000
# Adds a delta to its row, creating the row at the delta (the table name is the model's own).
_UPSERT = (
    "INSERT INTO {table} (workspace_id, metric, subject, subject_id, day, count, total) "
    "VALUES {values} "
    "ON CONFLICT (workspace_id, metric, subject, subject_id, day) DO UPDATE SET "
    "count = {table}.count + excluded.count, total = {table}.total + excluded.total"
)
_HISTOGRAM_UPSERT = (
    "INSERT INTO {table} (workspace_id, metric, subject, subject_id, span, day, bucket, count, "
    "total) VALUES {values} "
    "ON CONFLICT (workspace_id, metric, subject, subject_id, span, day, bucket) DO UPDATE SET "
    "count = {table}.count + excluded.count, total = {table}.total + excluded.total"
)
_INSERT = "INSERT INTO {table} ({columns}) VALUES {values}"
# Rows per statement: several hundred rows in one INSERT cost far less than as many statements
# (and stay under SQLite's and PostgreSQL's limits on bound parameters).
ROWS_PER_STATEMENT = 400
_FACT_COLUMNS = (
    "workspace_id",
    "metric",
    "fact_key",
    "source_kind",
    "source_id",
    "member_id",
    "project_id",
    "team_id",
    "occurred_at",
    "day",
    "value",
    "note",
    "entered_by_id",
    "updated_at",
)
_UPDATE = "UPDATE {table} SET {sets} WHERE id = %s"
_DELETE_EMPTY = (
    "DELETE FROM {table} WHERE workspace_id = {mark} AND metric = {mark} AND subject = {mark} "
    "AND subject_id = {mark} AND day = {mark} AND count <= 0"
)
_HISTOGRAM_DELETE_EMPTY = (
    "DELETE FROM {table} WHERE workspace_id = {mark} AND metric = {mark} AND subject = {mark} "
    "AND subject_id = {mark} AND span = {mark} AND day = {mark} AND bucket = {mark} "
    "AND count <= 0"
)
_TRACKED = ("occurred_at", "day", "value", "member_id", "project_id", "team_id")


def _default_zone(workspace_id: int) -> str:
    """Until an admin chooses one: the zone of the workspace's first admin, who set it up."""
    zone = (
        Membership.objects.filter(workspace_id=workspace_id, role=Role.ADMIN, is_active=True)
        .order_by("joined_at", "pk")
        .values_list("profile__time_zone", flat=True)
        .first()
    )
    return zone or "UTC"


def zone_of(workspace_id: int) -> str:
    """The time zone whose midnights split the workspace's metric days: the one an admin set,
    else the first admin's own zone."""
    zone = MetricsSettings.objects.filter(workspace_id=workspace_id).values_list(
        "time_zone", flat=True
    )
    return zone_or_default(workspace_id, next(iter(zone), None))


def zone_or_default(workspace_id: int, stored: str | None) -> str:
    """The zone an admin set (``stored``, read by the caller), else :func:`zone_of`'s
    fallback."""
    return stored or _default_zone(workspace_id)


def zone_fixed(workspace_id: int) -> str:
    """:func:`zone_of`, recorded when the first fact is written: the first admin moving house
    later never moves the days of the facts already written (only an admin's choice does)."""
    settings, _ = MetricsSettings.objects.get_or_create(
        workspace_id=workspace_id, defaults={"time_zone": _default_zone(workspace_id)}
    )
    return settings.time_zone


def _row(fact: MetricFact) -> FactRow:
    return FactRow(fact.metric, fact.day, fact.value, fact.member_id, fact.project_id, fact.team_id)


def _chunks[T](items: Iterable[T], size: int = CHUNK) -> Iterable[list[T]]:
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


# On PostgreSQL a batch goes as one array per column (``unnest``): a handful of parameters per
# statement instead of thousands bound one by one, which was the client's main cost.
_ROLLUP_TYPES = ("bigint", "text", "text", "bigint", "date", "bigint", "float8")
_HISTOGRAM_TYPES = ("bigint", "text", "text", "bigint", "text", "date", "int", "bigint", "float8")
_FACT_TYPES = (
    "bigint",
    "text",
    "text",
    "text",
    "bigint",
    "bigint",
    "bigint",
    "bigint",
    "timestamptz",
    "date",
    "float8",
    "text",
    "bigint",
    "timestamptz",
)
UNNEST_ROWS = 10_000


def _run_unnest(
    template: str, table: str, rows: list[tuple[Any, ...]], types: tuple[str, ...], **parts: str
) -> None:
    """PostgreSQL: ``template`` with ``{values}`` as ``SELECT * FROM unnest(%s::type[], …)``."""
    # The types are this module's constants, never input.
    select = "SELECT * FROM unnest(" + ", ".join(f"%s::{t}[]" for t in types) + ")"  # noqa: S608
    sql = template.replace("VALUES {values}", select).format(table=table, **parts)
    connection.ensure_connection()
    cursor = connection.connection.cursor()
    try:
        for chunk in _chunks(rows, UNNEST_ROWS):
            cursor.execute(sql, [list(column) for column in zip(*chunk, strict=True)])
    finally:
        cursor.close()


def _run_rows(
    template: str, table: str, rows: list[tuple[Any, ...]], *, width: int, **parts: str
) -> None:
    """Run ``template`` with its ``{values}`` filled by up to ROWS_PER_STATEMENT rows at a time.

    The statements go to the database driver's own cursor, in its own placeholder style:
    Django's SQLite wrapper rewrites every ``%s`` of a statement with a regular expression,
    which cost more than SQLite's work on these long statements. Values are adapted by the
    callers (``connection.ops``), and the connection is the one of the current transaction.
    """
    mark = "?" if connection.vendor == "sqlite" else "%s"
    one = "(" + ", ".join([mark] * width) + ")"
    connection.ensure_connection()
    cursor = connection.connection.cursor()
    try:
        for chunk in _chunks(rows, ROWS_PER_STATEMENT):
            sql = template.format(table=table, values=", ".join([one] * len(chunk)), **parts)
            cursor.execute(sql, [value for row in chunk for value in row])
    finally:
        cursor.close()


def _facts_insert(facts: list[MetricFact]) -> None:
    """Insert new facts in multi-row statements (the ORM's bulk_create spent most of a write
    preparing each value through each field)."""
    now = timezone.now()
    moment = _moment_adapter()
    day = _day_adapter()
    stamp = moment(now)
    rows = [
        (
            f.workspace_id,
            f.metric,
            f.fact_key,
            f.source_kind,
            f.source_id,
            f.member_id,
            f.project_id,
            f.team_id,
            moment(f.occurred_at),
            day(f.day),
            float(f.value),
            f.note,
            f.entered_by_id,
            stamp,
        )
        for f in facts
    ]
    if connection.vendor == "postgresql":
        _run_unnest(
            _INSERT, MetricFact._meta.db_table, rows, _FACT_TYPES, columns=", ".join(_FACT_COLUMNS)
        )
        return
    _run_rows(
        _INSERT,
        MetricFact._meta.db_table,
        rows,
        width=len(_FACT_COLUMNS),
        columns=", ".join(_FACT_COLUMNS),
    )


def _delete_empty(template: str, table: str, keys: list[tuple[Any, ...]]) -> None:
    """Drop the rows of these keys whose count fell to zero, each found by its unique index (one
    OR of many keys made the databases scan the table)."""
    if not keys:
        return
    mark = "?" if connection.vendor == "sqlite" else "%s"
    sql = template.format(table=table, mark=mark)
    connection.ensure_connection()
    cursor = connection.connection.cursor()
    try:
        cursor.executemany(sql, keys)
    finally:
        cursor.close()


def _day_adapter() -> Callable[[Any], Any]:
    """The database's date adaptation, remembered per date (a batch has few distinct days and
    many rows on each)."""
    adapt = connection.ops.adapt_datefield_value
    seen: dict[Any, Any] = {}

    def one(day: Any) -> Any:
        value = seen.get(day)
        if value is None:
            value = seen[day] = adapt(day)
        return value

    return one


def _moment_adapter() -> Callable[[Any], Any]:
    """The database's datetime adaptation, with a fast path on SQLite for moments at UTC
    offset zero (Django's converts each through the connection's zone first): SQLite stores
    the UTC wall time as text."""
    adapt = connection.ops.adapt_datetimefield_value
    if connection.vendor != "sqlite" or connection.timezone_name != "UTC":
        return adapt
    zero = timedelta(0)

    def one(value: Any) -> Any:
        if isinstance(value, datetime) and value.utcoffset() == zero:
            return str(value.replace(tzinfo=None))
        return adapt(value)

    return one


def rollups_apply(workspace_id: int, deltas: dict[RollupKey, list[float]]) -> None:
    """Add the deltas to the workspace's rollup rows, then drop the rows left without facts."""
    adapt = _day_adapter()
    rows = [
        (workspace_id, metric, subject, subject_id, adapt(day), int(count), total)
        for (metric, subject, subject_id, day), (count, total) in deltas.items()
        if count or total
    ]
    if connection.vendor == "postgresql":
        _run_unnest(_UPSERT, MetricRollup._meta.db_table, rows, _ROLLUP_TYPES)
    else:
        _run_rows(_UPSERT, MetricRollup._meta.db_table, rows, width=7)
    # Only a row that lost facts can have fallen to zero.
    shrunk = [
        (workspace_id, metric, subject, subject_id, adapt(day))
        for (metric, subject, subject_id, day), (count, _total) in deltas.items()
        if count < 0
    ]
    _delete_empty(_DELETE_EMPTY, MetricRollup._meta.db_table, shrunk)


def histograms_apply(workspace_id: int, deltas: dict[HistogramKey, list[float]]) -> None:
    """Add the deltas to the workspace's histogram rows, then drop the rows left empty."""
    adapt = _day_adapter()
    rows = [
        (workspace_id, metric, subject, subject_id, span, adapt(day), bucket, int(count), total)
        for (metric, subject, subject_id, span, day, bucket), (count, total) in deltas.items()
        if count or total
    ]
    table = MetricHistogram._meta.db_table
    if connection.vendor == "postgresql":
        _run_unnest(_HISTOGRAM_UPSERT, table, rows, _HISTOGRAM_TYPES)
    else:
        _run_rows(_HISTOGRAM_UPSERT, table, rows, width=9)
    shrunk = [
        (workspace_id, metric, subject, subject_id, span, adapt(day), bucket)
        for (metric, subject, subject_id, span, day, bucket), (count, _total) in deltas.items()
        if count < 0
    ]
    _delete_empty(_HISTOGRAM_DELETE_EMPTY, table, shrunk)


def is_percentile_metric(metric: str) -> bool:
    """Whether a metric is read as percentiles (and so keeps histogram rows)."""
    definition = registry.metrics().get(metric)
    return definition is not None and definition.aggregation == "percentiles"


def _facts_update(facts: list[MetricFact]) -> None:
    """Save the rewritten facts, one prepared UPDATE run for all (``bulk_update``'s CASE per
    column grows quadratically with the batch)."""
    now = timezone.now()
    columns = [*_TRACKED, "note", "entered_by_id", "updated_at"]
    by_attname = {field.attname: field for field in MetricFact._meta.concrete_fields}
    fields = [by_attname[name] for name in columns]
    sql = _UPDATE.format(
        table=MetricFact._meta.db_table,
        sets=", ".join(f"{field.column} = %s" for field in fields),
    )
    rows = []
    for fact in facts:
        fact.updated_at = now
        values = [
            field.get_db_prep_save(getattr(fact, field.attname), connection) for field in fields
        ]
        rows.append((*values, fact.pk))
    with connection.cursor() as cursor:
        for chunk in _chunks(rows):
            cursor.executemany(sql, chunk)


def facts_write(
    *,
    workspace_id: int,
    metric: str,
    existing: Iterable[MetricFact],
    wanted: Iterable[MetricFact],
    maintain: bool = True,
    histogram: bool | None = None,
) -> tuple[int, int, int]:
    """Make ``existing`` (the facts a writer owns) into ``wanted``, matched by ``fact_key``:
    new keys are inserted, changed facts updated, missing ones deleted, and the rollups follow
    (with the histogram rows when the metric is a percentile one; ``histogram`` None: as the
    registry says). Returns (inserted, updated, deleted)."""
    if histogram is None:
        histogram = is_percentile_metric(metric)
    before = {fact.fact_key: fact for fact in existing}
    deltas: dict[RollupKey, list[float]] = {}
    spread: dict[HistogramKey, list[float]] = {}
    inserts: list[MetricFact] = []
    updates: list[MetricFact] = []
    for fact in wanted:
        old = before.pop(fact.fact_key, None)
        if old is None:
            inserts.append(fact)
            rollup.change(None, _row(fact), deltas)
            if histogram:
                rollup.histogram_change(None, _row(fact), spread)
        elif any(getattr(old, name) != getattr(fact, name) for name in (*_TRACKED, "note")):
            rollup.change(_row(old), _row(fact), deltas)
            if histogram:
                rollup.histogram_change(_row(old), _row(fact), spread)
            for name in (*_TRACKED, "note", "entered_by_id"):
                setattr(old, name, getattr(fact, name))
            updates.append(old)
    for old in before.values():
        rollup.change(_row(old), None, deltas)
        if histogram:
            rollup.histogram_change(_row(old), None, spread)
    with transaction.atomic():
        _facts_insert(inserts)
        if updates:
            _facts_update(updates)
        gone = [fact.pk for fact in before.values()]
        for chunk in _chunks(gone):
            MetricFact.objects.filter(pk__in=chunk).delete()
        if maintain:
            rollups_apply(workspace_id, deltas)
            if spread:
                histograms_apply(workspace_id, spread)
    return len(inserts), len(updates), len(gone)


def teams_of(workspace_id: int) -> dict[int, int]:
    """Each member's team for their facts: the first team they joined (a member of several
    teams counts for one, so a workspace's teams add up to at most the workspace)."""
    out: dict[int, int] = {}
    for member_id, team_id in (
        TeamMembership.objects.filter(workspace_id=workspace_id)
        .order_by("-added_at", "-pk")
        .values_list("membership_id", "team_id")
    ):
        out[member_id] = team_id  # the earliest comes last and wins
    return out


def _fact(
    workspace_id: int,
    zone: str,
    definition: MetricDefinition,
    given: FactIn,
    teams: dict[int, int] | None = None,
) -> MetricFact:
    team_id = given.team_id
    if team_id is None and given.member_id is not None and teams:
        team_id = teams.get(given.member_id)
    return MetricFact(
        workspace_id=workspace_id,
        metric=definition.key,
        fact_key=f"{definition.source_kind}:{given.source_id}:{given.part}",
        source_kind=definition.source_kind,
        source_id=given.source_id,
        member_id=given.member_id,
        project_id=given.project_id,
        team_id=team_id,
        occurred_at=given.occurred_at,
        day=local_date(given.occurred_at, zone),
        value=float(given.value),
        note=given.note,
    )


def facts_refresh(
    workspace_id: int, source_kind: str, ids: list[int] | None, *, maintain: bool = True
) -> int:
    """Rewrite the built-in facts of these items (every item when ``ids`` is None) from what
    their areas now say, with the rollups; the number of facts written or removed."""
    zone = zone_fixed(workspace_id)
    teams = teams_of(workspace_id)
    touched = 0
    for definition in registry.metrics().values():
        if definition.source_kind != source_kind:
            continue
        wanted = [
            _fact(workspace_id, zone, definition, f, teams)
            for f in definition.facts(workspace_id, ids)
        ]
        existing = MetricFact.objects.filter(
            workspace_id=workspace_id, metric=definition.key, source_kind=source_kind
        )
        if ids is not None:
            existing = existing.filter(source_id__in=ids)
        counts = facts_write(
            workspace_id=workspace_id,
            metric=definition.key,
            existing=existing,
            wanted=wanted,
            maintain=maintain,
        )
        touched += sum(counts)
    return touched


def facts_stale(workspace_id: int, source_kind: str, ids: list[int]) -> None:
    """The FACTS_STALE listener: an area's items changed, so their facts are rewritten.

    It runs after the area's write has committed: a failure here must not fail that write,
    so it is logged, and ``meridian metrics rebuild`` brings the facts back in line."""
    try:
        with transaction.atomic():
            facts_refresh(workspace_id, source_kind, ids)
    except Exception:
        logger.exception("Could not rewrite the metric facts of %s %s", source_kind, ids[:20])


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


_HISTOGRAM_COLUMNS = (
    "workspace_id",
    "metric",
    "subject",
    "subject_id",
    "span",
    "day",
    "bucket",
    "count",
    "total",
)


def histograms_recompute(workspace_id: int, metric: str) -> int:
    """Replace one percentile metric's histogram rows by a recompute from its facts, in
    Python (the bucket of a value is :func:`rollup.bucket_of`'s, the same as the incremental
    path's, to the last bit); the number of rows written."""
    table = MetricHistogram._meta.db_table
    MetricHistogram.objects.filter(workspace_id=workspace_id, metric=metric).delete()
    facts = (
        MetricFact.objects.filter(workspace_id=workspace_id, metric=metric)
        .values_list("day", "value", "member_id", "project_id", "team_id")
        .iterator(chunk_size=20_000)
    )
    rows = rollup.histogram_recompute(
        FactRow(metric, day, value, member, project, team)
        for day, value, member, project, team in facts
    )
    adapt = connection.ops.adapt_datefield_value
    values = [
        (workspace_id, metric, subject, subject_id, span, adapt(day), bucket, count, total)
        for (metric, subject, subject_id, span, day, bucket), (count, total) in rows.items()
    ]
    columns = ", ".join(_HISTOGRAM_COLUMNS)
    if connection.vendor == "postgresql":
        _run_unnest(_INSERT, table, values, _HISTOGRAM_TYPES, columns=columns)
    else:
        _run_rows(_INSERT, table, values, width=len(_HISTOGRAM_COLUMNS), columns=columns)
    return len(values)


def rollups_recompute(workspace_id: int, progress: Progress | None = None) -> int:
    """Replace the workspace's rollups by a full recompute from its facts: per metric, one
    grouped ``INSERT … SELECT`` per kind of subject, and for percentile metrics their histogram
    rows (``progress(facts done, facts)``). The number of rollup rows."""
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
    with transaction.atomic():
        MetricRollup.objects.filter(workspace_id=workspace_id).delete()
        MetricHistogram.objects.filter(workspace_id=workspace_id).delete()
        connection.ensure_connection()
        cursor = connection.connection.cursor()
        try:
            if progress:
                progress(0, total)
            for metric, facts in counts.items():
                for subject, column, only in _SUBJECT_COLUMNS:
                    sql = _RECOMPUTE.format(
                        rollups=MetricRollup._meta.db_table,
                        facts=MetricFact._meta.db_table,
                        mark=mark,
                        column=column,
                        group="" if column == "0" else f"{column}, ",
                        only=only,
                    )
                    cursor.execute(sql, [str(subject), workspace_id, metric])
                if is_percentile_metric(metric):
                    histograms_recompute(workspace_id, metric)
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


# --- Custom metrics and pushed values ------------------------------------------------------------


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
