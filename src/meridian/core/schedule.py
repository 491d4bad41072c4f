"""Core's time-based housekeeping: records of finished background tasks do not pile up."""

from collections.abc import Iterator
from datetime import datetime, timedelta
from functools import partial

from django.conf import settings
from django.tasks import task_backends

from meridian.core.scheduler import Occurrence, run_key

# How long the database task backend keeps the record of a finished task (for debugging).
TASK_RESULT_DAYS = 14


def task_results_prune(now: datetime) -> Iterator[Occurrence]:
    """Once a day, forget the database backend's finished tasks older than two weeks."""
    from django_tasks_db.backend import DatabaseBackend

    aliases = [a for a in settings.TASKS if isinstance(task_backends[a], DatabaseBackend)]
    if aliases:
        yield Occurrence(
            run_key("task-results.prune", now.date().isoformat()),
            partial(_prune, aliases=aliases, before=now - timedelta(days=TASK_RESULT_DAYS)),
        )


def _prune(*, aliases: list[str], before: datetime) -> None:
    from django_tasks_db.models import DBTaskResult

    DBTaskResult.objects.finished().filter(
        backend_name__in=aliases, finished_at__lte=before
    ).delete()


def idempotency_keys_purge(now: datetime) -> Iterator[Occurrence]:
    """Every hour, forget the one-time keys of forms and API creates older than a day."""
    from meridian.core.idempotency import idempotency_purge

    yield Occurrence(
        run_key("idempotency-keys.purge", now.strftime("%Y-%m-%dT%H")),
        partial(idempotency_purge, now=now),
    )
