"""`meridian worker` runs what a request enqueued on commit, on either task backend."""

import os
import signal
import subprocess
import sys
import time
from io import StringIO
from pathlib import Path

import django_rq
import pytest
import redis
from django.core.management import call_command
from django.tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from meridian.core.models import ScheduledRun
from tests.conftest import need

# test.sh sets MERIDIAN_TEST_REDIS_URL; Redis DB 14 keeps a developer's own data out of it.
REDIS_URL = os.environ.get("MERIDIAN_TEST_REDIS_URL", "redis://127.0.0.1:6379/14")
ROOT = Path(__file__).resolve().parents[2]

# The worker must see what the request committed, so these tests commit for real.
committed = pytest.mark.django_db(transaction=True)


def invite_through_the_page(client, admin, email: str) -> None:
    client.force_login(admin.user)
    response = client.post(
        f"/w/{admin.workspace.slug}/members/invite/", {"email": email, "role": "member"}
    )
    assert response.status_code == 200


def run_worker_burst() -> None:
    call_command("meridian_worker", "--burst", stdout=StringIO(), stderr=StringIO())


def redis_answers(connection: redis.Redis) -> bool:
    try:
        return bool(connection.ping())
    except redis.ConnectionError:
        return False


@pytest.fixture
def rq_queue(settings):
    """Tasks go through RQ on a real, emptied Redis; jobs run in the test process."""
    connection = redis.Redis.from_url(REDIS_URL)
    need(redis_answers(connection), f"Redis at {REDIS_URL}")
    connection.flushdb()
    settings.TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}
    settings.RQ_QUEUES = {"default": {"URL": REDIS_URL}}
    # SimpleWorker runs a job in the worker process instead of a forked work horse, so
    # the test's mail outbox sees the email; everything else is the production path.
    settings.RQ = {"WORKER_CLASS": "rq.worker.SimpleWorker"}
    yield django_rq.get_queue("default")
    connection.flushdb()
    connection.close()


@committed
def test_an_invitation_made_in_a_request_is_emailed_by_the_worker(client, admin, mailoutbox):
    invite_through_the_page(client, admin, "new.person@example.com")

    assert mailoutbox == []
    assert DBTaskResult.objects.get().status == TaskResultStatus.READY

    run_worker_burst()

    assert [m.to for m in mailoutbox] == [["new.person@example.com"]]
    assert "/invitations/" in mailoutbox[0].body
    assert DBTaskResult.objects.get().status == TaskResultStatus.SUCCESSFUL


@committed
def test_an_invitation_made_in_a_request_is_emailed_through_rq(client, admin, mailoutbox, rq_queue):
    invite_through_the_page(client, admin, "new.person@example.com")

    assert mailoutbox == []
    assert rq_queue.count == 1

    run_worker_burst()

    assert [m.to for m in mailoutbox] == [["new.person@example.com"]]
    assert rq_queue.count == 0
    assert rq_queue.finished_job_registry.count == 1
    assert not DBTaskResult.objects.exists()


@committed
def test_a_burst_ticks_the_scheduler_before_running_tasks():
    run_worker_burst()

    assert ScheduledRun.objects.filter(job="task-results.prune").count() == 1


def wait_for_text(path: Path, text: str, seconds: float) -> str:
    """The file's contents once they contain ``text``, or whatever they hold at the deadline."""
    deadline = time.monotonic() + seconds
    content = ""
    while text not in content and time.monotonic() < deadline:
        time.sleep(0.1)
        content = path.read_text()
    return content


def test_the_worker_and_its_scheduler_stop_cleanly_on_sigterm(migrated_data_dir):
    tmp_path = migrated_data_dir
    env = {
        **os.environ,
        "MERIDIAN_DATA_DIR": str(tmp_path),
        "MERIDIAN_DATABASE_URL": "",
        "MERIDIAN_REDIS_URL": "",
        "MERIDIAN_LOG_LEVEL": "INFO",
    }
    cli = [sys.executable, "-m", "meridian.cli"]
    subprocess.run([*cli, "migrate", "-v", "0"], env=env, cwd=ROOT, check=True, timeout=120)
    log = tmp_path / "worker.log"
    with log.open("w") as out:
        worker = subprocess.Popen(
            [*cli, "worker", "--tick-seconds", "1"],
            env=env,
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        try:
            started = wait_for_text(log, "Starting worker", seconds=60)
            ticked = wait_for_text(log, "Scheduler tick:", seconds=60)
            worker.send_signal(signal.SIGTERM)
            returncode = worker.wait(timeout=60)
        finally:
            worker.kill()  # a no-op once it has exited; its scheduler follows it

    assert "Starting worker" in started
    assert "Scheduler tick:" in ticked  # at least the daily task-result pruning ran
    assert returncode == 0
    assert "Meridian scheduler stopped." in log.read_text()
    assert "Meridian worker stopped." in log.read_text()


@committed
def test_mail_is_sent_while_a_long_media_task_occupies_the_media_queue(
    settings, client, admin, tmp_path
):
    from tests.core.slow_tasks import hold_media_queue
    from tests.core.support import start_worker, wait_for, worker_env

    settings.TASKS = {
        "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default", "media"]}
    }
    release = tmp_path / "release"
    transcode = hold_media_queue.enqueue(release=str(release))
    invite_through_the_page(client, admin, "new.person@example.com")
    invitation = DBTaskResult.objects.get(queue_name="default")
    log = tmp_path / "worker.log"

    worker = start_worker(worker_env(tmp_path), log, "--no-scheduler")
    try:
        busy = wait_for(
            lambda: DBTaskResult.objects.get(pk=transcode.id).status == TaskResultStatus.RUNNING,
            90,
        )
        mailed = wait_for(
            lambda: (
                DBTaskResult.objects.get(pk=invitation.pk).status == TaskResultStatus.SUCCESSFUL
            ),
            90,
        )
        still_busy = DBTaskResult.objects.get(pk=transcode.id).status
        release.touch()
        finished = wait_for(
            lambda: DBTaskResult.objects.get(pk=transcode.id).status == TaskResultStatus.SUCCESSFUL,
            60,
        )
    finally:
        worker.send_signal(signal.SIGTERM)
        returncode = worker.wait(timeout=60)

    output = log.read_text()
    assert busy, output
    assert mailed, output
    assert still_busy == TaskResultStatus.RUNNING  # the mail did not wait for it
    assert finished, output
    assert "queue media in a process of its own" in output
    assert returncode == 0
