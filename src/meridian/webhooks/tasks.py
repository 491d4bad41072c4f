"""Background jobs of outgoing webhooks: one attempt at one delivery."""

from django.tasks import task

from meridian.webhooks.services import delivery_attempt


@task()
def webhook_deliver(*, delivery_id: int, attempt: int) -> None:
    """Post one attempt of a delivery; a second run of the same attempt does nothing."""
    delivery_attempt(delivery_id=delivery_id, attempt=attempt)
