"""Time-based work of outgoing webhooks: retries with backoff, each attempt once.

``webhook.attempt:<delivery id>:<attempt>`` hands one attempt of a pending delivery whose
next try has come to the task queue. The attempt number is in the key, so the scheduler never
queues one retry twice; the task itself claims the attempt with a conditional UPDATE, so the
first send (queued by the event) and a scheduler tick never post the same attempt twice.
"""

from collections.abc import Iterator
from datetime import datetime
from functools import partial

from django.db import transaction

from meridian.core.scheduler import Occurrence, run_key
from meridian.webhooks.models import DeliveryStatus, WebhookDelivery

JOB = "webhook.attempt"


def webhook_retries(now: datetime) -> Iterator[Occurrence]:
    """Pending deliveries whose next attempt is due."""
    due = (
        WebhookDelivery.objects.filter(status=DeliveryStatus.PENDING, next_attempt_at__lte=now)
        .order_by("next_attempt_at", "pk")
        .values_list("pk", "attempts")
    )
    for delivery_id, attempts in due.iterator(chunk_size=500):
        yield Occurrence(
            run_key(JOB, f"{delivery_id}:{attempts + 1}"),
            partial(_queue, delivery_id=delivery_id, attempt=attempts + 1),
        )


def _queue(*, delivery_id: int, attempt: int) -> None:
    from meridian.webhooks.tasks import webhook_deliver

    transaction.on_commit(lambda: webhook_deliver.enqueue(delivery_id=delivery_id, attempt=attempt))
