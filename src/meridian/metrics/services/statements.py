"""The SQL the metrics writes share: multi-row statements on SQLite, ``unnest`` arrays on
PostgreSQL, each through the driver's own cursor of the current transaction.

Used by :mod:`.facts`, :mod:`.rollups` and :mod:`.rebuild`; nothing here knows a metric.
"""

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timedelta
from itertools import islice
from typing import Any

from django.db import connection

from meridian.metrics.rollup import MONTH_SUBJECTS

CHUNK = 2000
# Adds a delta to its row, creating the row at the delta (the table name is the model's own).
UPSERT = (
    "INSERT INTO {table} (workspace_id, metric, subject, subject_id, day, count, total) "
    "VALUES {values} "
    "ON CONFLICT (workspace_id, metric, subject, subject_id, day) DO UPDATE SET "
    "count = {table}.count + excluded.count, total = {table}.total + excluded.total"
)
HISTOGRAM_UPSERT = (
    "INSERT INTO {table} (workspace_id, metric, subject, subject_id, span, day, bucket, count, "
    "total) VALUES {values} "
    "ON CONFLICT (workspace_id, metric, subject, subject_id, span, day, bucket) DO UPDATE SET "
    "count = {table}.count + excluded.count, total = {table}.total + excluded.total"
)
INSERT = "INSERT INTO {table} ({columns}) VALUES {values}"
# Rows per statement: several hundred rows in one INSERT cost far less than as many statements
# (and stay under SQLite's and PostgreSQL's limits on bound parameters).
ROWS_PER_STATEMENT = 400

# The rollup and histogram rows' keys, which are their primary keys (migration 0005).
ROLLUP_KEY = ("workspace_id", "metric", "subject", "subject_id", "day")
HISTOGRAM_KEY = ("workspace_id", "metric", "subject", "subject_id", "span", "day", "bucket")


def returning_emptied(key: tuple[str, ...]) -> str:
    """Appended to an upsert whose deltas take facts away: each row's key (the workspace's
    left out) and count, so only the rows left at zero (or below, which only a bug could
    cause) are deleted."""
    return " RETURNING " + ", ".join(key[1:]) + ", count"


def chunks[T](items: Iterable[T], size: int = CHUNK) -> Iterable[list[T]]:
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


# On PostgreSQL a batch goes as one array per column (``unnest``): a handful of parameters per
# statement instead of thousands bound one by one, which was the client's main cost.
ROLLUP_TYPES = ("bigint", "text", "text", "bigint", "date", "bigint", "float8")
HISTOGRAM_TYPES = ("bigint", "text", "text", "bigint", "text", "date", "int", "bigint", "float8")
UNNEST_ROWS = 10_000
# How a column's values are made one Python type each: psycopg dumps a list in binary by the
# type of its values, and refuses a list mixing them (a fact's value may be an int or a float).
_INTEGERS = frozenset({"bigint", "int"})


def _column(values: tuple[Any, ...], kind: str) -> list[Any]:
    """One column of a batch as the list psycopg dumps: numbers made the column's type."""
    if kind == "float8":
        return [None if v is None else float(v) for v in values]
    if kind in _INTEGERS:
        return [None if v is None else int(v) for v in values]
    return list(values)


def _arrays(rows: list[tuple[Any, ...]], types: tuple[str, ...]) -> list[list[Any]]:
    return [_column(c, t) for c, t in zip(zip(*rows, strict=True), types, strict=True)]


def binary_cursor() -> Any:
    """A cursor of the current transaction's connection that binds its parameters on the server
    (Django's own quotes each value into the SQL text, which for arrays of thousands of values
    was most of the client's work), so ``%b`` sends an array in binary. Its statements run with
    ``prepare=False``: never prepared on the server, as Django's are not (a transaction-mode
    connection pooler would lose them)."""
    import psycopg

    connection.ensure_connection()
    return psycopg.Cursor(connection.connection)


def run_unnest(
    template: str,
    table: str,
    rows: list[tuple[Any, ...]],
    types: tuple[str, ...],
    *,
    returning: str = "",
    around: tuple[str, str] = ("", ""),
    after: Sequence[Any] = (),
    **parts: str,
) -> list[tuple[Any, ...]]:
    """PostgreSQL: ``template`` with ``{values}`` as ``SELECT * FROM unnest(%b::type[], …)``;
    the rows of its ``returning`` clause, if any. ``around``: SQL before and after the
    statement (a CTE holding it), ``after`` the parameters of the SQL after it (``%s``)."""
    # The types are this module's constants, never input.
    select = "SELECT * FROM unnest(" + ", ".join(f"%b::{t}[]" for t in types) + ")"  # noqa: S608
    sql = template.replace("VALUES {values}", select).format(table=table, **parts) + returning
    sql = around[0] + sql + around[1]
    out: list[tuple[Any, ...]] = []
    with binary_cursor() as cursor:
        for chunk in chunks(rows, UNNEST_ROWS):
            cursor.execute(sql, [*_arrays(chunk, types), *after], prepare=False)
            if returning:
                out.extend(cursor.fetchall())
    return out


def run_rows(
    template: str,
    table: str,
    rows: list[tuple[Any, ...]],
    *,
    width: int,
    returning: str = "",
    **parts: str,
) -> list[tuple[Any, ...]]:
    """Run ``template`` with its ``{values}`` filled by up to ROWS_PER_STATEMENT rows at a time;
    the rows of its ``returning`` clause, if any.

    The statements go to the database driver's own cursor, in its own placeholder style:
    Django's SQLite wrapper rewrites every ``%s`` of a statement with a regular expression,
    which cost more than SQLite's work on these long statements. Values are adapted by the
    callers (``connection.ops``), and the connection is the one of the current transaction.
    """
    mark = "?" if connection.vendor == "sqlite" else "%s"
    one = "(" + ", ".join([mark] * width) + ")"
    out: list[tuple[Any, ...]] = []
    connection.ensure_connection()
    cursor = connection.connection.cursor()
    try:
        for chunk in chunks(rows, ROWS_PER_STATEMENT):
            values = ", ".join([one] * len(chunk))
            sql = template.format(table=table, values=values, **parts) + returning
            cursor.execute(sql, [value for row in chunk for value in row])
            if returning:
                out.extend(cursor.fetchall())
    finally:
        cursor.close()
    return out


# The rollup and histogram rows of a batch of new facts, grouped by the database itself (the
# rebuild's statements, narrowed to the batch): ``new`` is a CTE of the batch's facts (metric,
# day, value, member_id, project_id, team_id, bucket), each fact feeding its workspace's row and
# the rows of the subjects it names. The subject kinds are constants, never input.
_SUBJECTS = (
    ("workspace", "0", ""),
    ("member", "member_id", " WHERE member_id IS NOT NULL"),
    ("project", "project_id", " WHERE project_id IS NOT NULL"),
    ("team", "team_id", " WHERE team_id IS NOT NULL"),
)


def _rows_of_new(columns: str, subjects: tuple[str, ...] | None = None) -> str:
    """Each (fact, subject) pair of ``new`` once (of the ``subjects`` kinds only, if given):
    ``columns`` are the rest of the row."""
    return " UNION ALL ".join(
        f"SELECT metric, '{subject}' AS subject, {column} AS subject_id, {columns} "  # noqa: S608
        f"FROM new{where}"
        for subject, column, where in _SUBJECTS
        if subjects is None or subject in subjects
    )


def first_of_month(column: str = "day") -> str:
    """The SQL of the first day of ``column``'s month, on this database (a date on either)."""
    if connection.vendor == "postgresql":
        return f"CAST(date_trunc('month', {column}) AS date)"
    return f"date({column}, 'start of month')"


def _sums(grouped: bool) -> tuple[str, str]:
    """The count and total each selected row adds, and the clause after the rows: grouped
    per row key (PostgreSQL: one upsert may not touch a row twice), else one row per
    (fact, subject) pair, each added to its row in turn (SQLite does so in the order of the
    facts' ids, as a recompute sums them; grouping first cost more than the upserts saved).
    ``WHERE true`` keeps SQLite from reading ``ON CONFLICT`` as a join's ``ON``."""
    if grouped:
        return "COUNT(*), SUM(value)", "GROUP BY {key}"
    return "1, value", "WHERE true"


def rollups_of_new(table: str, mark: str, *, grouped: bool) -> str:
    """An upsert adding the rollup rows of the facts of ``new`` (its workspace a parameter)."""
    sums, tail = _sums(grouped)
    return (
        f"INSERT INTO {table} (workspace_id, metric, subject, subject_id, day, count, total) "  # noqa: S608
        f"SELECT {mark}, metric, subject, subject_id, day, {sums} "
        f"FROM ({_rows_of_new('day, value')}) AS s "
        + tail.format(key="metric, subject, subject_id, day")
        + " ON CONFLICT (workspace_id, metric, subject, subject_id, day) DO UPDATE SET "
        f"count = {table}.count + excluded.count, total = {table}.total + excluded.total"
    )


def histograms_of_new(table: str, mark: str, *, grouped: bool) -> str:
    """An upsert adding the histogram rows (each subject's day row, and the workspace's and
    team's month rows: ``rollup.MONTH_SUBJECTS``) of the facts of ``new`` (its workspace a
    parameter)."""
    sums, tail = _sums(grouped)
    rows = (
        _rows_of_new("'day' AS span, day, bucket, value")
        + " UNION ALL "
        + _rows_of_new(f"'month' AS span, {first_of_month()} AS day, bucket, value", MONTH_SUBJECTS)
    )
    return (
        f"INSERT INTO {table} (workspace_id, metric, subject, subject_id, span, day, bucket, "  # noqa: S608
        f"count, total) SELECT {mark}, metric, subject, subject_id, span, day, bucket, {sums} "
        f"FROM ({rows}) AS s "
        + tail.format(key="metric, subject, subject_id, span, day, bucket")
        + " ON CONFLICT (workspace_id, metric, subject, subject_id, span, day, bucket) DO UPDATE "
        f"SET count = {table}.count + excluded.count, total = {table}.total + excluded.total"
    )


def insert_rows_ids(
    template: str, table: str, rows: list[tuple[Any, ...]], *, width: int, **parts: str
) -> tuple[int, int] | None:
    """SQLite: :func:`run_rows` for an ``INSERT`` into a table with an ``AUTOINCREMENT`` id;
    the first and last ids of the rows inserted when they are one unbroken run (None if not,
    which no writer but this transaction could cause: it holds the database's write lock).
    Each statement's rows take consecutive ids, its last one ``lastrowid``."""
    one = "(" + ", ".join(["?"] * width) + ")"
    first = last = None
    connection.ensure_connection()
    cursor = connection.connection.cursor()
    contiguous = True
    try:
        for chunk in chunks(rows, ROWS_PER_STATEMENT):
            values = ", ".join([one] * len(chunk))
            cursor.execute(
                template.format(table=table, values=values, **parts),
                [value for row in chunk for value in row],
            )
            end = cursor.lastrowid
            if end is None:
                contiguous = False
                continue
            if first is None:
                first = end - len(chunk) + 1
            elif end != last + len(chunk):  # type: ignore[operator]
                contiguous = False
            last = end
    finally:
        cursor.close()
    if not contiguous or first is None or last is None:
        return None
    return first, last


def delete_emptied(
    table: str,
    key: tuple[str, ...],
    types: tuple[str, ...],
    workspace_id: int,
    returned: list[tuple[Any, ...]],
) -> None:
    """Drop the rows an upsert with :func:`returning_emptied` left without facts, by key (most
    rows a write takes from keep other facts: one statement per shrunk row cost more than the
    upserts); still guarded by ``count <= 0``. SQLite runs one prepared statement for all;
    PostgreSQL one statement joining the keys as arrays (``types``: the key's, as the upsert's
    ``unnest``), where a statement per row cost a round trip each."""
    rows = [row[:-1] for row in returned if row[-1] <= 0]
    if not rows:
        return
    if connection.vendor == "postgresql":
        names = key[1:]
        arrays = ", ".join(f"%b::{t}[]" for t in types[1 : len(key)])
        match = " AND ".join(f"t.{name} = k.{name}" for name in names)
        with binary_cursor() as binary:
            binary.execute(
                f"DELETE FROM {table} AS t USING unnest({arrays}) AS k({', '.join(names)}) "  # noqa: S608
                f"WHERE t.workspace_id = %s AND {match} AND t.count <= 0",
                [*_arrays(rows, types[1 : len(key)]), workspace_id],
                prepare=False,
            )
        return
    where = " AND ".join(f"{column} = ?" for column in key)
    connection.ensure_connection()
    cursor = connection.connection.cursor()
    try:
        cursor.executemany(
            f"DELETE FROM {table} WHERE {where} AND count <= 0",  # noqa: S608
            [(workspace_id, *row) for row in rows],
        )
    finally:
        cursor.close()


def day_adapter() -> Callable[[Any], Any]:
    """The database's date adaptation, remembered per date (a batch has few distinct days and
    many rows on each)."""
    adapt = connection.ops.adapt_datefield_value
    seen: dict[Any, Any] = {}

    def one(day: Any) -> Any:
        value = seen.get(day)
        if value is None:
            value = seen[day] = adapt(day)
        return value

    return one


def moment_adapter() -> Callable[[Any], Any]:
    """The database's datetime adaptation, with a fast path on SQLite for moments at UTC
    offset zero (Django's converts each through the connection's zone first): SQLite stores
    the UTC wall time as text."""
    adapt = connection.ops.adapt_datetimefield_value
    if connection.vendor != "sqlite" or connection.timezone_name != "UTC":
        return adapt
    zero = timedelta(0)

    def one(value: Any) -> Any:
        if isinstance(value, datetime) and value.utcoffset() == zero:
            return str(value.replace(tzinfo=None))
        return adapt(value)

    return one
