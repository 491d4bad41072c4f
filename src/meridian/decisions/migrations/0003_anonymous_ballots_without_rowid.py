"""On SQLite, store anonymous ballots in a table WITHOUT ROWID, ordered by their random ids.

An ordinary SQLite table numbers its rows in the order they are written (the hidden rowid),
which would say which ballot came last. A WITHOUT ROWID table has no such number: its rows are
kept in the order of their random primary keys. (PostgreSQL has no rowid; the service rewrites
all of a proposal's ballots in one transaction, so their system columns tell nothing either.)

Django rebuilds a SQLite table when a later migration alters it, with a plain CREATE TABLE: a
migration that alters this table must apply this one's rebuild again.
"""

from django.db import migrations

TABLE = "decisions_anonymousballot"


def forwards(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = %s", [TABLE])
        create = cursor.fetchone()[0]
        if create.rstrip().upper().endswith("WITHOUT ROWID"):
            return
        cursor.execute(
            "SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = %s AND sql IS NOT NULL",
            [TABLE],
        )
        indexes = [row[0] for row in cursor.fetchall()]
        cursor.execute(f'ALTER TABLE "{TABLE}" RENAME TO "{TABLE}__old"')
        cursor.execute(f"{create} WITHOUT ROWID")
        cursor.execute(f'INSERT INTO "{TABLE}" SELECT * FROM "{TABLE}__old"')
        cursor.execute(f'DROP TABLE "{TABLE}__old"')
        for sql in indexes:
            cursor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("decisions", "0002_record_immutability_triggers")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop, elidable=False)]
