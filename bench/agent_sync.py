"""The agent's curation and sync, on the person's side: a month of activity offline.

    nice -n 19 .venv/bin/python bench/agent_sync.py [--events 100000]

Builds an agent database in a temporary directory with ``--events`` window events (5 to 40
seconds each, four apps, 500 titles each) and an AFK event every 50 window events, then
measures in-process, without a server (a client that acknowledges every batch at once):

* the day page: one full day rendered (pieces, categories, the timeline, the HTML);
* the first sync after the month offline: reading the events, building the slots with app
  names and titles, comparing with what was acknowledged, batching and recording each batch;
* a second sync with nothing new (what a periodic sync costs when nothing happened).

No target is set by the issue; the figures say how long a person waits.
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from meridian.agent.activity import US
from meridian.agent.curation import Local
from meridian.agent.page import render
from meridian.agent.store import Store
from meridian.agent.sync import Client, sync


class Acknowledging(Client):
    def __init__(self) -> None:
        super().__init__("http://bench", "token")
        self.requests = 0

    def call(self, method: str, path: str, body: Any = None) -> Any:
        if path.endswith("/policy"):
            return {"allow_apps": True, "allow_titles": True, "retention_days": 3650}
        self.requests += 1
        return {"accepted": len(body["slots"]), "replaced": 0}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=100_000)
    args = parser.parse_args()
    rng = random.Random(11)
    with tempfile.TemporaryDirectory() as directory:
        store = Store(Path(directory) / "agent.sqlite3")
        store.create_bucket("win", type="currentwindow", client="bench", hostname="h")
        store.create_bucket("afk", type="afkstatus", client="bench", hostname="h")
        start = t = 1_796_000_400 * US
        apps = ["Code", "Firefox", "Slack", "Zoom"]
        windows, afk = [], []
        for i in range(args.events):
            dur = rng.randint(5, 40) * US
            app = rng.choice(apps)
            windows.append((None, t, dur, {"app": app, "title": f"{app} document {i % 500}"}))
            if i % 50 == 0:
                afk.append(
                    (None, t, 50 * 25 * US, {"status": "afk" if rng.random() < 0.2 else "not-afk"})
                )
            t += dur
        for i in range(0, len(windows), 10_000):
            store.insert("win", windows[i : i + 10_000])
        store.insert("afk", afk)
        local = Local(store)
        days = (t - start) / US / 86400
        utc = ZoneInfo("UTC")
        day = datetime.fromtimestamp((start + 5 * 86400 * US) / US, UTC).date()
        began = time.perf_counter()
        html = render(local, utc, day, "token")
        page = time.perf_counter() - began
        client = Acknowledging()
        began = time.perf_counter()
        report = sync(
            local, client, now=t + 3600 * US, share_apps=True, share_titles=True, say=lambda _: None
        )
        first = time.perf_counter() - began
        began = time.perf_counter()
        again = sync(
            local, client, now=t + 3600 * US, share_apps=True, share_titles=True, say=lambda _: None
        )
        second = time.perf_counter() - began
        store.close()
    print(f"{args.events} window events over {days:.1f} days")
    print(f"day page: {page * 1000:.0f} ms ({len(html) // 1024} KiB of HTML)")
    print(
        f"first sync: {first:.2f} s for {report.slots} slots in {report.batches} batches "
        f"({report.slots / first:,.0f} slots/s)"
    )
    print(f"second sync, nothing new: {second * 1000:.0f} ms ({again.slots} slots)")


if __name__ == "__main__":
    main()
