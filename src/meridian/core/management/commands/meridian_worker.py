"""`meridian worker`: run background tasks and the scheduler's tick until Ctrl-C or SIGTERM.

The task worker is the one of the configured backend: django-tasks-db's ``db_worker`` for
the database backend, an RQ worker (job class ``django_tasks_rq.Job``) for Redis. The
scheduler ticks in a child process of its own, so an RQ worker that forks a work horse per
job never forks a process with a second thread in it. Any number of workers may run at
once, on any number of machines: tasks are claimed by one worker each, and every scheduled
effect is keyed in the ScheduledRun ledger (see meridian.core.scheduler).

Each queue gets a task loop of its own: this process serves "default" (mail, webhooks,
notifications) and starts one child process per other queue ("media": transcoding), so a
transcode that takes minutes never holds up an email. ``--queue NAME`` runs one queue only,
for operators who place queues on machines of their own. The children die with this process
(Linux's parent-death signal) and are stopped with it.
"""

import argparse
import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import close_old_connections, connections
from django.tasks import DEFAULT_TASK_BACKEND_ALIAS, DEFAULT_TASK_QUEUE_NAME, task_backends

from meridian.core.leases import MAX_ATTEMPTS, Heartbeat, lease_seconds, new_worker_id
from meridian.core.scheduler import tick

logger = logging.getLogger("meridian.worker")

_STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def _seconds(raw: str) -> float:
    value = float(raw)
    if not 0 < value <= 86400:
        raise argparse.ArgumentTypeError("give a number of seconds between 0 and 86400")
    return value


class Command(BaseCommand):
    help = "Run background tasks and the scheduler until Ctrl-C or SIGTERM."

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument(
            "--tick-seconds",
            type=_seconds,
            default=30.0,
            help="how often the scheduler looks for due work (default: 30)",
        )
        parser.add_argument(
            "--burst",
            "--once",
            action="store_true",
            dest="burst",
            help="tick the scheduler once, run every queued task, then exit",
        )
        parser.add_argument(
            "--no-scheduler",
            action="store_true",
            help="run tasks only (another worker or --scheduler-only process ticks)",
        )
        parser.add_argument(
            "--scheduler-only",
            action="store_true",
            help="tick the scheduler only, no tasks",
        )
        parser.add_argument(
            "--queue",
            action="append",
            dest="queues",
            metavar="NAME",
            help="run this queue only (repeatable); default: every queue, each in its own process",
        )
        # Set by a worker for its scheduler child, which stops when that worker is gone.
        parser.add_argument("--parent-pid", type=int, default=0, help=argparse.SUPPRESS)

    def handle(self, *args: Any, **options: Any) -> None:
        seconds: float = options["tick_seconds"]
        if options["scheduler_only"]:
            self._scheduler_loop(seconds, parent_pid=options["parent_pid"])
            return
        every = sorted(task_backends[DEFAULT_TASK_BACKEND_ALIAS].queues)
        unknown = sorted(set(options["queues"] or []) - set(every))
        if unknown:
            raise CommandError(f"No such queue: {', '.join(unknown)} (queues: {', '.join(every)})")
        if options["burst"]:
            # One pass over every queue in this process, "default" first.
            queues = options["queues"] or _first_default(every)
            run_tasks, description = self._task_runner(options["verbosity"], queues)
            if not options["no_scheduler"]:
                tick()
            with _own_signals():
                run_tasks(True)
            return
        own = options["queues"] or _first_default(every)[:1]
        others = [] if options["queues"] else [q for q in every if q not in own]
        run_tasks, description = self._task_runner(options["verbosity"], own)
        children = [self._start_queue(queue) for queue in others]
        scheduler = None if options["no_scheduler"] else self._start_scheduler(seconds)
        ticking = "no scheduler" if scheduler is None else f"scheduler every {seconds:g} s"
        apart = f"; queue {', '.join(others)} in a process of its own" if others else ""
        self.stdout.write(f"Meridian worker: {description}{apart}; {ticking}. Ctrl-C stops.")
        try:
            with _own_signals():
                run_tasks(False)
        finally:
            for child in children:
                _stop_process(child)
            if scheduler is not None:
                _stop_process(scheduler)
            self.stdout.write("Meridian worker stopped.")

    def _task_runner(self, verbosity: int, queues: list[str]) -> tuple[Callable[[bool], None], str]:
        """The function that runs ``queues`` of the default backend, and a line describing it."""
        from django_tasks_db.backend import DatabaseBackend
        from django_tasks_rq import RQBackend

        backend = task_backends[DEFAULT_TASK_BACKEND_ALIAS]
        if isinstance(backend, DatabaseBackend):

            def run_db(burst: bool) -> None:
                # The lease lets other workers take over this worker's task if it dies.
                worker_id = new_worker_id()
                heartbeat = Heartbeat(worker_id)
                heartbeat.start()
                try:
                    call_command(
                        "db_worker",
                        backend_name=backend.alias,
                        queue_name=",".join(queues) or "*",
                        batch=burst,
                        reload=False,
                        startup_delay=not burst,
                        worker_id=worker_id,
                        verbosity=verbosity,
                        stdout=self.stdout,
                        stderr=self.stderr,
                    )
                finally:
                    heartbeat.stop()

            return run_db, f"database backend, queues {', '.join(queues) or 'all'}"
        if isinstance(backend, RQBackend):

            def run_rq(burst: bool) -> None:
                import django_rq
                import redis
                from django_rq.utils import reset_db_connections
                from django_tasks_rq import Job

                level = {0: "WARNING", 1: "INFO"}.get(verbosity, "DEBUG")
                lease = lease_seconds()
                try:
                    # A job whose worker died stops heartbeating; each worker's registry
                    # maintenance (every lease: an idle worker wakes from its blocking wait
                    # at worker_ttl - 15 s) finds it and retries it (see _retry_abandoned).
                    worker = django_rq.get_worker(
                        *queues,
                        job_class=Job,
                        maintenance_interval=lease,
                        worker_ttl=lease + 15,
                        job_monitoring_interval=min(30, lease),
                    )
                    worker.push_exc_handler(_retry_abandoned)
                    # A forked work horse must open its own database connections.
                    reset_db_connections()
                    worker.work(burst=burst, with_scheduler=True, logging_level=level)
                except redis.exceptions.ConnectionError as exc:
                    raise CommandError(f"Redis does not answer: {exc}") from exc

            return run_rq, f"RQ backend on Redis, queues {', '.join(queues)}"
        raise CommandError(
            f"The task backend {type(backend).__name__} has no worker; Meridian runs "
            "the database backend, or RQ when MERIDIAN_REDIS_URL is set."
        )

    def _start_queue(self, queue: str) -> subprocess.Popen[bytes]:
        """Start a worker for one more queue as a child process that dies with this worker."""
        from meridian.cli import die_with_parent

        # A group of its own: a Ctrl-C or SIGTERM to this worker's group must reach it once,
        # from here, since a second stop signal makes django-tasks-db abandon the task it is
        # running as failed. Killed with this worker (its task then goes to another worker
        # once the lease lapses), so it never outlives it.
        return subprocess.Popen(
            [sys.executable, "-m", "meridian.cli", "worker", "--no-scheduler", "--queue", queue],
            start_new_session=True,
            preexec_fn=die_with_parent(signal.SIGKILL),
        )

    def _start_scheduler(self, seconds: float) -> subprocess.Popen[bytes]:
        """Start the scheduler's tick loop as a child process that dies with this worker."""
        return subprocess.Popen(
            [
                sys.executable,
                "-m",
                "meridian.cli",
                "worker",
                "--scheduler-only",
                f"--tick-seconds={seconds}",
                f"--parent-pid={os.getpid()}",
            ]
        )

    def _scheduler_loop(self, seconds: float, *, parent_pid: int) -> None:
        """Tick every ``seconds`` until a stop signal, or until the parent worker is gone."""
        state = {"ticking": False, "stopping": False}

        def request_stop(signum: int, frame: FrameType | None) -> None:
            # Mid-tick, finish the tick (each effect is one transaction) and stop after it.
            first = not state["stopping"]
            state["stopping"] = True
            if first and not state["ticking"]:
                raise _Stop

        with _own_signals():
            for sig in _STOP_SIGNALS:
                signal.signal(sig, request_stop)
            self.stdout.write(f"Meridian scheduler: a tick every {seconds:g} s.")
            try:
                while not parent_pid or os.getppid() == parent_pid:
                    state["ticking"] = True
                    try:
                        tick()
                    except Exception:
                        logger.exception("Scheduler tick failed; trying again in %g s", seconds)
                    finally:
                        state["ticking"] = False
                    if state["stopping"]:
                        break
                    close_old_connections()
                    time.sleep(seconds)
            except _Stop:
                pass
        connections.close_all()
        self.stdout.write("Meridian scheduler stopped.")


def _retry_abandoned(job: Any, exc_type: type, exc_value: BaseException, tb: object) -> bool:
    """RQ exception handler: an abandoned job (its worker died) is queued again, up to a limit.

    RQ calls it from its started-job registry's cleanup before deciding between retrying and
    failing the job, so giving the job a retry here makes RQ itself re-queue it, once.
    """
    from rq.exceptions import AbandonedJobError

    if exc_type is AbandonedJobError:
        attempts = int(job.meta.get("meridian_attempts", 1))
        if attempts < MAX_ATTEMPTS:
            job.meta["meridian_attempts"] = attempts + 1
            job.save_meta()
            job.retries_left = 1
            job.retry_intervals = [0]  # at once
            logger.warning("Job %s was running on a worker that stopped; queued again.", job.id)
    return True  # let RQ's other handlers run too


def _first_default(queues: list[str]) -> list[str]:
    """The queues with "default" (mail, notifications) first: it is served before the others."""
    return sorted(queues, key=lambda queue: queue != DEFAULT_TASK_QUEUE_NAME)


class _Stop(Exception):
    """A stop signal arrived while the scheduler was waiting for its next tick."""


@contextmanager
def _own_signals() -> Iterator[None]:
    """Put back the caller's signal handlers afterwards (the workers install their own)."""
    saved = {sig: signal.getsignal(sig) for sig in (*_STOP_SIGNALS, signal.SIGQUIT)}
    try:
        yield
    finally:
        for sig, handler in saved.items():
            if handler is not None:
                signal.signal(sig, handler)


def _stop_process(process: subprocess.Popen[bytes]) -> None:
    """Ask a child process to stop, and kill it if it has not within half a minute."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
