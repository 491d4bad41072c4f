"""Sync ingest: a member's agent sends its 15-minute slots; they are stored by their key (a slot
sent again replaces its figures, never adds) and the daily and weekly rollups move by the
difference.

On PostgreSQL a sync first reads the stored slots of its time range (at most ``FEW_STORED``
of them): when there are that few, the new keys go straight into the slot table by COPY —
PostgreSQL's fastest way in, without ``ON CONFLICT``'s per-row speculative insertion — and
only the stored ones whose figures changed are upserted; when there are more (a re-send),
the rows go through a temporary table and one ``INSERT ... ON CONFLICT`` with the database
summing the stored figures. Every sync holds its member's row lock, so no other sync writes
the same keys in between; a COPY that still meets a stored key (a writer outside the sync)
is undone to its savepoint and the sync takes the general path.
"""

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from meridian.core.errors import Unauthenticated
from meridian.core.moments import reader_zone
from meridian.tracking import rules
from meridian.tracking.models import ActivitySlot
from meridian.tracking.rules import Figures, SlotKey, rollup_deltas
from meridian.tracking.selectors import policy_for
from meridian.workspaces.models import Membership

__all__ = ["SlotIn", "SyncResult", "activity_sync"]

SlotIn = rules.Slot


def _activity_changed(workspace_id: int, ids: list[int]) -> None:
    """After commit, a background task has the metrics redo these daily activity rows' facts
    (hours active, focus): the sync's answer does not wait for them (a third of a new
    5,000-slot sync's time). The slots and rollups are committed before the task is asked
    for, and a failure to ask is logged, never the sync's error: what the agent was told is
    stored stays stored, and ``meridian metrics rebuild`` redoes facts a lost task left."""
    if not ids:
        return
    from meridian.tracking.tasks import activity_facts_refresh

    def enqueue() -> None:
        activity_facts_refresh.enqueue(workspace_id=workspace_id, ids=ids)

    transaction.on_commit(enqueue, robust=True)


@dataclass(frozen=True)
class SyncResult:
    """What one sync did: new slots, slots whose figures were replaced, details dropped."""

    accepted: int
    replaced: int
    dropped_detail: int
    expired: int


@transaction.atomic
def activity_sync(
    *, acting: Membership, agent_id: uuid.UUID, slots: Sequence[SlotIn]
) -> SyncResult:
    """Store the member's synced slots: a slot sent again replaces its figures, never adds.

    Details the policy does not allow are dropped (and counted); slots older than the
    retention period are ignored, since their day is already final in the rollups. The
    rollups of the touched days move by the difference between new and stored figures.
    """
    now = timezone.now()
    policy = policy_for(acting.workspace_id)
    # One sync of a member at a time. The locked row is also the slots' member check (their
    # table has no foreign key constraint, see the model): it exists, and stays until commit.
    locked = Membership.objects.select_for_update().filter(pk=acting.pk).values_list("pk")
    if not locked.first():
        raise Unauthenticated("This membership no longer exists: sign in again.")
    zone = reader_zone(acting.profile.time_zone)
    cutoff = now - timedelta(days=policy.retention_days)
    new, dropped, expired = rules.slots_kept(
        slots, cutoff, zone, allow_apps=policy.allow_apps, allow_titles=policy.allow_titles
    )
    if not new:
        return SyncResult(0, 0, dropped, expired)
    if connection.vendor == "postgresql":
        replaced, deltas = _slots_store_pg(acting, agent_id, now, new)
        _rollup_apply(acting, deltas)
        return SyncResult(len(new) - replaced, replaced, dropped, expired)
    old = _stored_figures(acting, agent_id, new)
    assert old is not None  # no limit asked
    _slots_upsert(acting, agent_id, now, new)
    _rollup_apply(acting, rollup_deltas(old, new))
    return SyncResult(len(new) - len(old), len(old), dropped, expired)


def _stored_figures(
    member: Membership,
    agent_id: uuid.UUID,
    new: dict[SlotKey, tuple[date, Figures]],
    limit: int | None = None,
) -> dict[SlotKey, tuple[date, Figures]] | None:
    """The stored day and figures of those of the new slots the server has already from
    this agent (another computer's slots of the same quarter hour are its own); ``None``
    when the agent has more than ``limit`` slots stored in the new slots' time range.

    Read with a plain cursor: the ORM's per-row converters cost more than the query here.
    """
    as_db = _db_instants({k[0] for k in new})
    old: dict[SlotKey, tuple[date, Figures]] = {}
    agent = ActivitySlot._meta.get_field("agent_id").get_db_prep_value(agent_id, connection)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT start, category, app, title, day, active_seconds, afk_seconds "
            "FROM tracking_activityslot WHERE member_id = %s AND agent_id = %s "
            "AND start >= %s AND start <= %s" + ("" if limit is None else f" LIMIT {limit + 1:d}"),
            [member.pk, agent, min(as_db.values()), max(as_db.values())],
        )
        stored_rows = cursor.fetchall()
        if limit is not None and len(stored_rows) > limit:
            return None
        if not stored_rows:  # all new: no need to look the keys up
            return old
        # The new keys as the database gives them back (SQLite: text): rows need no parsing.
        lookup: dict[tuple[Any, str, str, str], SlotKey] = {
            (as_db[k[0]], k[1], k[2], k[3]): k for k in new
        }
        for start, category, app, title, day, active, afk in stored_rows:
            key = lookup.get((start, category, app, title))
            if key is None:  # written in another form, or not one of the new slots
                key = (_instant(start), category, app, title)
                if key not in new:
                    continue
            stored = day if isinstance(day, date) else date.fromisoformat(day)
            old[key] = (stored, Figures(active, afk))
    return old


def _db_instants(starts: set[datetime]) -> dict[datetime, Any]:
    """Each start as the database stores and returns it (SQLite: naive UTC text).

    On SQLite in UTC this is what Django's ``adapt_datetimefield_value`` gives, without its
    per-value checks (a sync has up to 5,000 slots).
    """
    if connection.vendor == "sqlite" and connection.timezone_name == "UTC":
        return {s: str(s.astimezone(UTC).replace(tzinfo=None)) for s in starts}
    if connection.vendor == "postgresql":
        return {s: s for s in starts}
    adapt = connection.ops.adapt_datetimefield_value
    return {s: adapt(s) for s in starts}


def _instant(value: datetime | str) -> datetime:
    """A start as the database gave it (SQLite: text or naive UTC), as an aware instant."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _slots_upsert(
    member: Membership,
    agent_id: uuid.UUID,
    now: datetime,
    new: dict[SlotKey, tuple[date, Figures]],
) -> None:
    """Insert the slots, replacing the figures of those already there, in one statement.

    Written in SQL (``INSERT ... ON CONFLICT ... DO UPDATE``, which SQLite and PostgreSQL both
    speak) because building 5,000 model instances and their SQL in the ORM took ten times
    longer than the database needed to store them.
    """
    agent = ActivitySlot._meta.get_field("agent_id").get_db_prep_value(agent_id, connection)
    ops = connection.ops
    received = ops.adapt_datetimefield_value(now)
    as_db = _db_instants({k[0] for k in new})
    day_text = {day: ops.adapt_datefield_value(day) for day, _ in new.values()}
    workspace_id, member_id = member.workspace_id, member.pk
    rows = [
        (
            workspace_id,
            member_id,
            as_db[start],
            category,
            app,
            title,
            active,
            afk,
            day_text[day],
            agent,
            received,
        )
        for (start, category, app, title), (day, (active, afk)) in new.items()
    ]
    if connection.vendor == "sqlite":
        # 500 rows per statement (a third less time than executemany of one row's statement,
        # which binds and steps row by row), sent to the driver's own cursor: Django's SQLite
        # cursor rewrites each %s of a long statement with a regular expression.
        connection.ensure_connection()
        cursor = connection.connection.cursor()
        row = UPSERT_ROW.replace("%s", "?")
        try:
            for first in range(0, len(rows), UPSERT_BATCH):
                batch = rows[first : first + UPSERT_BATCH]
                values = ",".join([row] * len(batch))
                cursor.execute(UPSERT_HEAD + values + UPSERT_TAIL, [v for r in batch for v in r])
        finally:
            cursor.close()
        return
    with connection.cursor() as cursor:
        cursor.executemany(UPSERT_HEAD + UPSERT_ROW + UPSERT_TAIL, rows)


def _slots_store_pg(
    member: Membership,
    agent_id: uuid.UUID,
    now: datetime,
    new: dict[SlotKey, tuple[date, Figures]],
) -> tuple[int, dict[tuple[date, str], Figures]]:
    """PostgreSQL: store the slots; return how many were stored already and the rollup deltas.

    A sync of slots mostly new (an agent catching up, or sending its latest quarter hours)
    COPYs its new keys straight into the slot table and upserts the few stored ones whose
    figures changed; a sync of many stored slots (a re-send) takes ``_slots_upsert_pg``.
    """
    import psycopg

    old = _stored_figures(member, agent_id, new, limit=FEW_STORED)
    if old is None:
        replaced, old_sums = _slots_upsert_pg(member, agent_id, now, new)
        return replaced, rules.rollup_deltas_from_sums(new, old_sums)
    if len(old) < len(new):
        try:
            with transaction.atomic():  # a savepoint: a key stored meanwhile undoes only this
                _slots_copy_pg(member, agent_id, now, new, old)
        except psycopg.errors.UniqueViolation:
            replaced, old_sums = _slots_upsert_pg(member, agent_id, now, new)
            return replaced, rules.rollup_deltas_from_sums(new, old_sums)
    # A stored slot sent again with the same day and figures is left as it is (as the
    # upsert's ``WHERE`` does): no new row version, ``received_at`` stays.
    changed = {k: new[k] for k, stored in old.items() if stored != new[k]}
    if changed:
        _slots_upsert(member, agent_id, now, changed)
    return len(old), rollup_deltas(old, new)


def _slots_copy_pg(
    member: Membership,
    agent_id: uuid.UUID,
    now: datetime,
    new: dict[SlotKey, tuple[date, Figures]],
    stored: dict[SlotKey, tuple[date, Figures]],
) -> None:
    """COPY (binary) the new slots not in ``stored`` straight into the slot table."""
    workspace_id, member_id = member.workspace_id, member.pk
    with connection.cursor() as cursor, cursor.cursor.copy(COPY_SLOTS_PG) as copy:
        copy.set_types(COPY_SLOTS_PG_TYPES)
        write = copy.write_row
        for key, (day, (active, afk)) in new.items():
            if key in stored:
                continue
            start, category, app, title = key
            write(
                (
                    workspace_id,
                    member_id,
                    agent_id,
                    now,
                    start,
                    category,
                    app,
                    title,
                    active,
                    afk,
                    day,
                )
            )


def _slots_upsert_pg(
    member: Membership,
    agent_id: uuid.UUID,
    now: datetime,
    new: dict[SlotKey, tuple[date, Figures]],
) -> tuple[int, dict[tuple[date, str], Figures]]:
    """PostgreSQL: store the slots, and return how many were there already and their stored
    figures summed per (stored day, category) — what the rollups move by.

    COPY (binary) into a temporary table; the database itself then sums the stored figures of
    the keys sent (a few rows per day and category come back instead of each slot), and one
    INSERT ... SELECT ... ON CONFLICT stores them: nothing is bound parameter by parameter and
    the rows travel in PostgreSQL's own format.
    """
    agent = ActivitySlot._meta.get_field("agent_id").get_db_prep_value(agent_id, connection)
    starts = [k[0] for k in new]
    with connection.cursor() as cursor:
        cursor.execute(SLOTS_IN_PG)
        with cursor.cursor.copy(COPY_SLOTS_IN_PG) as copy:
            copy.set_types(["timestamptz", "text", "text", "text", "int4", "int4", "date"])
            write = copy.write_row
            for (start, category, app, title), (day, (active, afk)) in new.items():
                write((start, category, app, title, active, afk, day))
        cursor.execute(OLD_SUMS_PG, [member.pk, agent, min(starts), max(starts)])
        replaced = 0
        old_sums: dict[tuple[date, str], Figures] = {}
        for day, category, active, afk, count in cursor.fetchall():
            old_sums[(day, category)] = Figures(int(active), int(afk))
            replaced += count
        cursor.execute(UPSERT_HEAD_PG + UPSERT_TAIL, [member.workspace_id, member.pk, agent, now])
        # Emptied now, not at commit: a transaction may hold several syncs (the demo's).
        cursor.execute("TRUNCATE tracking_slots_in")
    return replaced, old_sums


# Up to this many stored slots in a sync's time range are read back and compared in Python
# (a millisecond); more, and the database compares them (a re-send: most keys are stored).
FEW_STORED = 200
COPY_SLOTS_PG = (
    "COPY tracking_activityslot (workspace_id, member_id, agent_id, received_at, start, "
    "category, app, title, active_seconds, afk_seconds, day) FROM STDIN (FORMAT BINARY)"
)
COPY_SLOTS_PG_TYPES = [
    "int8",
    "int8",
    "uuid",
    "timestamptz",
    "timestamptz",
    "text",
    "text",
    "text",
    "int4",
    "int4",
    "date",
]
# Many rows per statement: SQLite compiles each statement once, so fewer, longer ones win.
UPSERT_BATCH = 500
UPSERT_ROW = "(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
UPSERT_HEAD = (
    "INSERT INTO tracking_activityslot (workspace_id, member_id, start, category, app, title, "
    "active_seconds, afk_seconds, day, agent_id, received_at) VALUES "
)
# The session's own table for the rows of one sync: created once per connection.
SLOTS_IN_PG = (
    "CREATE TEMPORARY TABLE IF NOT EXISTS tracking_slots_in (s timestamptz, c text, a text, "
    "t text, ac integer, af integer, d date)"
)
COPY_SLOTS_IN_PG = "COPY tracking_slots_in (s, c, a, t, ac, af, d) FROM STDIN (FORMAT BINARY)"
# The stored figures of the keys in tracking_slots_in, summed per stored day and category.
OLD_SUMS_PG = (
    "SELECT o.day, o.category, sum(o.active_seconds), sum(o.afk_seconds), count(*) "
    "FROM tracking_activityslot o JOIN tracking_slots_in i ON o.start = i.s "
    "AND o.category = i.c AND o.app = i.a AND o.title = i.t "
    "WHERE o.member_id = %s AND o.agent_id = %s AND o.start >= %s AND o.start <= %s "
    "GROUP BY o.day, o.category"
)
UPSERT_HEAD_PG = (
    "INSERT INTO tracking_activityslot (workspace_id, member_id, start, category, app, title, "
    "active_seconds, afk_seconds, day, agent_id, received_at) "
    "SELECT %s, %s, s, c, a, t, ac, af, d, %s, %s FROM tracking_slots_in"
)
# A slot sent again with the same figures (an agent re-sending after a lost answer) is left
# as it is: no new row version, and ``received_at`` stays when its figures arrived.
UPSERT_TAIL = (
    " ON CONFLICT (member_id, agent_id, start, category, app, title) DO UPDATE SET "
    "active_seconds = EXCLUDED.active_seconds, afk_seconds = EXCLUDED.afk_seconds, "
    "day = EXCLUDED.day, received_at = EXCLUDED.received_at "
    "WHERE tracking_activityslot.active_seconds <> EXCLUDED.active_seconds "
    "OR tracking_activityslot.afk_seconds <> EXCLUDED.afk_seconds "
    "OR tracking_activityslot.day <> EXCLUDED.day"
)


def _rollup_apply(member: Membership, deltas: dict[tuple[date, str], Figures]) -> None:
    """Move each touched (day, category) rollup by its delta, and its week's row by what the
    day's row moved: a read and an upsert each.

    The caller holds the member's row lock, so no other sync of theirs writes in between.
    Written in SQL (``INSERT ... ON CONFLICT ... DO UPDATE ... RETURNING``, spoken alike by
    SQLite and PostgreSQL): the ORM's ``bulk_create`` of a sync's ~50 rows, and the query
    for their ids, cost more than the database took to store them.
    """
    if not deltas:
        return
    workspace_id, member_id = member.workspace_id, member.pk
    adapt = connection.ops.adapt_datefield_value
    with connection.cursor() as cursor:
        current = _rollups_read(cursor, DAILY_READ, member_id, deltas)
        rows: list[tuple[Any, ...]] = []
        weekly: dict[tuple[date, str], list[int]] = {}
        for (day, category), figures in deltas.items():
            active, afk = current.get((day, category), (0, 0))
            new_active, new_afk = max(0, active + figures.active), max(0, afk + figures.afk)
            rows.append((workspace_id, member_id, adapt(day), category, new_active, new_afk))
            moved = weekly.setdefault((rules.week_of(day), category), [0, 0])
            moved[0] += new_active - active
            moved[1] += new_afk - afk
        ids = _rollups_write(cursor, DAILY_UPSERT + " RETURNING id", rows)
        stored = _rollups_read(cursor, WEEKLY_READ, member_id, weekly)
        rows = []
        for (week, category), (active, afk) in weekly.items():
            was_active, was_afk = stored.get((week, category), (0, 0))
            rows.append(
                (workspace_id, member_id, adapt(week), category, was_active + active, was_afk + afk)
            )
        _rollups_write(cursor, WEEKLY_UPSERT, rows)
    _activity_changed(workspace_id, sorted(ids))


def _rollups_read(
    cursor: Any, statement: str, member_id: int, keys: Iterable[tuple[date, str]]
) -> dict[tuple[date, str], tuple[int, int]]:
    """The member's stored figures in a rollup table on the keys' days (or weeks)."""
    adapt = connection.ops.adapt_datefield_value
    found: dict[tuple[date, str], tuple[int, int]] = {}
    periods = sorted({d for d, _ in keys})
    for first in range(0, len(periods), ROLLUP_BATCH):
        batch = periods[first : first + ROLLUP_BATCH]
        cursor.execute(
            statement.format(periods=", ".join(["%s"] * len(batch))),
            [member_id, *(adapt(d) for d in batch)],
        )
        found.update({(_day(d), c): (a, f) for d, c, a, f in cursor.fetchall()})
    return found


def _rollups_write(cursor: Any, statement: str, rows: list[tuple[Any, ...]]) -> list[int]:
    """Upsert the rollup rows, ``ROLLUP_BATCH`` per statement; the ids it returns, if any."""
    ids: list[int] = []
    for first in range(0, len(rows), ROLLUP_BATCH):
        batch = rows[first : first + ROLLUP_BATCH]
        cursor.execute(
            statement.format(values=", ".join([ROLLUP_ROW] * len(batch))),
            [v for row in batch for v in row],
        )
        if "RETURNING" in statement:
            ids += [pk for (pk,) in cursor.fetchall()]
    return ids


def _day(value: date | str) -> date:
    """A date as the database gave it (SQLite: ISO text)."""
    return value if isinstance(value, date) else date.fromisoformat(value)


# Six values a row: 1,000 rows keep a statement under SQLite's 32,766 parameters.
ROLLUP_BATCH = 1000
ROLLUP_ROW = "(%s, %s, %s, %s, %s, %s)"
DAILY_READ = (
    "SELECT day, category, active_seconds, afk_seconds FROM tracking_activitydaily "
    "WHERE member_id = %s AND day IN ({periods})"
)
WEEKLY_READ = (
    "SELECT week, category, active_seconds, afk_seconds FROM tracking_activityweekly "
    "WHERE member_id = %s AND week IN ({periods})"
)
# Every figure is computed here from the stored one read under the member's lock.
DAILY_UPSERT = (
    "INSERT INTO tracking_activitydaily (workspace_id, member_id, day, category, "
    "active_seconds, afk_seconds) VALUES {values} ON CONFLICT (member_id, day, category) "
    "DO UPDATE SET active_seconds = EXCLUDED.active_seconds, afk_seconds = EXCLUDED.afk_seconds"
)
WEEKLY_UPSERT = (
    "INSERT INTO tracking_activityweekly (workspace_id, member_id, week, category, "
    "active_seconds, afk_seconds) VALUES {values} ON CONFLICT (member_id, week, category) "
    "DO UPDATE SET active_seconds = EXCLUDED.active_seconds, afk_seconds = EXCLUDED.afk_seconds"
)
