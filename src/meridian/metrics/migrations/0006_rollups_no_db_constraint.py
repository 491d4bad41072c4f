"""The rollup and histogram rows' workspace is no longer a foreign key in the database.

PostgreSQL checks a deferred foreign key row by row at commit: every rollup or histogram row a
write of new facts creates queued one check (~3.5 per fact, ~20 % of a write's server time in
bench/metrics.py). The rows are derived data, written only by ``metrics.services`` in the
transaction that writes their facts, whose own foreign key still checks the workspace; deleting
a workspace still deletes its rows (Django's cascade, which never relied on the constraint).

The state changes as Django would write it. The database changes on PostgreSQL only: Django's
``AlterField`` would make the SQLite tables again as it makes tables, with a rowid (they are
``WITHOUT ROWID``, migration 0005), so SQLite keeps its ``REFERENCES`` clause (a table remade
later, as the state says, loses it: harmless either way).
"""

import django.db.models.deletion
from django.db import migrations, models

TABLES = ("metrics_metricrollup", "metrics_metrichistogram")
WORKSPACES = "workspaces_workspace"


def forwards(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for table in TABLES:
            for name, info in connection.introspection.get_constraints(cursor, table).items():
                if info["foreign_key"] == (WORKSPACES, "id"):
                    cursor.execute(f'ALTER TABLE "{table}" DROP CONSTRAINT "{name}"')


def backwards(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for table in TABLES:
            cursor.execute(
                f'ALTER TABLE "{table}" ADD CONSTRAINT "{table}_workspace_id_fk" FOREIGN KEY '
                f'("workspace_id") REFERENCES "{WORKSPACES}" ("id") DEFERRABLE INITIALLY DEFERRED'
            )


def _workspace() -> models.ForeignKey:
    return models.ForeignKey(
        db_constraint=False,
        db_index=False,
        on_delete=django.db.models.deletion.CASCADE,
        related_name="+",
        to="workspaces.workspace",
    )


class Migration(migrations.Migration):
    dependencies = [
        ("metrics", "0005_keyed_rollups"),
        ("workspaces", "0002_time_off"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="metrichistogram", name="workspace", field=_workspace()
                ),
                migrations.AlterField(
                    model_name="metricrollup", name="workspace", field=_workspace()
                ),
            ],
            database_operations=[migrations.RunPython(forwards, backwards)],
        ),
    ]
