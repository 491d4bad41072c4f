"""Cheaper writes of new facts on PostgreSQL: no foreign keys on the facts, and the rollup and
histogram keys ordered for cheap comparisons.

* A fact's ``workspace`` and ``entered_by`` are no longer foreign keys in the database. Both
  were deferred checks queued per inserted fact and run at commit (one ``SELECT … FOR KEY
  SHARE`` per fact for the workspace; a trigger per fact even where ``entered_by`` is NULL):
  about a tenth of an insert's server time in bench/metrics.py. Facts are written only by
  ``metrics.services``, for the workspace of the write and a member of it; deleting a
  workspace still deletes its facts and deleting a member still empties their
  ``entered_by`` (Django's cascade and ``SET_NULL`` run in Python, never relied on the
  constraint; tested), as for the rollup rows since migration 0006.
* The rollup and histogram primary keys take the subject id second: (workspace, subject id,
  metric, subject, day) and (workspace, subject id, metric, subject, span, day, bucket). A
  B-tree compares keys column by column, and every column after a text one is found by
  walking the index tuple (PostgreSQL caches the offsets of fixed-width leading columns only):
  with the subject id second, most comparisons end on the second column, a bigint, where they
  went through the metric and subject texts before. Every reader gives the workspace, the
  subject id (or ids), the metric (or metrics), the subject and a day range, so its rows are
  still one range of the key per metric; only the rebuild of one percentile metric's rows
  (its delete and month sums by workspace and metric) reads the workspace's rows of every
  metric, once per rebuild. ``ON CONFLICT (…)`` names the key's columns, in any order.

The state changes as Django would write it; the database changes on PostgreSQL only (on
SQLite ``AlterField`` would copy the facts table, and the rollup tables are ``WITHOUT ROWID``:
migration 0005). Django's state keeps the keys' declared column order
(``CompositePrimaryKey``): only the index's order differs, which nothing in Django reads.
"""

import django.db.models.deletion
from django.db import migrations, models

FACTS = "metrics_metricfact"
REFERENCED = (("workspaces_workspace", "workspace_id"), ("workspaces_membership", "entered_by_id"))
ROLLUP = "metrics_metricrollup"
HISTOGRAM = "metrics_metrichistogram"
KEYS = {
    ROLLUP: (
        ("workspace_id", "metric", "subject", "subject_id", "day"),
        ("workspace_id", "subject_id", "metric", "subject", "day"),
    ),
    HISTOGRAM: (
        ("workspace_id", "metric", "subject", "subject_id", "span", "day", "bucket"),
        ("workspace_id", "subject_id", "metric", "subject", "span", "day", "bucket"),
    ),
}


def _primary_keys(cursor, *, new: bool) -> None:
    for table, (old_key, new_key) in KEYS.items():
        columns = ", ".join(new_key if new else old_key)
        cursor.execute(
            f'ALTER TABLE "{table}" DROP CONSTRAINT "{table}_pkey", '
            f'ADD CONSTRAINT "{table}_pkey" PRIMARY KEY ({columns})'
        )


def forwards(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for name, info in connection.introspection.get_constraints(cursor, FACTS).items():
            if info["foreign_key"] in {(table, "id") for table, _ in REFERENCED}:
                cursor.execute(f'ALTER TABLE "{FACTS}" DROP CONSTRAINT "{name}"')
        _primary_keys(cursor, new=True)


def backwards(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for table, column in REFERENCED:
            cursor.execute(
                f'ALTER TABLE "{FACTS}" ADD CONSTRAINT "{FACTS}_{column}_fk" FOREIGN KEY '
                f'("{column}") REFERENCES "{table}" ("id") DEFERRABLE INITIALLY DEFERRED'
            )
        _primary_keys(cursor, new=False)


class Migration(migrations.Migration):
    dependencies = [
        ("metrics", "0008_no_percentile_rollups"),
        ("workspaces", "0002_time_off"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="metricfact",
                    name="workspace",
                    field=models.ForeignKey(
                        db_constraint=False,
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="workspaces.workspace",
                    ),
                ),
                migrations.AlterField(
                    model_name="metricfact",
                    name="entered_by",
                    field=models.ForeignKey(
                        blank=True,
                        db_constraint=False,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to="workspaces.membership",
                    ),
                ),
            ],
            database_operations=[migrations.RunPython(forwards, backwards)],
        ),
    ]
