"""Each fact carries its value's histogram bucket, so a rebuild groups facts by it in SQL.

Existing facts get theirs from the same function the services use (``rollup.bucket_of``), in
batches of ids; a fact valued zero keeps the default bucket 0, which is its bucket.
"""

from django.db import migrations, models

from meridian.metrics.rollup import bucket_of

BATCH = 20_000


def fill(apps, schema_editor):
    table = apps.get_model("metrics", "MetricFact")._meta.db_table
    last = 0
    with schema_editor.connection.cursor() as cursor:
        while True:
            cursor.execute(
                f"SELECT id, value FROM {table} WHERE id > %s ORDER BY id LIMIT %s",  # noqa: S608
                [last, BATCH],
            )
            rows = cursor.fetchall()
            if not rows:
                return
            cursor.executemany(
                f"UPDATE {table} SET bucket = %s WHERE id = %s",  # noqa: S608
                [(bucket_of(value), pk) for pk, value in rows if value],
            )
            last = rows[-1][0]


class Migration(migrations.Migration):

    dependencies = [
        ("metrics", "0002_percentile_histograms"),
    ]

    operations = [
        migrations.AddField(
            model_name="metricfact",
            name="bucket",
            field=models.IntegerField(default=0),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
