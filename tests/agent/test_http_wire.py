"""The agent's own reading of HTTP requests, byte for byte on a socket.

Watchers (aw-client, browser extensions, curl) must keep working as they did with
http.server's parser: keep-alive, HTTP/1.0, ``Expect: 100-continue``, heads sent in pieces;
and what cannot be read is answered with a status and a JSON message, not a hang.
"""

import io
import json
import socket
import struct
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from meridian.agent import server
from meridian.agent.server import MAX_HEADERS, MAX_LINE, BadRequest, read_head
from meridian.agent.store import Store

BEAT = json.dumps(
    {"timestamp": "2026-12-05T09:00:00+00:00", "duration": 0, "data": {"app": "wire"}}
).encode()


def exchange(agent, *pieces: bytes, close_write: bool = True) -> bytes:
    """Send the pieces (one segment each), then read until the agent closes."""
    with socket.create_connection(("127.0.0.1", agent.port), timeout=10) as sock:
        for piece in pieces:
            sock.sendall(piece)
        if close_write:
            sock.shutdown(socket.SHUT_WR)
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
        return received


def answers(raw: bytes) -> list[tuple[int, dict[str, str], bytes]]:
    """The (status, headers, body) of each answer in a connection's bytes."""
    found = []
    while raw:
        head, _, raw = raw.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        headers = dict(line.split(": ", 1) for line in lines[1:])
        length = int(headers.get("Content-Length", 0))
        found.append((int(lines[0].split()[1]), headers, raw[:length]))
        raw = raw[length:]
    return found


def heartbeat_request(bucket: str, *, version: str = "HTTP/1.1", extra: str = "") -> bytes:
    return (
        f"POST /api/0/buckets/{bucket}/heartbeat?pulsetime=5 {version}\r\n"
        f"Host: 127.0.0.1\r\nContent-Type: application/json\r\n{extra}"
        f"Content-Length: {len(BEAT)}\r\n\r\n"
    ).encode() + BEAT


def make_bucket(agent, name: str) -> str:
    body = {"client": "wire", "type": "currentwindow", "hostname": "h"}
    assert agent.request("POST", f"/api/0/buckets/{name}", body)[0] == 200
    return name


def test_two_requests_in_one_segment_are_both_answered_in_order(agent):
    bucket = make_bucket(agent, "wire-pipelined")
    info = b"GET /api/0/info HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"

    got = answers(exchange(agent, heartbeat_request(bucket) + info))

    assert [status for status, _, _ in got] == [200, 200]
    assert json.loads(got[0][2])["data"] == {"app": "wire"}
    assert json.loads(got[1][2])["testing"] is True


def test_a_head_sent_byte_by_byte_with_bare_line_feeds_and_a_folded_field_is_read(agent):
    bucket = make_bucket(agent, "wire-pieces")
    request = (
        f"POST /api/0/buckets/{bucket}/heartbeat?pulsetime=5 HTTP/1.1\n"
        f"Host: 127.0.0.1\nX-Note: one\n two\nContent-Length: {len(BEAT)}\n\n"
    ).encode() + BEAT

    got = answers(exchange(agent, *[request[i : i + 1] for i in range(len(request))]))

    assert [status for status, _, _ in got] == [200]


def test_http_1_0_closes_after_the_answer_unless_it_asks_to_keep_alive(agent):
    bucket = make_bucket(agent, "wire-old")
    # Without closing our side: the agent must close (1.0) or wait for the next request.
    closed = exchange(agent, heartbeat_request(bucket, version="HTTP/1.0"), close_write=False)
    kept = exchange(
        agent,
        heartbeat_request(bucket, version="HTTP/1.0", extra="Connection: keep-alive\r\n")
        + heartbeat_request(bucket, version="HTTP/1.0"),
        close_write=False,
    )

    assert [status for status, _, _ in answers(closed)] == [200]
    assert [status for status, _, _ in answers(kept)] == [200, 200]


def test_expect_100_continue_is_answered_before_the_body_is_sent(agent):
    bucket = make_bucket(agent, "wire-continue")
    head, _, body = heartbeat_request(bucket, extra="Expect: 100-continue\r\n").partition(
        b"\r\n\r\n"
    )
    with socket.create_connection(("127.0.0.1", agent.port), timeout=10) as sock:
        sock.sendall(head + b"\r\n\r\n")
        interim = sock.recv(100)
        sock.sendall(body)
        final = sock.recv(65536)

    assert interim == b"HTTP/1.1 100 Continue\r\n\r\n"
    assert final.startswith(b"HTTP/1.1 200 OK\r\n")


def test_a_connection_that_closes_without_a_request_gets_no_answer(agent):
    assert exchange(agent, b"") == b""
    assert exchange(agent, b"\r\n") == b""
    assert exchange(agent, b"GET /api/0/info HTTP/1.1\r\nHost: x\r\n") == b""


BAD = [
    (b"NONSENSE\r\n\r\n", 400, "Bad request syntax"),
    (b"POST /api/0/info\r\n\r\n", 400, "Bad request syntax"),
    (b"GET /api/0/info HTTQ/1.1\r\n\r\n", 400, "Bad request version"),
    (b"GET /api/0/info HTTP/2.0\r\n\r\n", 505, "Invalid HTTP version"),
    (b"GET /api/0/info HTTP/1.1\r\nHost 127.0.0.1\r\n\r\n", 400, "Malformed header line"),
    (b"GET /api/0/info HTTP/1.1\r\nBad Name: x\r\n\r\n", 400, "Malformed header line"),
    (b"GET /api/0/info HTTP/1.1\r\n folded: x\r\n\r\n", 400, "starts with whitespace"),
    (b"POST /api/0/info HTTP/1.1\r\nContent-Length: -1\r\n\r\n", 400, "Bad Content-Length"),
    (
        b"POST /api/0/info HTTP/1.1\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nnull",
        400,
        "Conflicting Content-Length",
    ),
    (
        b"POST /api/0/info HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nnull\r\n0\r\n\r\n",
        411,
        "Content-Length",
    ),
    (b"GET /" + b"a" * MAX_LINE + b" HTTP/1.1\r\n\r\n", 414, "request line is too long"),
    (b"GET / HTTP/1.1\r\nX: " + b"a" * MAX_LINE + b"\r\n\r\n", 431, "header line is too long"),
    (
        b"GET / HTTP/1.1\r\n"
        + b"".join(b"X-%d: a\r\n" % i for i in range(MAX_HEADERS + 1))
        + b"\r\n",
        431,
        "Too many headers",
    ),
    (b"PATCH /api/0/info HTTP/1.1\r\nContent-Length: 2\r\n\r\n{}", 501, "Unsupported method"),
]


def test_what_cannot_be_read_is_answered_with_a_status_and_a_message_then_closed(agent):
    for request, status, message in BAD:
        # The answer comes although the client keeps its side open: the agent closes.
        got = answers(exchange(agent, request, close_write=False))

        assert [answer[0] for answer in got] == [status], request[:60]
        assert message in json.loads(got[0][2])["message"]
        assert got[0][1]["Connection"] == "close"


def test_a_body_shorter_than_its_content_length_is_a_400(agent):
    bucket = make_bucket(agent, "wire-short")
    request = heartbeat_request(bucket)

    got = answers(exchange(agent, request[:-10]))

    assert [status for status, _, _ in got] == [400]
    assert "ended before its Content-Length" in json.loads(got[0][2])["message"]


def test_an_idle_or_stalled_connection_is_ended_after_the_idle_timeout(tmp_path, monkeypatch):
    # The idle timeout is the kernel's for a worker (a blocking socket) and the server loop's
    # for a connection it watches: shortened to 1 s here.
    monkeypatch.setattr(server, "KERNEL_TIMEOUT", struct.pack("@ll", 1, 0))
    monkeypatch.setattr(server, "IDLE_TIMEOUT", 1)
    store = Store(tmp_path / "agent.db")
    running = server.make_server(store, host="127.0.0.1", port=0, testing=True)
    thread = server.serve_in_thread(running)
    try:
        # Answered by the loop, then by a worker (the export is not a loop route).
        for path in (b"/api/0/info", b"/api/0/export"):
            with socket.create_connection(running.server_address, timeout=10) as idle:
                idle.sendall(b"GET " + path + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
                assert idle.recv(65536).startswith(b"HTTP/1.1 200 OK")
                began = time.monotonic()
                assert idle.recv(100) == b""  # closed by the agent
                assert 0.5 < time.monotonic() - began < 5
        with socket.create_connection(running.server_address, timeout=10) as stalled:
            stalled.sendall(b"POST /api/0/import HTTP/1.1\r\nContent-Length: 50\r\n\r\n{")
            ((status, _, body),) = answers(stalled.recv(65536) + stalled.recv(65536))
            assert status == 400
            assert "ended before its Content-Length" in json.loads(body)["message"]
    finally:
        running.shutdown()
        running.server_close()
        thread.join(5)
        store.close()


def test_connections_beyond_the_workers_wait_for_one_and_are_then_answered(tmp_path, monkeypatch):
    monkeypatch.setattr(server.Server, "MAX_THREADS", 2)
    store = Store(tmp_path / "agent.db")
    running = server.make_server(store, host="127.0.0.1", port=0, testing=True)
    thread = server.serve_in_thread(running)
    # (An export is answered by a worker, which then waits for the connection's next request.)
    info = b"GET /api/0/export HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
    try:
        held = [socket.create_connection(running.server_address, timeout=10) for _ in range(2)]
        for connection in held:  # each keeps a worker waiting for its next request
            connection.sendall(info)
            assert connection.recv(65536).startswith(b"HTTP/1.1 200 OK")
        with socket.create_connection(running.server_address, timeout=10) as third:
            third.sendall(info)
            third.settimeout(0.5)
            with pytest.raises(TimeoutError):
                third.recv(65536)  # no worker is free
            held.pop().close()
            third.settimeout(10)
            assert third.recv(65536).startswith(b"HTTP/1.1 200 OK")
        held.pop().close()
        assert len(running.workers) == 2
    finally:
        running.shutdown()
        running.server_close()  # (also ends the workers)
        thread.join(5)
        store.close()
    assert not any(worker.is_alive() for worker in running.workers)


# The parser alone: the head taken at once from the reader's buffer and the head read line by
# line (a small buffer, as when a client sends it in pieces) must read the same fields.

TOKEN = st.text(
    alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_!#$%&'*+.^`|~",
    min_size=1,
    max_size=12,
)
VALUE = st.text(
    alphabet=st.characters(min_codepoint=0x20, max_codepoint=0xFF, exclude_characters="\x7f"),
    max_size=30,
)
FIELDS = st.lists(st.tuples(TOKEN, VALUE, st.sampled_from(["", " ", "  ", "\t"])), max_size=12)


def parse(raw: bytes, buffer_size: int) -> object:
    try:
        return read_head(io.BufferedReader(io.BytesIO(raw), buffer_size=buffer_size))
    except BadRequest as exc:
        return exc.status


@settings(max_examples=300, deadline=None)
@given(fields=FIELDS, target=st.sampled_from(["/", "/api/0/info?x=1", "//a"]))
def test_a_head_reads_the_same_at_once_and_line_by_line(fields, target):
    head = f"GET {target} HTTP/1.1\r\n" + "".join(
        f"{name}:{space}{value}{space}\r\n" for name, value, space in fields
    )
    raw = head.encode("latin-1") + b"\r\nbody"

    at_once, by_line = parse(raw, 8192), parse(raw, 16)

    assert at_once == by_line
    expected: dict[str, str] = {}
    for name, value, _ in fields:
        expected.setdefault(name.lower(), value.strip(" \t"))
    lengths = {v.strip(" \t") for n, v, _ in fields if n.lower() == "content-length"}
    if len(lengths) > 1 or any(not (v.isdigit() and v.isascii()) for v in lengths):
        assert at_once == 400
    elif (
        any(n.lower() == "transfer-encoding" for n, _, _ in fields)
        and expected["transfer-encoding"].lower() != "identity"
    ):
        assert at_once == 411
    else:
        assert at_once == ("GET", target, (1, 1), expected)
