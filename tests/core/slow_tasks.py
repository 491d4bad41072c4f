"""A task that stands in for a long transcode on the media queue, for the worker tests."""

import time
from pathlib import Path

from django.tasks import task


@task(queue_name="media")
def hold_media_queue(*, release: str) -> None:
    """Busy, as a transcode is, until the test creates the file ``release`` (two minutes at most)."""
    deadline = time.monotonic() + 120
    while not Path(release).exists() and time.monotonic() < deadline:
        time.sleep(0.1)
