"""The database's half of "a decision record can never be changed": triggers on its table.

The model refuses ``save()`` on an existing record, ``delete()`` and queryset ``update()`` /
``delete()``; these triggers refuse the same in the database itself, so raw SQL, another
program or a bug in a migration cannot rewrite the log either. There is no switch that turns
them off: only someone who may drop a trigger (the database owner) can get past them, and
then that is a visible schema change, not a quiet UPDATE.

PostgreSQL also has TRUNCATE, which fires no row triggers. It needs the table owner's
privilege and empties every table it names, so it is an operator's tool, not something the
application or its users can reach; blocking it would also stop Django's test runner, which
empties tables with TRUNCATE between tests. (Meridian's suite empties them with DELETE instead,
in a transaction with triggers off: session_replication_role, which only a superuser may set.)

SQLite empties tables with DELETE, which these triggers refuse; the test suite's teardown
therefore calls :func:`purge_for_tests`, the only code that removes records (and it says so).
"""

from django.db.backends.base.base import BaseDatabaseWrapper

TABLE = "decisions_decisionrecord"
MESSAGE = "decision records are immutable: supersede a record with a new one instead"

_SQLITE_CREATE = [
    f"""CREATE TRIGGER IF NOT EXISTS decisions_record_no_update BEFORE UPDATE ON {TABLE}
        BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END""",
    f"""CREATE TRIGGER IF NOT EXISTS decisions_record_no_delete BEFORE DELETE ON {TABLE}
        BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END""",
]
_SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS decisions_record_no_update",
    "DROP TRIGGER IF EXISTS decisions_record_no_delete",
]
_POSTGRES_CREATE = [
    f"""CREATE OR REPLACE FUNCTION decisions_record_immutable() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION '{MESSAGE}' USING ERRCODE = 'integrity_constraint_violation';
        END
        $$""",
    f"DROP TRIGGER IF EXISTS decisions_record_immutable ON {TABLE}",
    f"""CREATE TRIGGER decisions_record_immutable BEFORE UPDATE OR DELETE ON {TABLE}
        FOR EACH ROW EXECUTE FUNCTION decisions_record_immutable()""",
]
_POSTGRES_DROP = [
    f"DROP TRIGGER IF EXISTS decisions_record_immutable ON {TABLE}",
    "DROP FUNCTION IF EXISTS decisions_record_immutable()",
]


def _statements(connection: BaseDatabaseWrapper, *, create: bool) -> list[str]:
    if connection.vendor == "sqlite":
        return _SQLITE_CREATE if create else _SQLITE_DROP
    if connection.vendor == "postgresql":
        return _POSTGRES_CREATE if create else _POSTGRES_DROP
    raise NotImplementedError(f"No immutability triggers for {connection.vendor}")


def install_triggers(connection: BaseDatabaseWrapper) -> None:
    """Create the triggers that refuse UPDATE and DELETE on decision records (idempotent)."""
    with connection.cursor() as cursor:
        for sql in _statements(connection, create=True):
            cursor.execute(sql)


def drop_triggers(connection: BaseDatabaseWrapper) -> None:
    """Remove the triggers (only when the migration that made them is reversed)."""
    with connection.cursor() as cursor:
        for sql in _statements(connection, create=False):
            cursor.execute(sql)


def purge_for_tests(connection: BaseDatabaseWrapper) -> None:
    """Empty the record table between transactional tests on SQLite, triggers restored after.

    Test teardown only: Django's test runner empties every table with DELETE on SQLite, which
    the trigger (rightly) refuses. Runs outside any transaction, with foreign keys off like the
    runner's own flush, since it empties one table ahead of the others.
    """
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT EXISTS (SELECT 1 FROM {TABLE})")  # noqa: S608
        if not cursor.fetchone()[0]:
            return
        cursor.execute("PRAGMA foreign_keys = OFF")
        try:
            for sql in _SQLITE_DROP:
                cursor.execute(sql)
            cursor.execute(f"DELETE FROM {TABLE}")  # noqa: S608
        finally:
            for sql in _SQLITE_CREATE:
                cursor.execute(sql)
            cursor.execute("PRAGMA foreign_keys = ON")
