"""The scheduler carries out each due effect exactly once, however many workers tick."""

import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import partial

import pytest
from django.db import connections, transaction
from django.tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from meridian.core import registry, scheduler
from meridian.core.models import AuditEntry, ScheduledRun
from meridian.core.scheduler import Job, Occurrence, register, registered_jobs, run_key, tick
from meridian.core.services import audit_record
from meridian.workspaces.services import invitation_create, invitation_revoke
from meridian.workspaces.tasks import invitation_email_send

NOW = datetime(2025, 3, 14, 12, 0, tzinfo=UTC)


def audited(key: str) -> None:
    """An effect inside the database: one audit entry naming its key."""
    audit_record(actor=None, action="test.effect", data={"key": key})


def job_of(name: str, keys: list[str], effect: Callable[[str], None] = audited) -> Job:
    return Job(name, lambda now: [Occurrence(key, partial(effect, key)) for key in keys])


def effect_keys() -> list[str]:
    return sorted(e.data["key"] for e in AuditEntry.objects.filter(action="test.effect"))


class FailsFirst:
    """An effect that writes, then fails the first ``times`` times (say, SMTP is down)."""

    def __init__(self, times: int) -> None:
        self.failures_left = times

    def __call__(self, key: str) -> None:
        audited(key)
        self.failures_left -= 1
        if self.failures_left >= 0:
            raise ConnectionError("the mail server is down")


def test_a_tick_carries_out_each_due_effect_and_records_its_key(db):
    result = tick(NOW, jobs=[job_of("test.job", ["test.job:1", "test.job:2"])])

    assert result.ran == ["test.job:1", "test.job:2"]
    assert effect_keys() == ["test.job:1", "test.job:2"]
    assert sorted(ScheduledRun.objects.values_list("key", "job")) == [
        ("test.job:1", "test.job"),
        ("test.job:2", "test.job"),
    ]


def test_a_second_tick_never_repeats_an_effect(db):
    job = job_of("test.job", ["test.job:1", "test.job:2"])
    tick(NOW, jobs=[job])

    again = tick(NOW + timedelta(minutes=1), jobs=[job])

    assert again.ran == []
    assert again.skipped == ["test.job:1", "test.job:2"]
    assert effect_keys() == ["test.job:1", "test.job:2"]


def test_a_failed_effect_leaves_no_trace_and_the_next_tick_retries_it(db):
    job = job_of("test.job", ["test.job:1"], FailsFirst(times=1))

    first = tick(NOW, jobs=[job])

    assert first.failed == ["test.job:1"]
    assert effect_keys() == []
    assert not ScheduledRun.objects.exists()

    second = tick(NOW + timedelta(seconds=30), jobs=[job])

    assert second.ran == ["test.job:1"]
    assert effect_keys() == ["test.job:1"]


def test_an_effect_that_declines_gives_its_key_back_for_a_later_tick(db):
    declined = {"times": 1}

    def not_yet(key: str) -> None:
        audited(key)
        if declined["times"]:
            declined["times"] -= 1
            raise scheduler.NotNow("not today")

    job = job_of("test.job", ["test.job:1"], not_yet)
    first = tick(NOW, jobs=[job])
    assert first.skipped == ["test.job:1"] and first.failed == []
    assert effect_keys() == [] and not ScheduledRun.objects.exists()

    assert tick(NOW + timedelta(days=1), jobs=[job]).ran == ["test.job:1"]
    assert effect_keys() == ["test.job:1"]


def test_an_occurrence_claimed_by_another_worker_meanwhile_is_skipped(db):
    def claim_b_elsewhere(key: str) -> None:
        audited(key)
        ScheduledRun.objects.create(key="test.job:b", job="test.job")

    job = Job(
        "test.job",
        lambda now: [
            Occurrence("test.job:a", partial(claim_b_elsewhere, "test.job:a")),
            Occurrence("test.job:b", partial(audited, "test.job:b")),
        ],
    )

    result = tick(NOW, jobs=[job])

    assert result.ran == ["test.job:a"]
    assert result.skipped == ["test.job:b"]
    assert effect_keys() == ["test.job:a"]


def test_a_job_that_cannot_list_its_work_does_not_hold_up_the_others(db):
    def broken(now: datetime) -> list[Occurrence]:
        raise LookupError("a bug in one area")

    result = tick(NOW, jobs=[Job("test.broken", broken), job_of("test.job", ["test.job:1"])])

    assert result.failed == ["test.broken"]
    assert result.ran == ["test.job:1"]


def test_the_clock_decides_what_is_due(db):
    deadlines = {"test.deadline:1": NOW, "test.deadline:2": NOW + timedelta(hours=1)}
    job = Job(
        "test.deadline",
        lambda now: [
            Occurrence(key, partial(audited, key)) for key, at in deadlines.items() if at <= now
        ],
    )

    early = tick(NOW - timedelta(seconds=1), jobs=[job])
    first = tick(NOW, jobs=[job])
    second = tick(NOW + timedelta(hours=2), jobs=[job])

    assert (early.ran, first.ran, second.ran) == ([], ["test.deadline:1"], ["test.deadline:2"])


def test_a_name_is_registered_to_one_job_only():
    with registry.replaced(registry.SCHEDULED_JOBS, []):
        register("test.unique", lambda now: [])
        register("test.unique", lambda now: [])

        with pytest.raises(ValueError, match="already registered"):
            registered_jobs()


@pytest.mark.django_db(transaction=True)
def test_concurrent_ticks_never_run_an_effect_twice():
    """Two workers tick at once, walking the due work from opposite ends so their claims
    collide; a third tick afterwards picks up whatever lost a lock."""
    keys = [run_key("test.race", n) for n in range(30)]
    both_listed = threading.Barrier(2, timeout=10)
    delivered: list[str] = []
    errors: list[BaseException] = []

    def deliver(key: str) -> None:
        audited(key)
        transaction.on_commit(lambda: delivered.append(key))

    def worker(order: list[str]) -> None:
        def due(now: datetime) -> list[Occurrence]:
            both_listed.wait()
            return [Occurrence(key, partial(deliver, key)) for key in order]

        try:
            tick(NOW, jobs=[Job("test.race", due)])
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=worker, args=(keys,)),
        threading.Thread(target=worker, args=(keys[::-1],)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    tick(NOW, jobs=[job_of("test.race", keys, deliver)])

    assert errors == []
    assert sorted(delivered) == sorted(keys)
    assert effect_keys() == sorted(keys)
    assert ScheduledRun.objects.filter(job="test.race").count() == 30


# --- The jobs Meridian registers --------------------------------------------------------


def test_a_lapsed_invitation_is_noted_in_the_audit_log_once(admin):
    invitation, _ = invitation_create(acting=admin, email="late@example.com")

    tick(invitation.expires_at - timedelta(minutes=1))
    assert not AuditEntry.objects.filter(action="invitation.expired").exists()

    tick(invitation.expires_at + timedelta(minutes=1))
    tick(invitation.expires_at + timedelta(days=3))

    entry = AuditEntry.objects.get(action="invitation.expired")
    assert (entry.workspace, entry.object_id, entry.actor_label) == (
        admin.workspace,
        str(invitation.pk),
        "system",
    )
    assert entry.data["email"] == "late@example.com"


def test_a_withdrawn_invitation_never_lapses_in_the_log(admin):
    invitation, _ = invitation_create(acting=admin, email="withdrawn@example.com")
    invitation_revoke(acting=admin, invitation=invitation)

    tick(invitation.expires_at + timedelta(days=1))

    assert not AuditEntry.objects.filter(action="invitation.expired").exists()


def test_finished_task_results_are_pruned_after_two_weeks_once_a_day(admin):
    invitation, _ = invitation_create(acting=admin, email="someone@example.com")
    old, recent, waiting = (
        invitation_email_send.enqueue(invitation_id=invitation.pk) for _ in range(3)
    )
    DBTaskResult.objects.filter(id__in=[old.id, recent.id]).update(
        status=TaskResultStatus.SUCCESSFUL, finished_at=NOW
    )
    DBTaskResult.objects.filter(id=recent.id).update(finished_at=NOW + timedelta(days=10))

    result = tick(NOW + timedelta(days=15))

    assert run_key("task-results.prune", "2025-03-29") in result.ran
    remaining = {str(pk) for pk in DBTaskResult.objects.values_list("id", flat=True)}
    assert remaining == {recent.id, waiting.id}
