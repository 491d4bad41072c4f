"""Members' and projects' percentile histograms keep day rows only.

A member's or a project's month rows were nearly one per fact (a member has few facts of a
metric in a month, each usually in its own bucket), a third of a percentile fact's histogram
upserts, while a period's percentiles for one member or project read no more day rows than it
has facts in the period (``metrics.selectors.period_buckets``). Forwards deletes those month
rows; backwards writes them again from the day rows, as the rebuild sums the workspace's and
teams' month rows.
"""

from django.db import migrations

TABLE = "metrics_metrichistogram"
SUBJECTS = "('member', 'project')"


def forwards(apps, schema_editor):
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {TABLE} WHERE span = 'month' AND subject IN {SUBJECTS}"  # noqa: S608
        )


def backwards(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor == "postgresql":
        month = "CAST(date_trunc('month', day) AS date)"
    else:
        month = "date(day, 'start of month')"
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {TABLE} (workspace_id, metric, subject, subject_id, span, day, "  # noqa: S608
            f"bucket, count, total) SELECT workspace_id, metric, subject, subject_id, 'month', "
            f"{month}, bucket, SUM(count), SUM(total) FROM {TABLE} "
            f"WHERE span = 'day' AND subject IN {SUBJECTS} "
            f"GROUP BY workspace_id, metric, subject, subject_id, {month}, bucket"
        )


class Migration(migrations.Migration):
    dependencies = [("metrics", "0006_rollups_no_db_constraint")]

    operations = [migrations.RunPython(forwards, backwards)]
