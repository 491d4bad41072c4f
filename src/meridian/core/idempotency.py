"""Once-only creates: a repeated form post or API call with the same key gets the first answer.

Pages put a fresh one-time key in every create form (``{% submission_key %}``); the API reads
the ``Idempotency-Key`` header (IETF draft "The Idempotency-Key HTTP Header Field"). Both go
through :func:`idempotency_claim`: the first request with a key inserts a row, and the
database's unique constraint makes every parallel repeat wait for that insert and then see it.
The claim commits on its own, before the create runs, so no transaction (and no SQLite write
lock) is held while a slow create is under way. Callers claim only once the request's body has
been read (pages read the key from the form; the API digests the body, uploads included), so a
slow upload does not count toward :data:`ABANDONED_AFTER`.
"""

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone

from meridian.core.models import IdempotencyKey

# How long a key is remembered: a client retrying a day later is no longer retrying.
KEY_LIFETIME = timedelta(hours=24)
# A first request still "in flight" after this long died without an answer (a killed worker):
# the key is free again rather than blocked until it expires. The clock starts when the body has
# been read, so it must only outlast the create itself, which takes seconds, not the upload.
ABANDONED_AFTER = timedelta(minutes=10)
KEY_PATTERN = re.compile(r"[\x21-\x7e]{1,255}")


@dataclass(frozen=True)
class Earlier:
    """What an earlier request with the same key left: its answer, or None while it runs."""

    fingerprint: str
    status: int | None
    headers: dict[str, str]
    body: str


def fingerprint(*parts: bytes | str) -> str:
    """A digest of what a request asked for, to tell a true repeat from a reused key."""
    digest = hashlib.sha256()
    for part in parts:
        data = part.encode() if isinstance(part, str) else part
        digest.update(len(data).to_bytes(8, "big"))
        digest.update(data)
    return digest.hexdigest()


def key_is_valid(key: str) -> bool:
    return KEY_PATTERN.fullmatch(key) is not None


def idempotency_claim(
    *, scope: str, key: str, fingerprint: str, now: datetime | None = None
) -> IdempotencyKey | Earlier:
    """Claim ``key`` for a new request, or return what the earlier request with it left.

    Must run outside any transaction: the claim has to be visible to parallel repeats at once.
    """
    now = now or timezone.now()
    for _attempt in range(3):
        try:
            with transaction.atomic():
                return IdempotencyKey.objects.create(
                    scope=scope, key=key, fingerprint=fingerprint, created_at=now
                )
        except IntegrityError:
            pass
        found = IdempotencyKey.objects.filter(scope=scope, key=key).first()
        if found is None:
            continue  # the first request failed and let its key go: this one may try
        expired = found.created_at <= now - KEY_LIFETIME
        abandoned = found.status is None and found.created_at <= now - ABANDONED_AFTER
        if expired or abandoned:
            IdempotencyKey.objects.filter(pk=found.pk, created_at=found.created_at).delete()
            continue
        return Earlier(found.fingerprint, found.status, dict(found.headers), found.body)
    # Three other requests claimed and released the key in between: call it in flight.
    return Earlier(fingerprint, None, {}, "")


def idempotency_earlier(*, scope: str, key: str) -> Earlier | None:
    """The current state of a claimed key, for a repeat that waits for the first to finish."""
    found = IdempotencyKey.objects.filter(scope=scope, key=key).first()
    if found is None:
        return None
    return Earlier(found.fingerprint, found.status, dict(found.headers), found.body)


def idempotency_complete(
    claim: IdempotencyKey, *, status: int, headers: dict[str, str], body: str
) -> None:
    """Store the answer of the request that holds the claim, for every repeat to come."""
    IdempotencyKey.objects.filter(pk=claim.pk).update(status=status, headers=headers, body=body)


def idempotency_release(claim: IdempotencyKey) -> None:
    """Give the key back: the request created nothing, so a retry may try again."""
    IdempotencyKey.objects.filter(pk=claim.pk).delete()


SECRET_ANSWER = "The request with this key already succeeded; its answer held a secret shown once."


def answer_holds_secret(request: HttpRequest) -> None:
    """Mark this request's answer as holding a secret: a repeat learns it succeeded, not the secret."""
    request._answer_holds_secret = True  # type: ignore[attr-defined]


def holds_secret(request: HttpRequest) -> bool:
    return getattr(request, "_answer_holds_secret", False)


def idempotency_purge(*, now: datetime) -> int:
    """Forget keys older than their lifetime; the number forgotten."""
    deleted, _ = IdempotencyKey.objects.filter(created_at__lte=now - KEY_LIFETIME).delete()
    return deleted
