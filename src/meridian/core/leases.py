"""Task leases: a worker that dies mid-task (SIGKILL, out of memory, power loss) loses no task.

django-tasks-db marks a claimed task RUNNING with the claimant's worker id and nothing more,
so a task whose worker died stayed RUNNING for ever. Every Meridian worker on the database
backend therefore holds a lease, a WorkerLease row that a heartbeat thread renews every
``beat_seconds()``. On each beat a worker also looks for RUNNING tasks whose last claimant
holds no live lease, and puts them back in the queue (READY) for any worker to claim. A task
already claimed ``MAX_ATTEMPTS`` times is failed instead, so one that kills its worker every
time does not loop. The reset is one conditional UPDATE: of several workers that see the same
abandoned task, exactly one re-queues it.

A task can thus run again after a crash; Meridian's tasks are written for that. Each calls an
idempotent service (a recording is processed only while it is "processing", each attempt in a
work directory of its own, so a worker whose lease lapsed while it still ran does not wreck the
attempt that took its task over; and a lease is far longer than a blocked beat). The one unguarded effect is an email whose worker died between
sending it and recording success: it may go out twice, never zero times.

On RQ the same is RQ's own: a work horse's job heartbeat expires, and the worker's registry
maintenance retries the abandoned job (see meridian_worker's abandoned-job handler).
"""

import logging
import os
import socket
import threading
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from django.conf import settings
from django.db import connections, transaction
from django.tasks import TaskResultStatus
from django.tasks.signals import task_finished
from django.utils import timezone
from django.utils.crypto import get_random_string

from meridian.core.models import WorkerLease

logger = logging.getLogger(__name__)

# How often one task may be claimed before it counts as killing its workers.
MAX_ATTEMPTS = 3


class WorkerLost(Exception):
    """The worker running this task stopped beating (killed, crashed) too many times."""


def lease_seconds() -> int:
    """How long a silent worker keeps its tasks before others take them over."""
    return int(settings.WORKER_LEASE_SECONDS)


def beat_seconds() -> float:
    """A lease is renewed four times per its length, so one late beat does not lose it."""
    return lease_seconds() / 4


def new_worker_id() -> str:
    """A worker id unique across machines, that says where the worker runs (≤ 64 characters)."""
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{get_random_string(8)}"


def lease_renew(*, worker_id: str, now: datetime | None = None) -> None:
    """Record that the worker ``worker_id`` is alive now."""
    now = now or timezone.now()
    updated = WorkerLease.objects.filter(worker_id=worker_id).update(beat_at=now)
    if not updated:
        WorkerLease.objects.create(
            worker_id=worker_id,
            hostname=socket.gethostname()[:255],
            pid=os.getpid(),
            started_at=now,
            beat_at=now,
        )


def lease_release(*, worker_id: str) -> None:
    """The worker stopped cleanly: it holds no task, and needs no lease."""
    WorkerLease.objects.filter(worker_id=worker_id).delete()


def tasks_reclaim(*, now: datetime | None = None) -> list[str]:
    """Re-queue RUNNING tasks whose worker's lease has lapsed; the ids of those re-queued.

    A task claimed less than a lease ago is left alone: its worker may be about to write its
    first beat. Expired leases are removed at the same time.
    """
    from django_tasks_db.models import DBTaskResult

    now = now or timezone.now()
    cutoff = now - timedelta(seconds=lease_seconds())
    live = set(WorkerLease.objects.filter(beat_at__gt=cutoff).values_list("worker_id", flat=True))
    requeued = []
    running = DBTaskResult.objects.running().filter(started_at__lt=cutoff)
    for task in running.only("id", "worker_ids", "started_at"):
        if task.worker_ids and task.worker_ids[-1] in live:
            continue
        claimed_as = DBTaskResult.objects.filter(
            pk=task.pk, status=TaskResultStatus.RUNNING, started_at=task.started_at
        )
        with transaction.atomic():
            if len(task.worker_ids) >= MAX_ATTEMPTS:
                lost = WorkerLost(
                    f"The worker running this task stopped {len(task.worker_ids)} times "
                    f"(workers {', '.join(task.worker_ids)}); it is not tried again."
                )
                given_up = claimed_as.update(
                    status=TaskResultStatus.FAILED,
                    finished_at=now,
                    exception_class_path=f"{WorkerLost.__module__}.{WorkerLost.__qualname__}",
                    traceback=str(lost),
                )
                if given_up:
                    logger.error("Task %s failed: %s", task.pk, lost)
                    failed = DBTaskResult.objects.get(pk=task.pk)
                    # As db_worker does for a task that raised, so that its area can react
                    # (a recording stops showing "processing").
                    transaction.on_commit(partial(_announce_failure, failed))
                continue
            if claimed_as.update(status=TaskResultStatus.READY, started_at=None):
                logger.warning(
                    "Task %s was running on worker %s, which stopped; it is queued again.",
                    task.pk,
                    task.worker_ids[-1] if task.worker_ids else "?",
                )
                requeued.append(str(task.pk))
    WorkerLease.objects.filter(beat_at__lte=cutoff).delete()
    return requeued


def _announce_failure(failed: Any) -> None:
    task_finished.send(type(failed.task.get_backend()), task_result=failed.task_result)


class Heartbeat:
    """A thread that renews this worker's lease and takes over tasks of workers that died."""

    def __init__(self, worker_id: str) -> None:
        self.worker_id = worker_id
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="meridian-lease", daemon=True)

    def start(self) -> None:
        # The first beat and takeover happen before this worker claims anything.
        self._beat()
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        self._thread.join(timeout=beat_seconds() + 30)
        try:
            lease_release(worker_id=self.worker_id)
        finally:
            connections.close_all()

    def _run(self) -> None:
        while not self._stopping.wait(beat_seconds()):
            self._beat()
        connections.close_all()  # this thread's own connections

    def _beat(self) -> None:
        try:
            lease_renew(worker_id=self.worker_id)
            tasks_reclaim()
        except Exception:
            # A locked or unreachable database: the next beat tries again, and the lease is
            # long enough to survive a few missed ones.
            logger.exception("Renewing the worker lease failed")
        finally:
            if threading.current_thread() is self._thread:
                connections.close_all()
