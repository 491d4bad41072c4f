"""The dashboards' answer cache: a dashboard's API JSON and its page's rendered body, kept per
web process and served while the workspace's dashboard version (meridian.dashboards.freshness)
is the one they were made at.

A warm request costs its sign-in, one small read (the version) and the stored bytes. The key
holds everything a reader changes: the workspace and its version, the format, the dashboard,
the reader's zone and language, the query string, and on a person's dashboard the reader
(whose figures they may see is theirs alone). The workspace-local date is checked on every hit:
an answer made yesterday (in the workspace's metric zone) is made again today.

Nothing per-session is stored: the page's sign-in links, its customize link (asked per reader)
and its CSRF-bearing parts are rendered around the stored body on each request. A read of
another person's time figures is still logged on a hit (``reads_record``).
"""

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.conf import settings
from django.utils import timezone, translation

from meridian.core.moments import local_date, zone_label
from meridian.dashboards import selectors
from meridian.dashboards.access import may_customize
from meridian.dashboards.freshness import version_of
from meridian.metrics.selectors import reads_record
from meridian.workspaces.models import Membership, Profile


@dataclass(frozen=True)
class Answer:
    """A stored answer: what it is, and the day and zone it was made for."""

    payload: Any
    today: date
    zone: str
    shown: tuple[str, ...]  # the metrics shown, whose reads are logged on every hit
    size: int


class AnswerCache:
    """A bounded least-recently-used map of answers, by their size in bytes (thread-safe)."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._items: OrderedDict[Hashable, Answer] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def get(self, key: Hashable) -> Answer | None:
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
            return found

    def put(self, key: Hashable, answer: Answer) -> None:
        if answer.size > self.max_bytes:
            return
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self._bytes -= old.size
            self._items[key] = answer
            self._bytes += answer.size
            while self._bytes > self.max_bytes:
                _, dropped = self._items.popitem(last=False)
                self._bytes -= dropped.size

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self._bytes = 0

    def __len__(self) -> int:
        return len(self._items)


CACHE = AnswerCache(settings.DASHBOARD_CACHE_BYTES)


def _size(payload: Any) -> int:
    if isinstance(payload, bytes | str):
        return len(payload)
    if isinstance(payload, tuple):
        return sum(_size(p) for p in payload) + 64
    return 64


def _reader_zone(viewer: Membership) -> str:
    """The reader's own zone (their profile's, loaded with their membership at sign-in)."""
    try:
        return zone_label(viewer.profile.time_zone)
    except Profile.DoesNotExist:
        return zone_label(None)


def current(viewer: Membership) -> int | None:
    """The viewer's workspace's dashboard version, read once per request."""
    return version_of(viewer.workspace_id)


def dashboard_answer(
    viewer: Membership,
    *,
    version: int | None,
    fmt: str,
    kind: str,
    subject_id: int | None,
    query: str,
    make: Callable[[selectors.Dashboard], Any],
) -> Any:
    """``make(dashboard)`` of :func:`selectors.dashboard_for`'s dashboard, from the cache
    while the workspace's dashboards have not changed. Another workspace's subject is a
    NotFound as without the cache (never stored). ``version``: :func:`current`;
    ``query``: the request's query string."""
    key = (
        viewer.workspace_id,
        version,
        fmt,
        kind,
        subject_id,
        viewer.pk if kind == "person" else None,
        _reader_zone(viewer),
        translation.get_language(),
        query,
    )
    now = timezone.now()
    found = CACHE.get(key) if version is not None else None
    if found is not None and local_date(now, found.zone) == found.today:
        CACHE.hits += 1
        subject = selectors.SUBJECT_OF[kind]
        whose = subject_id if kind != "workspace" else None
        reads_record(viewer, list(found.shown), subject, whose, f"{kind} dashboard")
        return found.payload
    CACHE.misses += 1
    board = selectors.dashboard_for(viewer, kind, subject_id, now=now)
    payload = make(board)
    if version is not None:
        answer = Answer(payload, board.today, board.zone, tuple(board.shown), _size(payload))
        CACHE.put(key, answer)
    return payload


def may_customize_cached(viewer: Membership, team_id: int, version: int | None) -> bool:
    """:func:`access.may_customize` for a team's page, stored at the workspace's version (a
    role or a goal's owner changing bumps it)."""
    key = (viewer.workspace_id, version, "may_customize", viewer.pk, team_id)
    found = CACHE.get(key) if version is not None else None
    if found is not None:
        return bool(found.payload)
    allowed = may_customize(viewer, team_id)
    if version is not None:
        CACHE.put(key, Answer(allowed, date.min, "UTC", (), 64))
    return allowed
