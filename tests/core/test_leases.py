"""A worker killed mid-task loses nothing: another worker takes the task over, once."""

import os
import signal
import subprocess
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from django.tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from meridian.core.leases import MAX_ATTEMPTS, lease_renew, tasks_reclaim
from meridian.core.models import AuditEntry, WorkerLease
from meridian.recordings.models import Recording, RecordingStatus
from meridian.recordings.services import processing_dir, recording_create_from_file
from meridian.recordings.tasks import recording_process_task
from tests.briefs.factories import brief as make_brief
from tests.briefs.factories import person
from tests.conftest import need
from tests.core.support import kill_with_descendants, start_worker, wait_for, worker_env

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 3, 29, 0, 30, tzinfo=UTC)  # the night Europe's clocks change
LEASE = 60


def claimed(worker_id: str, *, at: datetime) -> DBTaskResult:
    """A processing task that the worker ``worker_id`` claimed at ``at``."""
    recording_process_task.enqueue(recording_id=424242)
    task = DBTaskResult.objects.get(status=TaskResultStatus.READY)
    task.claim(worker_id)
    DBTaskResult.objects.filter(pk=task.pk).update(started_at=at)
    task.refresh_from_db()
    return task


@pytest.fixture
def database_tasks(settings):
    settings.TASKS = {
        "default": {
            "BACKEND": "django_tasks_db.DatabaseBackend",
            "QUEUES": ["default", "media"],
        }
    }
    settings.WORKER_LEASE_SECONDS = LEASE


@pytest.mark.django_db
def test_a_task_of_a_worker_that_stopped_beating_is_queued_again(database_tasks):
    task = claimed("dead-worker", at=NOW - timedelta(minutes=5))
    lease_renew(worker_id="dead-worker", now=NOW - timedelta(minutes=3))

    requeued = tasks_reclaim(now=NOW)

    task.refresh_from_db()
    assert requeued == [str(task.pk)]
    assert task.status == TaskResultStatus.READY
    assert task.started_at is None
    assert not WorkerLease.objects.filter(worker_id="dead-worker").exists()


@pytest.mark.django_db
def test_a_task_of_a_worker_that_still_beats_is_left_running_however_long(database_tasks):
    task = claimed("busy-worker", at=NOW - timedelta(hours=2))
    lease_renew(worker_id="busy-worker", now=NOW - timedelta(seconds=LEASE - 1))

    assert tasks_reclaim(now=NOW) == []
    task.refresh_from_db()
    assert task.status == TaskResultStatus.RUNNING


@pytest.mark.django_db
def test_a_task_claimed_moments_ago_is_not_taken_from_a_worker_yet_to_beat(database_tasks):
    task = claimed("new-worker", at=NOW - timedelta(seconds=5))

    assert tasks_reclaim(now=NOW) == []
    task.refresh_from_db()
    assert task.status == TaskResultStatus.RUNNING


@pytest.mark.django_db
def test_two_workers_seeing_the_same_abandoned_task_requeue_it_once(database_tasks):
    task = claimed("dead-worker", at=NOW - timedelta(minutes=5))

    first = tasks_reclaim(now=NOW)
    second = tasks_reclaim(now=NOW)

    assert first == [str(task.pk)]
    assert second == []


@pytest.mark.django_db
def test_a_task_that_killed_its_worker_every_time_fails_naming_the_workers(database_tasks):
    task = claimed("w1", at=NOW - timedelta(hours=1))
    DBTaskResult.objects.filter(pk=task.pk).update(worker_ids=["w1", "w2", "w3"][:MAX_ATTEMPTS])

    assert tasks_reclaim(now=NOW) == []

    task.refresh_from_db()
    assert task.status == TaskResultStatus.FAILED
    assert task.exception_class_path == "meridian.core.leases.WorkerLost"
    assert "stopped 3 times (workers w1, w2, w3)" in task.traceback


@pytest.mark.django_db(transaction=True)
def test_a_recording_whose_worker_is_killed_mid_transcode_is_finished_by_another_worker(
    settings, tmp_path, workspace
):
    need(subprocess.run(["which", "ffmpeg"], capture_output=True).returncode == 0, "ffmpeg")
    env = worker_env(tmp_path)
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.DATA_DIR = tmp_path
    settings.TASKS = {
        "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default", "media"]}
    }
    # Matroska with H.264 needs a transcode: long enough at 640×360 to be killed in the middle.
    clip = tmp_path / "walkthrough.mkv"
    subprocess.run(
        ["ffmpeg", "-nostdin", "-v", "error", "-y",
         "-f", "lavfi", "-i", "testsrc2=duration=24:size=640x360:rate=25",
         "-c:v", "libx264", "-preset", "ultrafast", str(clip)],
        check=True,
    )  # fmt: skip
    author = person(workspace, "Europe/Berlin")
    brief = make_brief(author, [person(workspace, "Asia/Tokyo")], title="Quarterly walkthrough")
    recording = recording_create_from_file(
        acting=author, brief=brief, path=clip, filename="walkthrough.mkv"
    )
    task = DBTaskResult.objects.get(queue_name="media")
    workdir = processing_dir(recording.pk)
    log = tmp_path / "workers.log"

    first = start_worker(env, log, "--queue", "media", "--no-scheduler")
    try:
        running = wait_for(
            lambda: (
                DBTaskResult.objects.get(pk=task.pk).status == TaskResultStatus.RUNNING
                and workdir.exists()
            ),
            120,
        )
        time.sleep(1)  # ffmpeg is at work
        os.killpg(first.pid, signal.SIGKILL)
        first.wait(timeout=30)
    finally:
        if first.poll() is None:
            os.killpg(first.pid, signal.SIGKILL)
    assert running, log.read_text()
    assert Recording.objects.get(pk=recording.pk).status == RecordingStatus.PROCESSING
    assert workdir.exists()  # left behind by the killed worker

    second = start_worker(env, log, "--queue", "media", "--no-scheduler")
    try:
        finished = wait_for(
            lambda: Recording.objects.get(pk=recording.pk).status != RecordingStatus.PROCESSING,
            300,
        )
    finally:
        second.send_signal(signal.SIGTERM)
        second.wait(timeout=60)

    done = DBTaskResult.objects.get(pk=task.pk)
    recording.refresh_from_db()
    assert finished, log.read_text()
    assert recording.status == RecordingStatus.READY
    assert recording.playable_type == "video/webm"
    assert done.status == TaskResultStatus.SUCCESSFUL
    assert len(set(done.worker_ids)) == 2  # claimed by the killed worker, then by the other
    assert "queued again" in log.read_text()
    assert not workdir.exists()
    processed = AuditEntry.objects.filter(action="recording.process", object_id=str(recording.pk))
    assert processed.count() == 1
    stored = sorted(
        p.name for p in (tmp_path / "media" / Path(recording.original.name).parent).iterdir()
    )
    assert stored == ["original.mkv", "playable.webm", "thumbnail.jpg"]
    assert WorkerLease.objects.count() == 0  # the second worker released its lease on SIGTERM


@pytest.mark.django_db(transaction=True)
def test_an_rq_job_whose_worker_is_killed_is_run_again_by_another_worker(settings, tmp_path):
    import django_rq
    import redis

    from tests.core.slow_tasks import hold_media_queue
    from tests.core.test_worker import REDIS_URL, redis_answers

    connection = redis.Redis.from_url(REDIS_URL)
    need(redis_answers(connection), f"Redis at {REDIS_URL}")
    connection.flushdb()
    settings.TASKS = {
        "default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default", "media"]}
    }
    settings.RQ_QUEUES = {"default": {"URL": REDIS_URL}, "media": {"URL": REDIS_URL}}
    env = worker_env(tmp_path) | {"MERIDIAN_REDIS_URL": REDIS_URL}
    release = tmp_path / "release"
    log = tmp_path / "workers.log"
    queue = django_rq.get_queue("media")
    job_id = hold_media_queue.enqueue(release=str(release)).id

    workers = [start_worker(env, log, "--queue", "media", "--no-scheduler")]
    try:
        # Job status, not the registries: counting a registry runs RQ's cleanup in this
        # process, which has none of the worker's handlers.
        started = wait_for(lambda: queue.fetch_job(job_id).get_status() == "started", 90)
        time.sleep(1)  # the work horse is inside the task
        kill_with_descendants(workers[0].pid)  # the worker and its work horse
        workers[0].wait(timeout=30)
        workers.append(start_worker(env, log, "--queue", "media", "--no-scheduler"))
        # RQ's job heartbeat lasts 60 s beyond the monitoring interval; then the next
        # maintenance finds the job abandoned and queues it again.
        retried = wait_for(lambda: queue.fetch_job(job_id).meta.get("meridian_attempts") == 2, 150)
        release.touch()
        finished = wait_for(lambda: queue.fetch_job(job_id).get_status() == "finished", 60)
    finally:
        for worker in workers:
            kill_with_descendants(worker.pid)
            worker.wait(timeout=30)
        connection.flushdb()
        connection.close()

    output = log.read_text()
    assert started, output
    assert retried, output
    assert finished, output
    assert "queued again" in output


@pytest.mark.django_db
def test_a_recording_whose_processing_kept_killing_workers_is_failed_not_left_processing(
    database_tasks, settings, tmp_path, workspace, django_capture_on_commit_callbacks
):
    from tests.recordings.support import two_second_webm

    settings.MEDIA_ROOT = tmp_path / "media"
    author = person(workspace, "Europe/Berlin")
    brief = make_brief(author, [person(workspace, "Asia/Tokyo")], title="Release walkthrough")
    recording = recording_create_from_file(
        acting=author, brief=brief, path=two_second_webm(tmp_path), filename="walkthrough.webm"
    )
    recording_process_task.enqueue(recording_id=recording.pk)
    task = DBTaskResult.objects.get(status=TaskResultStatus.READY)
    task.claim("w1")
    DBTaskResult.objects.filter(pk=task.pk).update(
        worker_ids=["w1", "w2", "w3"], started_at=NOW - timedelta(hours=1)
    )

    settings.DATA_DIR = tmp_path
    processing_dir(recording.pk).mkdir(parents=True)  # what the last killed worker left

    with django_capture_on_commit_callbacks(execute=True):
        tasks_reclaim(now=NOW)

    recording.refresh_from_db()
    assert not processing_dir(recording.pk).exists()
    assert recording.status == RecordingStatus.FAILED
    assert recording.problem == "the background worker processing it stopped before finishing"
