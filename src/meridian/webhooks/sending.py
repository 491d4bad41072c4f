"""One HTTP POST of a webhook: to the vetted address, signed, with short timeouts, no redirects."""

import hashlib
import hmac
import http.client
import socket
import ssl
from dataclasses import dataclass

from meridian.webhooks.addresses import Target

USER_AGENT = "Meridian-Webhooks/1"


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """The Meridian-Signature header: ``t=<unix>,v1=<hex HMAC-SHA256 of "<t>.<body>">``."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


@dataclass(frozen=True)
class Answer:
    """What the receiver answered: its status code, or why there was no usable answer."""

    status: int | None
    error: str = ""

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300 and not self.error


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """Connects to the address that was checked, whatever the name resolves to by now."""

    def __init__(self, target: Target, connect_timeout: float, read_timeout: float) -> None:
        super().__init__(target.host, target.port, timeout=connect_timeout)
        self._target = target
        self._read_timeout = read_timeout

    def connect(self) -> None:
        self.sock = socket.create_connection((self._target.ip, self.port), self.timeout)
        self.sock.settimeout(self._read_timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """TLS to the checked address, verifying the certificate against the host name."""

    def __init__(self, target: Target, connect_timeout: float, read_timeout: float) -> None:
        super().__init__(
            target.host, target.port, timeout=connect_timeout, context=ssl.create_default_context()
        )
        self._target = target
        self._read_timeout = read_timeout

    def connect(self) -> None:
        raw = socket.create_connection((self._target.ip, self.port), self.timeout)
        raw.settimeout(self._read_timeout)
        self.sock = self._context.wrap_socket(raw, server_hostname=self._target.host)  # type: ignore[attr-defined]


def post(
    target: Target,
    *,
    headers: dict[str, str],
    body: bytes,
    connect_timeout: float,
    read_timeout: float,
) -> Answer:
    """POST the body; a redirect is an answer that failed (it is never followed)."""
    cls = _PinnedHTTPSConnection if target.scheme == "https" else _PinnedHTTPConnection
    connection = cls(target, connect_timeout, read_timeout)
    try:
        connection.request("POST", target.path, body=body, headers=headers)
        response = connection.getresponse()
        response.read(64 * 1024)
    except TimeoutError:
        return Answer(None, f"No answer within {read_timeout:g} s.")
    except ssl.SSLError as exc:
        return Answer(None, f"TLS failed: {exc.reason or exc}")
    except OSError as exc:
        return Answer(None, f"Could not connect: {exc.strerror or exc}")
    except http.client.HTTPException as exc:
        return Answer(None, f"Not a valid HTTP answer: {type(exc).__name__}")
    finally:
        connection.close()
    if 300 <= response.status < 400:
        return Answer(
            response.status, f"Answered with a redirect ({response.status}), not followed."
        )
    if response.status >= 300:
        return Answer(response.status, f"Answered {response.status} {response.reason}".strip())
    return Answer(response.status)
