"""Settings of the worker processes that tests start: Meridian's own, with a short task lease.

A deployment's lease is at least 30 s (meridian.settings says why); a test that kills a worker
has its task taken over within seconds instead.
"""

from meridian.settings import *  # noqa: F403

WORKER_LEASE_SECONDS = 4
