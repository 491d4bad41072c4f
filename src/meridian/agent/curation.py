"""The person's curation rules, the sync settings and the record of what the server has
acknowledged, in the agent's own SQLite file (next to the buckets and events).

Tables (created on first use):

- ``curation``: exclusions (an app, a title pattern, a time range) and relabels;
- ``sync_sent``: each slot the server acknowledged with a 2xx, with the figures it holds
  now. A sync sends what differs from it and writes it only after the server's answer, so a
  sync cut short at any moment is completed by the next one, never counted twice.
- ``sync_outbox``: the keys of the batch on its way, written before it is sent. A sync cut
  short between the server storing a batch and the agent hearing so cannot know whether the
  server has it: the next sync sends those keys again (their figures, or zero if they are
  gone by then), so the server never keeps a slot the agent has forgotten.
- ``meta`` keys ``sync:*``: server, token, agent id, the person's sharing choices, and the
  watermark (the end of the last slot a finished sync covered).
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from .activity import DEFAULT_RULES, SLOT_US, US, Curation, Piece, Rule, SlotKey, pieces
from .store import Store

SCHEMA = """
CREATE TABLE IF NOT EXISTS curation (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    field TEXT NOT NULL DEFAULT '',
    pattern TEXT NOT NULL DEFAULT '',
    category TEXT NOT NULL DEFAULT '',
    start INTEGER NOT NULL DEFAULT 0,
    "end" INTEGER NOT NULL DEFAULT 0,
    created TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS sync_sent (
    start INTEGER NOT NULL,
    category TEXT NOT NULL,
    app TEXT NOT NULL,
    title TEXT NOT NULL,
    active INTEGER NOT NULL,
    afk INTEGER NOT NULL,
    PRIMARY KEY (start, category, app, title)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS sync_outbox (
    start INTEGER NOT NULL,
    category TEXT NOT NULL,
    app TEXT NOT NULL,
    title TEXT NOT NULL,
    PRIMARY KEY (start, category, app, title)
) WITHOUT ROWID;
"""

KINDS = ("exclude_app", "exclude_title", "exclude_range", "relabel")
MAX_TEXT = 200


class CurationError(ValueError):
    """Bad input for a rule; the message names the problem."""


class Local:
    """Curation, settings and the acknowledged slots on top of the agent's store."""

    def __init__(self, store: Store) -> None:
        self.store = store
        with store.lock:
            store.db.executescript(SCHEMA)

    # Settings ------------------------------------------------------------------------------

    def get(self, key: str, default: str = "") -> str:
        with self.store.lock:
            row = self.store.db.execute(
                "SELECT value FROM meta WHERE key = ?", (f"sync:{key}",)
            ).fetchone()
        return str(row[0]) if row else default

    def put(self, **values: str) -> None:
        with self.store.lock:
            self.store.db.executemany(
                "INSERT INTO meta (key, value) VALUES (?, ?)"
                " ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                [(f"sync:{k}", v) for k, v in values.items()],
            )

    def agent_id(self) -> str:
        found = self.get("agent_id")
        if not found:
            found = str(uuid.uuid4())
            self.put(agent_id=found)
        return found

    def mark_dirty(self, since: int) -> None:
        """Slots from ``since`` on must be built again at the next sync (a rule changed)."""
        current = self.get("dirty_from")
        if not current or since < int(current):
            self.put(dirty_from=str(since))

    # Rules ---------------------------------------------------------------------------------

    def rules(self) -> list[Rule]:
        with self.store.lock:
            rows = self.store.db.execute(
                'SELECT id, kind, pattern, field, category, start, "end" FROM curation ORDER BY id'
            ).fetchall()
        return [Rule(*row) for row in rows]

    def curation(self) -> Curation:
        return Curation(self.rules(), self.workspace_rules() or DEFAULT_RULES)

    def workspace_rules(self) -> list[tuple[str, str, str]]:
        """The workspace's category rules as the last sync read them from the policy
        (``category_rules``: [{category, field, pattern}]); empty when the server has none."""
        text = self.get("workspace_rules")
        return [tuple(rule) for rule in json.loads(text)] if text else []

    def save_workspace_rules(self, raw: object) -> None:
        """Keep the usable rules of a policy answer (a broken pattern is skipped)."""
        rules: list[tuple[str, str, str]] = []
        for item in raw if isinstance(raw, list) else []:
            if not isinstance(item, dict):
                continue
            category, field, pattern = item.get("category"), item.get("field"), item.get("pattern")
            if not (isinstance(category, str) and category.strip() and field in ("app", "title")):
                continue
            if not isinstance(pattern, str) or not pattern:
                continue
            try:
                re.compile(pattern)
            except re.error:
                continue
            rules.append((category.strip()[:100], field, pattern))
        text = json.dumps(rules) if rules else ""
        if text != self.get("workspace_rules"):
            self.put(workspace_rules=text)
            self.mark_dirty(0)  # categories may have changed anywhere

    def add_rule(
        self,
        kind: str,
        *,
        pattern: str = "",
        field: str = "",
        category: str = "",
        start: int = 0,
        end: int = 0,
    ) -> Rule:
        """Check and store a rule; a changed rule makes every unsent or sent slot rebuild."""
        pattern, category = pattern.strip(), category.strip()
        if kind not in KINDS:
            raise CurationError(f"Unknown rule “{kind}”; choose one of {', '.join(KINDS)}.")
        if kind in ("exclude_app", "exclude_title", "relabel") and (
            not pattern or len(pattern) > MAX_TEXT or "\x00" in pattern
        ):
            raise CurationError(f"Give a pattern of 1 to {MAX_TEXT} characters.")
        if kind in ("exclude_title", "relabel"):
            try:
                re.compile(pattern)
            except re.error as exc:
                raise CurationError(f"The pattern is not a regular expression: {exc}.") from None
        if kind == "relabel":
            if field not in ("app", "title"):
                raise CurationError("A relabel matches the app or the title.")
            if not category or len(category) > 100 or "\x00" in category:
                raise CurationError("Give a category of 1 to 100 characters.")
        if kind == "exclude_range" and not 0 < start < end:
            raise CurationError("A time range ends after it starts.")
        with self.store.lock:
            cursor = self.store.db.execute(
                'INSERT INTO curation (kind, field, pattern, category, start, "end", created)'
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                (kind, field, pattern, category, start, end, datetime.now(UTC).isoformat()),
            )
        self.mark_dirty(start if kind == "exclude_range" else 0)
        assert cursor.lastrowid is not None
        return Rule(cursor.lastrowid, kind, pattern, field, category, start, end)

    def remove_rule(self, rule_id: int) -> bool:
        with self.store.lock:
            found = self.store.db.execute(
                "SELECT kind, start FROM curation WHERE id = ?", (rule_id,)
            ).fetchone()
            if not found:
                return False
            self.store.db.execute("DELETE FROM curation WHERE id = ?", (rule_id,))
        self.mark_dirty(found[1] if found[0] == "exclude_range" else 0)
        return True

    def delete_events(
        self, start: int, end: int, app: str | None = None, title: str | None = None
    ) -> int:
        """Delete what the window events (of one app/title when given) and, without an app,
        the AFK events recorded in [start, end), for good. An event reaching beyond the range
        is cut at its edges (the rest stays); answers how many events were touched."""
        if not start < end:
            raise CurationError("A time range ends after it starts.")
        store = self.store
        touched = 0
        with store.lock:
            store.flush()
            for bucket_id, kind in self.bucket_kinds().items():
                if kind not in ("currentwindow", "afkstatus") or (
                    kind == "afkstatus" and app is not None
                ):
                    continue
                for ev in store.events(bucket_id, start=start, end=end):
                    full = store.get_event(bucket_id, ev.id) if ev.id is not None else None
                    if full is None or full.id is None or full.end <= start or full.ts >= end:
                        continue
                    if app is not None and full.data.get("app") != app:
                        continue
                    if title is not None and full.data.get("title") != title:
                        continue
                    rest = [(full.ts, start), (end, full.end)]
                    rest = [(a, b) for a, b in rest if a < b]
                    if not rest:
                        store.delete_event(bucket_id, full.id)
                    else:
                        rows: list[tuple[int | None, int, int, dict[str, Any]]] = [
                            (full.id, rest[0][0], rest[0][1] - rest[0][0], full.data)
                        ]
                        rows += [(None, a, b - a, full.data) for a, b in rest[1:]]
                        store.insert(bucket_id, rows)
                    touched += 1
        self.mark_dirty(start)
        return touched

    # Events --------------------------------------------------------------------------------

    def bucket_kinds(self) -> dict[str, str]:
        return {b: self.store.bucket_metadata(b)["type"] for b in self.store.bucket_ids()}

    def pieces(
        self, lo: int, hi: int, curation: Curation | None = None, *, hide_ranges: bool = True
    ) -> list[Piece]:
        """The pieces of [lo, hi) from every window and AFK bucket; excluded time ranges
        make none unless ``hide_ranges`` is False (the day's view shows them, marked)."""
        curation = curation or self.curation()
        windows: list[tuple[int, int, str, str]] = []
        afk: list[tuple[int, int, bool]] | None = None
        for bucket_id, kind in self.bucket_kinds().items():
            if kind == "currentwindow":
                for ev in self.store.events(bucket_id, start=lo, end=hi):
                    app = ev.data.get("app")
                    title = ev.data.get("title")
                    windows.append(
                        (
                            ev.ts,
                            ev.dur,
                            app if isinstance(app, str) else "unknown",
                            title if isinstance(title, str) else "",
                        )
                    )
            elif kind == "afkstatus":
                afk = afk or []
                for ev in self.store.events(bucket_id, start=lo, end=hi):
                    afk.append((ev.ts, ev.dur, ev.data.get("status") == "afk"))
        return pieces(windows, afk, lo, hi, curation.excluded_ranges() if hide_ranges else ())

    def first_event(self) -> int | None:
        """The start of the oldest window or AFK event, µs."""
        with self.store.lock:
            self.store.flush()
            row = self.store.db.execute(
                "SELECT min(ts) FROM events JOIN buckets ON buckets.id = events.bucket"
                " WHERE buckets.type IN ('currentwindow', 'afkstatus')"
            ).fetchone()
        return int(row[0]) if row and row[0] is not None else None

    # What the server holds -----------------------------------------------------------------

    def sent(self, lo: int, hi: int) -> dict[SlotKey, tuple[int, int]]:
        with self.store.lock:
            rows = self.store.db.execute(
                "SELECT start, category, app, title, active, afk FROM sync_sent"
                " WHERE start >= ? AND start < ?",
                (lo, hi),
            ).fetchall()
        return {(r[0], r[1], r[2], r[3]): (r[4], r[5]) for r in rows}

    def in_flight(self, lo: int, hi: int) -> set[SlotKey]:
        """Keys sent without an answer heard (the server may or may not hold them)."""
        with self.store.lock:
            rows = self.store.db.execute(
                "SELECT start, category, app, title FROM sync_outbox WHERE start >= ? AND start < ?",
                (lo, hi),
            ).fetchall()
        return {(r[0], r[1], r[2], r[3]) for r in rows}

    def sending(self, keys: Iterable[SlotKey]) -> None:
        """Note keys about to be sent (committed before the request leaves)."""
        rows = list(keys)
        with self.store.lock:
            db = self.store.db
            db.execute("BEGIN")  # one commit for the batch, not one per key
            try:
                db.executemany(
                    "INSERT OR IGNORE INTO sync_outbox (start, category, app, title)"
                    " VALUES (?, ?, ?, ?)",
                    rows,
                )
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise

    def acknowledge(self, slots: Iterable[tuple[SlotKey, tuple[int, int]]]) -> None:
        """Record what the server answered 2xx for (zero figures: the slot is gone there)."""
        keep, gone, heard = [], [], []
        for key, (active, afk) in slots:
            heard.append(key)
            if active or afk:
                keep.append((*key, active, afk))
            else:
                gone.append(key)
        with self.store.lock:
            db = self.store.db
            db.execute("BEGIN")
            try:
                db.executemany(
                    "INSERT INTO sync_sent (start, category, app, title, active, afk)"
                    " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (start, category, app, title)"
                    " DO UPDATE SET active = excluded.active, afk = excluded.afk",
                    keep,
                )
                db.executemany(
                    "DELETE FROM sync_sent WHERE start = ? AND category = ? AND app = ?"
                    " AND title = ?",
                    gone,
                )
                db.executemany(
                    "DELETE FROM sync_outbox WHERE start = ? AND category = ? AND app = ?"
                    " AND title = ?",
                    heard,
                )
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise

    def status(self) -> dict[str, Any]:
        with self.store.lock:
            count, seconds = self.store.db.execute(
                "SELECT count(*), coalesce(sum(active), 0) FROM sync_sent"
            ).fetchone()
        watermark = self.get("watermark")
        return {
            "server": self.get("server"),
            "acknowledged_slots": count,
            "acknowledged_active_seconds": seconds,
            "synced_until": int(watermark) if watermark else None,
        }


def floor_slot(micros: int) -> int:
    return micros - micros % SLOT_US


def micros(moment: datetime) -> int:
    return int(moment.timestamp()) * US + moment.microsecond
