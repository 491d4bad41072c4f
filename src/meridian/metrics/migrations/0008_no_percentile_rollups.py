"""Percentile metrics keep histogram rows only, no rollup rows.

A percentile metric's rollup row of a subject and day held the count and total of its facts,
which are its day histogram rows summed over the buckets (``rollup.rollups_of_histograms``):
the readers of that count and total (a key result's mean) now sum those rows, and a fact of a
percentile metric no longer upserts 2-4 rollup rows beside its histogram rows. Forwards
deletes the rollup rows of every metric that has histogram rows in the workspace (only
percentile metrics have any); backwards writes them again from the day histogram rows.
"""

from django.db import migrations

ROLLUPS = "metrics_metricrollup"
HISTOGRAMS = "metrics_metrichistogram"


def forwards(apps, schema_editor):
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {ROLLUPS} WHERE EXISTS (SELECT 1 FROM {HISTOGRAMS} AS h "  # noqa: S608
            f"WHERE h.workspace_id = {ROLLUPS}.workspace_id AND h.metric = {ROLLUPS}.metric)"
        )


def backwards(apps, schema_editor):
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {ROLLUPS} (workspace_id, metric, subject, subject_id, day, count, "  # noqa: S608
            f"total) SELECT workspace_id, metric, subject, subject_id, day, SUM(count), "
            f"SUM(total) FROM {HISTOGRAMS} WHERE span = 'day' "
            f"GROUP BY workspace_id, metric, subject, subject_id, day"
        )


class Migration(migrations.Migration):
    dependencies = [("metrics", "0007_no_member_project_month_histograms")]

    operations = [migrations.RunPython(forwards, backwards)]
