"""The server's loop (server.Server): it answers short whole requests itself and hands the
rest to workers, and its quick heartbeat path answers what the Handler answers.

On a socket: requests in pieces, bodies in a segment of their own, pipelined requests that
go on with a worker, answers the client does not read, clients that leave. Without one: the
quick heartbeat against the Handler's own path, request by request on two equal stores.
"""

import json
import socket
import struct
import time
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from meridian.agent import server
from meridian.agent.events import Ev, dumps_bytes, event_bytes
from meridian.agent.server import Agent, Handler, Headers, _json_object, _target_route
from meridian.agent.store import Store

from .test_http_wire import answers, exchange, heartbeat_request

INFO = b"GET /api/0/info HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"


@pytest.fixture
def running(tmp_path, monkeypatch):
    """An agent served in this process (its Server object at hand), idle timeout 1 s."""
    monkeypatch.setattr(server, "KERNEL_TIMEOUT", struct.pack("@ll", 1, 0))
    monkeypatch.setattr(server, "IDLE_TIMEOUT", 1)
    store = Store(tmp_path / "agent.db")
    store.create_bucket("b", type="currentwindow", client="c", hostname="h")
    serving = server.make_server(store, host="127.0.0.1", port=0, testing=True)
    thread = server.serve_in_thread(serving)
    serving.port = serving.server_address[1]  # (what exchange() reads)
    yield serving
    serving.shutdown()
    serving.server_close()
    thread.join(5)
    store.close()


def beat(second: int) -> bytes:
    body = json.dumps(
        {
            "timestamp": f"2026-12-05T09:00:{second:02d}+00:00",
            "duration": 0.0,
            "data": {"app": "loop"},
        }
    ).encode()
    return (
        b"POST /api/0/buckets/b/heartbeat?pulsetime=5 HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n%b" % (len(body), body)
    )


def test_a_head_and_its_body_in_segments_of_their_own_are_answered_by_the_loop(running):
    head, _, body = beat(0).partition(b"\r\n\r\n")
    pieces = [head[:7], head[7:40], head[40:] + b"\r\n", b"\r\n", body[:5], body[5:]]
    with socket.create_connection(("127.0.0.1", running.port), timeout=10) as sock:
        for piece in pieces:
            sock.sendall(piece)
            time.sleep(0.02)  # (each its own segment, read by the loop on its own)
        ((status, _, answer),) = answers(sock.recv(65536))

    assert status == 200
    assert json.loads(answer)["timestamp"] == "2026-12-05T09:00:00+00:00"
    assert running.workers == []  # no worker was needed


def test_pipelined_requests_in_any_split_are_answered_in_order(running):
    stream = beat(1) + INFO + beat(2) + b"GET /api/0/export HTTP/1.1\r\n\r\n" + beat(3) + INFO
    for cut in (1, 50, len(beat(1)) + 3, len(stream) // 2, len(stream) - 1):
        got = answers(exchange(running, stream[:cut], stream[cut:]))

        assert [status for status, _, _ in got] == [200] * 6
        kinds = [json.loads(body) for _, _, body in got]
        assert [k.get("timestamp") for k in kinds[0:3:2]] == [
            "2026-12-05T09:00:01+00:00",
            "2026-12-05T09:00:01+00:00",  # (merged: the event started at 09:00:01)
        ]
        assert kinds[1]["testing"] is True
        assert "buckets" in kinds[3]  # the export, answered by a worker after the loop's
        assert kinds[5]["testing"] is True


def test_answers_the_client_does_not_read_yet_are_all_sent_in_order(running):
    # Accepted connections take the listening socket's send buffer: a small one here.
    running.socket.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.settimeout(10)
        sock.connect(("127.0.0.1", running.port))
        requests = [
            f"GET /api/0/info?n={n} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode()
            for n in range(1500)
        ]
        sock.sendall(b"".join(requests) + beat(4))
        time.sleep(0.3)  # the loop answers what it can; a worker sends the rest
        sock.shutdown(socket.SHUT_WR)
        received = b""
        while chunk := sock.recv(65536):
            received += chunk

    got = answers(received)
    assert len(got) == 1501
    assert all(status == 200 for status, _, _ in got)
    assert json.loads(got[-1][2])["data"] == {"app": "loop"}
    assert running.workers  # (the answers did not all fit)


def test_a_client_that_leaves_without_reading_leaves_the_loop_serving(running):
    for request in (beat(5), beat(6)[:30], INFO * 3):
        with socket.create_connection(("127.0.0.1", running.port), timeout=10) as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            sock.sendall(request)  # and a reset at once
    time.sleep(0.2)

    ((status, _, body),) = answers(exchange(running, INFO))
    assert status == 200
    assert json.loads(body)["testing"] is True
    deadline = time.monotonic() + 5
    while (running.connections or running.watched) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not running.connections  # every connection was closed
    assert not running.watched


def test_a_heartbeat_that_stalls_in_its_body_is_answered_400_after_the_idle_timeout(running):
    with socket.create_connection(("127.0.0.1", running.port), timeout=10) as sock:
        sock.sendall(beat(7)[:-5])
        began = time.monotonic()
        ((status, _, body),) = answers(sock.recv(65536))
        waited = time.monotonic() - began

    assert status == 400
    assert "ended before its Content-Length" in json.loads(body)["message"]
    # The loop waits up to the idle timeout, then a worker as long again (1 s each here).
    assert 0.5 < waited < 5


def test_a_connection_idle_on_the_loop_is_closed_after_the_idle_timeout(running):
    with socket.create_connection(("127.0.0.1", running.port), timeout=10) as sock:
        sock.sendall(INFO)
        assert sock.recv(65536).startswith(b"HTTP/1.1 200 OK")
        began = time.monotonic()
        assert sock.recv(100) == b""
        assert 0.5 < time.monotonic() - began < 5
    assert running.workers == []


def test_requests_the_loop_leaves_to_workers_are_answered_as_before(running):
    bucket = "b"
    cases = [
        heartbeat_request(bucket, extra="Expect: 100-continue\r\n"),  # (waits for 100)
        b"GET /api/0/info HTTP/1.0\r\n\r\n",
        b"GET /api/0/info\r\n\r\n",  # HTTP/0.9
        b"POST /api/0/import HTTP/1.1\r\nContent-Length: 2\r\n\r\n{}",
        b"GET /api/0/info HTTP/1.1\nHost: x\n\n",  # bare line feeds
        b"GET /api/0/info HTTP/1.1\r\nX: a\r\nX: b\r\n\r\n",  # a repeated field
    ]
    statuses = []
    for request in cases:
        if b"Expect" in request:
            head, _, body = request.partition(b"\r\n\r\n")
            with socket.create_connection(("127.0.0.1", running.port), timeout=10) as sock:
                sock.sendall(head + b"\r\n\r\n")
                assert sock.recv(100) == b"HTTP/1.1 100 Continue\r\n\r\n"
                sock.sendall(body)
                statuses.append(answers(sock.recv(65536))[0][0])
            continue
        statuses += [status for status, _, _ in answers(exchange(running, request))]

    assert statuses == [200, 200, 200, 400, 200, 200]


# The quick heartbeat (Handler._quick_heartbeat) and the Handler's path, on equal stores ------

BASE = datetime(2026, 12, 5, 9, tzinfo=UTC)
bodies = st.one_of(
    st.builds(
        lambda second, duration, data, extra: json.dumps(
            {
                "timestamp": (BASE + timedelta(seconds=second)).isoformat(),
                "duration": duration,
                "data": data,
                **extra,
            }
        ).encode(),
        st.integers(min_value=-5, max_value=30),
        st.sampled_from([0, 0.0, 1, 2.5, -1, "x", 1e11, 10**12, True]),
        st.sampled_from([{"app": "a"}, {"app": "b"}, {}, None, [], {"é": "\u00e9"}]),
        st.sampled_from([{}, {"id": 3}, {"id": "x"}]),
    ),
    st.sampled_from(
        [
            b"",
            b"{",
            b"[]",
            b'{"timestamp": "2026-12-05T09:00:00+00:00"} ',
            b' {"timestamp": "2026-12-05T09:00:00+00:00"}',
            b'{"timestamp": "yesterday"}',
            b'{"timestamp": "2026-12-05T09:00:00"}',
            b'{"timestamp": "2026-12-05T09:00:00Z", "data": {"a": 1}}{}',
            '{"timestamp": "2026-12-05T09:00:00+00:00", "data": {"t": "\ud800"}}'.encode(
                "utf-8", "surrogatepass"
            ),
            b"\xef\xbb\xbf{}",
            b'{"data": {"a": NaN}, "timestamp": "2026-12-05T09:00:00+00:00"}',
        ]
    ),
)
beats = st.tuples(
    st.sampled_from(["b", "b", "missing", "b%2F"]),
    st.sampled_from(["?pulsetime=5", "?pulsetime=0", "", "?pulsetime=x", "?pulsetime=1e3&a="]),
    bodies,
    st.sampled_from(
        [
            {},
            {"connection": "close"},
            {"origin": "http://127.0.0.1:5600"},
            {"origin": "http://elsewhere"},
        ]
    ),
    st.sampled_from([(1, 1), (1, 0)]),
)


def handler_class(tmp_path, name):
    store = Store(tmp_path / f"{name}.db")
    store.create_bucket("b", type="currentwindow", client="c", hostname="h")
    store.create_bucket("b/", type="currentwindow", client="c", hostname="h")
    agent = Agent(store, testing=True, port=5600)
    return type("H", (Handler,), {"agent": agent}), store


@settings(max_examples=60, deadline=None)
@given(st.lists(beats, min_size=1, max_size=12))
def test_the_quick_heartbeat_answers_what_the_handler_answers(tmp_path_factory, sequence):
    directory = tmp_path_factory.mktemp("quick")
    quick, quick_store = handler_class(directory, "quick")
    slow, slow_store = handler_class(directory, "slow")
    for bucket, query, body, fields, version in sequence:
        target = f"/api/0/buckets/{bucket}/heartbeat{query}"
        headers = Headers({"content-length": str(len(body)), **fields})
        request = ("POST", target, version, headers)

        answer = quick.answer_whole(None, None, request, _target_route(target), body)
        handler = slow._whole(None, None, headers, body)
        handler._answer(*request)

        assert answer == (b"".join(handler.out), handler.close_connection)
    for store in (quick_store, slow_store):
        store.flush()
    assert quick_store.raw_events("b") == slow_store.raw_events("b")
    assert quick_store.raw_events("b/") == slow_store.raw_events("b/")
    quick_store.close()
    slow_store.close()


events = st.builds(
    Ev,
    st.one_of(
        st.integers(min_value=-(10**17), max_value=3 * 10**17),
        st.sampled_from([0, 1, 999, 10**6, -(62135596800 * 10**6), 253402300799999999]),
    ),
    st.one_of(st.integers(min_value=0, max_value=2**54), st.sampled_from([0, 1, 10**6, -5])),
    st.one_of(
        st.sampled_from([{"app": "Code", "title": "x"}, {}, {"é": "\u00e9", "n": [1, None]}]),
        st.dictionaries(st.text(max_size=4), st.text(max_size=4) | st.floats(), max_size=3),
    ),
    st.one_of(st.none(), st.integers(min_value=-(2**63), max_value=2**64)),
)


@given(events)
def test_a_heartbeats_answer_is_written_as_dumps_bytes_writes_it(event):
    try:
        expected = dumps_bytes(event)
    except (OverflowError, ValueError) as exc:
        with pytest.raises(type(exc)):
            event_bytes(event)
        return
    assert event_bytes(event) == expected
    assert event_bytes(event) == expected  # (its data's text kept from the first)


@given(
    st.one_of(
        bodies,
        st.binary(max_size=20).map(lambda raw: b'{"' + raw),
        st.recursive(
            st.none() | st.booleans() | st.floats() | st.text(max_size=5),
            lambda inner: st.dictionaries(st.text(max_size=4), inner, max_size=3),
        ).map(lambda value: json.dumps(value).encode()),
    )
)
def test_the_quick_json_reader_reads_what_json_loads_reads(raw):
    quick = _json_object(raw)
    if quick is None:
        return  # (read by json.loads)
    assert json.dumps(quick) == json.dumps(json.loads(raw))
    assert type(quick) is dict


def test_the_quick_json_reader_reads_the_bodies_clients_send():
    body = {"timestamp": "2026-12-05T09:00:00+00:00", "duration": 0, "data": {"app": "Code"}}

    assert _json_object(json.dumps(body).encode()) == body
    assert _json_object(json.dumps(body, separators=(",", ":")).encode()) == body
    assert _json_object(b'{"a": 1} ') is None  # (json.loads reads trailing whitespace)


@given(
    st.lists(
        st.sampled_from(
            [
                b"POST /api/0/buckets/b/heartbeat?pulsetime=5 HTTP/1.1\r\nContent-Length: 9\r\n",
                b"GET /api/0/info HTTP/1.1\r\nHost: x\r\n",
                b"GET /api/0/info HTTP/1.1\r\nHost: x\r\nHost: y\r\n",
                b"GET /nowhere HTTP/1.1\r\n",
                b"GET /api/0/info HTTP/3.0\r\n",
                b"GET /api/0/info HTTP/1.1\r\nX: a\n",
            ]
        ),
        max_size=30,
    )
)
def test_a_head_read_again_reads_as_it_did(heads):
    kept = server.HEADS_KEPT
    server.HEADS_KEPT = 3
    try:
        for head in heads:
            parsed = server.plain_head(head + b"\r\n", len(head) - 2)
            route = None if parsed is None else _target_route(parsed[1])

            assert server._loop_head(head) == (parsed, route)
            assert len(server._HEADS) <= 3
    finally:
        server.HEADS_KEPT = kept


@given(
    st.sampled_from([*sorted(Handler.responses), 299, 599]),
    st.one_of(st.none(), st.binary(max_size=40), st.integers(0, 70_000).map(bytes)),
)
def test_an_answers_head_made_from_its_kept_start_is_the_head_made_in_full(status, body):
    agent = SimpleNamespace(allowed_origin=lambda origin: False, big=0)  # (no Origin here)
    cls = type("H", (Handler,), {"agent": agent, "_prefixes": {}})
    blank = cls.__new__(cls)
    blank.headers = Headers()
    blank.out = []
    blank.connection = None

    blank._send(status, body)

    if body is not None and len(body) > server.BIG:
        return  # (sent in parts, without the kept start)
    assert blank.out == [blank._head(status, body, None) + (body or b"")]


def test_the_loop_goes_on_serving_after_an_error_with_one_connection(running, monkeypatch):
    def no_thread(*args, **kwargs):
        raise RuntimeError("can't start new thread")

    monkeypatch.setattr(running, "_hand_over", no_thread)
    monkeypatch.setattr(running, "handle_error", lambda request, address: None)  # (quiet)

    assert exchange(running, b"GET /api/0/export HTTP/1.1\r\n\r\n") == b""  # (ended)
    ((status, _, _),) = answers(exchange(running, INFO))
    assert status == 200


def test_a_target_or_length_the_loop_cannot_read_is_answered_and_the_loop_serves_on(running):
    # urlsplit refuses this target, and int() a length of 5,000 digits: each once stopped the
    # loop (and every later connection with it).
    bad_target = b"GET http://[x/api/0/info HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
    huge = (
        b"POST /api/0/buckets/b/heartbeat?pulsetime=1 HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        b"Content-Length: " + b"9" * 5000 + b"\r\n\r\n"
    )
    ((status, _, _), (after, _, _)) = answers(exchange(running, bad_target + INFO))
    assert (status, after) == (400, 200)
    for digits in (12, 5000):  # (int() refuses a text of over 4,300 digits)
        long = huge.replace(b"9" * 5000, b"9" * digits)
        # 413, and the connection ends: what follows is the body, not a request.
        ((status, _, body),) = answers(exchange(running, long + INFO))
        assert status == 413
        assert b"too large" in body
    ((status, _, _),) = answers(exchange(running, INFO))
    assert status == 200


def test_the_loop_serves_on_while_a_worker_holds_the_store(running):
    store = running.RequestHandlerClass.agent.store
    with store.lock:  # (an import or an export in a worker)
        with socket.create_connection(("127.0.0.1", running.port), timeout=3) as sock:
            sock.sendall(INFO)
            ((status, _, _),) = answers(sock.recv(65536))
        assert status == 200  # answered by a worker that does not need the store
        with socket.create_connection(("127.0.0.1", running.port), timeout=10) as sock:
            sock.sendall(beat(7))
            time.sleep(0.2)
            sock.settimeout(0.2)
            with pytest.raises(TimeoutError):  # the heartbeat waits for the store...
                sock.recv(65536)
            store.lock.release()
            try:
                sock.settimeout(10)
                ((status, _, body),) = answers(sock.recv(65536))
            finally:
                store.lock.acquire()
    assert status == 200  # ...and is answered once it is free
    assert json.loads(body)["timestamp"] == "2026-12-05T09:00:07+00:00"


def test_a_get_with_a_body_is_answered_once_and_the_next_request_follows(running):
    stream = b"GET /api/0/export HTTP/1.1\r\nContent-Length: 5\r\n\r\nxxxxx" + INFO
    got = answers(exchange(running, stream))
    assert [status for status, _, _ in got] == [200, 200]


def test_a_worker_that_cannot_start_ends_that_connection_only(running, monkeypatch):
    def no_thread(self):
        raise RuntimeError("can't start new thread")

    errors = []
    monkeypatch.setattr(running, "handle_error", lambda request, address: errors.append(address))
    monkeypatch.setattr(server.threading.Thread, "start", no_thread)
    assert exchange(running, b"GET /api/0/export HTTP/1.1\r\n\r\n") == b""  # (ended)
    ((status, _, _),) = answers(exchange(running, INFO))  # (the loop answers this one)
    monkeypatch.undo()

    assert status == 200
    assert len(errors) == 1 and errors[0] is not None  # reported with its client's address
    assert running.workers == []  # (so server_close does not wait for a thread never started)
    ((status, _, _),) = answers(exchange(running, b"GET /api/0/export HTTP/1.1\r\n\r\n"))
    assert status == 200


def test_a_refused_forms_body_is_not_read_as_the_next_request(running):
    inner = b"GET /api/0/info HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
    form = (
        b"POST /curation HTTP/1.1\r\nHost: evil.example\r\n"
        b"Content-Type: application/x-www-form-urlencoded\r\n"
        b"Content-Length: %d\r\n\r\n%b" % (len(inner), inner)
    )
    ((status, _, _),) = answers(exchange(running, form))  # one answer, not two
    assert status == 403
