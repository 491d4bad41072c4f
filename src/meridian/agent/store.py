"""Buckets and events in one SQLite file (WAL), with aw-server's heartbeat merge.

One connection guarded by a lock serves every request thread: SQLite writes are serial
anyway, and reads of a day's window are index range scans that take milliseconds.
"""

from __future__ import annotations

import json
import mmap
import sqlite3
import threading
from array import array
from bisect import bisect_left, bisect_right
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from itertools import islice, repeat
from operator import add, le
from pathlib import Path
from typing import Any, TypeVar

from . import transforms
from .events import US, Ev, fmt_ts
from .transforms import heartbeat_merge

_c_read: Callable[..., tuple[list[Ev], list[int], list[int]] | None]
try:  # built with the C encoder (setup.py) when a compiler is there
    from ._encode import read_columns as _c_read
except ImportError:  # pragma: no cover - an install without the extension
    _c_read = None  # type: ignore[assignment]  # tested for before each use
_T = TypeVar("_T")

SCHEMA = """
CREATE TABLE IF NOT EXISTS buckets (
    id TEXT PRIMARY KEY,
    name TEXT,
    type TEXT NOT NULL,
    client TEXT NOT NULL,
    hostname TEXT NOT NULL,
    created TEXT NOT NULL,
    data TEXT NOT NULL DEFAULT '{}',
    max_dur INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS events (
    id INTEGER PRIMARY KEY,
    bucket TEXT NOT NULL REFERENCES buckets(id) ON DELETE CASCADE,
    ts INTEGER NOT NULL,
    dur INTEGER NOT NULL,
    data TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS events_bucket_ts ON events (bucket, ts);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


class NoSuchBucket(LookupError):
    pass


class BucketExists(ValueError):
    pass


# One encoder, built once: json.dumps with options builds a new one per call.
_data_text = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode
# Pages the write-ahead log may hold before a writer checkpoints it (4 KiB each): 64 MiB.
WAL_PAGES = 16_384
# The WAL index's header: its first copy, which each commit rewrites (walformat.html 2.1).
WAL_INDEX_HEADER = 48


class _Parsed(dict[str, dict[str, Any]]):
    """Stored data text → its object, decoded once: events with equal data share it."""

    def __missing__(self, text: str) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(text)
        self[text] = data
        return data


# Data texts by the ``repr`` of their objects, across batches (cleared when it grows past
# _TEXTS_KEPT): watchers send the same few data objects over and over.
_TEXTS: dict[str, str] = {}
_TEXTS_KEPT = 4096


def _data_texts(datas: Iterable[dict[str, Any]]) -> list[str]:
    """The stored JSON text of each event's data, encoding each distinct object once.

    The key is the object's ``repr``, written in C: for what JSON decodes to (dicts with string
    keys, lists, strings, integers, floats, booleans, null) equal reprs mean the same types and
    values in the same order, hence the same JSON (1, 1.0 and True, or 0.0 and -0.0, are equal
    in Python but have different reprs, as they have different JSON).
    """
    datas = list(datas)
    keys = list(map(repr, datas))
    texts: list[Any] = list(map(_TEXTS.get, keys))
    if None in texts:
        if len(_TEXTS) > _TEXTS_KEPT:
            _TEXTS.clear()
        for position, text in enumerate(texts):
            if text is None:
                key = keys[position]
                text = _TEXTS.get(key)
                if text is None:
                    text = _TEXTS[key] = _data_text(datas[position])
                texts[position] = text
    return texts


# Events kept in memory per bucket, column by column: a day's read is then a slice instead of
# ~7,000 rows out of SQLite. A bucket's copy keeps at most COLUMN_EVENTS events (its newest;
# older windows are read from SQLite) and COLUMN_DATAS distinct data objects.
COLUMN_EVENTS = 300_000
COLUMN_KEEP = 200_000  # what a copy keeps of its newest events when it outgrows COLUMN_EVENTS
COLUMN_DATAS = 50_000
# A batch of events out of order with the copy is put in place one by one up to this size;
# a larger one drops the copy (rebuilt from SQLite while the agent is idle).
COLUMN_PLACE = 32
_EVER = -(2**63)


class Columns:
    """A bucket's events with ``ts >= cover`` in memory, sorted by (ts, id) as SQLite's index
    walks them: starts, durations and ids in arrays, data as an index into distinct objects.

    Kept up to date by every write of the store: appends (bulk inserts and heartbeats at the
    end) extend it, a few events out of order are put in place, a merged heartbeat changes the
    last event, a deleted event is taken out; anything else (replacements by id, a large batch
    in the middle, negative durations) drops it, and the flusher rebuilds it while idle.
    """

    __slots__ = ("cover", "datas", "didx", "durs", "ids", "index", "tss")

    def __init__(self, cover: int = _EVER) -> None:
        self.cover = cover
        self.tss = array("q")
        self.durs = array("q")
        self.ids = array("q")
        self.didx = array("l")
        self.datas: list[dict[str, Any]] = []
        self.index: dict[str, int] = {}

    def _data_indexes(self, texts: Sequence[str]) -> list[int]:
        """The index of each data text's object, decoding each new text once."""
        indexes: list[Any] = list(map(self.index.get, texts))
        if None in indexes:
            index, datas = self.index, self.datas
            for position, found in enumerate(indexes):
                if found is None:
                    text = texts[position]
                    found = index.get(text)
                    if found is None:
                        found = index[text] = len(datas)
                        datas.append(json.loads(text))
                    indexes[position] = found
        return indexes

    def add(
        self, tss: Sequence[int], durs: Sequence[int], ids: Sequence[int], texts: Sequence[str]
    ) -> bool:
        """Take in new events (ids above every id held); False when the copy must be dropped."""
        if not tss:
            return True
        if min(durs) < 0:
            return False  # SQLite's range test would drop them: read those buckets there
        if min(tss) < self.cover:
            kept = [i for i, ts in enumerate(tss) if ts >= self.cover]
            tss, durs = [tss[i] for i in kept], [durs[i] for i in kept]
            ids, texts = [ids[i] for i in kept], [texts[i] for i in kept]
            if not tss:
                return True
        if not all(map(le, tss, islice(tss, 1, None))):
            # Sorted by start; equal starts keep their order, which is their ids' order.
            order = sorted(range(len(tss)), key=tss.__getitem__)
            tss, durs = [tss[i] for i in order], [durs[i] for i in order]
            ids, texts = [ids[i] for i in order], [texts[i] for i in order]
        indexes = self._data_indexes(texts)
        if len(self.datas) > COLUMN_DATAS:
            return False
        if not self.tss or tss[0] >= self.tss[-1]:
            self.tss.extend(tss)
            self.durs.extend(durs)
            self.ids.extend(ids)
            self.didx.extend(indexes)
        elif len(tss) <= COLUMN_PLACE:
            for ts, dur, event_id, index in zip(tss, durs, ids, indexes, strict=True):
                # After every event with the same start: the new id is the largest.
                position = bisect_right(self.tss, ts)
                self.tss.insert(position, ts)
                self.durs.insert(position, dur)
                self.ids.insert(position, event_id)
                self.didx.insert(position, index)
        else:
            return False
        if len(self.tss) > COLUMN_EVENTS:
            cut = len(self.tss) - COLUMN_KEEP
            cover = self.tss[cut]
            if self.tss[cut - 1] == cover:
                cover += 1  # some events starting then are gone: the copy holds those after
            for column in (self.tss, self.durs, self.ids, self.didx):
                del column[:cut]
            self.cover = cover
        return True

    def extend_last(self, event_id: int, ts: int, dur: int) -> bool:
        """A heartbeat merged into the newest event; False when that is not the copy's last."""
        if not self.ids or self.ids[-1] != event_id or dur < 0:
            return False
        if len(self.tss) > 1 and ts < self.tss[-2]:
            return False
        self.tss[-1] = ts
        self.durs[-1] = dur
        return True

    def remove(self, event_id: int) -> None:
        try:
            position = self.ids.index(event_id)
        except ValueError:
            return
        for column in (self.tss, self.durs, self.ids, self.didx):
            del column[position]

    def span(
        self, start: int | None, end: int | None, longest: int
    ) -> tuple[list[int], int, int] | None:
        """Where the events ``Store._range`` selects are: (the indexes of those starting before
        ``start``, the first and the end of the rest), ascending by (ts, id); None when the
        copy does not reach back far enough."""
        tss, durs = self.tss, self.durs
        high = len(tss) if end is None else bisect_right(tss, end)
        head: list[int] = []
        if start is None:
            if self.cover != _EVER:
                return None
            middle = 0
        else:
            if start - longest < self.cover:
                return None
            low = bisect_left(tss, start - longest, 0, high)
            middle = bisect_left(tss, start, low, high)
            # Those starting before ``start`` are kept only when they reach it (durations
            # are never negative here, so all the others do).
            head = [i for i in range(low, middle) if tss[i] + durs[i] >= start]
        return head, middle, high

    def window(
        self, start: int | None, end: int | None, longest: int
    ) -> tuple[list[int], list[int], list[int], list[int]] | None:
        """(starts, durations, ids, data indexes) of the events ``Store._range`` selects,
        ascending by (ts, id); None when the copy does not reach back far enough."""
        span = self.span(start, end, longest)
        return None if span is None else self.window_of(span)

    def window_of(
        self, span: tuple[list[int], int, int]
    ) -> tuple[list[int], list[int], list[int], list[int]]:
        """:meth:`window`'s lists for a :meth:`span`."""
        head, middle, high = span
        tss, durs, ids, didx = self.tss, self.durs, self.ids, self.didx
        return (
            [tss[i] for i in head] + tss[middle:high].tolist(),
            [durs[i] for i in head] + durs[middle:high].tolist(),
            [ids[i] for i in head] + ids[middle:high].tolist(),
            [didx[i] for i in head] + didx[middle:high].tolist(),
        )


def _trimmed_events(
    tss: list[int],
    durs: list[int],
    ids: list[int],
    datas: list[dict[str, Any]],
    start: int,
    end: int,
    longest: int,
) -> tuple[list[Ev], list[int], list[int]]:
    """The events of a read oldest first (Store.events_oldest_first), trimmed to [start, end]
    as raw_events trims in SQL, with their starts and durations: those starting before
    ``start`` come first; those ending after ``end`` started at most ``longest`` before it."""
    n = len(tss)
    first = 0
    while first < n and tss[first] < start:
        durs[first] = tss[first] + durs[first] - start
        tss[first] = start
        first += 1
    reach = end - longest
    last = n - 1
    while last >= 0 and tss[last] >= reach:
        if tss[last] + durs[last] > end:
            durs[last] = end - tss[last]
        last -= 1
    return list(map(Ev, tss, durs, datas, ids)), tss, durs


class Store:
    """The agent's database: every read and write of buckets and events goes through here."""

    def __init__(self, path: Path | str) -> None:
        self.path = str(path)
        self.db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        wal = self.db.execute("PRAGMA journal_mode=WAL").fetchone()[0] == "wal"
        self.db.execute("PRAGMA synchronous=NORMAL")
        # No foreign-key checks: each inserted row would look its bucket up (a tenth of a bulk
        # insert's SQLite time), and every write already checks the bucket under the lock
        # (_require) and delete_bucket deletes the bucket's events itself.
        self.db.execute("PRAGMA foreign_keys=OFF")
        # Writers do not copy the write-ahead log back into the database themselves until it
        # holds WAL_PAGES pages: the flusher thread does that while the agent is idle, on a
        # connection of its own (see checkpoint). A bulk insert then only appends.
        self.db.execute(f"PRAGMA wal_autocheckpoint={WAL_PAGES}")
        self.db.executescript(SCHEMA)
        self.lock = threading.RLock()
        # The newest event of each bucket, as aw-server keeps it for heartbeats.
        self._last: dict[str, Ev | None] = {}
        self._max_dur: dict[str, int] = dict(self.db.execute("SELECT id, max_dur FROM buckets"))
        # A log of recent writes (sequence, bucket or None for "anything", low, high), so that
        # a cached query result can tell whether anything it read has changed since.
        self.seq = 0
        self.reads = 0  # windows read (queries): the flusher waits for a second without any
        self.changes: deque[tuple[int, str | None, int, int]] = deque(maxlen=20_000)
        # Heartbeats that only extended a bucket's newest event are written behind: at most
        # FLUSH_SECONDS later, or before anything else reads or writes the database.
        self._pending: dict[str, Ev] = {}
        self._max_dirty: set[str] = set()
        self._flusher: threading.Thread | None = None
        self._closing = threading.Event()
        self._checkpointer: sqlite3.Connection | None = None
        # Each bucket's recent events in memory (Columns); a bucket without one is read from
        # SQLite until the flusher builds it. Another process's write (the CLI's curation)
        # changes PRAGMA data_version, and then every copy is dropped.
        self._cols: dict[str, Columns] = {}
        self._uncopied: set[str] = set()  # buckets whose copy could not be built
        self._data_version = self.db.execute("PRAGMA data_version").fetchone()[0]
        # The WAL index's header as _outside_writes last saw it (see there).
        self._wal_index = self._map_wal_index() if wal else None
        self._wal_seen = b""

    def flush(self) -> None:
        """Write the heartbeat merges held in memory."""
        with self.lock:
            if not self._pending and not self._max_dirty:
                return
            self.db.execute("BEGIN")
            self.db.executemany(
                "UPDATE events SET ts = ?, dur = ? WHERE id = ?",
                [(e.ts, e.dur, e.id) for e in self._pending.values()],
            )
            self.db.executemany(
                "UPDATE buckets SET max_dur = ? WHERE id = ?",
                [(self._max_dur[b], b) for b in self._max_dirty if b in self._max_dur],
            )
            self.db.execute("COMMIT")
            self._pending.clear()
            self._max_dirty.clear()

    def start_flusher(self, seconds: float = 1.0) -> None:
        """Flush held heartbeat merges every ``seconds`` in a thread of its own."""

        def loop() -> None:
            seen = checkpointed = self.seq
            read = self.reads
            built = False
            while not self._closing.wait(seconds):
                self.flush()
                # Idle: nothing written or read for a second. A query that follows a bulk
                # insert (the web UI's day after an import) is not made to share the machine
                # with the checkpoint or a rebuild.
                idle = self.reads == read
                if self.seq == seen != checkpointed and idle:
                    # A second without writes since some were made: copy the log back now.
                    self.checkpoint()
                    checkpointed = seen
                    built = False
                if not built and self.seq == seen and idle:
                    self.build_columns()
                    built = True
                seen, read = self.seq, self.reads

        self._flusher = threading.Thread(target=loop, name="agent-flush", daemon=True)
        self._flusher.start()

    def _columns(self, bucket_id: str) -> Columns | None:
        """The bucket's copy in memory, if it has one that nothing outside this store changed."""
        self._outside_writes()
        return self._cols.get(bucket_id)

    def _map_wal_index(self) -> mmap.mmap | None:
        """The start of the WAL index (the ``-shm`` file next to the database), mapped to be
        read, or None where it cannot be."""
        try:
            with open(self.path + "-shm", "rb") as file:
                return mmap.mmap(file.fileno(), WAL_INDEX_HEADER, access=mmap.ACCESS_READ)
        except (OSError, ValueError):
            return None

    def _outside_writes(self) -> None:
        """When another process wrote the file (the CLI's curation), forget what was kept from
        it: the copies in memory, the last events, and every answer cached before (a change of
        every bucket in the log). Called under the lock.

        ``PRAGMA data_version`` tells, but it opens a read transaction (locks on the WAL index:
        ~7 % of the agent's CPU per heartbeat). Every commit, by any connection, rewrites the
        WAL index's header (its change counter, https://www.sqlite.org/walformat.html): while
        the header reads as it did before the last PRAGMA, nothing was committed since, and the
        PRAGMA would answer the same."""
        if self._wal_index is not None:
            header = self._wal_index[:WAL_INDEX_HEADER]
            if header == self._wal_seen:
                return
            self._wal_seen = header  # (read before the PRAGMA: a commit between is seen next)
        version = self.db.execute("PRAGMA data_version").fetchone()[0]
        if version != self._data_version:
            self._data_version = version
            self._cols.clear()
            self._last.clear()
            self._changed(None)

    def build_columns(self) -> None:
        """Build the copy in memory of each bucket that has none, reading on a second connection
        outside the lock (a copy whose bucket was written meanwhile is thrown away)."""
        for bucket_id in self.bucket_ids():
            with self.lock:
                if bucket_id in self._cols or bucket_id in self._uncopied:
                    continue
                self.flush()
                self._columns(bucket_id)
                seq, version = self.seq, self._data_version
            reader = self._second()
            cover = _EVER
            row = reader.execute(
                "SELECT ts FROM events WHERE bucket = ? ORDER BY ts DESC LIMIT 1 OFFSET ?",
                (bucket_id, COLUMN_EVENTS),
            ).fetchone()
            if row is not None:
                # More than COLUMN_EVENTS: keep the newest COLUMN_KEEP or so (those from a start).
                cover = reader.execute(
                    "SELECT ts FROM events WHERE bucket = ? ORDER BY ts DESC LIMIT 1 OFFSET ?",
                    (bucket_id, COLUMN_KEEP),
                ).fetchone()[0]
            rows = reader.execute(
                "SELECT ts, dur, id, data FROM events WHERE bucket = ? AND ts >= ? ORDER BY ts, id",
                (bucket_id, cover),
            ).fetchall()
            columns = Columns(cover)
            if rows:
                tss, durs, ids, texts = map(list, zip(*rows, strict=True))
                if not columns.add(tss, durs, ids, texts):
                    # Too many distinct data objects or a negative duration: read from SQLite
                    # rather than build it again after every write.
                    self._uncopied.add(bucket_id)
                    continue
            with self.lock:
                self._columns(bucket_id)  # notices another process's writes meanwhile
                if (
                    self.seq == seq
                    and self._data_version == version
                    and bucket_id in self._max_dur
                    and bucket_id not in self._cols
                ):
                    self._cols[bucket_id] = columns

    def _second(self) -> sqlite3.Connection:
        if self._checkpointer is None:
            self._checkpointer = sqlite3.connect(
                self.path, check_same_thread=False, isolation_level=None
            )
        return self._checkpointer

    def checkpoint(self) -> None:
        """Copy what the write-ahead log holds back into the database file, without waiting
        for (or holding up) the request threads: a passive checkpoint on a second connection,
        which SQLite runs outside Python's global lock."""
        self._second().execute("PRAGMA wal_checkpoint(PASSIVE)")

    def _changed(self, bucket_id: str | None, low: int = -(2**62), high: int = 2**62) -> None:
        self.seq += 1
        self.changes.append((self.seq, bucket_id, low, high))

    def unchanged_since(self, seq: int, reads: list[tuple[str, int, int]]) -> bool:
        """True when no write after ``seq`` touched any (bucket, start, end) in ``reads``."""
        with self.lock:
            self._outside_writes()
            if seq == self.seq:
                return True
            if not self.changes or self.changes[0][0] > seq + 1:
                return False  # the log no longer reaches back that far
            for change_seq, bucket_id, low, high in reversed(self.changes):
                if change_seq <= seq:
                    break
                if bucket_id is None:
                    return False
                for read_bucket, start, end in reads:
                    if read_bucket == bucket_id and low <= end and high >= start:
                        return False
            return True

    def close(self) -> None:
        self._closing.set()
        if self._flusher is not None:
            self._flusher.join()
        self.flush()
        if self._checkpointer is not None:
            self._checkpointer.close()
        with self.lock:
            if self._wal_index is not None:
                self._wal_index.close()
                self._wal_index = None
        self.db.close()

    # Buckets ------------------------------------------------------------------------------

    def bucket_ids(self) -> list[str]:
        return list(self._max_dur)

    def has_bucket(self, bucket_id: str) -> bool:
        return bucket_id in self._max_dur

    def _require(self, bucket_id: str) -> None:
        if bucket_id not in self._max_dur:
            raise NoSuchBucket(bucket_id)

    def create_bucket(
        self,
        bucket_id: str,
        *,
        type: str,
        client: str,
        hostname: str,
        created: str | None = None,
        name: str | None = None,
        data: dict[str, Any] | None = None,
    ) -> bool:
        """Create a bucket; False when it exists already (aw-server then answers 304)."""
        with self.lock:
            if bucket_id in self._max_dur:
                return False
            self.db.execute(
                "INSERT INTO buckets (id, name, type, client, hostname, created, data)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    bucket_id,
                    name,
                    type,
                    client,
                    hostname,
                    created or datetime.now(UTC).isoformat(),
                    _data_text(data or {}),
                ),
            )
            self._max_dur[bucket_id] = 0
            self._last[bucket_id] = None
            self._columns(bucket_id)
            self._cols[bucket_id] = Columns()
            self._changed(None)
            return True

    def delete_bucket(self, bucket_id: str) -> None:
        with self.lock:
            self.flush()
            self._require(bucket_id)
            self.db.execute("BEGIN")
            self.db.execute("DELETE FROM events WHERE bucket = ?", (bucket_id,))
            self.db.execute("DELETE FROM buckets WHERE id = ?", (bucket_id,))
            self.db.execute("COMMIT")
            del self._max_dur[bucket_id]
            self._uncopied.discard(bucket_id)
            self._last.pop(bucket_id, None)
            self._cols.pop(bucket_id, None)
            self._changed(None)

    def bucket_metadata(self, bucket_id: str) -> dict[str, Any]:
        with self.lock:
            self._require(bucket_id)
            row = self.db.execute(
                "SELECT id, name, type, client, hostname, created, data FROM buckets WHERE id = ?",
                (bucket_id,),
            ).fetchone()
        return {
            "id": row[0],
            "name": row[1],
            "type": row[2],
            "client": row[3],
            "hostname": row[4],
            "created": row[5],
            "data": json.loads(row[6]),
        }

    def buckets(self) -> dict[str, dict[str, Any]]:
        """All buckets with ``last_updated`` (end of the newest event), as GET /buckets/ answers."""
        result = {}
        for bucket_id in self.bucket_ids():
            meta = self.bucket_metadata(bucket_id)
            last = self.last_event(bucket_id)
            if last is not None:
                meta["last_updated"] = fmt_ts(last.end)
            result[bucket_id] = meta
        return result

    # Events -------------------------------------------------------------------------------

    def last_event(self, bucket_id: str) -> Ev | None:
        with self.lock:
            self._require(bucket_id)
            if bucket_id not in self._last:
                row = self.db.execute(
                    "SELECT id, ts, dur, data FROM events WHERE bucket = ?"
                    " ORDER BY ts DESC, id DESC LIMIT 1",
                    (bucket_id,),
                ).fetchone()
                self._last[bucket_id] = (
                    Ev(row[1], row[2], json.loads(row[3]), row[0]) if row else None
                )
            last = self._last[bucket_id]
            return last.copy() if last else None

    def _grow_max(self, bucket_id: str, dur: int) -> None:
        if dur > self._max_dur[bucket_id]:
            self._max_dur[bucket_id] = dur
            self._max_dirty.add(bucket_id)

    def insert(
        self, bucket_id: str, events: Iterable[tuple[int | None, int, int, dict[str, Any]]]
    ) -> Ev | None:
        """Insert validated events (id, ts, dur, data) in one transaction.

        Returns the event with its new id when exactly one was given (aw-core's Bucket.insert
        does the same); an event that carries the id of an existing event replaces it.
        """
        events = list(events)
        if not events:
            with self.lock:
                self._require(bucket_id)
            return None
        # Column by column (C-level maps): a bulk insert is a thousand events per request.
        event_ids, tss, durs, datas = zip(*events, strict=True)
        texts = _data_texts(datas)
        longest = max(0, *durs)
        low = min(tss)
        high = max(map(add, tss, durs))
        updates = []
        if event_ids.count(None) == len(event_ids):
            rows = list(zip(repeat(bucket_id), tss, durs, texts))
        else:
            rows = []
            for event_id, ts, dur, text in zip(event_ids, tss, durs, texts, strict=True):
                if event_id is None:
                    rows.append((bucket_id, ts, dur, text))
                else:
                    updates.append((event_id, bucket_id, ts, dur, text))
        with self.lock:
            self._require(bucket_id)
            self.flush()
            columns = self._columns(bucket_id)
            self.db.execute("BEGIN")
            try:
                self._grow_max(bucket_id, longest)
                if self._max_dirty:
                    self.db.executemany(
                        "UPDATE buckets SET max_dur = ? WHERE id = ?",
                        [(self._max_dur[b], b) for b in self._max_dirty if b in self._max_dur],
                    )
                    self._max_dirty.clear()
                cursor = self.db.cursor()
                if len(rows) == 1 and not updates:
                    cursor.execute(
                        "INSERT INTO events (bucket, ts, dur, data) VALUES (?, ?, ?, ?)", rows[0]
                    )
                    new_id = cursor.lastrowid
                else:
                    new_id = None
                    cursor.executemany(
                        "INSERT INTO events (bucket, ts, dur, data) VALUES (?, ?, ?, ?)", rows
                    )
                    if rows and columns is not None and not updates:
                        new_last = self.db.execute("SELECT last_insert_rowid()").fetchone()[0]
                    cursor.executemany(
                        "INSERT INTO events (id, bucket, ts, dur, data) VALUES (?, ?, ?, ?, ?)"
                        " ON CONFLICT(id) DO UPDATE SET bucket = excluded.bucket,"
                        " ts = excluded.ts, dur = excluded.dur, data = excluded.data",
                        updates,
                    )
                self.db.execute("COMMIT")
            except BaseException:
                self.db.execute("ROLLBACK")
                raise
            self._last.pop(bucket_id, None)
            if columns is not None and updates:
                del self._cols[bucket_id]
            elif columns is not None:
                # Without an id, each row got the table's largest id plus one: the batch's
                # ids run up to the last one, in order.
                last_id = new_id if new_id is not None else new_last
                new_ids = range(last_id - len(rows) + 1, last_id + 1)
                if last_id >= 2**62 or not columns.add(tss, durs, new_ids, texts):
                    del self._cols[bucket_id]
            if updates:
                self._changed(bucket_id)  # an update may have moved an event from anywhere
            else:
                self._changed(bucket_id, low, high)
        if new_id is not None:
            _, ts, dur, text = rows[0]
            return Ev(ts, dur, json.loads(text), new_id)
        return None

    def heartbeat(
        self, bucket_id: str, ts: int, dur: int, data: dict[str, Any], pulsetime: float
    ) -> Ev:
        """aw-server's heartbeat: extend the newest event when the data match within pulsetime."""
        with self.lock:
            last = self.last_event(bucket_id)
            beat = Ev(ts, dur, data)
            if last is not None:
                merged = heartbeat_merge(last, beat, pulsetime)
                if merged is not None:
                    self._grow_max(bucket_id, merged.dur)
                    self._pending[bucket_id] = merged.copy()
                    self._last[bucket_id] = merged.copy()
                    columns = self._columns(bucket_id)
                    if columns is not None and (
                        merged.id is None
                        or not columns.extend_last(merged.id, merged.ts, merged.dur)
                    ):
                        del self._cols[bucket_id]
                    self._changed(bucket_id, merged.ts, merged.ts + merged.dur)
                    return merged
            inserted = self.insert(bucket_id, [(None, ts, dur, data)])
            assert inserted is not None
            self._last[bucket_id] = inserted.copy()
            return inserted

    def get_event(self, bucket_id: str, event_id: int) -> Ev | None:
        with self.lock:
            self.flush()
            self._require(bucket_id)
            row = self.db.execute(
                "SELECT id, ts, dur, data FROM events WHERE bucket = ? AND id = ?",
                (bucket_id, event_id),
            ).fetchone()
        return Ev(row[1], row[2], json.loads(row[3]), row[0]) if row else None

    def delete_event(self, bucket_id: str, event_id: int) -> bool:
        with self.lock:
            self.flush()
            self._require(bucket_id)
            deleted = self.db.execute(
                "DELETE FROM events WHERE bucket = ? AND id = ?", (bucket_id, event_id)
            ).rowcount
            self._last.pop(bucket_id, None)
            columns = self._columns(bucket_id)
            if deleted and columns is not None:
                columns.remove(event_id)
            self._changed(bucket_id)
        return deleted > 0

    def _range(self, bucket_id: str, start: int | None, end: int | None) -> tuple[str, list[Any]]:
        """WHERE clause for events overlapping [start, end], using the (bucket, ts) index.

        An event starting up to the bucket's longest duration before ``start`` may reach into
        the window, so the scan starts there instead of at the beginning of time.
        """
        where = "bucket = ?"
        params: list[Any] = [bucket_id]
        if start is not None:
            where += " AND ts >= ? AND ts + dur >= ?"
            params += [start - self._max_dur[bucket_id], start]
        if end is not None:
            where += " AND ts <= ?"
            params.append(end)
        return where, params

    def raw_events(
        self, bucket_id: str, *, start: int | None = None, end: int | None = None, limit: int = -1
    ) -> list[tuple[int, int, str, int]]:
        """Rows (ts, dur, data text, id), newest first, overlapping [start, end] and trimmed
        to it, as aw-server's peewee storage answers."""
        with self.lock:
            self._require(bucket_id)
            self.flush()
            where, params = self._range(bucket_id, start, end)
            low = start if start is not None else -(2**62)
            high = end if end is not None else 2**62
            sql = (
                "SELECT max(ts, ?), min(ts + dur, ?) - max(ts, ?), data, id FROM events"  # noqa: S608
                f" WHERE {where} ORDER BY ts DESC, id DESC"
            )
            params = [low, high, low, *params]
            if limit is not None and limit >= 0:
                sql += " LIMIT ?"
                params.append(limit)
            return self.db.execute(sql, params).fetchall()

    def _read(
        self,
        bucket_id: str,
        start: int | None,
        end: int | None,
        limit: int,
        take: Callable[[Columns, tuple[list[int], int, int], int], _T],
    ) -> tuple[int, _T | None, list[Any]]:
        """What :meth:`events` and :meth:`events_oldest_first` read under the lock: (the
        bucket's longest duration, ``take(copy, span, longest)`` when the bucket's copy in
        memory holds the window (see Columns.span), else SQLite's rows (ts, dur, data, id):
        oldest first, or the newest ``limit`` newest first when ``limit`` >= 0)."""
        with self.lock:
            self._require(bucket_id)
            self.flush()
            self.reads += 1
            longest = self._max_dur[bucket_id]
            columns = self._columns(bucket_id)
            span = columns.span(start, end, longest) if columns is not None else None
            if columns is not None and span is not None:
                return longest, take(columns, span, longest), []
            where, params = self._range(bucket_id, start, end)
            # Without a limit, SQLite walks the index forwards (a fifth cheaper than
            # backwards); events() reverses the list afterwards.
            order = "ts DESC, id DESC" if limit >= 0 else "ts, id"
            sql = f"SELECT ts, dur, data, id FROM events WHERE {where} ORDER BY {order}"  # noqa: S608
            if limit >= 0:
                sql += " LIMIT ?"
                params.append(limit)
            return longest, None, self.db.execute(sql, params).fetchall()

    def events(
        self, bucket_id: str, *, start: int | None = None, end: int | None = None, limit: int = -1
    ) -> list[Ev]:
        """Events newest first, trimmed to [start, end].

        Events with the same stored data share one data object (never changed in place).
        """
        limited = limit is not None and limit >= 0

        def take(
            columns: Columns, span: tuple[list[int], int, int], longest: int
        ) -> tuple[list[int], list[int], list[int], list[dict[str, Any]]]:
            tss, durs, ids, indexes = columns.window_of(span)
            if limited:
                cut = max(len(tss) - limit, 0)
                tss, durs, ids, indexes = tss[cut:], durs[cut:], ids[cut:], indexes[cut:]
            return tss, durs, ids, list(map(columns.datas.__getitem__, indexes))

        longest, window, rows = self._read(bucket_id, start, end, limit if limited else -1, take)
        if window is not None:
            tss, durs, ids, datas = window
            if not tss:
                return []
            # The copy's lists ascend: the events are built in that order, then reversed.
            result = list(map(Ev, tss, durs, datas, ids))
            result.reverse()
        else:
            if not rows:
                return []
            # Column by column, without a Python loop per row: a day is thousands of rows.
            row_tss, row_durs, texts, row_ids = zip(*rows, strict=True)
            parsed = map(_Parsed().__getitem__, texts)
            result = list(map(Ev, row_tss, row_durs, parsed, row_ids))
            if not limited:
                result.reverse()
        # Trim the events reaching over the window's edges, as raw_events does in SQL. The
        # list is newest first, so those starting before ``start`` are at the end.
        if start is not None and result[-1].ts < start:
            for event in reversed(result):
                if event.ts >= start:
                    break
                event.dur = event.ts + event.dur - start
                event.ts = start
        # Those ending after ``end`` started at most the bucket's longest duration before it.
        if end is not None:
            reach = end - longest
            for event in result:
                if event.ts < reach:
                    break
                if event.ts + event.dur > end:
                    event.dur = end - event.ts
        return result

    def events_oldest_first(
        self, bucket_id: str, *, start: int, end: int
    ) -> tuple[list[Ev], list[int], list[int]]:
        """The events :meth:`events` reads, oldest first (by start, then id, as the copy in
        memory and SQLite's index hold them), with their starts and durations as lists (a
        flood of the read takes those instead of gathering them again)."""

        def take(
            columns: Columns, span: tuple[list[int], int, int], longest: int
        ) -> tuple[list[Ev], list[int], list[int]]:
            if transforms.use_c_intersect and _c_read is not None:
                # In C (``_encode.c``): the events, trimmed, without the columns as lists
                # first; None for what Python must do.
                columns_ = columns.tss, columns.durs, columns.ids, columns.didx, columns.datas
                built = _c_read(Ev, *columns_, *span, start, end, longest)
                if built is not None:
                    return built
            tss, durs, ids, indexes = columns.window_of(span)
            datas = list(map(columns.datas.__getitem__, indexes))
            return _trimmed_events(tss, durs, ids, datas, start, end, longest)

        longest, read, rows = self._read(bucket_id, start, end, -1, take)
        if read is not None:
            return read
        if not rows:
            return [], [], []
        tss, durs, texts, ids = map(list, zip(*rows, strict=True))
        datas = list(map(_Parsed().__getitem__, texts))
        return _trimmed_events(tss, durs, ids, datas, start, end, longest)

    def count(self, bucket_id: str, *, start: int | None = None, end: int | None = None) -> int:
        with self.lock:
            self._require(bucket_id)
            self.flush()
            where, params = self._range(bucket_id, start, end)
            sql = f"SELECT count(*) FROM events WHERE {where}"  # noqa: S608 (constants only)
            return int(self.db.execute(sql, params).fetchone()[0])

    def settings(self) -> dict[str, Any]:
        """aw-server's key/value settings (the web UI keeps its categories there)."""
        with self.lock:
            rows = self.db.execute(
                "SELECT key, value FROM meta WHERE key LIKE 'setting:%'"
            ).fetchall()
        return {key[len("setting:") :]: json.loads(value) for key, value in rows}

    def set_setting(self, key: str, value: Any) -> None:
        with self.lock:
            self.db.execute(
                "INSERT INTO meta (key, value) VALUES (?, ?)"
                " ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                (f"setting:{key}", json.dumps(value)),
            )

    def device_id(self) -> str:
        import uuid

        with self.lock:
            row = self.db.execute("SELECT value FROM meta WHERE key = 'device_id'").fetchone()
            if row:
                return str(row[0])
            value = str(uuid.uuid4())
            self.db.execute("INSERT INTO meta (key, value) VALUES ('device_id', ?)", (value,))
            return value


def micros_to_seconds(micros: int) -> float:
    return micros / US
