"""Raw HTTP against the real agent process: status codes, error bodies, CORS.

Shapes follow aw-server: werkzeug errors answer {"message": ...} (aw_server/exceptions.py),
payload validation answers {"message": "Input payload validation failed", "errors": {...}}
(flask-restx's @api.expect(validate=True) on HeartbeatResource in aw_server/rest.py).
"""

import http.client
import json
import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from meridian.agent.server import send_parts

BUCKET = {"client": "raw", "type": "currentwindow", "hostname": "raw-host"}
EVENT = {"timestamp": "2026-12-05T09:00:00+00:00", "duration": 5, "data": {"app": "Code"}}


@pytest.fixture(scope="module")
def bucket(agent):
    status, _, _ = agent.request("POST", "/api/0/buckets/raw-bucket", BUCKET)
    assert status == 200
    return "raw-bucket"


def test_creating_an_existing_bucket_answers_304(agent, bucket):
    # aw_server/rest.py BucketResource.post: 304 when the bucket already existed.
    status, _, _ = agent.request("POST", f"/api/0/buckets/{bucket}", BUCKET)

    assert status == 304


def test_put_creates_a_bucket_too(agent):
    status, _, _ = agent.request("PUT", "/api/0/buckets/raw-put", BUCKET)

    assert status == 200
    assert agent.request("GET", "/api/0/buckets/raw-put")[2]["hostname"] == "raw-host"


def test_a_bucket_without_its_type_is_a_400_naming_the_field(agent):
    status, _, body = agent.request(
        "POST", "/api/0/buckets/raw-missing", {"client": "c", "hostname": "h"}
    )

    assert status == 400
    assert body["errors"] == {"type": "'type' is a required property"}
    assert agent.request("GET", "/api/0/buckets/raw-missing")[0] == 404


@pytest.mark.parametrize(
    ("event", "field"),
    [
        ({"duration": 1, "data": {}}, "timestamp"),
        ({"timestamp": "yesterday", "data": {}}, "timestamp"),
        ({"timestamp": EVENT["timestamp"], "duration": -1, "data": {}}, "duration"),
        ({"timestamp": EVENT["timestamp"], "duration": "long", "data": {}}, "duration"),
        # Its microseconds would not fit in 64 bits (this once stopped the background writer).
        ({"timestamp": EVENT["timestamp"], "duration": 1e13, "data": {}}, "duration"),
        ({"timestamp": EVENT["timestamp"], "data": ["not", "an", "object"]}, "data"),
        ({"timestamp": EVENT["timestamp"], "data": "text"}, "data"),
    ],
)
def test_a_malformed_heartbeat_is_a_400_naming_the_field(agent, bucket, event, field):
    status, _, body = agent.request("POST", f"/api/0/buckets/{bucket}/heartbeat?pulsetime=5", event)

    assert status == 400
    assert body["message"] == "Input payload validation failed"
    assert list(body["errors"]) == [field]
    assert agent.request("GET", f"/api/0/buckets/{bucket}/events/count")[2] == 0


def test_a_malformed_event_in_a_batch_is_a_400_naming_its_index_and_nothing_is_stored(
    agent, bucket
):
    batch = [EVENT, {**EVENT, "duration": -3}]

    status, _, body = agent.request("POST", f"/api/0/buckets/{bucket}/events", batch)

    assert status == 400
    assert list(body["errors"]) == ["1.duration"]
    assert agent.request("GET", f"/api/0/buckets/{bucket}/events/count")[2] == 0


def test_a_body_that_is_not_json_is_a_400(agent, bucket):
    status, _, body = agent.request(
        "POST", f"/api/0/buckets/{bucket}/heartbeat?pulsetime=5", raw=b"{not json"
    )

    assert status == 400
    assert "not valid JSON" in body["message"]


def test_a_heartbeat_without_pulsetime_is_a_400(agent, bucket):
    # aw_server/rest.py HeartbeatResource: "Missing required parameter pulsetime".
    status, _, body = agent.request("POST", f"/api/0/buckets/{bucket}/heartbeat", EVENT)

    assert status == 400
    assert body == {"message": "Missing required parameter pulsetime"}


def test_an_oversized_batch_is_a_413_naming_the_limit(agent, bucket):
    from meridian.agent.server import MAX_EVENTS

    batch = [EVENT] * (MAX_EVENTS + 1)

    status, _, body = agent.request("POST", f"/api/0/buckets/{bucket}/events", batch)

    assert status == 413
    assert f"the limit is {MAX_EVENTS:d} events per request" in body["message"]
    assert agent.request("GET", f"/api/0/buckets/{bucket}/events/count")[2] == 0


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "/api/0/buckets/nope", None),
        ("GET", "/api/0/buckets/nope/events", None),
        ("POST", "/api/0/buckets/nope/events", [EVENT]),
        ("GET", "/api/0/buckets/nope/events/count", None),
        ("POST", "/api/0/buckets/nope/heartbeat?pulsetime=5", EVENT),
        ("DELETE", "/api/0/buckets/nope", None),
        ("GET", "/api/0/buckets/nope/export", None),
    ],
)
def test_an_unknown_bucket_is_a_404(agent, method, path, body):
    # aw_server/api.py check_bucket_exists: NotFound("NoSuchBucket", "There's no bucket named …").
    status, _, answer = agent.request(method, path, body)

    assert status == 404
    assert answer == {"message": "There's no bucket named nope"}


def test_an_unknown_event_is_a_404_and_deleting_it_reports_no_success(agent, bucket):
    assert agent.request("GET", f"/api/0/buckets/{bucket}/events/999999")[0] == 404

    status, _, body = agent.request("DELETE", f"/api/0/buckets/{bucket}/events/999999")

    assert status == 200
    assert body == {"success": False}


def test_single_event_post_answers_the_event_with_its_id(agent):
    agent.request("POST", "/api/0/buckets/raw-single", BUCKET)

    status, _, body = agent.request("POST", "/api/0/buckets/raw-single/events", EVENT)

    assert status == 200
    assert body["timestamp"] == "2026-12-05T09:00:00+00:00"
    assert body["duration"] == 5.0
    assert isinstance(body["id"], int)
    assert agent.request("GET", f"/api/0/buckets/raw-single/events/{body['id']}")[2] == body


def test_cors_allows_the_web_ui_origin_and_extensions_but_not_other_sites(agent):
    own = f"http://127.0.0.1:{agent.port}"

    _, allowed, _ = agent.request("GET", "/api/0/info", headers={"Origin": own})
    _, extension, _ = agent.request(
        "GET", "/api/0/info", headers={"Origin": "moz-extension://1234-abcd"}
    )
    _, other, _ = agent.request("GET", "/api/0/info", headers={"Origin": "https://evil.example"})
    status, preflight, _ = agent.request(
        "OPTIONS",
        "/api/0/buckets/x/heartbeat",
        headers={"Origin": own, "Access-Control-Request-Headers": "content-type"},
    )

    assert allowed["Access-Control-Allow-Origin"] == own
    assert extension["Access-Control-Allow-Origin"] == "moz-extension://1234-abcd"
    assert "Access-Control-Allow-Origin" not in other
    assert status == 200
    assert preflight["Access-Control-Allow-Headers"] == "content-type"
    assert "POST" in preflight["Access-Control-Allow-Methods"]


def test_a_query_parse_error_is_a_400_with_its_type(agent):
    body = {"timeperiods": ["2026-12-05T00:00:00Z/2026-12-06T00:00:00Z"], "query": ["RETURN = ;"]}

    status, _, answer = agent.request("POST", "/api/0/query/", body)

    assert status == 400
    assert answer["type"] == "QueryParseException"


def test_a_query_without_timeperiods_is_a_400_naming_the_field(agent):
    status, _, answer = agent.request("POST", "/api/0/query/", {"query": ["RETURN = 1;"]})

    assert status == 400
    assert list(answer["errors"]) == ["timeperiods"]


def test_a_repeated_query_sees_new_events_in_its_window(agent):
    # The answer cache must never hide a write that falls in the queried period.
    agent.request("POST", "/api/0/buckets/raw-cache", BUCKET)
    query = {
        "timeperiods": ["2026-12-05T00:00:00+00:00/2026-12-06T00:00:00+00:00"],
        "query": ['RETURN = query_bucket_eventcount("raw-cache");'],
    }
    assert agent.request("POST", "/api/0/query/", query)[2] == [0]

    agent.request("POST", "/api/0/buckets/raw-cache/events", [EVENT])
    assert agent.request("POST", "/api/0/query/", query)[2] == [1]
    agent.request(
        "POST",
        "/api/0/buckets/raw-cache/heartbeat?pulsetime=5",
        {**EVENT, "timestamp": "2026-12-05T09:00:04+00:00", "duration": 0},
    )
    assert agent.request("POST", "/api/0/query/", query)[2] == [1]
    agent.request(
        "POST",
        "/api/0/buckets/raw-cache/events",
        [{**EVENT, "timestamp": "2026-12-07T09:00:00+00:00"}],
    )
    assert agent.request("POST", "/api/0/query/", query)[2] == [1]
    agent.request(
        "POST",
        "/api/0/buckets/raw-cache/events",
        [{**EVENT, "timestamp": "2026-12-05T23:00:00+00:00"}],
    )
    assert agent.request("POST", "/api/0/query/", query)[2] == [2]


def test_a_repeated_query_sees_what_another_process_changed_in_the_file(agent):
    # The CLI curates the same file from another process (`meridian agent exclude` …): the
    # agent's cached answers and the events it keeps in memory must not hide that change.
    import sqlite3

    agent.request("POST", "/api/0/buckets/raw-other", BUCKET)
    events = [
        {**EVENT, "timestamp": f"2026-12-05T09:0{n}:00+00:00", "data": {"n": n}} for n in range(3)
    ]
    agent.request("POST", "/api/0/buckets/raw-other/events", events)
    query = {
        "timeperiods": ["2026-12-05T00:00:00+00:00/2026-12-06T00:00:00+00:00"],
        "query": ['RETURN = query_bucket("raw-other");'],
    }
    assert sorted(e["data"]["n"] for e in agent.request("POST", "/api/0/query/", query)[2][0]) == [
        0,
        1,
        2,
    ]
    time.sleep(1.5)  # the agent's idle second: it builds its copies in memory

    other = sqlite3.connect(agent.directory / "agent-testing.sqlite3", timeout=10)
    with other:
        other.execute("DELETE FROM events WHERE json_extract(data, '$.n') = 1")
    other.close()

    answer = agent.request("POST", "/api/0/query/", query)[2][0]
    assert sorted(e["data"]["n"] for e in answer) == [0, 2]
    read = agent.request("GET", "/api/0/buckets/raw-other/events?limit=10")[2]
    assert sorted(e["data"]["n"] for e in read) == [0, 2]


def test_deleting_a_bucket_outside_testing_needs_force(tmp_path):
    # aw_server/rest.py BucketResource.delete: 401 unless testing or ?force=1.
    from meridian.agent.server import Agent, HttpError
    from meridian.agent.store import Store

    store = Store(tmp_path / "agent.sqlite3")
    store.create_bucket("b", type="t", client="c", hostname="h")
    agent = Agent(store, testing=False, port=5600)

    with pytest.raises(HttpError) as refused:
        agent.delete_bucket("b", {})
    agent.delete_bucket("b", {"force": "1"})

    assert refused.value.status == 401
    assert store.bucket_ids() == []
    store.close()


def test_a_large_answer_arrives_whole_and_the_connection_goes_on(agent):
    # Answers larger than BIG leave in parts (head, then the body's bytes as they are).
    agent.request("POST", "/api/0/buckets/raw-large", BUCKET)
    events = [
        {
            "timestamp": f"2026-12-05T{i // 3600:02d}:{i // 60 % 60:02d}:{i % 60:02d}+00:00",
            "duration": 1.5,
            "data": {"app": "Code", "title": f"file {i} — ünïcode"},
        }
        for i in range(0, 86_400, 20)
    ]
    agent.request("POST", "/api/0/buckets/raw-large/events", events)
    query = {
        "timeperiods": ["2026-12-05T00:00:00+00:00/2026-12-06T00:00:00+00:00"],
        "query": ['RETURN = sort_by_timestamp(query_bucket("raw-large"));'],
    }
    conn = http.client.HTTPConnection("127.0.0.1", agent.port, timeout=30)
    try:
        answers = []
        for _ in range(2):  # the second on the same connection, answered from the cache
            conn.request("POST", "/api/0/query/", body=json.dumps(query).encode())
            response = conn.getresponse()
            raw = response.read()
            assert response.status == 200
            assert int(response.getheader("Content-Length")) == len(raw) > 64 * 1024
            answers.append(json.loads(raw))
    finally:
        conn.close()

    assert answers[0] == answers[1]
    assert [(e["timestamp"], e["duration"], e["data"]) for e in answers[0][0]] == [
        (e["timestamp"], e["duration"], e["data"]) for e in events
    ]


class TrickleSocket:
    """A socket that takes at most ``step`` bytes per sendmsg, as a full buffer does."""

    def __init__(self, step: int) -> None:
        self.step = step
        self.received = bytearray()

    def sendmsg(self, buffers) -> int:
        taken = bytes(b"".join(bytes(b) for b in buffers)[: self.step])
        self.received += taken
        return len(taken)


@given(st.lists(st.binary(max_size=300), max_size=4), st.integers(min_value=1, max_value=500))
def test_parts_sent_a_little_at_a_time_arrive_whole_and_in_order(chunks, step):
    sock = TrickleSocket(step)

    send_parts(sock, *chunks)

    assert bytes(sock.received) == b"".join(chunks)
