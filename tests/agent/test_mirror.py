"""`meridian agent --from-activitywatch URL`, copying from a real ActivityWatch-API server.

The source is the agent's own process (it answers aw-server's API, see test_aw_client.py);
the copy reads GET /api/0/buckets/ and GET /api/0/buckets/<id>/events?start= as aw-server
serves them (aw_server/rest.py BucketsResource, EventsResource).
"""

import os
import subprocess
import sys

from meridian.agent.store import Store

from .conftest import SRC

BUCKET = {"client": "watcher", "type": "currentwindow", "hostname": "laptop"}


def copy_once(agent, directory, url=None):
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "meridian.cli",
            "agent",
            "--once",
            "--dir",
            str(directory),
            "--from-activitywatch",
            url or f"http://127.0.0.1:{agent.port}",
        ],
        env={**os.environ, "PYTHONPATH": str(SRC)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def copied(directory, bucket):
    store = Store(directory / "mirror.sqlite3")
    try:
        return [(e.ts, e.dur, e.data) for e in store.events(bucket)], store.bucket_metadata(bucket)
    finally:
        store.close()


def test_copies_buckets_and_events_and_a_second_copy_refreshes_without_duplicates(agent, tmp_path):
    agent.request("POST", "/api/0/buckets/mirror-window", BUCKET)
    agent.request(
        "POST",
        "/api/0/buckets/mirror-window/events",
        [
            {"timestamp": "2026-12-05T09:00:00+00:00", "duration": 60, "data": {"app": "Code"}},
            {"timestamp": "2026-12-05T09:01:00+00:00", "duration": 5, "data": {"app": "Web"}},
        ],
    )

    first = copy_once(agent, tmp_path)
    events, meta = copied(tmp_path, "mirror-window")
    assert first.returncode == 0, first.stderr
    assert meta["hostname"] == "laptop"
    assert [(dur, data) for _, dur, data in events] == [
        (5_000_000, {"app": "Web"}),
        (60_000_000, {"app": "Code"}),
    ]

    # A heartbeat extends the newest event at the source; a new event follows.
    agent.request(
        "POST",
        "/api/0/buckets/mirror-window/heartbeat?pulsetime=10",
        {"timestamp": "2026-12-05T09:01:10+00:00", "duration": 0, "data": {"app": "Web"}},
    )
    agent.request(
        "POST",
        "/api/0/buckets/mirror-window/events",
        [{"timestamp": "2026-12-05T09:02:00+00:00", "duration": 30, "data": {"app": "Mail"}}],
    )
    second = copy_once(agent, tmp_path)
    events, _ = copied(tmp_path, "mirror-window")

    assert second.returncode == 0, second.stderr
    assert [(dur, data) for _, dur, data in events] == [
        (30_000_000, {"app": "Mail"}),
        (10_000_000, {"app": "Web"}),
        (60_000_000, {"app": "Code"}),
    ]


def test_an_unreachable_source_is_an_error_naming_it(agent, tmp_path):
    from .conftest import free_port

    url = f"http://127.0.0.1:{free_port()}"

    result = copy_once(agent, tmp_path, url)

    assert result.returncode == 1
    assert url in result.stderr
