"""Erasing the ballots that a later anonymous vote replaced from the database's raw files.

Each anonymous vote rewrites all of its proposal's ballots in a random order with fresh ids
(``services.stances._cast_anonymously``). Deleting the old rows is not enough on disk: SQLite keeps
the previous page images in its write-ahead log (``-wal``) and deleted bytes in the free
space of the main file; PostgreSQL keeps dead tuples, with the id of the transaction that
wrote them, in the table's heap pages until a vacuum, and a plain VACUUM leaves dead line
pointers and does not overwrite the free space of a page. Two generations of ballots side by side give away
the newest ballot, and the participants' ``responded_at`` (or the audit log) then tells who
cast it. So once the vote has committed:

* SQLite: every connection runs with ``secure_delete`` on (``settings.py``), so a deleted
  row's bytes are overwritten with zeros in the very page that held it; a TRUNCATE
  checkpoint then copies the pages into the main file and empties the ``-wal``.
* PostgreSQL: ``VACUUM FULL`` writes the ballot table, its indexes and its TOAST table into
  new files holding only the live rows, and drops the old files.

What remains is documented in docs/architecture.md: someone who watches every write as it
happens (or the server's own write-ahead log, replication stream and backups) sees each
vote arrive.
"""

import logging

from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections
from django.db.backends.base.base import BaseDatabaseWrapper

from meridian.decisions.models import AnonymousBallot

logger = logging.getLogger(__name__)

# VACUUM FULL needs the table to itself for a moment; a vote must not hang behind a long
# reader. On a timeout the old rows stay until the next erasure (the next anonymous vote, or
# the hourly decision.ballots_erase job of decisions/schedule.py) succeeds.
LOCK_TIMEOUT = "5s"


def superseded_ballots_erase(*, using: str = DEFAULT_DB_ALIAS) -> bool:
    """Leave no replaced anonymous ballot in the raw database files; False if that failed now."""
    connection = connections[using]
    if connection.in_atomic_block:
        # Neither a checkpoint nor VACUUM can run inside a transaction. Outside tests this is
        # only ever called after the outermost commit (transaction.on_commit).
        return False
    if connection.vendor == "sqlite":
        return _sqlite_checkpoint(connection)
    if connection.vendor == "postgresql":
        return _postgresql_vacuum_full(connection)
    return False


def _sqlite_checkpoint(connection: BaseDatabaseWrapper) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        busy, _frames, _copied = cursor.fetchone()
    if busy:
        # A reader still looks at an older snapshot (the busy timeout has already waited for
        # it); the next checkpoint, at the next vote or by SQLite itself, completes the job.
        logger.warning("Replaced anonymous ballots stay in the -wal until the next checkpoint.")
        return False
    return True


def _postgresql_vacuum_full(connection: BaseDatabaseWrapper) -> bool:
    table = connection.ops.quote_name(AnonymousBallot._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"SET lock_timeout = '{LOCK_TIMEOUT}'")
        try:
            cursor.execute(f"VACUUM (FULL) {table}")
        except DatabaseError:
            logger.warning(
                "Replaced anonymous ballots stay in dead tuples until the next erasure: "
                "the ballot table was busy."
            )
            return False
        finally:
            cursor.execute("RESET lock_timeout")
    return True
