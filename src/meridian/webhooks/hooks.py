"""What outgoing webhooks add to the other areas: a listener for workspace events, the retry
job, a nav entry."""

import logging
from functools import partial

from django.db import transaction

from meridian.core import registry
from meridian.core.events import Event
from meridian.core.scheduler import Job
from meridian.webhooks import schedule

logger = logging.getLogger(__name__)


@registry.hook(registry.EVENT_LISTENERS)
def webhook_deliveries(event: Event) -> None:
    """Turn a committed workspace event into one delivery per subscribed endpoint, and send them."""
    from meridian.webhooks.services import deliveries_for_event
    from meridian.webhooks.tasks import webhook_deliver

    try:
        delivery_ids = deliveries_for_event(event)
    except Exception:
        # The event's own write has committed; a webhook problem must not fail it.
        logger.exception("Could not record webhook deliveries for %s", event.kind)
        return
    for delivery_id in delivery_ids:
        transaction.on_commit(partial(webhook_deliver.enqueue, delivery_id=delivery_id, attempt=1))


registry.nav(
    registry.NavEntry(
        label="Webhooks",
        url_name="webhooks",
        order=90,
        current_prefixes=("webhooks", "webhook", "webhook_"),
        group="Workspace",
        visible=lambda membership: bool(membership and membership.is_admin),
    )
)

registry.register(registry.SCHEDULED_JOBS, Job(schedule.JOB, schedule.webhook_retries))
