"""Where a webhook may go: http(s) only, and never to a private address unless an admin allowed the host.

The host is resolved with the operating system's resolver (``socket.getaddrinfo``) when an
endpoint is saved *and again before every send*, and the connection goes to the address that
was checked, so a name that resolves to a public address at creation and to 127.0.0.1 later
(DNS rebinding) is refused at the send.
"""

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import SplitResult, urlsplit

from meridian.core.errors import ValidationFailed

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# The first matching category names the refusal ("resolves to 10.0.0.5, a private address").
_CATEGORIES: tuple[tuple[str, str], ...] = (
    ("is_unspecified", "an unspecified address"),
    ("is_loopback", "a loopback address"),
    ("is_link_local", "a link-local address"),
    ("is_multicast", "a multicast address"),
    ("is_reserved", "a reserved address"),
    ("is_private", "a private address"),
)


class AddressRefused(ValidationFailed):
    """A webhook address Meridian will not send to, with the reason in words (HTTP 422)."""


@dataclass(frozen=True)
class Target:
    """A checked webhook address: where to connect (the vetted IP) and what to ask for."""

    scheme: str
    host: str
    port: int
    path: str
    ip: str


def refusal_reason(ip: IPAddress) -> str | None:
    """Why an address is not a public one ("a loopback address"), or None when it is."""
    if isinstance(ip, ipaddress.IPv6Address):
        # An IPv4 address wrapped in IPv6 (::ffff:a.b.c.d, or 6to4's 2002:aabb:ccdd::) reaches
        # that IPv4 host, so it is judged as that host.
        ip = ip.ipv4_mapped or ip.sixtofour or ip
    for attribute, reason in _CATEGORIES:
        if getattr(ip, attribute):
            return reason
    if not ip.is_global:
        return "a non-public address"
    return None


def normalize_host(host: str) -> str:
    """A host as compared with the allow-list: lower case, no trailing dot, no IPv6 brackets."""
    return host.strip().strip("[]").rstrip(".").lower()


def parse(url: str, field: str = "url") -> SplitResult:
    """The parts of a webhook URL, refusing anything but an absolute http(s) address."""
    url = url.strip()
    # http.client refuses to send such a request line, so it would only fail at every send.
    if any(c.isspace() or ord(c) < 0x20 or ord(c) == 0x7F for c in url):
        raise AddressRefused.field(
            field,
            "A webhook address cannot contain spaces or control characters; write a space as %20.",
        )
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018  (raises ValueError on a bad port)
    except ValueError:
        raise AddressRefused.field(field, f"“{url}” is not a valid web address.") from None
    if parts.scheme not in ("http", "https"):
        raise AddressRefused.field(field, "A webhook address must start with http:// or https://.")
    if not parts.hostname:
        raise AddressRefused.field(field, "A webhook address needs a host name.")
    if parts.username or parts.password:
        raise AddressRefused.field(
            field, "A webhook address must not carry a user name or password."
        )
    return parts


def check(url: str, *, allowed_hosts: set[str], field: str = "url") -> Target:
    """Resolve the URL's host now and refuse it unless every address is public or the host allowed."""
    parts = parse(url, field)
    host = normalize_host(parts.hostname or "")
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise AddressRefused.field(field, f"The host {host} does not resolve.") from None
    addresses: list[str] = []
    for info in infos:
        address = str(info[4][0]).split("%")[0]
        if address not in addresses:
            addresses.append(address)
    if not addresses:
        raise AddressRefused.field(field, f"The host {host} does not resolve.")
    if host not in allowed_hosts:
        for address in addresses:
            reason = refusal_reason(ipaddress.ip_address(address))
            if reason is not None:
                raise AddressRefused.field(
                    field,
                    f"{host} resolves to {address}, {reason}; an admin can allow this host "
                    "for the workspace.",
                )
    path = parts.path or "/"
    if parts.query:
        path = f"{path}?{parts.query}"
    return Target(scheme=parts.scheme, host=host, port=port, path=path, ip=addresses[0])
