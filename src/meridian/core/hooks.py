"""What the core layer plugs into the registry: its housekeeping jobs."""

from meridian.core import registry, schedule
from meridian.core.scheduler import Job

registry.register(registry.SCHEDULED_JOBS, Job("task-results.prune", schedule.task_results_prune))
registry.register(
    registry.SCHEDULED_JOBS, Job("idempotency-keys.purge", schedule.idempotency_keys_purge)
)
