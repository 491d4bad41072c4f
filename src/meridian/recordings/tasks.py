"""Background jobs of the recordings area."""

from typing import Any

from django.tasks import TaskContext, TaskResult, TaskResultStatus, task
from django.tasks.exceptions import TaskResultDoesNotExist

from meridian.recordings.services import (
    recording_process,
    recording_processing_failed,
    transcript_failed,
    transcript_make,
)

# Transcoding runs on a queue of its own, served by its own worker process (see
# meridian.core.management.commands.meridian_worker), so mail never waits behind it.
MEDIA_QUEUE = "media"


@task(queue_name=MEDIA_QUEUE, takes_context=True)
def recording_process_task(context: TaskContext, *, recording_id: int) -> None:
    """Extract duration and thumbnail, and make a web-playable rendition when needed."""
    recording_process(
        recording_id=recording_id,
        task_id=str(context.task_result.id),
        attempt=context.attempt,
    )


@task(queue_name=MEDIA_QUEUE, takes_context=True)
def transcript_make_task(context: TaskContext, *, recording_id: int) -> None:
    """Transcribe a processed recording with the local model (on the media worker)."""
    transcript_make(
        recording_id=recording_id,
        task_id=str(context.task_result.id),
        attempt=context.attempt,
    )


def processing_task_finished(sender: object, task_result: TaskResult, **kwargs: Any) -> None:
    """Signal receiver: a processing (transcription) task that failed marks its recording
    (transcript) as failed.

    Only when the failed run is the task's latest attempt: a worker whose lease lapsed while
    it still ran can fail after another worker took the task over, and that attempt decides.
    """
    if task_result.status != TaskResultStatus.FAILED:
        return
    path = task_result.task.module_path
    if path not in (recording_process_task.module_path, transcript_make_task.module_path):
        return
    recording_id = task_result.kwargs.get("recording_id")
    if not isinstance(recording_id, int):
        return
    if _later_attempts(task_result):
        return
    if path == transcript_make_task.module_path:
        transcript_failed(recording_id=recording_id)
        return
    recording_processing_failed(
        recording_id=recording_id, task_id=str(task_result.id), attempts=task_result.attempts
    )


def _later_attempts(task_result: TaskResult) -> bool:
    """Whether the task was claimed again after the attempt that reported ``task_result``."""
    backend = task_result.task.get_backend()
    if not backend.supports_get_result:
        return False
    try:
        latest = backend.get_result(task_result.id)
    except TaskResultDoesNotExist:
        return False
    return latest.attempts > task_result.attempts
