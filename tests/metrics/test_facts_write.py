"""facts_write takes the facts a writer owns either as a queryset (read as plain rows) or as
model instances (a pushed value's locked row): both rewrite the facts and their rollups alike;
facts_write_many writes several metrics' facts, owned by key, as facts_write would one by one."""

from datetime import UTC, date, datetime, timedelta

import pytest

from meridian.metrics.models import MetricFact, MetricHistogram, MetricRollup
from meridian.metrics.rollup import bucket_of, rollups_of_histograms
from meridian.metrics.services import FactsWrite, facts_write, facts_write_many

pytestmark = pytest.mark.django_db

VALUES = (0.0, 0.25, 1.0, 3.7, 41.0, 12345.678)
COLUMNS = (
    "fact_key",
    "occurred_at",
    "day",
    "value",
    "bucket",
    "member_id",
    "project_id",
    "team_id",
    "note",
)


def _facts(workspace_id: int, shift: int = 0) -> list[MetricFact]:
    return [
        MetricFact(
            workspace_id=workspace_id,
            metric="cycle_time",
            fact_key=f"t:{n}",
            member_id=(n + shift) % 3 + 1,
            project_id=None if (n + shift) % 2 else 5,
            team_id=7,
            occurred_at=datetime(2026, 10, 30, 12, tzinfo=UTC) + timedelta(days=(n + shift) % 4),
            day=date(2026, 10, 30) + timedelta(days=(n + shift) % 4),
            value=value * (shift + 1),
            note=f"note {shift}" if n % 2 else "",
        )
        for n, value in enumerate(VALUES)
    ]


def _state(workspace_id: int) -> tuple[set, set, set]:
    facts = set(MetricFact.objects.filter(workspace_id=workspace_id).values_list(*COLUMNS))
    rollups = set(
        MetricRollup.objects.filter(workspace_id=workspace_id).values_list(
            "metric", "subject", "subject_id", "day", "count", "total"
        )
    )
    histograms = set(
        MetricHistogram.objects.filter(workspace_id=workspace_id).values_list(
            "subject", "subject_id", "span", "day", "bucket", "count", "total"
        )
    )
    return facts, rollups, histograms


def _rewrite(workspace_id: int, *, as_instances: bool) -> tuple[set, set, set]:
    MetricFact.objects.filter(workspace_id=workspace_id).delete()
    MetricRollup.objects.filter(workspace_id=workspace_id).delete()
    MetricHistogram.objects.filter(workspace_id=workspace_id).delete()
    facts_write(
        workspace_id=workspace_id, metric="cycle_time", existing=[], wanted=_facts(workspace_id)
    )
    existing = MetricFact.objects.filter(workspace_id=workspace_id, metric="cycle_time")
    facts_write(
        workspace_id=workspace_id,
        metric="cycle_time",
        existing=list(existing) if as_instances else existing,
        # The last fact is gone from what the writer wants: deleted.
        wanted=_facts(workspace_id, shift=1)[:-1],
    )
    return _state(workspace_id)


def test_a_rewrite_stores_the_wanted_facts_with_their_buckets(workspace):
    facts, _rollups, _histograms = _rewrite(workspace.pk, as_instances=False)
    wanted = {
        (
            f.fact_key,
            f.occurred_at,
            f.day,
            f.value,
            bucket_of(f.value),
            f.member_id,
            f.project_id,
            f.team_id,
            f.note,
        )
        for f in _facts(workspace.pk, shift=1)[:-1]
    }
    assert facts == wanted


def test_a_rewrite_from_instances_equals_one_from_a_queryset(workspace):
    from_queryset = _rewrite(workspace.pk, as_instances=False)
    from_instances = _rewrite(workspace.pk, as_instances=True)
    assert from_instances == from_queryset
    # Rows left without facts by the rewrite are gone: every row kept counts at least one fact.
    assert all(row[4] >= 1 for row in from_queryset[1])
    assert all(row[5] >= 1 for row in from_queryset[2])


def test_a_delete_drops_the_rows_it_emptied_and_keeps_the_others_counts(workspace):
    # Rows are addressed by their key (no id): two facts share the workspace's day, member 1's
    # and team 7's rows; the second fact alone feeds member 2's rows.
    first, second = _facts(workspace.pk)[:2]
    second.member_id, second.day, second.occurred_at = 2, first.day, first.occurred_at
    facts_write(workspace_id=workspace.pk, metric="cycle_time", existing=[], wanted=[first, second])
    facts_write(
        workspace_id=workspace.pk,
        metric="cycle_time",
        existing=MetricFact.objects.filter(workspace_id=workspace.pk),
        wanted=[first],
    )
    _facts_left, rollups, histograms = _state(workspace.pk)
    day = first.day
    # A percentile metric keeps no rollup rows: its daily count and total are its day rows'.
    assert rollups == set()
    assert rollups_of_histograms(
        {
            ("cycle_time", subject, subject_id, span, when, bucket): (count, total)
            for subject, subject_id, span, when, bucket, count, total in histograms
        }
    ) == {
        ("cycle_time", "workspace", 0, day): (1, first.value),
        ("cycle_time", "member", 1, day): (1, first.value),
        ("cycle_time", "project", 5, day): (1, first.value),
        ("cycle_time", "team", 7, day): (1, first.value),
    }
    month = day.replace(day=1)
    bucket = bucket_of(first.value)
    assert histograms == {
        (subject, subject_id, span, when, bucket, 1, first.value)
        for subject, subject_id in (("workspace", 0), ("member", 1), ("project", 5), ("team", 7))
        for span, when in (("day", day), ("month", month))
        # A member and a project keep day rows only (rollup.MONTH_SUBJECTS).
        if span == "day" or subject in ("workspace", "team")
    }


def test_deleting_a_workspace_deletes_its_facts_and_rows_and_no_one_elses(workspace):
    """The rollup and histogram rows' workspace is not a database constraint (migration 0006):
    Django's cascade still deletes them with their workspace, on either database."""
    from tests import factories

    other = factories.workspace(name="Other")
    for ws in (workspace, other):
        for metric_facts in _many(ws.pk, 0)[:2]:  # cycle time's and tasks completed's
            metric = metric_facts[0].metric
            facts_write(workspace_id=ws.pk, metric=metric, existing=[], wanted=metric_facts)
    kept = _state(other.pk)
    assert all(kept)  # facts, rollup rows and histogram rows
    workspace.delete()
    assert _state(workspace.pk) == (set(), set(), set())
    assert _state(other.pk) == kept


def test_deleting_a_member_keeps_the_facts_they_entered_without_their_name(workspace):
    """A fact's ``entered_by`` is not a database constraint (migration 0008): Django's SET_NULL
    still empties it when the member goes, on either database, and keeps the fact and its
    rows."""
    from tests import factories

    member = factories.member(workspace)
    wanted = _facts(workspace.pk)
    for fact in wanted:
        fact.entered_by_id = member.pk
    facts_write(workspace_id=workspace.pk, metric="cycle_time", existing=[], wanted=wanted)
    before = _state(workspace.pk)
    member.delete()
    assert _state(workspace.pk) == before
    assert set(
        MetricFact.objects.filter(workspace_id=workspace.pk).values_list("entered_by_id", flat=True)
    ) == {None}


def _many(workspace_id: int, shift: int) -> list:
    """The facts of ``_facts`` under three metrics (two without histograms), keys distinct."""
    out = []
    for metric in ("cycle_time", "tasks_completed", "open_tasks"):
        facts = _facts(workspace_id, shift)
        for fact in facts:
            fact.metric = metric
        out.append(facts)
    return out


def test_facts_write_many_equals_facts_write_metric_by_metric(workspace):
    """Inserts, rewrites and deletes of three metrics in one call (pipeline mode on
    PostgreSQL) leave the facts, rollups and histograms facts_write leaves one by one."""

    def one_by_one():
        for metric_facts, later in zip(_many(workspace.pk, 0), _many(workspace.pk, 1), strict=True):
            metric = metric_facts[0].metric
            facts_write(workspace_id=workspace.pk, metric=metric, existing=[], wanted=metric_facts)
            facts_write(
                workspace_id=workspace.pk,
                metric=metric,
                existing=MetricFact.objects.filter(workspace_id=workspace.pk, metric=metric),
                wanted=later[:-2],
            )

    def together():
        counts = facts_write_many(
            workspace_id=workspace.pk,
            writes=[FactsWrite(f[0].metric, [], f) for f in _many(workspace.pk, 0)],
        )
        assert counts == [(len(VALUES), 0, 0)] * 3
        counts = facts_write_many(
            workspace_id=workspace.pk,
            writes=[
                FactsWrite(f[0].metric, [x.fact_key for x in f], f[:-2])
                for f in _many(workspace.pk, 1)
            ],
        )
        assert [c[2] for c in counts] == [2, 2, 2]

    states = []
    for write in (one_by_one, together):
        MetricFact.objects.filter(workspace_id=workspace.pk).delete()
        MetricRollup.objects.filter(workspace_id=workspace.pk).delete()
        MetricHistogram.objects.filter(workspace_id=workspace.pk).delete()
        write()
        states.append(_state(workspace.pk))
    assert states[0] == states[1]
    assert MetricFact.objects.filter(workspace_id=workspace.pk).count() == 3 * (len(VALUES) - 2)
    assert states[0][2]  # cycle time's histograms


def test_facts_write_many_fails_whole_when_a_write_fails(workspace):
    """An error in any metric's write (here a fact key too long for its column on PostgreSQL,
    a duplicate key on either) undoes the whole call, in pipeline mode too."""
    import sqlite3

    import psycopg
    from django.db import DatabaseError

    first, second = _many(workspace.pk, 0)[:2]
    duplicate = _facts(workspace.pk)[:1]
    duplicate[0].metric = second[0].metric
    with pytest.raises((DatabaseError, sqlite3.Error, psycopg.Error)):
        facts_write_many(
            workspace_id=workspace.pk,
            writes=[
                FactsWrite(first[0].metric, [], first),
                FactsWrite(second[0].metric, [], second + duplicate),
            ],
        )
    assert not MetricFact.objects.filter(workspace_id=workspace.pk).exists()
    assert not MetricRollup.objects.filter(workspace_id=workspace.pk).exists()


def _storage(connection) -> tuple[dict[str, list[list[str]]], list[str]]:
    """The rollup and histogram primary keys' columns, and the facts' foreign keys."""
    with connection.cursor() as cursor:
        keys = {
            table: [
                info["columns"]
                for info in connection.introspection.get_constraints(cursor, table).values()
                if info["primary_key"]
            ]
            for table in (MetricRollup._meta.db_table, MetricHistogram._meta.db_table)
        }
        facts = connection.introspection.get_constraints(cursor, MetricFact._meta.db_table)
    return keys, sorted(info["foreign_key"][0] for info in facts.values() if info["foreign_key"])


def test_migration_0009_orders_postgresqls_keys_and_drops_the_facts_foreign_keys(workspace):
    """Migration 0009's storage: on PostgreSQL the rollup and histogram keys' index starts
    (workspace, subject id) and the facts table has no foreign key to check at commit,
    backwards restores both; SQLite keeps its tables as declared both ways. The rows and
    upserts work either way."""
    import importlib
    from types import SimpleNamespace

    from django.apps import apps
    from django.db import connection

    declared = (
        {
            "metrics_metricrollup": [["workspace_id", "metric", "subject", "subject_id", "day"]],
            "metrics_metrichistogram": [
                ["workspace_id", "metric", "subject", "subject_id", "span", "day", "bucket"]
            ],
        },
        ["workspaces_membership", "workspaces_workspace"],
    )
    postgresql = connection.vendor == "postgresql"
    new = (
        (
            {
                "metrics_metricrollup": [
                    ["workspace_id", "subject_id", "metric", "subject", "day"]
                ],
                "metrics_metrichistogram": [
                    ["workspace_id", "subject_id", "metric", "subject", "span", "day", "bucket"]
                ],
            },
            [],
        )
        if postgresql
        else declared
    )
    assert _storage(connection) == new
    facts_write(
        workspace_id=workspace.pk, metric="cycle_time", existing=[], wanted=_facts(workspace.pk)
    )
    kept = _state(workspace.pk)
    migration = importlib.import_module("meridian.metrics.migrations.0009_cheaper_keys")
    editor = SimpleNamespace(connection=connection)
    if postgresql:
        with connection.cursor() as cursor:
            # The fixtures' deferred checks would forbid altering their tables in this
            # transaction.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    migration.backwards(apps, editor)
    assert _storage(connection) == declared
    migration.forwards(apps, editor)
    assert _storage(connection) == new
    assert _state(workspace.pk) == kept
    _facts_now, _rollups, histograms = _rewrite(workspace.pk, as_instances=False)
    assert histograms  # upserts and emptied rows' deletes on the rebuilt keys
    # A summed metric's rollup rows (a percentile metric has none) upsert on theirs.
    summed = _facts(workspace.pk)
    for fact in summed:
        fact.metric, fact.fact_key = "tasks_completed", "s" + fact.fact_key
    for _ in range(2):  # (the second time, every row is an update)
        facts_write(
            workspace_id=workspace.pk,
            metric="tasks_completed",
            existing=MetricFact.objects.filter(workspace_id=workspace.pk, metric="tasks_completed"),
            wanted=summed,
        )
    rows = MetricRollup.objects.filter(workspace_id=workspace.pk, metric="tasks_completed")
    workspace_rows = rows.filter(subject="workspace")
    assert sum(row.count for row in workspace_rows) == len(summed)
    assert sum(row.total for row in workspace_rows) == pytest.approx(sum(VALUES))
