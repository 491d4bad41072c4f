"""Database triggers that refuse UPDATE and DELETE on decision records (SQLite and PostgreSQL)."""

from django.db import migrations

from meridian.decisions.immutability import drop_triggers, install_triggers


def forwards(apps, schema_editor):
    install_triggers(schema_editor.connection)


def backwards(apps, schema_editor):
    drop_triggers(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [("decisions", "0001_initial")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
