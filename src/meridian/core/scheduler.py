"""The idempotent scheduler: time-based work derived from database state, each effect once.

Deadlines, reminders, digests and check-in prompts are never "timers" held by a process.
Each area registers a *job*: a function that, given the time, lists the *occurrences* that
are due according to the database (this invitation has lapsed, that member's digest for
2025-03-14 is due). Every occurrence has a key naming the effect, e.g.
``invitation.expired:42`` or ``digest:17:2025-03-14``. A tick claims the key in the
ScheduledRun ledger and carries out the effect in one transaction:

- a crash, or an effect that raises, rolls back both, so the next tick tries again;
- a second worker claiming the same key fails on the unique index and skips it,
  so two workers, or a restart, never carry out one effect twice.

How often a job fires is therefore written into its keys, not into a timer: a daily job
puts the day into the key, a per-object job the object's id. An effect writes to the
database directly (exactly once, with its key) and hands work outside the database (email,
webhooks) to a task with ``transaction.on_commit``, so that work starts only once the key
is claimed.

Areas write their due-functions in ``<area>/schedule.py`` and register them from their
``hooks.py`` at the registry's ``SCHEDULED_JOBS`` point::

    # briefs/schedule.py
    def brief_reminders(now: datetime) -> Iterator[Occurrence]:
        for ask in without_runs(Ask.objects.filter(remind_at__lte=now), "brief.reminder"):
            yield Occurrence(run_key("brief.reminder", ask.pk), partial(remind, ask=ask))

    # briefs/hooks.py
    registry.register(registry.SCHEDULED_JOBS, Job("brief.reminder", schedule.brief_reminders))
"""

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from django.db import IntegrityError, models, transaction
from django.db.models import CharField, Exists, OuterRef, Value
from django.db.models.functions import Cast, Concat
from django.utils import timezone

from meridian.core import registry
from meridian.core.models import ScheduledRun

logger = logging.getLogger(__name__)

# Keys are looked up in the ledger in batches of this size (SQLite limits query parameters).
_LOOKUP_BATCH = 500


@dataclass(frozen=True)
class Occurrence:
    """One effect that is due now, named by a key that is unique for all time."""

    key: str
    effect: Callable[[], object]


DueFunction = Callable[[datetime], Iterable[Occurrence]]


@dataclass(frozen=True)
class Job:
    """A kind of time-based work: given the time, the occurrences that are due."""

    name: str
    due: DueFunction


@dataclass
class TickResult:
    """What one tick did: the keys it carried out, found done already, or saw fail."""

    ran: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)


def register(name: str, due: DueFunction) -> Job:
    """Add a job to the scheduler under a unique name (registering the same function again is harmless)."""
    return registry.register(registry.SCHEDULED_JOBS, Job(name=name, due=due))


def registered_jobs() -> list[Job]:
    """Every job that the areas registered from their ``hooks.py``; a name names one job only."""
    jobs: dict[str, Job] = {}
    for job in registry.items(registry.SCHEDULED_JOBS):
        existing = jobs.get(job.name)
        if existing is not None and existing.due is not job.due:
            raise ValueError(f"A scheduled job called {job.name!r} is already registered.")
        jobs[job.name] = job
    return list(jobs.values())


def run_key(job: str, discriminator: object) -> str:
    """The key of a job's occurrence for one object or period, e.g. ``invitation.expired:42``."""
    return f"{job}:{discriminator}"


def without_runs[M: models.Model](queryset: models.QuerySet[M], job: str) -> models.QuerySet[M]:
    """The rows whose ``run_key(job, pk)`` is not in the ledger yet, so a job lists only new work."""
    key = Concat(Value(f"{job}:"), Cast(OuterRef("pk"), output_field=CharField()))
    return queryset.filter(~Exists(ScheduledRun.objects.filter(key=key)))


def tick(now: datetime | None = None, *, jobs: Iterable[Job] | None = None) -> TickResult:
    """Carry out every due occurrence whose key is not in the ledger yet, each exactly once."""
    now = now or timezone.now()
    result = TickResult()
    for job in registered_jobs() if jobs is None else jobs:
        try:
            occurrences = list(job.due(now))
            done = _claimed_keys([o.key for o in occurrences])
        except Exception:
            logger.exception("Scheduled job %s could not list its due work", job.name)
            result.failed.append(job.name)
            continue
        for occurrence in occurrences:
            if occurrence.key in done:
                result.skipped.append(occurrence.key)
                continue
            outcome = _carry_out(job, occurrence)
            getattr(result, outcome).append(occurrence.key)
            done.add(occurrence.key)
    if result.ran or result.failed:
        logger.info(
            "Scheduler tick: %d carried out, %d failed", len(result.ran), len(result.failed)
        )
    return result


def _claimed_keys(keys: list[str]) -> set[str]:
    claimed: set[str] = set()
    for start in range(0, len(keys), _LOOKUP_BATCH):
        batch = keys[start : start + _LOOKUP_BATCH]
        claimed.update(ScheduledRun.objects.filter(key__in=batch).values_list("key", flat=True))
    return claimed


class NotNow(Exception):
    """Raised by an effect that finds, once it holds its key, that it must not happen now.

    Its key is given back (the claim rolls back with the effect), so a later tick that still
    finds it due carries it out; the tick counts it as skipped, not failed.
    """


def _carry_out(job: Job, occurrence: Occurrence) -> Literal["ran", "skipped", "failed"]:
    try:
        with transaction.atomic():
            try:
                with transaction.atomic():
                    ScheduledRun.objects.create(key=occurrence.key, job=job.name)
            except IntegrityError:
                # Another worker claimed the key after we looked: it carries out the effect.
                return "skipped"
            occurrence.effect()
    except NotNow:
        return "skipped"
    except Exception:
        logger.exception("Scheduled effect %s failed; the next tick retries it", occurrence.key)
        return "failed"
    return "ran"
