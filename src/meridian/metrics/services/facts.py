"""Facts: written once per event by :func:`facts_write`, with the rollups following in the same
transaction; an area's items turned into facts (:func:`facts_refresh`); the zone whose
midnights split a workspace's metric days.

Each fact also carries its value's histogram bucket (``rollup.bucket_of``, computed here once,
in Python), so a rebuild groups the facts by bucket in SQL and finds the bucket the incremental
path used, to the bit.
"""

import logging
from collections.abc import Iterable
from datetime import date, datetime
from typing import NamedTuple

from django.db import connection, transaction
from django.db.models import QuerySet
from django.utils import timezone

from meridian.core import registry
from meridian.core.moments import local_date
from meridian.core.registry import FactIn, MetricDefinition
from meridian.metrics import rollup
from meridian.metrics.models import MetricFact, MetricHistogram, MetricRollup, MetricsSettings
from meridian.metrics.rollup import FactRow, HistogramKey, RollupKey, bucket_of
from meridian.metrics.services.rollups import (
    histograms_apply,
    is_percentile_metric,
    rollups_add_inserted,
    rollups_apply,
)
from meridian.metrics.services.statements import (
    INSERT,
    binary_cursor,
    chunks,
    day_adapter,
    histograms_of_new,
    insert_rows_ids,
    moment_adapter,
    rollups_of_new,
    run_rows,
    run_unnest,
)
from meridian.workspaces.models import Membership, Role, TeamMembership

logger = logging.getLogger(__name__)

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
    "bucket",
    "note",
    "entered_by_id",
    "updated_at",
)
# On PostgreSQL, the type of each column's array (``statements.run_unnest``).
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
    "int",
    "text",
    "bigint",
    "timestamptz",
)
_UPDATE = "UPDATE {table} SET {sets} WHERE id = %s"
# On PostgreSQL: every rewritten fact in one statement, its rows as arrays (``run_unnest``),
# joined by id; a statement per fact cost the server a round trip, a parse and a plan each.
_UPDATE_JOINED = (
    "UPDATE {table} AS f SET {sets} FROM (VALUES {values}) AS u({columns}) WHERE f.id = u.id"
)

_TRACKED = ("occurred_at", "day", "value", "member_id", "project_id", "team_id")
# The columns a rewrite sets, in the order of ``_facts_update``'s rows (then the id), and on
# PostgreSQL their arrays' types.
_UPDATED = (*_TRACKED, "bucket", "note", "entered_by_id", "updated_at")
_UPDATED_TYPES = (
    "timestamptz",
    "date",
    "float8",
    "bigint",
    "bigint",
    "bigint",
    "int",
    "text",
    "bigint",
    "timestamptz",
    "bigint",
)


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


# On PostgreSQL, what the insert gives the rollup upserts of the same statement (the CTE
# ``new`` of ``statements.rollups_of_new``).
_RETURNING_NEW = " RETURNING metric, day, value, member_id, project_id, team_id, bucket"


def _facts_insert(
    facts: list[MetricFact], *, workspace_id: int, maintain: bool, histogram: bool
) -> bool:
    """Insert new facts in multi-row statements (the ORM's bulk_create spent most of a write
    preparing each value through each field); with ``maintain``, add them to their rollup rows
    (with ``histogram``, a percentile metric's, to their histogram rows instead) in SQL, from
    the rows written: on PostgreSQL in the insert's own statement (a CTE of the rows it
    returns), on SQLite by the inserted ids.
    False when that could not be done (SQLite ids not in one run): the caller then adds the
    facts' deltas itself."""
    if not facts:
        return True
    now = timezone.now()
    moment = moment_adapter()
    day = day_adapter()
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
            bucket_of(float(f.value)),
            f.note,
            f.entered_by_id,
            stamp,
        )
        for f in facts
    ]
    table = MetricFact._meta.db_table
    columns = ", ".join(_FACT_COLUMNS)
    if connection.vendor == "postgresql":
        if not maintain:
            run_unnest(INSERT, table, rows, _FACT_TYPES, columns=columns)
            return True
        # One statement per chunk: the insert, then the upsert reading what it returned
        # (grouped: one statement may not touch a row twice).
        if histogram:
            rows_of_new = histograms_of_new(MetricHistogram._meta.db_table, "%s", grouped=True)
        else:
            rows_of_new = rollups_of_new(MetricRollup._meta.db_table, "%s", grouped=True)
        tail, after = f") {rows_of_new}", [workspace_id]
        run_unnest(
            INSERT,
            table,
            rows,
            _FACT_TYPES,
            around=("WITH new AS (", _RETURNING_NEW + tail),
            after=after,
            columns=columns,
        )
        return True
    if not maintain:
        run_rows(INSERT, table, rows, width=len(_FACT_COLUMNS), columns=columns)
        return True
    ids = insert_rows_ids(INSERT, table, rows, width=len(_FACT_COLUMNS), columns=columns)
    if ids is None:
        return False
    rollups_add_inserted(workspace_id, *ids, histogram=histogram)
    return True


class _Stored(NamedTuple):
    """What :func:`facts_write` needs of a fact already written (read as plain rows: building a
    model instance per fact cost more than the rest of a rewrite)."""

    pk: int
    fact_key: str
    metric: str
    occurred_at: datetime
    day: date
    value: float
    member_id: int | None
    project_id: int | None
    team_id: int | None
    note: str


_STORED = tuple(_Stored._fields)


def _stored(existing: Iterable[MetricFact]) -> list[_Stored]:
    """The facts a writer owns as rows: a queryset is read for these columns only."""
    if isinstance(existing, QuerySet):
        return [_Stored(*row) for row in existing.values_list(*_STORED)]
    return [_Stored(*(getattr(fact, name) for name in _STORED)) for fact in existing]


def _row(fact: MetricFact | _Stored) -> FactRow:
    return FactRow(fact.metric, fact.day, fact.value, fact.member_id, fact.project_id, fact.team_id)


def _facts_update(changed: list[tuple[_Stored, MetricFact]]) -> None:
    """Save the rewritten facts: on SQLite one prepared UPDATE run for all (``bulk_update``'s
    CASE per column grows quadratically with the batch), on PostgreSQL one UPDATE joining their
    rows as arrays; each value adapted as :func:`_facts_insert` does (the fields' own
    preparation cost more than the UPDATE)."""
    moment = moment_adapter()
    day = day_adapter()
    stamp = moment(timezone.now())
    rows = [
        (
            moment(fact.occurred_at),
            day(fact.day),
            float(fact.value),
            fact.member_id,
            fact.project_id,
            fact.team_id,
            bucket_of(float(fact.value)),
            fact.note,
            fact.entered_by_id,
            stamp,
            old.pk,
        )
        for old, fact in changed
    ]
    table = MetricFact._meta.db_table
    if connection.vendor == "postgresql":
        run_unnest(
            _UPDATE_JOINED,
            table,
            rows,
            _UPDATED_TYPES,
            sets=", ".join(f"{column} = u.{column}" for column in _UPDATED),
            columns=", ".join((*_UPDATED, "id")),
        )
        return
    sql = _UPDATE.format(table=table, sets=", ".join(f"{column} = %s" for column in _UPDATED))
    with connection.cursor() as cursor:
        for chunk in chunks(rows):
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
    (the histogram rows, in their place, when the metric is a percentile one: its daily count
    and total are read from them, ``rollup.rollups_of_histograms``; ``histogram`` None: as the
    registry says). Returns (inserted, updated, deleted)."""
    return _write(workspace_id, metric, _stored(existing), wanted, maintain, histogram)


def _write(
    workspace_id: int,
    metric: str,
    existing: list[_Stored],
    wanted: Iterable[MetricFact],
    maintain: bool,
    histogram: bool | None,
) -> tuple[int, int, int]:
    """:func:`facts_write` with the writer's facts read already."""
    if histogram is None:
        histogram = is_percentile_metric(metric)
    before = {fact.fact_key: fact for fact in existing}
    deltas: dict[RollupKey, list[float]] = {}
    spread: dict[HistogramKey, list[float]] = {}
    inserts: list[MetricFact] = []
    updates: list[tuple[_Stored, MetricFact]] = []
    for fact in wanted:
        old = before.pop(fact.fact_key, None)
        if old is None:
            # Its rollup rows are added in SQL with the insert (``_facts_insert``).
            inserts.append(fact)
        elif (
            old.occurred_at != fact.occurred_at
            or old.day != fact.day
            or old.value != fact.value
            or old.member_id != fact.member_id
            or old.project_id != fact.project_id
            or old.team_id != fact.team_id
            or old.note != fact.note
        ):
            was, row = _row(old), _row(fact)
            if histogram:
                rollup.histogram_change(was, row, spread)
            else:
                rollup.change(was, row, deltas)
            updates.append((old, fact))
    for old in before.values():
        was = _row(old)
        if histogram:
            rollup.histogram_change(was, None, spread)
        else:
            rollup.add(deltas, was, -1)
    with transaction.atomic():
        if not _facts_insert(
            inserts, workspace_id=workspace_id, maintain=maintain, histogram=histogram
        ):
            for fact in inserts:
                row = _row(fact)
                if histogram:
                    rollup.histogram_change(None, row, spread)
                else:
                    rollup.add(deltas, row, 1)
        if updates:
            _facts_update(updates)
        gone = [fact.pk for fact in before.values()]
        for chunk in chunks(gone):
            MetricFact.objects.filter(pk__in=chunk).delete()
        if maintain:
            # A percentile metric's deltas are all histogram rows: one bump of the dashboards'
            # version (``histograms_apply``'s) is enough.
            if deltas or not spread:
                rollups_apply(workspace_id, deltas)
            if spread:
                histograms_apply(workspace_id, spread)
    return len(inserts), len(updates), len(gone)


class FactsWrite(NamedTuple):
    """One metric's part of :func:`facts_write_many`: the keys of the facts the writer owns
    (those stored are its ``existing``) and the facts it wants under that metric."""

    metric: str
    keys: list[str]
    wanted: list[MetricFact]


# PostgreSQL: the stored facts of one metric's keys, given as a binary array: a scan of the
# unique key (workspace, metric, fact_key) for the array's keys, as the ORM's ``IN`` list
# (a join with ``unnest`` of (metric, key) pairs let the planner hash a workspace's facts).
_STORED_BY_KEYS = (
    "SELECT id, fact_key, metric, occurred_at, day, value, member_id, project_id, team_id, "
    "note FROM {table} WHERE workspace_id = %s AND metric = %s AND fact_key = ANY(%b::text[])"
)


def _stored_by_keys(workspace_id: int, writes: list[FactsWrite]) -> dict[str, list[_Stored]]:
    """The stored facts of each write's keys, by metric: on PostgreSQL one statement (a
    ``UNION ALL`` of one SELECT per metric) with the keys as binary arrays (the ORM's
    ``fact_key__in`` compiled and quoted every key in Python, half a batch's client time), on
    SQLite the ORM's read, a chunk of keys at a time."""
    out: dict[str, list[_Stored]] = {write.metric: [] for write in writes}
    if connection.vendor == "postgresql":
        asked = [write for write in writes if write.keys]
        if not asked:
            return out
        one = _STORED_BY_KEYS.format(table=MetricFact._meta.db_table)
        params: list[object] = []
        for write in asked:
            params += [workspace_id, write.metric, list(write.keys)]
        with binary_cursor() as cursor:
            cursor.execute(" UNION ALL ".join([one] * len(asked)), params, prepare=False)
            for row in cursor.fetchall():
                out[row[2]].append(_Stored(*row))
        return out
    for write in writes:
        for chunk in chunks(write.keys):
            out[write.metric].extend(
                _Stored(*row)
                for row in MetricFact.objects.filter(
                    workspace_id=workspace_id, metric=write.metric, fact_key__in=chunk
                ).values_list(*_STORED)
            )
    return out


def facts_write_many(
    *, workspace_id: int, writes: Iterable[FactsWrite], maintain: bool = True
) -> list[tuple[int, int, int]]:
    """:func:`facts_write` for several metrics at once, in one transaction, each write's
    existing facts being the stored ones of its keys: they are read in one statement, then the
    writes run in order (:func:`_write_all`: on PostgreSQL in pipeline mode). Returns each
    write's (inserted, updated, deleted)."""
    writes = list(writes)
    with transaction.atomic():
        stored = _stored_by_keys(workspace_id, writes)
        return _write_all(
            workspace_id, [(w.metric, stored[w.metric], w.wanted) for w in writes], maintain
        )


def _write_all(
    workspace_id: int,
    writes: list[tuple[str, list[_Stored], list[MetricFact]]],
    maintain: bool,
) -> list[tuple[int, int, int]]:
    """Each (metric, its writer's stored facts, the wanted facts) written by :func:`_write`, in
    order, in one transaction. On PostgreSQL in **pipeline mode**: a write's statements are sent
    without waiting for the previous write's (the server adds one metric's facts to their rows
    while this process builds the next metric's), so a batch costs about the larger of the two
    sides' time instead of their sum; a statement whose answer is needed (a rewrite's emptied
    rows) waits for it as before, and an error fails the whole call."""
    with transaction.atomic():
        if connection.vendor != "postgresql" or len(writes) < 2:
            return [_write(workspace_id, *write, maintain, None) for write in writes]
        with connection.connection.pipeline():
            return [_write(workspace_id, *write, maintain, None) for write in writes]


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
    # Some items: every metric's wanted and stored facts read first, then written together (in
    # pipeline mode on PostgreSQL: ``_write_all``). Every item (a rebuild): metric by metric,
    # so only one metric's facts are held at a time.
    writes: list[tuple[str, list[_Stored], list[MetricFact]]] = []
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
        writes.append((definition.key, _stored(existing), wanted))
        if ids is None:
            touched += sum(sum(c) for c in _write_all(workspace_id, writes, maintain))
            writes = []
    return touched + sum(sum(c) for c in _write_all(workspace_id, writes, maintain))


def facts_stale(workspace_id: int, source_kind: str, ids: list[int]) -> None:
    """The FACTS_STALE listener: an area's items changed, so their facts are rewritten.

    It runs after the area's write has committed: a failure here must not fail that write,
    so it is logged, and ``meridian metrics rebuild`` brings the facts back in line."""
    try:
        with transaction.atomic():
            facts_refresh(workspace_id, source_kind, ids)
    except Exception:
        logger.exception("Could not rewrite the metric facts of %s %s", source_kind, ids[:20])
