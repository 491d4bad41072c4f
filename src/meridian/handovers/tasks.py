"""Background jobs of the handovers area."""

from django.tasks import task

from meridian.handovers import services


@task()
def handover_batch_run(*, batch_id: int) -> None:
    """Hand over a long "hand over everything" batch; running it twice hands over nothing twice."""
    services.handover_batch_run(batch_id=batch_id)
