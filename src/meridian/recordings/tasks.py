"""Background jobs of the recordings area."""

from typing import Any

from django.tasks import TaskResult, TaskResultStatus, task

from meridian.recordings.services import recording_process, recording_processing_failed

# Transcoding runs on a queue of its own, served by its own worker process (see
# meridian.core.management.commands.meridian_worker), so mail never waits behind it.
MEDIA_QUEUE = "media"


@task(queue_name=MEDIA_QUEUE)
def recording_process_task(*, recording_id: int) -> None:
    """Extract duration and thumbnail, and make a web-playable rendition when needed."""
    recording_process(recording_id=recording_id)


def processing_task_finished(sender: object, task_result: TaskResult, **kwargs: Any) -> None:
    """Signal receiver: a processing task that failed marks its recording as failed."""
    if task_result.status != TaskResultStatus.FAILED:
        return
    if task_result.task.module_path != recording_process_task.module_path:
        return
    recording_id = task_result.kwargs.get("recording_id")
    if isinstance(recording_id, int):
        recording_processing_failed(recording_id=recording_id)
