"""`meridian agent --from-activitywatch URL`: keep a local copy of another server's data.

For a member who keeps ActivityWatch's own server: the agent reads that server's buckets and
events through its REST API into a database of its own (``mirror.sqlite3``), where curation
and sync will find them, instead of serving the API itself.

Each pull asks every bucket for the events from the newest one already copied onwards, so a
pull costs what changed, and the newest event (which heartbeats keep extending) is refreshed.
Events keep the source's ids (unique across its buckets, as aw-server's are), so pulling again
replaces instead of duplicating. Events deleted at the source are not deleted here.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Any

from .events import EventError, event_from_json
from .store import Store


class SourceError(RuntimeError):
    """The ActivityWatch server could not be read (unreachable, or not speaking its API)."""


@dataclass
class PullReport:
    buckets: int = 0
    events: int = 0

    def __str__(self) -> str:
        return f"copied {self.events} event(s) from {self.buckets} bucket(s)"


def _get(base: str, path: str, params: dict[str, str] | None = None) -> Any:
    url = base.rstrip("/") + "/api/0/" + path
    if params:
        url += "?" + urllib.parse.urlencode(params)
    try:
        with urllib.request.urlopen(url, timeout=60) as response:  # noqa: S310 (http(s) only)
            return json.loads(response.read())
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise SourceError(f"cannot read {url}: {exc}") from exc


def check_source(url: str) -> dict[str, Any]:
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise SourceError(f"not an http(s) URL: {url}")
    info = _get(url, "info")
    if not isinstance(info, dict) or "version" not in info:
        raise SourceError(f"{url} does not answer like an ActivityWatch server")
    return info


def pull(store: Store, url: str) -> PullReport:
    """Copy what changed at ``url`` since the last pull into ``store``."""
    report = PullReport()
    buckets = _get(url, "buckets/")
    if not isinstance(buckets, dict):
        raise SourceError(f"{url} answered buckets that are not an object")
    for bucket_id, meta in buckets.items():
        report.buckets += 1
        if not store.has_bucket(bucket_id):
            store.create_bucket(
                bucket_id,
                type=str(meta.get("type", "")),
                client=str(meta.get("client", "")),
                hostname=str(meta.get("hostname", "")),
                created=meta.get("created") if isinstance(meta.get("created"), str) else None,
                name=meta.get("name"),
                data=meta.get("data") if isinstance(meta.get("data"), dict) else None,
            )
        newest = store.last_event(bucket_id)
        params = {"start": _iso(newest.ts)} if newest is not None else None
        rows = _get(url, f"buckets/{urllib.parse.quote(bucket_id, safe='')}/events", params)
        events = []
        for row in rows if isinstance(rows, list) else []:
            try:
                event_id, ts, dur, data = event_from_json(row)
            except EventError:
                continue
            if event_id is None:
                continue
            if newest is not None and ts == newest.ts:
                # The source trims events that began before the window to its start: an
                # event copied earlier keeps the start it had.
                known = store.get_event(bucket_id, event_id)
                if known is not None and known.ts < ts:
                    dur += ts - known.ts
                    ts = known.ts
            events.append((event_id, ts, dur, data))
        if events:
            store.insert(bucket_id, events)
            report.events += len(events)
    return report


def _iso(micros: int) -> str:
    from .events import fmt_ts

    return fmt_ts(micros)
