"""Demo data of the recordings area: a short real recording, made with ffmpeg's test pattern."""

import subprocess
import tempfile
from pathlib import Path

from meridian.briefs.models import Brief
from meridian.recordings import media
from meridian.recordings.models import Recording
from meridian.recordings.services import caption_add, recording_create_from_file, recording_process

SECONDS = 6
DEMO_CAPTIONS = """WEBVTT

00:00:00.000 --> 00:00:02.000
Here is the checkout page as it is today.

00:00:02.000 --> 00:00:04.000
The pricing toggle sits below the fold, so most people never see it.

00:00:04.000 --> 00:00:06.000
I propose moving it to the top; I need your feedback by Thursday.
"""


def demo_recording(brief: Brief) -> Recording | None:
    """Give an open brief a six-second walkthrough with captions (None when ffmpeg is missing).

    Idempotent: a brief that has a recording keeps it. Call it before the demo closes a brief
    (a closed brief is read-only).
    """
    existing = Recording.objects.filter(brief=brief).order_by("-created_at").first()
    if existing is not None:
        return existing
    ffmpeg = media.ffmpeg_path()
    if ffmpeg is None or media.ffprobe_path() is None:
        return None
    with tempfile.TemporaryDirectory(prefix="meridian-demo-") as tmp:
        path = Path(tmp) / "walkthrough.webm"
        subprocess.run(
            [ffmpeg, "-nostdin", "-v", "error", "-y",
             "-f", "lavfi", "-i", f"testsrc2=duration={SECONDS}:size=640x360:rate=24",
             "-f", "lavfi", "-i", f"sine=frequency=330:duration={SECONDS}",
             "-c:v", "libvpx", "-deadline", "realtime", "-cpu-used", "8", "-b:v", "600k",
             "-c:a", "libopus", "-b:a", "48k", str(path)],
            check=True,
            capture_output=True,
            timeout=120,
        )  # fmt: skip
        recording = recording_create_from_file(
            acting=brief.author, brief=brief, path=path, filename="walkthrough.webm"
        )
    caption_add(
        acting=brief.author,
        recording=recording,
        vtt=DEMO_CAPTIONS.encode(),
        language="en",
        label="English",
    )
    return recording_process(recording_id=recording.pk) or recording


def demo_recording_made(brief: Brief) -> bool:
    """Whether the demo brief now has a recording (briefs' demo asks at ``DEMO_RECORDING``)."""
    return demo_recording(brief) is not None
