"""Background jobs of the delivery layer: handing emails to the mail server, each once.

A task first takes a short lease on its row (one conditional UPDATE), so two tasks for the same
email never send it side by side, and returns at once when the mail server has already
accepted it. A failed attempt notes the error and a later retry time; the scheduler's retry jobs
(schedule.py) enqueue the task again, and also find an email whose task was lost with a killed
worker.
"""

import contextlib
import logging
import smtplib
import threading
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage, mailers
from django.db.models import F, Model, Q
from django.tasks import task
from django.utils import timezone

from meridian.delivery.emails import digest_message, notice_message
from meridian.delivery.models import Delivery, Digest

logger = logging.getLogger(__name__)

LEASE = timedelta(minutes=2)
MAX_ATTEMPTS = 5


def backoff(attempts: int) -> timedelta:
    """How long to wait before trying again after ``attempts`` failed tries: 1, 4, 16… minutes."""
    return timedelta(minutes=4 ** max(attempts - 1, 0))


_local = threading.local()


def _mailer() -> Any:
    """This worker thread's mail backend, kept open between emails (one SMTP connection per
    worker instead of one per email), made anew when the mail settings change."""
    config = repr(getattr(settings, "MAILERS", {}).get("default"))
    if getattr(_local, "config", None) != config:
        if getattr(_local, "backend", None) is not None:
            _close()
        _local.backend = mailers.default
        _local.config = config
    return _local.backend


def _close() -> None:
    # A connection that is already gone is closed enough.
    with contextlib.suppress(Exception):
        _local.backend.close()
    _local.backend = None
    _local.config = None


def send_email(message: EmailMessage) -> None:
    """Hand one message to the mail server over the worker's open connection; a connection the
    server dropped while idle is opened again once (nothing was sent on it)."""
    for attempt in (1, 2):
        backend = _mailer()
        try:
            backend.open()
            backend.send_messages([message])
            return
        except (smtplib.SMTPServerDisconnected, ConnectionResetError, BrokenPipeError):
            _close()
            if attempt == 2:
                raise
        except Exception:
            _close()
            raise


def _claim(model: type[Model], pk: int, now: datetime) -> bool:
    free = Q(lease_until__isnull=True) | Q(lease_until__lt=now)
    claimed = model._default_manager.filter(free, pk=pk, emailed_at__isnull=True).update(
        lease_until=now + LEASE, attempts=F("attempts") + 1
    )
    return claimed == 1


def _failed(model: type[Model], pk: int, exc: Exception) -> None:
    row = model._default_manager.filter(pk=pk).values("attempts").first() or {"attempts": 1}
    logger.warning(
        "Email for %s %s failed (attempt %s): %s", model.__name__, pk, row["attempts"], exc
    )
    model._default_manager.filter(pk=pk).update(
        last_error=str(exc)[:500], lease_until=timezone.now() + backoff(row["attempts"])
    )


@task()
def delivery_email_send(*, delivery_id: int) -> None:
    """Email one notification that is due; one the mail server has accepted is not sent again."""
    now = timezone.now()
    if not _claim(Delivery, delivery_id, now):
        return
    delivery = Delivery.objects.select_related(
        "recipient__user", "recipient__profile", "recipient__workspace"
    ).get(pk=delivery_id)
    if not delivery.recipient.is_active:
        Delivery.objects.filter(pk=delivery_id).update(lease_until=None, last_error="member left")
        return
    try:
        send_email(notice_message(delivery))
    except Exception as exc:  # SMTP down, refused…: retried by the scheduler with backoff
        _failed(Delivery, delivery_id, exc)
        return
    Delivery.objects.filter(pk=delivery_id).update(emailed_at=timezone.now(), lease_until=None)


def digest_items(digest: Digest) -> list[Delivery]:
    """The notifications a digest shows (not those folded into it as repeats), oldest first."""
    return list(
        digest.items.filter(repeat=False).select_related("recipient").order_by("created_at", "pk")
    )


@task()
def digest_email_send(*, digest_id: int) -> None:
    """Email one member's digest; one the mail server has accepted is not sent again."""
    now = timezone.now()
    if not _claim(Digest, digest_id, now):
        return
    digest = Digest.objects.select_related(
        "recipient__user", "recipient__profile", "recipient__workspace"
    ).get(pk=digest_id)
    items = digest_items(digest)
    if not items or not digest.recipient.is_active:
        Digest.objects.filter(pk=digest_id).update(lease_until=None)
        return
    try:
        send_email(digest_message(digest, items))
    except Exception as exc:
        _failed(Digest, digest_id, exc)
        return
    Digest.objects.filter(pk=digest_id).update(emailed_at=timezone.now(), lease_until=None)
