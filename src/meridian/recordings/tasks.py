"""Background jobs of the recordings area."""

from django.tasks import task

from meridian.recordings.services import recording_process


@task()
def recording_process_task(*, recording_id: int) -> None:
    """Extract duration and thumbnail, and make a web-playable rendition when needed."""
    recording_process(recording_id=recording_id)
