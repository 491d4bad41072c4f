"""Background jobs of the recordings area."""

from django.tasks import task

from meridian.recordings.services import recording_process

# Transcoding runs on a queue of its own, served by its own worker process (see
# meridian.core.management.commands.meridian_worker), so mail never waits behind it.
MEDIA_QUEUE = "media"


@task(queue_name=MEDIA_QUEUE)
def recording_process_task(*, recording_id: int) -> None:
    """Extract duration and thumbnail, and make a web-playable rendition when needed."""
    recording_process(recording_id=recording_id)
