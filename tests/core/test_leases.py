"""A worker killed mid-task loses nothing: another worker takes the task over, once."""

import contextlib
import os
import shutil
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
from meridian.recordings.services import (
    attempt_dir,
    processing_dir,
    recording_create_from_file,
)
from meridian.recordings.tasks import processing_task_finished, recording_process_task
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


def gated_ffmpeg(folder: Path) -> tuple[Path, Path, Path]:
    """A folder with an ``ffmpeg`` that waits, as if at work, until the test opens its gate.

    It writes its process id to ``started`` first; once ``gate`` exists it is the real ffmpeg.
    """
    real = shutil.which("ffmpeg")
    assert real is not None
    bin_dir, started, gate = folder / "bin", folder / "ffmpeg-started", folder / "ffmpeg-gate"
    bin_dir.mkdir()
    fake = bin_dir / "ffmpeg"
    fake.write_text(
        "#!/bin/sh\n"
        f'[ -e "{gate}" ] || {{ echo $$ > "{started}"; while [ ! -e "{gate}" ]; do sleep 0.1; done; }}\n'
        f'exec "{real}" "$@"\n'
    )
    fake.chmod(0o755)
    return bin_dir, started, gate


def _process_ended(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().rsplit(")", 1)[1].split()[0] == "Z"
    except FileNotFoundError:
        return True


@pytest.mark.django_db(transaction=True)
def test_a_recording_whose_worker_is_killed_mid_transcode_is_finished_by_another_worker(
    settings, tmp_path, workspace
):
    need(shutil.which("ffmpeg") is not None, "ffmpeg")
    bin_dir, started, gate = gated_ffmpeg(tmp_path)
    env = worker_env(tmp_path)
    env["PATH"] = f"{bin_dir}{os.pathsep}{env.get('PATH', os.defpath)}"
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.DATA_DIR = tmp_path
    settings.TASKS = {
        "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default", "media"]}
    }
    # Matroska with H.264 needs a transcode.
    clip = tmp_path / "walkthrough.mkv"
    subprocess.run(
        ["ffmpeg", "-nostdin", "-v", "error", "-y",
         "-f", "lavfi", "-i", "testsrc2=duration=6:size=640x360:rate=25",
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
    first_attempt = attempt_dir(recording.pk, task_id=str(task.pk), attempt=1)
    log = tmp_path / "workers.log"

    first = start_worker(env, log, "--queue", "media", "--no-scheduler")
    try:
        # The transcode has begun (and waits at the gate): the worker dies in the middle of it.
        transcoding = wait_for(lambda: started.exists() and started.read_text().strip() != "", 120)
        assert transcoding, log.read_text()
        ffmpeg_pid = int(started.read_text())
        first.kill()  # the worker alone: its ffmpeg must die with it
        first.wait(timeout=30)
        ffmpeg_died = wait_for(lambda: _process_ended(ffmpeg_pid), 10)
    finally:
        kill_with_descendants(first.pid)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(first.pid, signal.SIGKILL)
    assert ffmpeg_died, "ffmpeg outlived the worker that started it"
    assert Recording.objects.get(pk=recording.pk).status == RecordingStatus.PROCESSING
    assert first_attempt.exists()  # left behind by the killed worker

    gate.touch()
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
        # RQ's heartbeat of a job lasts 60 s beyond the monitoring interval (RQ's own
        # constant), so its dead worker's entry in the started registry lapses a minute after
        # the kill. Move that lapse to now rather than sit out the minute: what follows is
        # unchanged, the next worker's maintenance finds the job abandoned and queues it again.
        registry = queue.started_job_registry
        for entry in connection.zrange(registry.key, 0, -1):
            if entry.decode().startswith(f"{job_id}:"):
                connection.zadd(registry.key, {entry: time.time() - 1}, xx=True)
        workers.append(start_worker(env, log, "--queue", "media", "--no-scheduler"))
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


def _queued_recording(settings, tmp_path, workspace):
    """A brief's uploaded walkthrough whose processing task waits in the queue."""
    from tests.recordings.support import two_second_webm

    settings.MEDIA_ROOT = tmp_path / "media"
    author = person(workspace, "Europe/Berlin")
    brief = make_brief(author, [person(workspace, "Asia/Tokyo")], title="Release walkthrough")
    recording = recording_create_from_file(
        acting=author, brief=brief, path=two_second_webm(tmp_path), filename="walkthrough.webm"
    )
    recording_process_task.enqueue(recording_id=recording.pk)
    return recording


@pytest.mark.django_db
def test_a_recording_whose_processing_kept_killing_workers_is_failed_not_left_processing(
    database_tasks, settings, tmp_path, workspace, django_capture_on_commit_callbacks
):
    recording = _queued_recording(settings, tmp_path, workspace)
    task = DBTaskResult.objects.get(status=TaskResultStatus.READY)
    task.claim("w1")
    DBTaskResult.objects.filter(pk=task.pk).update(
        worker_ids=["w1", "w2", "w3"], started_at=NOW - timedelta(hours=1)
    )

    settings.DATA_DIR = tmp_path
    for attempt in (1, 3):  # what killed workers left
        attempt_dir(recording.pk, task_id=str(task.pk), attempt=attempt).mkdir(parents=True)

    with django_capture_on_commit_callbacks(execute=True):
        tasks_reclaim(now=NOW)

    recording.refresh_from_db()
    assert not processing_dir(recording.pk).exists()
    assert recording.status == RecordingStatus.FAILED
    assert recording.problem == "the background worker processing it stopped before finishing"


@pytest.mark.django_db
def test_a_run_that_lost_its_lease_and_then_failed_leaves_the_attempt_that_took_over_alone(
    database_tasks, settings, tmp_path, workspace
):
    settings.DATA_DIR = tmp_path
    recording = _queued_recording(settings, tmp_path, workspace)
    stale = DBTaskResult.objects.get(status=TaskResultStatus.READY)
    stale.claim("paused-worker")
    # Its beats failed past the lease: the task went to another worker, which runs it now.
    DBTaskResult.objects.filter(pk=stale.pk).update(status=TaskResultStatus.READY)
    DBTaskResult.objects.get(pk=stale.pk).claim("other-worker")
    ours = attempt_dir(recording.pk, task_id=str(stale.pk), attempt=2)
    ours.mkdir(parents=True)
    (ours / "playable.webm").write_bytes(b"half a transcode")

    # The paused worker wakes up, and its run fails (django-tasks-db records it as it does).
    stale.set_failed(RuntimeError("ffmpeg failed"))
    processing_task_finished(sender=None, task_result=stale.task_result)

    recording.refresh_from_db()
    assert (ours / "playable.webm").read_bytes() == b"half a transcode"
    assert recording.status == RecordingStatus.PROCESSING


@pytest.mark.django_db
def test_a_failed_processing_task_of_its_latest_attempt_fails_the_recording(
    database_tasks, settings, tmp_path, workspace
):
    settings.DATA_DIR = tmp_path
    recording = _queued_recording(settings, tmp_path, workspace)
    task = DBTaskResult.objects.get(status=TaskResultStatus.READY)
    task.claim("only-worker")
    attempt_dir(recording.pk, task_id=str(task.pk), attempt=1).mkdir(parents=True)

    task.set_failed(RuntimeError("the disk is full"))
    processing_task_finished(sender=None, task_result=task.task_result)

    recording.refresh_from_db()
    assert recording.status == RecordingStatus.FAILED
    assert not processing_dir(recording.pk).exists()
