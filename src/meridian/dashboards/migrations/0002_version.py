import secrets

import django.db.models.deletion
from django.db import migrations, models


def versions_seed(apps, schema_editor):  # type: ignore[no-untyped-def]
    """A version for every workspace there is, so their dashboards are cached from the start."""
    Workspace = apps.get_model("workspaces", "Workspace")
    DashboardVersion = apps.get_model("dashboards", "DashboardVersion")
    DashboardVersion.objects.bulk_create(
        DashboardVersion(workspace_id=pk, version=secrets.randbits(62))
        for pk in Workspace.objects.values_list("pk", flat=True)
    )


class Migration(migrations.Migration):
    dependencies = [
        ("dashboards", "0001_initial"),
        ("workspaces", "0002_time_off"),
    ]

    operations = [
        migrations.CreateModel(
            name="DashboardVersion",
            fields=[
                (
                    "workspace",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="+",
                        serialize=False,
                        to="workspaces.workspace",
                    ),
                ),
                ("version", models.BigIntegerField()),
            ],
        ),
        migrations.RunPython(versions_seed, migrations.RunPython.noop),
    ]
