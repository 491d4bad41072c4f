"""High-entropy secrets that are shown once and stored only as a digest (tokens, invitations)."""

import base64
import hashlib
import hmac
import secrets

from django.conf import settings


def new_secret(prefix: str) -> tuple[str, str]:
    """A fresh random secret with a readable prefix, and the digest to store instead of it."""
    raw = f"{prefix}_{secrets.token_urlsafe(32)}"
    return raw, digest(raw)


def digest(raw: str) -> str:
    """The stored form of a secret: SHA-256 suffices because the secret itself is random."""
    return hashlib.sha256(raw.encode()).hexdigest()


def keyed_secret(prefix: str, nonce: str) -> str:
    """A secret derived from a stored nonce and the site key, so a job can re-derive it.

    Knowing the database alone (nonce and digest) is not enough to rebuild the link.
    """
    mac = hmac.new(settings.SECRET_KEY.encode(), f"{prefix}:{nonce}".encode(), hashlib.sha256)
    return f"{prefix}_" + base64.urlsafe_b64encode(mac.digest()).decode().rstrip("=")


def new_nonce() -> str:
    return secrets.token_hex(16)
