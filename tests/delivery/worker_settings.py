"""Settings of the worker processes the delivery tests kill: short leases and retries."""

from tests.worker_settings import *  # noqa: F403

DELIVERY_LEASE_SECONDS = 3
DELIVERY_RETRY_SECONDS = 3
