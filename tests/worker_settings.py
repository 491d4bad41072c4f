"""Settings of the worker processes that tests start: Meridian's own, with a short task lease.

A deployment's lease is at least 30 s (meridian.settings says why); a test that kills a worker
has its task taken over within seconds instead. Check-ins are asked in batches of 3 members
(1,000 in a deployment), so that even on a fast machine the work lasts long enough for a
worker to be killed between batches as well as within one.
"""

from meridian.settings import *  # noqa: F403

WORKER_LEASE_SECONDS = 4
CHECKIN_ASK_BATCH = 3
