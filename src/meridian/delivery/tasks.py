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
from secrets import randbelow
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage, mailers
from django.db import transaction
from django.db.models import F, Model, Q
from django.tasks import task
from django.utils import timezone

from meridian.delivery.emails import digest_message, notice_message, weekly_sections
from meridian.delivery.models import MAX_ATTEMPTS, Delivery, Digest

logger = logging.getLogger(__name__)


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


# A mail server that stops answering holds one send at most this long (then it is retried).
SEND_TIMEOUT_SECONDS = 30


def send_email(message: EmailMessage) -> None:
    """Hand one message to the mail server over the worker's open connection; a connection the
    server dropped while idle is opened again once (nothing was sent on it)."""
    for attempt in (1, 2):
        backend = _mailer()
        try:
            backend.open()
            sock = getattr(getattr(backend, "connection", None), "sock", None)
            if sock is not None:
                sock.settimeout(SEND_TIMEOUT_SECONDS)
            backend.send_messages([message])
            return
        except (smtplib.SMTPServerDisconnected, ConnectionResetError, BrokenPipeError):
            _close()
            if attempt == 2:
                raise
        except Exception:
            _close()
            raise


def send_and_record(message: EmailMessage, model: type[Model], pk: int) -> None:
    """Send one message, then record that the mail server accepted it.

    Not in one transaction on purpose: that would hold the row's lock — on SQLite the whole
    database's write lock — across the network. What is left is SMTP's own ambiguity: a worker
    killed after sending the message and before recording the answer sends it again, with the
    same Message-ID.
    """
    send_email(message)
    model._default_manager.filter(pk=pk).update(emailed_at=timezone.now(), lease_until=None)


def _claim(model: type[Model], pk: int, now: datetime) -> bool:
    free = Q(lease_until__isnull=True) | Q(lease_until__lt=now)
    claimed = model._default_manager.filter(free, pk=pk, emailed_at__isnull=True).update(
        lease_until=now + timedelta(seconds=settings.DELIVERY_LEASE_SECONDS),
        attempts=F("attempts") + 1,
    )
    return claimed == 1


def _failed(model: type[Model], pk: int, exc: Exception) -> None:
    row = model._default_manager.filter(pk=pk).values("attempts").first() or {"attempts": 1}
    logger.warning(
        "Email for %s %s failed (attempt %s): %s", model.__name__, pk, row["attempts"], exc
    )
    if model is Digest and row["attempts"] >= MAX_ATTEMPTS:
        _digest_give_up(pk, exc)
        return
    model._default_manager.filter(pk=pk).update(
        last_error=str(exc)[:500], lease_until=timezone.now() + backoff(row["attempts"])
    )


@transaction.atomic
def _digest_give_up(pk: int, exc: Exception) -> None:
    """The digest's last attempt failed: it is given up, and its notifications are no longer
    counted as sent, so that the member's next digest carries them (nothing is lost)."""
    Delivery.objects.filter(digest_id=pk, emailed_at__isnull=True).update(
        sent_at=None, digest=None, repeat=False
    )
    Digest.objects.filter(pk=pk).update(
        last_error=f"Given up after {MAX_ATTEMPTS} attempts; its notifications wait for the "
        f"next digest. Last error: {exc}"[:500],
        lease_until=None,
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
        send_and_record(notice_message(delivery), Delivery, delivery_id)
    except Exception as exc:  # SMTP down, refused…: retried by the scheduler with backoff
        _failed(Delivery, delivery_id, exc)


def digest_items(digest_ids: list[int]) -> dict[int, list[Delivery]]:
    """The notifications each digest shows (not those folded in as repeats), oldest first."""
    items: dict[int, list[Delivery]] = {pk: [] for pk in digest_ids}
    shown = Delivery.objects.filter(digest_id__in=digest_ids, repeat=False).order_by(
        "created_at", "pk"
    )
    for delivery in shown:
        items[delivery.digest_id].append(delivery)  # type: ignore[index]
    return items


DIGEST_EMAIL_FIELDS = (
    "pk",
    "local_date",
    "weekly_only",
    "recipient__is_active",
    "recipient__user__email",
    "recipient__profile__time_zone",
    "recipient__workspace__name",
    "recipient__workspace__slug",
)


@task()
def digest_email_send(*, digest_ids: list[int]) -> None:
    """Email members' digests, over one SMTP connection; one the mail server has accepted is
    not sent again, and each is recorded as accepted the moment the server says so."""
    now = timezone.now()
    # One UPDATE leases every digest still free; the lease's exact instant marks this task's own.
    token = now + timedelta(seconds=settings.DELIVERY_LEASE_SECONDS, microseconds=randbelow(10**6))
    Digest.objects.filter(
        Q(lease_until__isnull=True) | Q(lease_until__lt=now),
        pk__in=digest_ids,
        emailed_at__isnull=True,
    ).update(lease_until=token, attempts=F("attempts") + 1)
    digests = list(
        Digest.objects.filter(pk__in=digest_ids, lease_until=token)
        .select_related("recipient__user", "recipient__profile", "recipient__workspace")
        # Only what the email says: not the profile's hours and focus blocks (JSON to decode).
        .only(*DIGEST_EMAIL_FIELDS)
        .order_by("pk")
    )
    items = digest_items([d.pk for d in digests])
    sections = weekly_sections(
        [d for d in digests if (items[d.pk] or d.weekly_only) and d.recipient.is_active]
    )
    for digest in digests:
        if not (items[digest.pk] or digest.weekly_only) or not digest.recipient.is_active:
            Digest.objects.filter(pk=digest.pk).update(lease_until=None)
            continue
        if not items[digest.pk] and not sections.get(digest.pk):
            # A weekly summary with nothing left to say (its goals closed meanwhile): not sent.
            Digest.objects.filter(pk=digest.pk).update(
                lease_until=None, attempts=MAX_ATTEMPTS, last_error="Nothing left to say."
            )
            continue
        try:
            message = digest_message(digest, items[digest.pk], sections.get(digest.pk, []))
            send_and_record(message, Digest, digest.pk)
        except Exception as exc:
            _failed(Digest, digest.pk, exc)
