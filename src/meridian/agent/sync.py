"""`meridian agent sync`: send what the policy and the person allow to the Meridian server.

1. Read the workspace's policy (``GET /api/v1/activity/policy``): it says whether app names
   and titles may be sent, how many days the server keeps, and how many slots a request holds.
2. Build the 15-minute slots of every finished quarter hour since the watermark (minus an
   hour for late events, and from the start of anything a rule change touched), within the
   server's retention, after the person's exclusions and relabels.
3. Compare with what the server acknowledged before (``sync_sent``) and what was on its way
   when a sync was cut short (``sync_outbox``): send new, changed and unsure slots, and zero
   figures for slots that are no longer there (deleted, excluded or relabelled since), in
   batches that keep every slot of a quarter hour together.
4. Note each batch's keys in the outbox before sending it; after the 2xx, record the batch
   as acknowledged (and clear it from the outbox); after the last, move the watermark.

Killed at any moment, the next sync builds the same slots and sends what was not
acknowledged; a batch the server stored but whose answer was lost is sent again and
replaces its figures on the server (its key is the same), so nothing is lost or counted
twice.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from typing import Any

from .activity import SLOT_US, US, SlotKey, slots
from .curation import Local, floor_slot
from .events import fmt_ts

LATE_US = 3600 * US  # events arriving up to an hour late are still picked up
MAX_REQUEST_BYTES = 1_500_000  # the server takes 2 MiB; titles make slots long


class SyncFailed(Exception):
    """The sync stopped; ``code`` is the exit status, the message says why and what to do."""

    def __init__(self, message: str, code: int = 1) -> None:
        super().__init__(message)
        self.code = code


@dataclass
class Report:
    slots: int = 0
    removed: int = 0
    kept: int = 0
    batches: int = 0
    accepted: int = 0
    replaced: int = 0
    dropped_detail: int = 0
    expired: int = 0
    active_seconds: int = 0
    afk_seconds: int = 0
    categories: dict[str, int] = field(default_factory=dict)
    first: int | None = None
    last: int | None = None
    detail: str = "categories"

    def lines(self, zone: tzinfo = UTC) -> list[str]:
        if not self.slots and not self.removed:
            return ["Nothing new to send: the server has everything up to now."]
        out = []
        if self.slots:
            span = f"{moment(self.first or 0, zone)} to {moment((self.last or 0) + SLOT_US, zone)}"
            out += [
                f"Sent {self.slots} slots ({self.detail}) in {self.batches} batches, {span}:",
                f"  active {_hm(self.active_seconds)}, away {_hm(self.afk_seconds)}",
            ]
            out += [f"  {name}: {_hm(s)}" for name, s in sorted(self.categories.items())]
        else:
            out.append(f"Sent no new figures ({self.batches} requests):")
        if self.kept:
            out.append(
                f"  {self.kept} quarter hours stay as sent before: they carry app names or "
                "titles the policy no longer takes"
            )
        if self.removed:
            out.append(
                f"  {self.removed} slots sent before were withdrawn (deleted, excluded or relabelled)"
            )
        out.append(
            f"The server took {self.accepted} new and {self.replaced} replaced slots"
            + (f", dropped detail of {self.dropped_detail}" if self.dropped_detail else "")
            + (f", ignored {self.expired} past its retention" if self.expired else "")
            + "."
        )
        return out


def moment(micros: int, zone: tzinfo) -> str:
    """An instant as the person reads it: their wall clock, the zone named."""
    return f"{datetime.fromtimestamp(micros / US, zone):%Y-%m-%d %H:%M} {zone}"


def _hm(seconds: int) -> str:
    return f"{seconds // 3600} h {seconds % 3600 // 60:02d} min"


class Client:
    """JSON over HTTP with the member's token (urllib: no dependency on the agent's side)."""

    def __init__(self, server: str, token: str, timeout: float = 60.0) -> None:
        self.base = server.rstrip("/")
        self.token = token
        self.timeout = timeout

    def call(self, method: str, path: str, body: Any = None) -> Any:
        data = None if body is None else json.dumps(body, ensure_ascii=False).encode()
        request = urllib.request.Request(  # noqa: S310 (the person's own server URL)
            self.base + path,
            data=data,
            method=method,
            headers={
                "Authorization": f"Bearer {self.token}",
                "Content-Type": "application/json",
                "Accept": "application/json",
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as answer:  # noqa: S310
                return json.loads(answer.read() or b"null")
        except urllib.error.HTTPError as exc:
            detail = _detail(exc)
            if exc.code == 401:
                raise SyncFailed(
                    "The server refused the token (401): it was revoked or mistyped. Nothing "
                    "was lost: everything stays queued here. Make a new token under API tokens in "
                    f"your workspace and run `meridian agent login` again. ({detail})",
                    code=3,
                ) from None
            raise SyncFailed(f"The server answered {exc.code}: {detail}", code=4) from None
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise SyncFailed(
                f"Cannot reach {self.base}: {reason}. Nothing was lost: the next sync sends it.",
                code=2,
            ) from None


def _detail(exc: urllib.error.HTTPError) -> str:
    try:
        body = json.loads(exc.read() or b"{}")
    except ValueError:
        return exc.reason or ""
    return str(body.get("detail") or body.get("message") or exc.reason)


def _batches(
    changes: list[tuple[SlotKey, tuple[int, int]]], size: int
) -> list[list[tuple[SlotKey, tuple[int, int]]]]:
    """Batches of at most ``size`` slots and MAX_REQUEST_BYTES, a quarter hour never split
    (the server adds up slots of one key within a request only)."""
    result: list[list[tuple[SlotKey, tuple[int, int]]]] = []
    current: list[tuple[SlotKey, tuple[int, int]]] = []
    weight = 0
    i = 0
    while i < len(changes):
        j = i
        group_weight = 0
        while j < len(changes) and changes[j][0][0] == changes[i][0][0]:
            key = changes[j][0]
            group_weight += (
                120 + len(key[1].encode()) + len(key[2].encode()) + 2 * len(key[3].encode())
            )
            j += 1
        if current and (len(current) + j - i > size or weight + group_weight > MAX_REQUEST_BYTES):
            result.append(current)
            current, weight = [], 0
        current.extend(changes[i:j])
        weight += group_weight
        i = j
    if current:
        result.append(current)
    return result


def sync(
    local: Local,
    client: Client,
    *,
    now: int,
    share_apps: bool,
    share_titles: bool,
    say: Callable[[str], None] = print,
    pause: float = 0.0,
    batch: int = 5000,
    zone: tzinfo = UTC,
) -> Report:
    """One sync up to the quarter hour before ``now`` (µs); raises SyncFailed."""
    policy = client.call("GET", "/api/v1/activity/policy")
    local.save_workspace_rules(policy.get("category_rules"))
    apps = bool(policy.get("allow_apps")) and share_apps
    titles = apps and bool(policy.get("allow_titles")) and share_titles
    size = max(1, min(int(policy.get("max_slots_per_sync") or 5000), batch))
    retention = int(policy.get("retention_days") or 30)
    report = Report(
        detail="categories" + (", apps" if apps else "") + (", titles" if titles else "")
    )

    hi = floor_slot(now)
    cutoff = floor_slot(now - retention * 86400 * US) + SLOT_US
    watermark = local.get("watermark")
    dirty = local.get("dirty_from")  # read after the workspace's rules were saved
    first = local.first_event()
    if first is None:
        lo = hi
    elif watermark:
        lo = int(watermark) - LATE_US
        if dirty:
            lo = min(lo, int(dirty))
    else:
        lo = first
    lo = max(floor_slot(lo), cutoff, floor_slot(first or hi))
    if local.get("detail") != report.detail:
        # Sharing more or less detail than last time: every slot's key changes.
        lo = max(cutoff, floor_slot(first or hi))
    lo = min(lo, hi)
    say(f"Reading the activity from {moment(lo, zone)} to {moment(hi, zone)}…")

    wanted = slots(local.pieces(lo, hi), local.curation(), share_apps=apps, share_titles=titles)
    held = local.sent(lo, hi)
    # A slot sent with an app or title the policy no longer takes cannot be withdrawn (the
    # server would merge the zero into the category slot): such quarter hours stay as sent.
    unsure = local.in_flight(lo, hi)
    gone = (held.keys() | unsure) - wanted.keys()
    kept = {
        key[0]
        for key in gone
        if (key[2] and not policy.get("allow_apps")) or (key[3] and not policy.get("allow_titles"))
    }
    changes = [
        (k, v) for k, v in wanted.items() if (held.get(k) != v or k in unsure) and k[0] not in kept
    ]
    for key in gone:
        if key[0] not in kept:
            changes.append((key, (0, 0)))  # no longer there: zero figures remove it
            report.removed += 1
    report.kept = len(kept)
    changes.sort(key=lambda c: c[0])
    batches = _batches(changes, size)
    total = len(changes)
    done = 0
    agent_id = local.agent_id()
    for number, part in enumerate(batches, 1):
        body = {
            "agent_id": agent_id,
            "slots": [
                {
                    "start": fmt_ts(key[0]).replace("+00:00", "Z"),
                    "category": key[1],
                    "active_seconds": active,
                    "afk_seconds": afk,
                    "app": key[2] or None,
                    "title": key[3] or None,
                }
                for key, (active, afk) in part
            ],
        }
        local.sending(key for key, _ in part)
        answer = client.call("POST", "/api/v1/activity/sync", body)
        local.acknowledge(part)
        done += len(part)
        report.batches += 1
        for name in ("accepted", "replaced", "dropped_detail", "expired"):
            setattr(report, name, getattr(report, name) + int(answer.get(name) or 0))
        for key, (active, afk) in part:
            if active or afk:
                report.slots += 1
                report.active_seconds += active
                report.afk_seconds += afk
                report.categories[key[1]] = report.categories.get(key[1], 0) + active
                report.first = key[0] if report.first is None else min(report.first, key[0])
                report.last = key[0] if report.last is None else max(report.last, key[0])
        say(
            f"batch {number}/{len(batches)}: {len(part)} slots acknowledged ({done * 100 // total}%)"
        )
        if pause:
            time.sleep(pause)
    local.put(watermark=str(hi), detail=report.detail)
    if dirty and local.get("dirty_from") == dirty:  # a rule changed during the sync stays dirty
        local.put(dirty_from="")
    return report
