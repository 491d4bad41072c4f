"""Real receivers on 127.0.0.1 for webhook tests: one that answers, one that never does."""

import socket
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from meridian.webhooks.services import endpoint_create
from meridian.workspaces.models import Membership


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """An HTTP server in a thread that records every POST and answers with ``status``."""

    status: int = 200
    location: str = ""
    requests: list[Received] = field(default_factory=list)

    def __post_init__(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                receiver.requests.append(
                    Received(self.path, dict(self.headers.items()), self.rfile.read(length))
                )
                self.send_response(receiver.status)
                if receiver.location:
                    self.send_header("Location", receiver.location)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        # serve_forever notices shutdown() once per poll interval (0.5 s by default): at every
        # test's end, so look often.
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self.thread.start()

    def url(self, host: str = "127.0.0.1", path: str = "/hook") -> str:
        return f"http://{host}:{self.port}{path}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class Silent:
    """A socket that accepts connections and reads, but never answers."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.accepted: list[socket.socket] = []
        self._stop = False
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self) -> None:
        self.sock.settimeout(0.1)
        while not self._stop:
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.accepted.append(conn)

    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def close(self) -> None:
        self._stop = True
        self.thread.join(1)
        for conn in self.accepted:
            conn.close()
        self.sock.close()


ALL_EVENTS = [
    "brief.created",
    "brief.closed",
    "comment.added",
    "proposal.opened",
    "proposal.closed",
]


def endpoint(admin: Membership, url: str, events: list[str] | None = None) -> tuple[Any, str]:
    return endpoint_create(acting=admin, url=url, events=events or ALL_EVENTS)


def victim_webhooks(admin: Membership) -> dict[str, int]:
    """A webhook endpoint and an allowed host of the tenancy test's victim workspace."""
    from meridian.webhooks.services import allowed_host_add

    host = allowed_host_add(acting=admin, host="127.0.0.1")
    hook, _ = endpoint(admin, "http://127.0.0.1:9/zeta-secret-works")
    return {"endpoint_id": hook.pk, "host_id": host.pk}
