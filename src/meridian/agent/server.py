"""ActivityWatch's REST API (/api/0/) over HTTP/1.1 with keep-alive, one thread per connection.

Requests are read by the agent's own parser (``read_head``), not http.server's: watchers such
as aw-client open a connection per heartbeat, and http.server's header parsing
(``email.parser``) cost more CPU than the rest of the heartbeat.

Status codes and JSON shapes follow aw-server (aw_server/rest.py and api.py): errors are
``{"message": ...}``; a malformed event or bucket is 400 with ``{"message": "Input payload
validation failed", "errors": {field: problem}}`` (what aw-server's schema validation answers).
"""

from __future__ import annotations

import contextlib
import functools
import gc
import io
import json
import queue
import re
import secrets
import select
import selectors
import socket
import struct
import sys
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, unquote, urlencode, urlsplit
from zoneinfo import ZoneInfo

from . import VERSION, query2
from .events import (
    Ev,
    EventError,
    dumps_bytes,
    event_bytes,
    event_from_json,
    events_from_json,
    fmt_ts,
    parse_ts,
)
from .store import NoSuchBucket, Store

try:
    from ._encode import head_fields as _c_fields
except ImportError:  # pragma: no cover - built without a C compiler
    _c_fields = None  # type: ignore[assignment]  # tested for before each use

if TYPE_CHECKING:
    from .curation import Local

# A POST of more events than this is refused with 413 (split it into batches).
MAX_EVENTS = 10_000
# Query answers kept for repeated queries (the oldest is dropped first), at most this many
# and this many bytes together: a day's desktop summary is ~1.6 MB, and 64 of them would
# hold ~100 MB of an otherwise idle agent.
QUERY_CACHE_SIZE = 64
QUERY_CACHE_BYTES = 8 * 1024 * 1024
# A request or answer larger than this counts as big work, after which memory is given back.
BIG = 64 * 1024
# A request body larger than this is refused with 413 (imports of big exports fit).
MAX_BODY = 256 * 1024 * 1024
# A request line longer than this is refused with 414, a header line with 431 (the limits of
# Python's http.server, which the agent used before it read requests itself).
MAX_LINE = 65536
# A request with more header fields than this is refused with 431.
MAX_HEADERS = 100


class HttpError(Exception):
    def __init__(self, status: int, body: dict[str, Any]) -> None:
        super().__init__(body.get("message", ""))
        self.status = status
        self.body = body


def bad_input(field: str, problem: str) -> HttpError:
    return HttpError(
        400, {"message": "Input payload validation failed", "errors": {field: problem}}
    )


def no_bucket(bucket_id: str) -> HttpError:
    return HttpError(404, {"message": f"There's no bucket named {bucket_id}"})


class Agent:
    """The API's behaviour, independent of the HTTP plumbing (handlers call these)."""

    def __init__(
        self, store: Store, *, testing: bool, port: int, zone: ZoneInfo | None = None
    ) -> None:
        self.store = store
        # The person's page (page.py): their zone, and the token its forms carry.
        self.zone = zone or ZoneInfo("UTC")
        self.page_token = secrets.token_urlsafe(24)
        self._local: Local | None = None
        self.notes: dict[str, str] = {}  # what a form did, shown once after its redirect
        self.testing = testing
        self.port = port
        self.hostname = socket.gethostname()
        self.cache: dict[tuple[str, tuple[str, ...], str], tuple[bytes, int, list[Any]]] = {}
        self.cache_bytes = 0  # the answers' bytes the cache holds
        # Requests that sent or received more than BIG bytes (answers, bulk inserts, imports):
        # the main thread gives freed memory back to the system once they stop (main.py).
        self.big = 0
        self.cache_lock = threading.Lock()
        self.device_id = store.device_id()
        self.cors_origins = {
            f"http://127.0.0.1:{port}",
            f"http://localhost:{port}",
            # aw-webui's development server, which aw-server allows as well.
            "http://127.0.0.1:27180",
            "http://localhost:27180",
        }

    @property
    def local(self) -> Local:
        # The page's modules load on its first view: an agent nobody looks at stays small.
        from .curation import Local

        if self._local is None:
            self._local = Local(self.store)
        return self._local

    def own_host(self, host: str | None) -> bool:
        """Whether a request was addressed to this machine by name or address (the page
        answers nothing else: a rebound DNS name of another site must not read it)."""
        return (host or "") in {
            f"127.0.0.1:{self.port}",
            f"localhost:{self.port}",
            f"[::1]:{self.port}",
        }

    def allowed_origin(self, origin: str | None) -> bool:
        if not origin:
            return False
        # Browser extensions (aw-watcher-web) call the API from their own origins.
        return origin in self.cors_origins or origin.startswith(
            ("moz-extension://", "chrome-extension://")
        )

    def info(self) -> dict[str, Any]:
        return {
            "hostname": self.hostname,
            "version": VERSION,
            "testing": self.testing,
            "device_id": self.device_id,
        }

    def create_bucket(self, bucket_id: str, body: Any) -> int:
        if not isinstance(body, dict):
            raise bad_input("bucket", "the body must be a JSON object")
        for field in ("client", "type", "hostname"):
            if not isinstance(body.get(field), str):
                raise bad_input(field, f"'{field}' is a required property")
        created = self.store.create_bucket(
            bucket_id,
            type=body["type"],
            client=body["client"],
            hostname=body["hostname"],
            name=body.get("name"),
            data=body.get("data") if isinstance(body.get("data"), dict) else None,
        )
        return 200 if created else 304

    def delete_bucket(self, bucket_id: str, query: dict[str, str]) -> None:
        if not self.testing and query.get("force") != "1":
            raise HttpError(
                401,
                {
                    "message": "Deleting buckets is only permitted if aw-server is running in "
                    "testing mode or if ?force=1"
                },
            )
        self.store.delete_bucket(bucket_id)

    def parse_events(self, body: Any) -> list[tuple[int | None, int, int, dict[str, Any]]]:
        items = body if isinstance(body, list) else [body]
        if isinstance(body, list) and len(body) > MAX_EVENTS:
            raise HttpError(
                413,
                {
                    "message": f"Too many events in one request: {len(body)}; "
                    f"the limit is {MAX_EVENTS} events per request"
                },
            )
        fast = events_from_json(items)
        if fast is not None:
            return fast
        parsed = []
        for index, item in enumerate(items):
            try:
                parsed.append(event_from_json(item))
            except EventError as exc:
                field = f"{index}.{exc.field}" if isinstance(body, list) else exc.field
                raise bad_input(field, str(exc)) from None
        return parsed

    def export_bucket(self, bucket_id: str) -> dict[str, Any]:
        bucket = self.store.bucket_metadata(bucket_id)
        rows = self.store.raw_events(bucket_id)
        bucket["events"] = [
            {"timestamp": fmt_ts(ts), "duration": dur / 1_000_000, "data": json.loads(text)}
            for ts, dur, text, _ in rows
        ]
        return bucket

    def import_buckets(self, buckets: Any) -> None:
        if not isinstance(buckets, dict):
            raise bad_input("buckets", "'buckets' must be an object of bucket id → bucket")
        plans = []
        for bucket_id, bucket in buckets.items():
            if not isinstance(bucket, dict):
                raise bad_input(f"buckets.{bucket_id}", "a bucket must be a JSON object")
            for field in ("type", "client", "hostname"):
                if not isinstance(bucket.get(field), str):
                    raise bad_input(f"buckets.{bucket_id}.{field}", f"'{field}' is required")
            target = str(bucket.get("id") or bucket_id)
            if self.store.has_bucket(target):
                raise HttpError(409, {"message": f"Bucket {target} already exists"})
            events = bucket.get("events", [])
            if not isinstance(events, list):
                raise bad_input(f"buckets.{bucket_id}.events", "'events' must be a list")
            parsed = []
            for index, item in enumerate(events):
                try:
                    _, ts, dur, data = event_from_json(item)
                except EventError as exc:
                    raise bad_input(
                        f"buckets.{bucket_id}.events.{index}.{exc.field}", str(exc)
                    ) from None
                parsed.append((None, ts, dur, data))
            plans.append((target, bucket, parsed))
        for bucket_id, bucket, parsed in plans:
            self.store.create_bucket(
                bucket_id,
                type=bucket["type"],
                client=bucket["client"],
                hostname=bucket["hostname"],
                created=bucket.get("created") if isinstance(bucket.get("created"), str) else None,
                name=bucket.get("name"),
                data=bucket.get("data") if isinstance(bucket.get("data"), dict) else None,
            )
            if parsed:
                self.store.insert(bucket_id, parsed)

    def query(self, body: Any, name: str, keep: list[Any] | None = None) -> bytes:
        """The answer to a query, as JSON bytes, from the cache when nothing it read changed.

        A day that is over does not change, so the web UI's repeated summaries of past days
        (and of today between two heartbeats of other buckets) cost a lookup. ``keep``: a list
        that takes the evaluation's objects (a day's answer is tens of thousands), so that the
        caller frees them after sending the answer rather than before.
        """
        if not isinstance(body, dict):
            raise bad_input("query", "the body must be a JSON object")
        for field in ("timeperiods", "query"):
            value = body.get(field)
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise bad_input(field, f"'{field}' is a required list of strings")
        # aw-server joins the lines without a separator, as aw-client splits them on newlines.
        text = "".join(body["query"])
        key = (text, tuple(body["timeperiods"]), name)
        with self.cache_lock:
            cached = self.cache.get(key)
        if cached is not None and self.store.unchanged_since(cached[1], cached[2]):
            return cached[0]
        results = []
        reads: list[tuple[str, int, int]] = []
        seq = self.store.seq
        # A query allocates tens of thousands of short-lived objects without cycles; the
        # cyclic collector would only walk them (pauses of up to ~100 ms on a day's events).
        gc.disable()
        try:
            for period in body["timeperiods"]:
                start, end = query2.parse_period(period)
                result, ctx = query2.run_context(self.store, text, start, end, name)
                results.append(result)
                reads += ctx.reads
                if keep is not None:
                    keep.append(ctx)
        except query2.QueryException as exc:
            raise HttpError(400, {"type": type(exc).__name__, "message": str(exc)}) from None
        except re.error as exc:
            raise HttpError(
                400, {"type": "QueryFunctionException", "message": f"Invalid regex: {exc}"}
            ) from None
        finally:
            gc.enable()
        encoded = dumps_bytes(results)
        if keep is not None:
            keep.append(results)
        with self.cache_lock:
            replaced = self.cache.pop(key, None)
            if replaced is not None:
                self.cache_bytes -= len(replaced[0])
            while self.cache and (
                len(self.cache) >= QUERY_CACHE_SIZE
                or self.cache_bytes + len(encoded) > QUERY_CACHE_BYTES
            ):
                self.cache_bytes -= len(self.cache.pop(next(iter(self.cache)))[0])
            if len(encoded) <= QUERY_CACHE_BYTES:
                self.cache[key] = (encoded, seq, reads)
                self.cache_bytes += len(encoded)
        return encoded


_BUCKET = r"/api/0/buckets/(?P<bucket>[^/]+)"
ROUTES: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"/api/0/info/?"), "info"),
    (re.compile(r"/api/0/buckets/?"), "buckets"),
    (re.compile(_BUCKET + r"/?"), "bucket"),
    (re.compile(_BUCKET + r"/events/?"), "events"),
    (re.compile(_BUCKET + r"/events/count/?"), "count"),
    (re.compile(_BUCKET + r"/events/(?P<event>[^/]+)/?"), "event"),
    (re.compile(_BUCKET + r"/heartbeat/?"), "heartbeat"),
    (re.compile(_BUCKET + r"/export/?"), "bucket_export"),
    (re.compile(r"/api/0/export/?"), "export"),
    (re.compile(r"/api/0/import/?"), "import"),
    (re.compile(r"/api/0/query/?"), "query"),
    (re.compile(r"/api/0/settings/?"), "settings"),
    (re.compile(r"/api/0/settings/(?P<key>[^/]+)/?"), "setting"),
    # The person's own page (page.py).
    (re.compile(r"/"), "page"),
    (re.compile(r"/curation"), "curation"),
    (re.compile(r"/static/agent\.css"), "stylesheet"),
]
STYLESHEET = (Path(__file__).parent / "static" / "agent.css").read_bytes()
PAGE_HEADERS = {
    "Content-Type": "text/html; charset=utf-8",
    "Content-Security-Policy": "default-src 'none'; style-src 'self'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",  # "no-referrer" would make form posts say Origin: null
    "Cache-Control": "no-store",
}


@functools.lru_cache(maxsize=512)
def _route(path: str) -> tuple[str, dict[str, str]] | None:
    """The route a path names and its decoded arguments (watchers repeat the same few paths)."""
    for pattern, name in ROUTES:
        match = pattern.fullmatch(path)
        if match:
            return name, {k: unquote(v) for k, v in match.groupdict().items()}
    return None


@functools.lru_cache(maxsize=512)
def _target_route(target: str) -> tuple[str, dict[str, str], dict[str, str]] | None:
    """The route a request target names: its name, its arguments and the target's query
    arguments (shared between requests: not to be changed), or None."""
    path = "/" + target.lstrip("/") if target.startswith("//") else target
    path, arguments = _split_target(path)
    route = _route(path)
    return None if route is None else (route[0], route[1], dict(arguments))


# json.loads's scanner (in C), without the module's Python around it.
_scan_json: Callable[[str, int], tuple[Any, int]] = json.JSONDecoder().scan_once  # type: ignore[attr-defined]


def _json_object(raw: bytes) -> dict[str, Any] | None:
    """``json.loads(raw)`` when that is an object sent without whitespace around it (as
    clients send one), with less of the json module's Python code; None for anything else
    (json.loads then reads it, with its errors)."""
    if not raw.startswith(b'{"'):  # (json.loads reads such bytes as UTF-8)
        return None
    try:
        text = raw.decode("utf-8", "surrogatepass")
        value, end = _scan_json(text, 0)
    except (StopIteration, ValueError, RecursionError):
        return None
    if end != len(text) or type(value) is not dict:
        return None
    return value


@functools.lru_cache(maxsize=512)
def _split_target(target: str) -> tuple[str, tuple[tuple[str, str], ...]]:
    """A request target's path and its query arguments (the last of repeated names)."""
    parts = urlsplit(target)
    query = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
    return parts.path, tuple(query.items())


class Headers(dict[str, str]):
    """A request's header fields by lower-case name; ``get`` takes any case. A repeated
    field keeps its first value (as ``email.message.Message.get`` answers)."""

    __slots__ = ()

    def get(self, name: str, default: Any = None) -> Any:
        return dict.get(self, name.lower(), default)


# A header field's name (RFC 9110 5.1): no whitespace, no separators.
_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
# One well-formed header line: its name and its value without the surrounding whitespace.
_FIELD = re.compile(r"^([!#$%&'*+\-.^_`|~0-9A-Za-z]+):[ \t]*([^\r\n]*?)[ \t]*\r$", re.MULTILINE)


class BadRequest(Exception):
    """A request the agent cannot read: answered with ``status`` and the connection closed."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def _http_version(text: str) -> tuple[int, int]:
    """``HTTP/1.1`` → (1, 1); anything else is a 400 (as http.server answers)."""
    if text == "HTTP/1.1":
        return 1, 1
    if not text.startswith("HTTP/"):
        raise BadRequest(400, f"Bad request version ({text!r})")
    numbers = text[5:].split(".")
    if len(numbers) != 2 or not all(n.isdigit() and n.isascii() and len(n) <= 10 for n in numbers):
        raise BadRequest(400, f"Bad request version ({text!r})")
    return int(numbers[0]), int(numbers[1])


def _head(rfile: Any) -> tuple[str, str] | None:
    """The request's line and its header lines (each ending in CRLF, without the empty line
    that ends the head), or None when the connection ended before a request.

    The whole head is usually in the reader's buffer after its first read (a client sends
    it in one segment): it is then taken at once. Otherwise it is read line by line.
    """
    buffered = rfile.peek()
    if not buffered:
        return None  # the end of the connection (or of its idle time)
    end = buffered.find(b"\r\n\r\n")
    # (A line ending in a lone LF would end the head earlier: such heads are read by line.)
    if (
        end > 0
        and buffered.count(b"\n", 0, end) == buffered.count(b"\r\n", 0, end)
        and not buffered.startswith(b"\r\n")
    ):
        head = rfile.read(end + 4).decode("iso-8859-1")
        first = head.find("\r\n")
        return head[:first], head[first + 2 : -2]
    line = rfile.readline(MAX_LINE + 1)
    if len(line) > MAX_LINE:
        raise BadRequest(414, "The request line is too long")
    if not line.strip():
        return None
    fields: list[str] = []
    for _ in range(MAX_HEADERS + 1):
        raw = rfile.readline(MAX_LINE + 1)
        if len(raw) > MAX_LINE:
            raise BadRequest(431, "A header line is too long")
        if raw in (b"\r\n", b"\n"):
            return line.decode("iso-8859-1"), "".join(fields)
        if not raw:
            return None  # the client left in the middle of its request
        fields.append(raw.decode("iso-8859-1").rstrip("\r\n") + "\r\n")
    raise BadRequest(431, "Too many headers")


def _fields(block: str) -> Headers:
    """A head's header lines (each ending in CRLF) as Headers."""
    if _c_fields is not None:
        headers = _c_fields(block, Headers, MAX_HEADERS)
        if headers is not None:
            return headers
    return _py_fields(block)


def _py_fields(block: str) -> Headers:
    """_fields in Python: what the C reader leaves (repeated or folded fields, errors)."""
    count = block.count("\n")
    if count > MAX_HEADERS:
        raise BadRequest(431, "Too many headers")
    pairs = _FIELD.findall(block)
    if len(pairs) == count:  # every line is a well-formed field: read them all at once
        headers = Headers((name.lower(), value) for name, value in reversed(pairs))
        if len(headers) == count:
            return headers
    # Folded or malformed lines, or repeated fields: line by line.
    headers = Headers()
    name = ""
    for text in block.split("\r\n")[:-1]:
        if text[:1] in (" ", "\t"):
            # An obsolete line folding continues the previous field (RFC 9112 5.2).
            if not name:
                raise BadRequest(400, "A header field starts with whitespace")
            headers[name] = f"{headers[name]} {text.strip()}".strip()
            continue
        field, colon, value = text.partition(":")
        if not colon or not _TOKEN.fullmatch(field):
            raise BadRequest(400, f"Malformed header line ({text[:200]!r})")
        name = field.lower()
        value = value.strip(" \t")
        if name not in headers:
            headers[name] = value
        elif name == "content-length" and headers[name] != value:
            raise BadRequest(400, "Conflicting Content-Length fields")
    return headers


def read_head(rfile: Any) -> tuple[str, str, tuple[int, int], Headers] | None:
    """Read one request's line and header fields from a buffered socket reader.

    Answers (method, target, version, headers), or None when the connection ended (or
    only sent an empty line) before a request. Raises BadRequest for what cannot be read:
    414 for a request line over MAX_LINE bytes, 431 for a header line over MAX_LINE bytes or
    more than MAX_HEADERS fields, 400 for a malformed request line, version or field, 505
    for HTTP/2 and later, 411 for a body without a length (chunked). This replaces
    http.server's parsing, whose header parsing alone (``email.parser``) cost more CPU than
    the rest of a heartbeat.
    """
    head = _head(rfile)
    if head is None:
        return None
    return _request(*head)


def _request(line: str, block: str) -> tuple[str, str, tuple[int, int], Headers] | None:
    """A request's line and header lines (as ``_head`` answers them) read as ``read_head``
    answers."""
    words = line.split()
    if not words:
        return None
    if len(words) == 3:
        method, target, version_text = words
        version = _http_version(version_text)
        if version >= (2, 0):
            raise BadRequest(505, f"Invalid HTTP version ({version_text})")
    elif len(words) == 2 and words[0] == "GET":  # HTTP/0.9
        method, target, version = words[0], words[1], (0, 9)
    else:
        raise BadRequest(400, f"Bad request syntax ({line[:200].rstrip()!r})")
    headers = _fields(block)
    length = dict.get(headers, "content-length")
    if length is not None and not (length.isdigit() and length.isascii()):
        raise BadRequest(400, f"Bad Content-Length ({length[:40]!r})")
    if length is not None and len(length) > 18:  # (int() refuses over 4,300 digits)
        raise BadRequest(413, f"Request body too large; the limit is {MAX_BODY} bytes")
    coding = dict.get(headers, "transfer-encoding")
    if coding is not None and coding.lower() != "identity":
        # No client of the API sends chunked bodies; its bytes would be read as requests.
        raise BadRequest(411, "A request body needs a Content-Length")
    return method, target, version, headers


def plain_head(data: bytes, end: int) -> tuple[str, str, tuple[int, int], Headers] | None:
    """What ``read_head`` answers for the head at the start of ``data`` that ``end`` ends
    (the position of its ``\\r\\n\\r\\n``), when that head is plain: CRLF lines that read
    without an error. None otherwise: a worker then reads it with ``read_head``, which
    answers what cannot be read."""
    if (
        end <= 0
        or data.count(b"\n", 0, end) != data.count(b"\r\n", 0, end)
        or data.startswith(b"\r\n")
    ):
        return None
    head = data[: end + 2].decode("iso-8859-1")
    first = head.find("\r\n")
    try:
        return _request(head[:first], head[first + 2 :])
    except BadRequest:
        return None


# The heads the loop read (their bytes up to the last CRLF, if at most 2 kB): a watcher sends
# the same head again and again. Emptied when full.
_HEADS: dict[
    bytes,
    tuple[
        tuple[str, str, tuple[int, int], Headers] | None,
        tuple[str, dict[str, str], dict[str, str]] | None,
    ],
] = {}
HEADS_KEPT = 256


def _loop_head(
    head: bytes,
) -> tuple[
    tuple[str, str, tuple[int, int], Headers] | None,
    tuple[str, dict[str, str], dict[str, str]] | None,
]:
    """``plain_head`` of a head (its bytes up to the CRLF of its last line) and the route its
    target names, kept for the next request with the same head (their Headers are shared:
    not to be changed)."""
    known = _HEADS.get(head)
    if known is None:
        parsed = plain_head(head + b"\r\n", len(head) - 2)
        try:
            route = None if parsed is None else _target_route(parsed[1])
        except ValueError:  # a target urlsplit refuses ("http://[x/"): a worker answers it
            route = None
        known = (parsed, route)
        if len(head) <= 2048:
            if len(_HEADS) >= HEADS_KEPT:
                _HEADS.clear()
            _HEADS[head] = known
    return known


def _closes(version: tuple[int, int], headers: Headers) -> bool:
    """Whether the connection closes after answering a request (HTTP/1.1 keeps it open
    unless asked, 1.0 closes it unless asked), as http.server decides."""
    connection = dict.get(headers, "connection", "").lower()
    if connection == "close":
        return True
    return not (version >= (1, 1) or connection == "keep-alive")


def _time_arg(query: dict[str, str], name: str) -> int | None:
    if name not in query:
        return None
    try:
        return parse_ts(query[name], name)
    except EventError as exc:
        raise HttpError(400, {"message": str(exc)}) from None


def send_parts(sock: socket.socket, *chunks: bytes) -> None:
    """Send ``chunks`` in order with as few system calls as the socket allows (sendmsg
    gathers them), without joining them into one bytes object first."""
    parts = [memoryview(chunk) for chunk in chunks if chunk]
    while parts:
        # A socket with a timeout may take only part of it: the rest goes next.
        sent = sock.sendmsg(parts)
        while parts and sent >= len(parts[0]):
            sent -= len(parts[0])
            parts.pop(0)
        if parts and sent:
            parts[0] = parts[0][sent:]


# An idle keep-alive connection gives its thread back after this many seconds.
IDLE_TIMEOUT = 60
# The same as the kernel's socket option (a struct timeval), where it is one.
KERNEL_TIMEOUT = (
    struct.pack("@ll", IDLE_TIMEOUT, 0) if sys.platform.startswith(("linux", "darwin")) else None
)
# Linux gives accepted connections the listening socket's options: they are set once there.
INHERITED_OPTIONS = sys.platform.startswith("linux")


def set_options(sock: socket.socket) -> None:
    """Blocking reads and writes that the kernel stops waiting on after IDLE_TIMEOUT seconds
    (Python's own socket timeout polls before every read and write), and no Nagle delay."""
    assert KERNEL_TIMEOUT is not None
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, KERNEL_TIMEOUT)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDTIMEO, KERNEL_TIMEOUT)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, True)


class _Resumed(io.RawIOBase):
    """A connection's bytes for a worker: those the server's loop took first, then the
    socket's."""

    def __init__(self, taken: bytes, raw: Any) -> None:
        super().__init__()
        self.rest = memoryview(taken)
        self.raw = raw

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int | None:
        if self.rest:
            count = min(len(buffer), len(self.rest))
            buffer[:count] = self.rest[:count]
            self.rest = self.rest[count:]
            return count
        return self.raw.readinto(buffer)

    def close(self) -> None:
        if not self.closed:
            self.raw.close()
        super().close()


class _Watch:
    """A connection the server's loop watches: its socket and descriptor, its client's
    address, since when (time.monotonic()) it is idle, the start of a request it took, and
    that request's head when that is all there (its body is not)."""

    __slots__ = ("address", "connection", "fd", "head", "since", "taken")

    def __init__(self, connection: socket.socket, address: Any, since: float) -> None:
        self.connection = connection
        self.fd = connection.fileno()
        self.address = address
        self.since = since
        self.taken = b""
        self.head: (
            tuple[
                tuple[str, str, tuple[int, int], Headers],
                int,
                tuple[str, dict[str, str], dict[str, str]],
            ]
            | None
        ) = None


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = IDLE_TIMEOUT
    server_version = "meridian-agent"
    sys_version = ""
    disable_nagle_algorithm = True
    agent: Agent  # set on the subclass the server builds
    # The answer's bytes when the server's loop sends them (``answer_whole``); None: they are
    # sent on the connection as they are made.
    out: list[bytes] | None = None
    # (status, whether there is a body) → the head of such an answer up to its length.
    _prefixes: dict[tuple[int, bool], bytes] = {}

    @classmethod
    def answer_whole(
        cls,
        server: Server,
        connection: socket.socket,
        request: tuple[str, str, tuple[int, int], Headers],
        route: tuple[str, dict[str, str], dict[str, str]],
        body: bytes,
    ) -> tuple[bytes, bool]:
        """The answer to a request read whole by the server's loop (``route``: what
        _target_route reads of its target), and whether the connection closes after it: what
        ``handle_one_request`` sends for it."""
        if route[0] == "heartbeat" and request[0] == "POST":
            try:
                quick = cls._quick_heartbeat(request, route[1]["bucket"], route[2], body)
            except Exception as exc:  # pragma: no cover - a bug: answered as _dispatch does
                handler = cls._whole(server, connection, request[3], body)
                handler._json(500, {"message": f"Internal error: {type(exc).__name__}: {exc}"})
                return b"".join(handler.out or ()), _closes(request[2], request[3])
            if quick is not None:
                return quick, _closes(request[2], request[3])
        handler = cls._whole(server, connection, request[3], body)
        handler._answer(*request)
        return b"".join(handler.out or ()), handler.close_connection

    @classmethod
    def _whole(
        cls, server: Server, connection: socket.socket, headers: Headers, body: bytes
    ) -> Handler:
        """A handler for a request read whole, that keeps its answer (``out``)."""
        handler = cls.__new__(cls)
        handler.server = server
        handler.request = handler.connection = connection
        handler.client_address = ("", 0)
        handler.out = []
        handler.rfile = io.BytesIO(body)
        handler.headers = headers  # type: ignore[assignment]
        handler.close_connection = True
        return handler

    @classmethod
    def _quick_heartbeat(
        cls,
        request: tuple[str, str, tuple[int, int], Headers],
        bucket: str,
        query: dict[str, str],
        body: bytes,
    ) -> bytes | None:
        """The answer ``post_heartbeat`` gives to a heartbeat that reads and merges without
        an error and asks for no CORS fields, with a fraction of the Handler's code (a watcher
        sends one every few seconds, each through a new connection with aw-client); None for
        any other heartbeat, before anything is written (answer_whole then answers it)."""
        headers = request[3]
        if "origin" in headers or "pulsetime" not in query:
            return None
        try:
            pulsetime = float(query["pulsetime"])
        except ValueError:
            return None
        event = _json_object(body)
        if event is None:
            return None
        try:
            _, ts, dur, data = event_from_json(event)
        except EventError:
            return None
        store = cls.agent.store
        if not store.has_bucket(bucket):
            return None
        try:
            merged = store.heartbeat(bucket, ts, dur, data, pulsetime)
        except NoSuchBucket:  # deleted meanwhile (raised before anything is written)
            return None
        text = event_bytes(merged)
        return b"%b%d\r\n\r\n%b" % (cls._prefix(200, True), len(text), text)

    @classmethod
    def _prefix(cls, status: int, has_body: bool) -> bytes:
        """The head of an answer without CORS or extra fields, up to its length (its last
        field), as _head writes it: made once per status."""
        key = (status, has_body)
        prefix = cls._prefixes.get(key)
        if prefix is None:
            blank = cls.__new__(cls)
            blank.headers = Headers()  # type: ignore[assignment]
            head = blank._head(status, b"" if has_body else None, None)
            prefix = cls._prefixes[key] = head[: head.rindex(b"Content-Length: ") + 16]
        return prefix

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def setup(self) -> None:
        self.connection = connection = self.request
        self.client_ended = False
        if not INHERITED_OPTIONS:  # pragma: no cover - other systems
            if KERNEL_TIMEOUT is not None:
                set_options(connection)
            else:
                connection.settimeout(self.timeout)
                connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, True)
        # (A read that timed out reads as the end of the connection.)
        taken = self.server.taken.pop(connection, None)  # type: ignore[attr-defined]
        if taken:
            self.rfile = io.BufferedReader(_Resumed(taken, connection.makefile("rb", 0)))
        else:
            self.rfile = connection.makefile("rb")

    def finish(self) -> None:
        self.rfile.close()
        if self.client_ended:
            # Nothing is left to read or say: close now, without shutdown_request's
            # shutdown(SHUT_WR) (a system call the client's own end made needless).
            self.connection.close()

    def handle_one_request(self) -> None:
        """Read one request and answer it (``handle`` calls this while the connection is
        kept alive). Keep-alive, ``Expect: 100-continue`` and the errors follow http.server;
        the errors are JSON ``{"message": ...}`` like the API's."""
        self.close_connection = True
        self.headers = Headers()  # type: ignore[assignment]
        try:
            head = read_head(self.rfile)
        except BadRequest as exc:
            self._json(exc.status, {"message": str(exc)}, {"Connection": "close"})
            return
        except OSError:  # the client reset the connection, or an idle one timed out
            return
        if head is None:
            self.client_ended = True
            return
        self._answer(*head)

    def _answer(
        self, command: str, target: str, version: tuple[int, int], headers: Headers
    ) -> None:
        """Answer a request whose head is read (its body, if any, is next in ``rfile``)."""
        self.command = command
        self.headers = headers  # type: ignore[assignment]
        self.request_version = f"HTTP/{version[0]}.{version[1]}"
        self.path = "/" + target.lstrip("/") if target.startswith("//") else target
        self.close_connection = _closes(version, headers)
        if (
            version >= (1, 1)
            and dict.get(headers, "expect", "").lower() == "100-continue"
            and not self._send_raw(b"HTTP/1.1 100 Continue\r\n\r\n")
        ):
            return
        method = getattr(self, f"do_{self.command}", None)
        if method is None:
            self.close_connection = True
            self._json(
                501, {"message": f"Unsupported method ({self.command!r})"}, {"Connection": "close"}
            )
            return
        method()

    def _send_raw(self, data: bytes) -> bool:
        if self.out is not None:
            self.out.append(data)
            return True
        try:
            self.connection.sendall(data)
        except OSError:
            self.close_connection = True
            return False
        return True

    # Plumbing ---------------------------------------------------------------------------

    def _send(self, status: int, body: bytes | None, extra: dict[str, str] | None = None) -> None:
        length = len(body) if body is not None else 0
        if extra is None and length <= BIG and "origin" not in self.headers:
            prefix = self._prefix(status, body is not None)
            self._send_raw(b"%b%d\r\n\r\n%b" % (prefix, length, body or b""))
            return
        head = self._head(status, body, extra)
        if body is not None and len(body) > BIG:
            self.agent.big += 1  # (an update lost between threads only delays a trim)
            self._send_parts(head, body)
        else:
            self._send_raw(head + (body or b""))

    def _head(self, status: int, body: bytes | None, extra: dict[str, str] | None) -> bytes:
        reason = self.responses.get(status, ("",))[0]
        lines = [f"HTTP/1.1 {status} {reason}"]
        headers = {"Server": self.server_version}
        if body is not None:
            headers["Content-Type"] = "application/json"
        headers["Content-Length"] = str(len(body or b""))
        origin = self.headers.get("Origin")
        if self.agent.allowed_origin(origin):
            headers["Access-Control-Allow-Origin"] = origin or ""
            headers["Vary"] = "Origin"
        if extra:
            headers.update(extra)
        lines += [f"{k}: {v}" for k, v in headers.items()]
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")

    def _send_parts(self, head: bytes, body: bytes) -> bool:
        """Head and a large body in one system call, without copying them into one bytes
        object first (a day's answer is megabytes: that copy was fresh pages each time)."""
        if self.out is not None or not hasattr(self.connection, "sendmsg"):  # (Windows)
            return self._send_raw(head + body)
        try:
            send_parts(self.connection, head, body)
        except OSError:
            self.close_connection = True
            return False
        return True

    def _json(self, status: int, value: Any, extra: dict[str, str] | None = None) -> None:
        self._send(status, dumps_bytes(value), extra)

    def _body(self) -> Any:
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            self.close_connection = True
            raise HttpError(
                413, {"message": f"Request body too large; the limit is {MAX_BODY} bytes"}
            )
        raw = self.rfile.read(length) if length else b""
        if length > BIG:
            self.agent.big += 1
        if len(raw or b"") < length:
            # The client stopped sending (and the wait ran out) or left before the end.
            self.close_connection = True
            raise HttpError(400, {"message": "The request body ended before its Content-Length"})
        if not raw:
            raise HttpError(400, {"message": "The request body must be JSON"})
        try:
            return json.loads(raw)
        except ValueError as exc:
            raise HttpError(
                400, {"message": f"The request body is not valid JSON: {exc}"}
            ) from None

    def _dispatch(self, method: str) -> None:
        try:
            try:
                path, arguments = _split_target(self.path)
            except ValueError as exc:  # ("http://[x/": urlsplit's "Invalid IPv6 URL")
                self._discard_body()
                raise HttpError(
                    400, {"message": f"The request target is not valid: {exc}"}
                ) from None
            query = dict(arguments)
            route = _route(path)
            if route is not None:
                name, args = route
                handler = getattr(self, f"{method}_{name}", None)
                if handler is None:
                    self._discard_body()
                    raise HttpError(
                        405, {"message": "The method is not allowed for the requested URL."}
                    )
                if method == "get":  # (no GET reads a body: the next request follows it)
                    self._discard_body()
                handler(query=query, **args)
                return
            self._discard_body()
            raise HttpError(404, {"message": "The requested URL was not found on the server."})
        except HttpError as exc:
            self._json(exc.status, exc.body)
        except NoSuchBucket as exc:
            self._json(404, no_bucket(exc.args[0]).body)
        except BrokenPipeError:
            self.close_connection = True
        except Exception as exc:  # pragma: no cover - a bug; answer instead of hanging up
            self._json(500, {"message": f"Internal error: {type(exc).__name__}: {exc}"})

    def _discard_body(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if 0 < length <= MAX_BODY:
            self.rfile.read(length)
        elif length:
            self.close_connection = True

    def do_GET(self) -> None:
        self._dispatch("get")

    def do_POST(self) -> None:
        self._dispatch("post")

    def do_PUT(self) -> None:
        self._dispatch("put")

    def do_DELETE(self) -> None:
        self._dispatch("delete")

    def do_OPTIONS(self) -> None:
        self._discard_body()
        extra = {
            "Access-Control-Allow-Methods": "DELETE, GET, HEAD, OPTIONS, PATCH, POST, PUT",
            "Allow": "DELETE, GET, HEAD, OPTIONS, POST, PUT",
        }
        requested = self.headers.get("Access-Control-Request-Headers")
        if requested and self.agent.allowed_origin(self.headers.get("Origin")):
            extra["Access-Control-Allow-Headers"] = requested
        self._send(200, None, extra)

    # Endpoints --------------------------------------------------------------------------

    def get_info(self, query: dict[str, str]) -> None:
        self._json(200, self.agent.info())

    def get_buckets(self, query: dict[str, str]) -> None:
        self._json(200, self.agent.store.buckets())

    def get_bucket(self, query: dict[str, str], bucket: str) -> None:
        self._json(200, self.agent.store.bucket_metadata(bucket))

    def post_bucket(self, query: dict[str, str], bucket: str) -> None:
        status = self.agent.create_bucket(bucket, self._body())
        if status == 304:
            self._send(304, None)
        else:
            self._json(200, {})

    put_bucket = post_bucket

    def delete_bucket(self, query: dict[str, str], bucket: str) -> None:
        self._discard_body()
        self.agent.delete_bucket(bucket, query)
        self._json(200, {})

    def get_events(self, query: dict[str, str], bucket: str) -> None:
        try:
            limit = int(query.get("limit", -1))
        except ValueError:
            raise HttpError(400, {"message": "'limit' must be an integer"}) from None
        start, end = _time_arg(query, "start"), _time_arg(query, "end")
        if end is not None:
            # aw-core's Bucket.get rounds the end up to the next millisecond.
            end = end - end % 1000 + 1000
        rows = self.agent.store.raw_events(bucket, start=start, end=end, limit=limit)
        # The stored data text is already JSON: splice it in rather than decode and encode.
        parts = [
            f'{{"id": {event_id}, "timestamp": "{fmt_ts(ts)}", "duration": {dur / 1_000_000!r}, '
            f'"data": {text}}}'
            for ts, dur, text, event_id in rows
        ]
        self._send(200, ("[" + ", ".join(parts) + "]").encode())

    def post_events(self, query: dict[str, str], bucket: str) -> None:
        body = self._body()
        if not isinstance(body, dict | list):
            raise bad_input("event", "the body must be an event or a list of events")
        events = self.agent.parse_events(body)
        if not self.agent.store.has_bucket(bucket):
            raise no_bucket(bucket)
        inserted = self.agent.store.insert(bucket, events)
        self._json(200, inserted.to_json() if inserted is not None else None)

    def get_count(self, query: dict[str, str], bucket: str) -> None:
        start, end = _time_arg(query, "start"), _time_arg(query, "end")
        self._json(200, self.agent.store.count(bucket, start=start, end=end))

    def _event_id(self, event: str) -> int:
        try:
            return int(event)
        except ValueError:
            raise HttpError(404, {"message": f"There's no event with id {event}"}) from None

    def get_event(self, query: dict[str, str], bucket: str, event: str) -> None:
        found = self.agent.store.get_event(bucket, self._event_id(event))
        if found is None:
            raise HttpError(404, {"message": f"There's no event with id {event}"})
        self._json(200, found)

    def delete_event(self, query: dict[str, str], bucket: str, event: str) -> None:
        self._discard_body()
        success = self.agent.store.delete_event(bucket, self._event_id(event))
        self._json(200, {"success": success})

    def post_heartbeat(self, query: dict[str, str], bucket: str) -> None:
        body = self._body()
        if not isinstance(body, dict):
            raise bad_input("event", "a heartbeat must be one event object")
        try:
            _, ts, dur, data = event_from_json(body)
        except EventError as exc:
            raise bad_input(exc.field, str(exc)) from None
        if "pulsetime" not in query:
            raise HttpError(400, {"message": "Missing required parameter pulsetime"})
        try:
            pulsetime = float(query["pulsetime"])
        except ValueError:
            raise HttpError(400, {"message": "'pulsetime' must be a number"}) from None
        if not self.agent.store.has_bucket(bucket):
            raise no_bucket(bucket)
        self._json(200, self.agent.store.heartbeat(bucket, ts, dur, data, pulsetime))

    def get_bucket_export(self, query: dict[str, str], bucket: str) -> None:
        exported = self.agent.export_bucket(bucket)
        self._json(
            200,
            {"buckets": {exported["id"]: exported}},
            {"Content-Disposition": f"attachment; filename=aw-bucket-export_{exported['id']}.json"},
        )

    def get_export(self, query: dict[str, str]) -> None:
        buckets = {b: self.agent.export_bucket(b) for b in self.agent.store.bucket_ids()}
        self._json(
            200,
            {"buckets": buckets},
            {"Content-Disposition": "attachment; filename=aw-buckets-export.json"},
        )

    def post_import(self, query: dict[str, str]) -> None:
        body = self._body()
        if not isinstance(body, dict) or "buckets" not in body:
            raise bad_input("buckets", "'buckets' is a required property")
        self.agent.import_buckets(body["buckets"])
        self._send(200, b"null")

    def post_query(self, query: dict[str, str]) -> None:
        # The evaluation's objects are freed once the answer is sent (~0.4 ms for a day's
        # answer on the benchmark machine): the client reads meanwhile.
        keep: list[Any] = []
        self._send(200, self.agent.query(self._body(), query.get("name", ""), keep))
        keep.clear()

    # The person's page ----------------------------------------------------------------------

    def _own_page(self) -> None:
        if not self.agent.own_host(self.headers.get("Host")):
            raise HttpError(403, {"message": "Open the page at http://127.0.0.1 or localhost."})

    def _page(self, status: int, form: dict[str, str] | None, message: str, error: str) -> None:
        from . import page
        from .curation import CurationError

        agent = self.agent
        today = datetime.now(UTC).astimezone(agent.zone).date()
        try:
            day = page.parse_day((form or {}).get("day"), today)
        except CurationError as exc:
            day, error, status = today, str(exc), 400
        html = page.render(
            agent.local, agent.zone, day, agent.page_token, message=message, error=error
        )
        self._send(status, html.encode(), PAGE_HEADERS)

    def get_page(self, query: dict[str, str]) -> None:
        self._own_page()
        with self.agent.cache_lock:
            message = self.agent.notes.pop(query.get("note", ""), "")
        self._page(200, query, message, "")

    def get_stylesheet(self, query: dict[str, str]) -> None:
        self._send(200, STYLESHEET, {"Content-Type": "text/css", "Cache-Control": "no-cache"})

    def post_curation(self, query: dict[str, str]) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length > 64 * 1024:
            self.close_connection = True
            raise HttpError(413, {"message": "A form is at most 64 KiB."})
        # Read before the host check: a refused form's body is not the next request.
        raw = (self.rfile.read(length) or b"").decode("utf-8", "replace") if length else ""
        self._own_page()
        form = {k: v[-1] for k, v in parse_qs(raw, keep_blank_values=True).items()}
        origin = self.headers.get("Origin")
        if not secrets.compare_digest(form.get("token", ""), self.agent.page_token) or (
            origin and origin not in {f"http://{self.headers.get('Host')}"}
        ):
            raise HttpError(403, {"message": "This form is out of date: reload the page."})
        from . import page
        from .curation import CurationError

        agent = self.agent
        today = datetime.now(UTC).astimezone(agent.zone).date()
        try:
            outcome = page.apply(agent.local, agent.zone, form, today)
        except CurationError as exc:
            self._page(400, form, "", str(exc))
            return
        with agent.cache_lock:
            agent.cache.clear()
        # Post/redirect/get: reloading the page shows the day, it does not repeat the action.
        note = secrets.token_urlsafe(8)
        with agent.cache_lock:
            agent.notes[note] = outcome.message
            while len(agent.notes) > 32:
                agent.notes.pop(next(iter(agent.notes)))
        location = f"/?{urlencode({'day': outcome.day.isoformat(), 'note': note})}"
        self._send(303, b"", {"Location": location, "Cache-Control": "no-store"})

    def get_settings(self, query: dict[str, str]) -> None:
        self._json(200, self.agent.store.settings())

    def get_setting(self, query: dict[str, str], key: str) -> None:
        self._json(200, self.agent.store.settings().get(key))

    def post_setting(self, query: dict[str, str], key: str) -> None:
        self.agent.store.set_setting(key, self._body())
        self._json(200, {})


# Requests (method, route) that the server's loop answers itself when they arrived whole:
# short work on the data in memory, with a short answer. Anything else (queries, exports,
# imports, event lists, the page) is answered by a worker thread.
LOOP_ROUTES = frozenset(
    {
        ("POST", "heartbeat"),
        ("GET", "info"),
        ("GET", "buckets"),
        ("GET", "bucket"),
        ("POST", "bucket"),
        ("PUT", "bucket"),
        ("POST", "events"),
        ("GET", "settings"),
        ("GET", "setting"),
        ("POST", "setting"),
    }
)
# What the loop looks at of a connection at once: a longer request goes to a worker.
READ_AHEAD = 32 * 1024
# The loop answers requests itself where accepted connections have the listening socket's
# options (Linux) and a read can look without waiting or taking (MSG_PEEK | MSG_DONTWAIT);
# elsewhere every connection goes to a worker, as before.
LOOP_ANSWERS = INHERITED_OPTIONS and hasattr(socket, "MSG_DONTWAIT")
DEFER_ACCEPT = LOOP_ANSWERS and hasattr(socket, "TCP_DEFER_ACCEPT")
_DONTWAIT = getattr(socket, "MSG_DONTWAIT", 0)
_PEEK = socket.MSG_PEEK | _DONTWAIT


class Server(ThreadingHTTPServer):
    """One thread's loop accepts connections and answers their short requests itself; the
    other requests are answered by a pool of worker threads.

    A watcher's heartbeat through aw-client is a new connection, one request and the
    client's close. Handing each connection to a worker thread cost more CPU than answering
    it: thread wake-ups and the global lock changing hands (~0.2 ms per heartbeat on the
    benchmark machine). So the loop watches each new connection (a selector), looks at what
    arrived without taking it (MSG_PEEK), and when that is a whole request of LOOP_ROUTES
    with a plain head, takes it, answers it through the same Handler code and sends the
    answer without waiting; the connection then stays watched for its next request or its
    end. Anything else (a request in pieces, a long one, a head that needs the careful
    reader, other routes, an answer the socket would not take at once) hands the connection
    to a worker at that point, untouched where the request was only looked at: from there
    on it is served as before, by ``Handler.handle``.

    Workers take connections from a ``queue.SimpleQueue`` (in C); a worker is started when
    none waits, up to MAX_THREADS. (A ThreadPoolExecutor's future, work item and semaphore
    per connection cost ~10 % of the agent's CPU per aw-client heartbeat.)
    """

    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128
    MAX_THREADS = 64

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Connections for the workers (see _hand_over); None tells a worker to stop.
        self.waiting: queue.SimpleQueue[tuple[socket.socket, Any, bytes, bool, bytes] | None] = (
            queue.SimpleQueue()
        )
        self.workers: list[threading.Thread] = []
        # Workers waiting for a connection less connections waiting for a worker.
        self.idle = 0
        self.workers_lock = threading.Lock()
        self.connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()
        # Connections the loop watches between requests.
        self.watched: dict[int, _Watch] = {}  # by file descriptor
        # What the loop took of a connection before handing it to a worker, until the
        # worker's handler takes it (setup).
        self.taken: dict[socket.socket, bytes] = {}
        self._poller: select.epoll | None = None
        self._now = time.monotonic()
        self._stopping = False
        self._stopped = threading.Event()
        self._stopped.set()

    def server_bind(self) -> None:
        super().server_bind()
        # The family, type and protocol of accepted connections, as plain numbers.
        self._kind = (int(self.socket.family), int(self.socket.type), self.socket.proto)
        if INHERITED_OPTIONS:
            set_options(self.socket)
        if DEFER_ACCEPT:
            self.socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_DEFER_ACCEPT, 1)

    def serve_forever(self, poll_interval: float = 0.5) -> None:
        """Accept and answer until ``shutdown``; idle watched connections are closed after
        IDLE_TIMEOUT seconds (as a worker's blocking read gives up after them)."""
        self._stopped.clear()
        try:
            if LOOP_ANSWERS:
                self._loop(poll_interval)
            else:  # pragma: no cover - other systems: the workers answer every request
                with selectors.DefaultSelector() as selector:
                    selector.register(self.socket, selectors.EVENT_READ)
                    while not self._stopping:
                        if selector.select(poll_interval):
                            self._accept()
        finally:
            self._stopping = False
            self._stopped.set()

    def _loop(self, poll_interval: float) -> None:
        listening = self.socket.fileno()
        watched = self.watched
        with select.epoll() as poller:
            self._poller = poller
            poller.register(listening, select.EPOLLIN)
            swept = self._now = time.monotonic()
            try:
                while not self._stopping:
                    for fd, _ in poller.poll(poll_interval):
                        try:
                            if fd == listening:
                                self._accept()
                            elif (watch := watched.get(fd)) is not None:
                                self._readable(watch)
                        except Exception:  # (a bug, or no thread to start)
                            self._failed(fd)
                    self._now = time.monotonic()
                    if self._now - swept >= 1.0:
                        swept = self._now
                        self._close_idle(self._now - IDLE_TIMEOUT)
            finally:
                self._poller = None

    def _failed(self, fd: int) -> None:
        """Report what went wrong with an event as socketserver does (``handle_error``), and
        end the connection concerned: the loop goes on serving the others."""
        watch = self.watched.pop(fd, None)
        if watch is None:  # (accepting)
            self.handle_error(self.socket, None)
        else:
            self.handle_error(watch.connection, watch.address)
            with contextlib.suppress(OSError):
                watch.connection.close()

    def shutdown(self) -> None:
        """Stop the loop of ``serve_forever`` (called from another thread) and wait for it."""
        self._stopping = True
        self._stopped.wait()

    def _accept(self) -> None:
        try:
            if LOOP_ANSWERS:
                # socket.accept() without its Python around: it reads the listening socket's
                # family and type as enums (Python code) for each connection.
                fd, address = self.socket._accept()  # type: ignore[attr-defined]
                connection = socket.socket(*self._kind, fileno=fd)
            else:  # pragma: no cover - other systems
                connection, address = self.socket.accept()
        except OSError:  # the client gave up already, or the server is closing
            return
        if not LOOP_ANSWERS:  # pragma: no cover - other systems
            self._hand_over(connection, address)
            return
        assert self._poller is not None
        watch = _Watch(connection, address, self._now)
        self._poller.register(watch.fd, select.EPOLLIN)
        self.watched[watch.fd] = watch
        if DEFER_ACCEPT:  # the request (or its start) is there
            try:
                self._readable(watch)
            except Exception:  # (a bug): this connection ends, not the listening socket
                self._failed(watch.fd)

    def _unwatch(self, watch: _Watch) -> None:
        assert self._poller is not None
        self._poller.unregister(watch.fd)
        del self.watched[watch.fd]

    def _readable(self, watch: _Watch) -> None:
        """Take what arrived on a watched connection: answer the whole requests of LOOP_ROUTES
        in it, keep the start of one for the rest to come, close the connection when the
        client ended it, or hand it to a worker with what was taken."""
        connection = watch.connection
        try:
            data = connection.recv(READ_AHEAD, _DONTWAIT)
        except BlockingIOError:
            return
        except OSError:  # reset by the client
            self._end(watch)
            return
        if not data:  # the client ended the connection
            if watch.taken:  # in the middle of a request: a worker answers what came
                self._unwatch(watch)
                self._hand_over(connection, watch.address, taken=watch.taken)
            else:
                self._end(watch)
            return
        watch.since = self._now
        if watch.taken:
            data = watch.taken + data
        known, watch.head = watch.head, None
        store_lock = self.RequestHandlerClass.agent.store.lock  # type: ignore[attr-defined]
        answers = []
        close = hand = False
        while data:
            if known is not None:  # (read when its body had not all come)
                request, end, route = known
                known = None
            else:
                end = data.find(b"\r\n\r\n")
                if end < 0:
                    # Wait for the rest of a head that reads as plain so far.
                    hand = (
                        len(data) >= READ_AHEAD
                        or data.count(b"\n") != data.count(b"\r\n")
                        or data.startswith(b"\r\n")
                    )
                    break
                parsed, found = _loop_head(data[: end + 2])
                if (
                    parsed is None
                    or found is None
                    or parsed[2] < (1, 0)
                    or "expect" in parsed[3]
                    or (parsed[0], found[0]) not in LOOP_ROUTES
                ):
                    hand = True
                    break
                request, route = parsed, found
            length = dict.get(request[3], "content-length")
            if length and len(length) > 9:  # more than the loop reads: a worker answers 413
                hand = True
                break
            size = end + 4 + (int(length) if length else 0)
            if size > len(data):
                hand = size > READ_AHEAD
                if not hand:
                    watch.head = (request, end, route)
                break
            # The loop never waits for the store: while a worker holds it (an import, an
            # export, a long query), this request goes to a worker and the loop serves on.
            if not store_lock.acquire(blocking=False):
                hand = True
                break
            try:
                answer, close = self.RequestHandlerClass.answer_whole(  # type: ignore[attr-defined]
                    self, connection, request, route, data[end + 4 : size]
                )
            except Exception:  # pragma: no cover - a bug; as socketserver does for a worker
                self._unwatch(watch)
                self.handle_error(connection, watch.address)
                self.shutdown_request(connection)
                return
            finally:
                store_lock.release()
            answers.append(answer)
            data = data[size:]
            if close:
                break
        if answers:
            out = answers[0] if len(answers) == 1 else b"".join(answers)
            try:
                sent = connection.send(out, _DONTWAIT)
            except BlockingIOError:
                sent = 0
            except OSError:  # the client left
                self._end(watch)
                return
            if sent < len(out):
                # The client does not read: a worker sends the rest (waiting as long as it may).
                self._unwatch(watch)
                self._hand_over(
                    connection, watch.address, out[sent:], close, b"" if close else data
                )
                return
        if close:
            self._unwatch(watch)
            self.shutdown_request(connection)
        elif hand:
            self._unwatch(watch)
            self._hand_over(connection, watch.address, taken=data)
        else:
            watch.taken = data

    def _close_idle(self, before: float) -> None:
        """Close the watched connections idle since before ``before``; one with the start of
        a request goes to a worker, which waits for the rest as long again, then answers
        what came as before."""
        for watch in list(self.watched.values()):
            if watch.since < before:
                try:
                    if watch.taken:
                        self._unwatch(watch)
                        self._hand_over(watch.connection, watch.address, taken=watch.taken)
                    else:
                        self._end(watch)
                except Exception:  # (a bug): that connection ends, the loop goes on
                    self._failed(watch.fd)

    def _end(self, watch: _Watch) -> None:
        """Close a watched connection whose client ended it, reset it or let it idle
        (nothing to say to it: no shutdown first). Closing its descriptor takes it out of
        the poller too."""
        del self.watched[watch.fd]
        watch.connection.close()

    def process_request(self, request: Any, client_address: Any) -> None:
        self._hand_over(request, client_address)

    def _hand_over(
        self,
        connection: socket.socket,
        address: Any,
        unsent: bytes = b"",
        close: bool = False,
        taken: bytes = b"",
    ) -> None:
        """Give a connection to a worker: with the rest of an answer to send first and
        whether to close after it, and what the loop took of its next request."""
        with self.connections_lock:
            self.connections.add(connection)
        with self.workers_lock:
            self.idle -= 1
            worker = None
            if self.idle < 0 and len(self.workers) < self.MAX_THREADS:
                self.idle += 1  # the new worker waits for this connection
                worker = threading.Thread(
                    target=self._serve_connections,
                    name=f"agent-http-{len(self.workers)}",
                    daemon=True,
                )
                self.workers.append(worker)
        if worker is not None:
            try:
                worker.start()
            except RuntimeError:  # ("can't start new thread"): this connection ends, unanswered
                with self.workers_lock:
                    self.workers.remove(worker)
                self.handle_error(connection, address)
                self.shutdown_request(connection)
                return
        self.waiting.put((connection, address, unsent, close, taken))

    def _serve_connections(self) -> None:
        while (item := self.waiting.get()) is not None:
            connection, address, unsent, close, taken = item
            if taken:
                self.taken[connection] = taken
            if unsent:
                try:
                    connection.sendall(unsent)
                except OSError:
                    close = True
            if close:
                self.taken.pop(connection, None)
                self.shutdown_request(connection)
            else:
                self.process_request_thread(connection, address)
            with self.workers_lock:
                self.idle += 1

    def shutdown_request(self, request: Any) -> None:
        with self.connections_lock:
            self.connections.discard(request)
        if request.fileno() != -1:  # (not closed by its handler already)
            super().shutdown_request(request)

    def server_close(self) -> None:
        """Stop listening, end the open connections once their requests are answered, and
        wait for the threads that served them. A client holding a keep-alive connection (a
        browser tab on the day page, a watcher's session) kept its thread waiting up to the
        handler's timeout for a next request, and the process could not exit before: Ctrl-C
        or SIGTERM then took up to a minute. Only the reading side is shut: a request being
        answered still gets its answer, then its connection reads the end. Connections the
        loop watched (``shutdown`` stopped it) are between requests: they are closed."""
        super().server_close()
        for watch in list(self.watched.values()):
            self._end(watch)
        with self.connections_lock:
            open_now = list(self.connections)
        for connection in open_now:
            with contextlib.suppress(OSError):  # already closed by the client
                connection.shutdown(socket.SHUT_RD)
        # Connections still waiting for a worker are served first (they read the end at once).
        with self.workers_lock:
            workers = list(self.workers)
        for _ in workers:
            self.waiting.put(None)
        for worker in workers:
            worker.join()


def make_server(
    store: Store, *, host: str, port: int, testing: bool, zone: ZoneInfo | None = None
) -> Server:
    agent = Agent(store, testing=testing, port=port, zone=zone)
    handler = type("AgentHandler", (Handler,), {"agent": agent})
    return Server((host, port), handler)


def serve_in_thread(server: Server) -> threading.Thread:
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return thread


__all__ = ["MAX_EVENTS", "Ev", "make_server"]
