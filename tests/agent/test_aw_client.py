"""The unmodified aw-client (PyPI) against the real `meridian agent --testing` process.

Each test names the ActivityWatch behaviour it checks: aw-server's REST API
(aw_server/rest.py, aw_server/api.py), aw-core's heartbeat merge (aw_transform/heartbeats.py)
and query2 (aw_query/query2.py, aw_query/functions.py), and aw-client's own calls
(aw_client/client.py, aw_client/queries.py).
"""

from datetime import UTC, datetime, timedelta

import pytest
from aw_client.queries import DesktopQueryParams, fullDesktopQuery
from aw_core.models import Event
from requests.exceptions import HTTPError

T0 = datetime(2026, 12, 5, 9, 0, tzinfo=UTC)


def seconds(n: float) -> timedelta:
    return timedelta(seconds=n)


def test_info_says_testing_mode(aw):
    # aw_server/api.py ServerAPI.get_info: hostname, version, testing, device_id.
    info = aw.get_info()

    assert info["testing"] is True
    assert set(info) == {"hostname", "version", "testing", "device_id"}


def test_create_list_get_and_delete_a_bucket(aw):
    # aw_server/rest.py BucketResource (POST creates, GET metadata, DELETE) and BucketsResource.
    aw.create_bucket("test-bucket-crud", "currentwindow")

    listed = aw.get_buckets()
    assert listed["test-bucket-crud"]["type"] == "currentwindow"
    assert listed["test-bucket-crud"]["client"].startswith("test-")
    aw.delete_bucket("test-bucket-crud")
    assert "test-bucket-crud" not in aw.get_buckets()


def test_heartbeats_with_equal_data_within_pulsetime_merge_into_one_event(aw):
    # aw_transform/heartbeats.py heartbeat_merge: same data and the heartbeat starts within
    # [last.start, last.end + pulsetime] → the last event is extended.
    aw.create_bucket("test-heartbeats", "currentwindow")
    data = {"app": "Code", "title": "main.py"}
    for i in range(5):
        aw.heartbeat("test-heartbeats", Event(timestamp=T0 + seconds(5 * i), data=data), 10)

    events = aw.get_events("test-heartbeats")

    assert len(events) == 1
    assert events[0].timestamp == T0
    assert events[0].duration == seconds(20)
    assert events[0].data == data


def test_heartbeat_after_the_pulse_window_or_with_new_data_starts_a_new_event(aw):
    # aw_server/api.py ServerAPI.heartbeat: a heartbeat that does not merge is inserted.
    aw.create_bucket("test-heartbeats-split", "currentwindow")
    code = {"app": "Code"}
    aw.heartbeat("test-heartbeats-split", Event(timestamp=T0, data=code), 5)
    aw.heartbeat("test-heartbeats-split", Event(timestamp=T0 + seconds(4), data=code), 5)
    aw.heartbeat("test-heartbeats-split", Event(timestamp=T0 + seconds(20), data=code), 5)
    aw.heartbeat("test-heartbeats-split", Event(timestamp=T0 + seconds(22), data={"app": "Web"}), 5)

    events = aw.get_events("test-heartbeats-split")

    # Newest first, as aw-server's storage answers.
    assert [(e.timestamp, e.duration, e.data) for e in events] == [
        (T0 + seconds(22), seconds(0), {"app": "Web"}),
        (T0 + seconds(20), seconds(0), code),
        (T0, seconds(4), code),
    ]


def test_bulk_insert_count_window_limit_get_and_delete(aw):
    # aw_server/rest.py EventsResource (POST a list; GET with start/end/limit),
    # EventCountResource, EventResource (GET, DELETE).
    aw.create_bucket("test-bulk", "currentwindow")
    aw.insert_events(
        "test-bulk",
        [Event(timestamp=T0 + seconds(60 * i), duration=30, data={"n": i}) for i in range(1000)],
    )

    assert aw.get_eventcount("test-bulk") == 1000
    assert aw.get_eventcount("test-bulk", start=T0 + seconds(600), end=T0 + seconds(1200)) == 11
    window = aw.get_events("test-bulk", start=T0 + seconds(600), end=T0 + seconds(1200))
    assert [e.data["n"] for e in window] == list(range(20, 9, -1))
    newest = aw.get_events("test-bulk", limit=3)
    assert [e.data["n"] for e in newest] == [999, 998, 997]
    fetched = aw.get_event("test-bulk", newest[0].id)
    assert fetched is not None
    assert fetched.data == {"n": 999}
    aw.delete_event("test-bulk", newest[0].id)
    assert aw.get_eventcount("test-bulk") == 999
    assert [e.data["n"] for e in aw.get_events("test-bulk", limit=1)] == [998]


def test_events_reaching_over_the_window_edges_are_trimmed(aw):
    # aw_datastore/storages/peewee.py get_events trims events to [start, end], after
    # aw_datastore/datastore.py Bucket.get rounded the end up to the next millisecond.
    aw.create_bucket("test-trim", "currentwindow")
    aw.insert_events("test-trim", [Event(timestamp=T0, duration=3600, data={"app": "Code"})])

    events = aw.get_events("test-trim", start=T0 + seconds(600), end=T0 + seconds(1200))

    assert [(e.timestamp, e.duration) for e in events] == [(T0 + seconds(600), seconds(600.001))]


def test_full_desktop_query_with_categories(aw):
    # aw_client/queries.py fullDesktopQuery: flood, not-afk filter, filter_period_intersect,
    # categorize, merge_events_by_keys, sort_by_duration, sum_durations (aw_transform/*).
    aw.create_bucket("aw-watcher-window_testhost", "currentwindow")
    aw.create_bucket("aw-watcher-afk_testhost", "afkstatus")
    aw.insert_events(
        "aw-watcher-window_testhost",
        [
            Event(timestamp=T0, duration=600, data={"app": "Code", "title": "main.py"}),
            Event(
                timestamp=T0 + seconds(600), duration=300, data={"app": "Slack", "title": "general"}
            ),
            # 3 s after Slack ends: flood meets them at the midpoint (aw_transform/flood.py).
            Event(
                timestamp=T0 + seconds(903), duration=297, data={"app": "Code", "title": "main.py"}
            ),
            Event(
                timestamp=T0 + seconds(1200),
                duration=600,
                data={"app": "zoom.us", "title": "Standup"},
            ),
        ],
    )
    aw.insert_events(
        "aw-watcher-afk_testhost",
        [
            Event(timestamp=T0, duration=1500, data={"status": "not-afk"}),
            Event(timestamp=T0 + seconds(1500), duration=300, data={"status": "afk"}),
        ],
    )
    classes = [
        (["Work", "Programming"], {"type": "regex", "regex": r"Code|\bpy\b"}),
        (["Communication"], {"type": "regex", "regex": "slack", "ignore_case": True}),
        (["Meetings"], {"type": "regex", "regex": "Standup"}),
    ]
    query = fullDesktopQuery(
        DesktopQueryParams(
            bid_window="aw-watcher-window_", bid_afk="aw-watcher-afk_", classes=classes
        )
    )

    [result] = aw.query(query, [(T0 - timedelta(hours=1), T0 + timedelta(hours=3))])

    # Hand-computed: AFK from 09:25 cuts zoom to 300 s; Slack/Code meet at 09:15:01.5.
    assert [(e["timestamp"], e["duration"], e["data"]["$category"]) for e in result["events"]] == [
        ("2026-12-05T09:00:00+00:00", 600.0, ["Work", "Programming"]),
        ("2026-12-05T09:10:00+00:00", 301.5, ["Communication"]),
        ("2026-12-05T09:15:01.500000+00:00", 298.5, ["Work", "Programming"]),
        ("2026-12-05T09:20:00+00:00", 300.0, ["Meetings"]),
    ]
    window = result["window"]
    assert [(e["data"]["app"], e["duration"]) for e in window["app_events"]] == [
        ("Code", 898.5),
        ("Slack", 301.5),
        ("zoom.us", 300.0),
    ]
    assert [(e["data"]["$category"], e["duration"]) for e in window["cat_events"]] == [
        (["Work", "Programming"], 898.5),
        (["Communication"], 301.5),
        (["Meetings"], 300.0),
    ]
    assert [(e["timestamp"], e["duration"]) for e in window["active_events"]] == [
        ("2026-12-05T09:00:00+00:00", 1500.0)
    ]
    assert window["duration"] == 1500.0
    assert result["browser"] == {"domains": [], "urls": [], "duration": 0}


def test_query_error_is_a_400_with_the_exception_type(aw):
    # aw_server/rest.py QueryResource: QueryException → 400 {"type", "message"}.
    with pytest.raises(HTTPError) as caught:
        aw.query('RETURN = query_bucket("no-such-bucket");', [(T0, T0 + timedelta(hours=1))])

    assert caught.value.response.status_code == 400
    assert caught.value.response.json() == {
        "type": "QueryFunctionException",
        "message": "There's no bucket named 'no-such-bucket'",
    }


def test_export_and_import_round_trip(aw):
    # aw_server/api.py export_bucket (ids scrubbed) and import_all; aw-client import_bucket.
    aw.create_bucket("test-export", "afkstatus")
    aw.insert_events(
        "test-export",
        [
            Event(timestamp=T0 + seconds(10 * i), duration=10, data={"status": "not-afk"})
            for i in range(5)
        ],
    )
    exported = aw.export_bucket("test-export")["buckets"]["test-export"]
    assert all("id" not in e for e in exported["events"])
    everything = aw.export_all()["buckets"]
    assert everything["test-export"] == exported

    aw.delete_bucket("test-export")
    aw.import_bucket(exported)

    assert aw.export_bucket("test-export")["buckets"]["test-export"] == exported
    assert aw.get_eventcount("test-export") == 5


def test_importing_an_existing_bucket_is_refused(aw):
    aw.create_bucket("test-import-twice", "afkstatus")
    exported = aw.export_bucket("test-import-twice")["buckets"]["test-import-twice"]

    with pytest.raises(HTTPError) as caught:
        aw.import_bucket(exported)

    assert caught.value.response.status_code == 409
    assert "test-import-twice" in caught.value.response.json()["message"]


def test_the_agent_is_small_when_idle(agent):
    # The budget: ≤ 60 MB resident while idle.
    assert agent.rss_mb() <= 60
