"""Fewer indexes to keep up as facts are written: the workspace's own index on the facts,
rollups and histograms (their unique keys start with the workspace, and serve its lookups and
its deletion), and ``entered_by`` indexed only where set (most facts are not typed in).

The indexes are dropped by name rather than by Django's ``AlterField``, which on SQLite copies
the whole table (twice for the facts) to change an index.
"""

import django.db.models.deletion
from django.db import migrations, models

# Django's names for the foreign keys' indexes (the same on SQLite and PostgreSQL).
DROPPED = (
    "metrics_metricfact_entered_by_id_1af43e2a",
    "metrics_metricfact_workspace_id_2001e262",
    "metrics_metricrollup_workspace_id_c50144fc",
    "metrics_metrichistogram_workspace_id_1675d585",
)
RECREATED = (
    ("metrics_metricfact", "entered_by_id", DROPPED[0]),
    ("metrics_metricfact", "workspace_id", DROPPED[1]),
    ("metrics_metricrollup", "workspace_id", DROPPED[2]),
    ("metrics_metrichistogram", "workspace_id", DROPPED[3]),
)


def _fk(to: str, *, null: bool, on_delete) -> models.ForeignKey:
    return models.ForeignKey(
        blank=null,
        null=null,
        db_index=False,
        on_delete=on_delete,
        related_name="+",
        to=to,
    )


class Migration(migrations.Migration):
    dependencies = [
        ("metrics", "0003_fact_bucket"),
        ("workspaces", "0002_time_off"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="metricfact",
                    name="entered_by",
                    field=_fk(
                        "workspaces.membership",
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                    ),
                ),
                *(
                    migrations.AlterField(
                        model_name=model,
                        name="workspace",
                        field=_fk(
                            "workspaces.workspace",
                            null=False,
                            on_delete=django.db.models.deletion.CASCADE,
                        ),
                    )
                    for model in ("metricfact", "metrichistogram", "metricrollup")
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    sql=[f'DROP INDEX IF EXISTS "{name}"' for name in DROPPED],
                    reverse_sql=[
                        f'CREATE INDEX "{name}" ON "{table}" ("{column}")'
                        for table, column, name in RECREATED
                    ],
                )
            ],
        ),
        migrations.AddIndex(
            model_name="metricfact",
            index=models.Index(
                condition=models.Q(("entered_by__isnull", False)),
                fields=["entered_by"],
                name="metric_fact_entered_idx",
            ),
        ),
    ]
