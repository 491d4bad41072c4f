"""Helpers of the recordings tests: sending a file in chunks, streams that break."""

import io
from pathlib import Path

from meridian.briefs.models import Brief
from meridian.recordings.models import Upload
from meridian.recordings.services import upload_append, upload_create
from meridian.workspaces.models import Membership
from tests.support import IMMEDIATE_TASKS  # noqa: F401 (re-exported for the recordings tests)


def send_file(member: Membership, brief: Brief, path: Path, chunk: int = 64 * 1024) -> Upload:
    """Upload a file through the chunked protocol's services, one chunk after another."""
    data = path.read_bytes()
    upload = upload_create(acting=member, brief=brief, filename=path.name, size=len(data))
    for start in range(0, len(data), chunk):
        piece = data[start : start + chunk]
        upload = upload_append(
            acting=member, upload=upload, offset=start, stream=io.BytesIO(piece), length=len(piece)
        )
    return upload


class BreaksAfter(io.RawIOBase):
    """A request body whose connection drops after ``limit`` bytes (as a cut network does)."""

    def __init__(self, data: bytes, limit: int) -> None:
        self.data = data
        self.limit = limit
        self.position = 0

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        if self.position >= self.limit:
            raise ConnectionResetError("the client went away")
        size = len(self.data) if size is None or size < 0 else size
        block = self.data[self.position : min(self.position + size, self.limit)]
        self.position += len(block)
        return block

    def readline(self, size: int = -1) -> bytes:  # WSGI input API
        return self.read(size)


class MustNotBeRead(io.RawIOBase):
    """A body that fails the test if anything reads it."""

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        raise AssertionError("the body was read although the chunk had to be refused first")

    def readline(self, size: int = -1) -> bytes:
        return self.read(size)


def victim_recording(admin: Membership, brief: Brief, folder: Path) -> dict[str, int]:
    """An upload in progress, a real recording and its captions, for the tenancy sweep."""
    import subprocess

    from meridian.recordings.models import Transcript, TranscriptSegment, TranscriptStatus
    from meridian.recordings.services import caption_add, recording_create_from_file

    clip = folder / "zeta.webm"
    subprocess.run(
        ["ffmpeg", "-nostdin", "-v", "error", "-y", "-f", "lavfi",
         "-i", "testsrc=duration=1:size=64x48:rate=5", "-c:v", "libvpx", str(clip)],
        check=True,
    )  # fmt: skip
    upload = upload_create(acting=admin, brief=brief, filename="Zeta Secret Works.webm", size=99)
    recording = recording_create_from_file(
        acting=admin, brief=brief, path=clip, filename="Zeta Secret Works.webm"
    )
    vtt = b"WEBVTT\n\n00:00:00.000 --> 00:00:01.000\nZed Secretname explains the plan\n"
    caption = caption_add(acting=admin, recording=recording, vtt=vtt, label="Zeta Secret Works")
    # An automatic transcript with one segment, so a foreign correction would find it.
    transcript = Transcript.objects.create(
        workspace_id=recording.workspace_id,
        recording=recording,
        status=TranscriptStatus.DONE,
        model_name="Whisper tiny.en",
    )
    TranscriptSegment.objects.create(
        workspace_id=recording.workspace_id,
        transcript=transcript,
        index=0,
        start=0.0,
        end=1.0,
        text="Zed Secretname explains the plan",
    )
    return {
        "upload_id": upload.pk,
        "recording_id": recording.pk,
        "caption_id": caption.pk,
        "index": 0,
    }


def two_second_webm(folder: Path) -> Path:
    """A real two-second WebM (VP8 test pattern and Opus tone), made with ffmpeg."""
    import subprocess

    path = folder / "walkthrough.webm"
    subprocess.run(
        ["ffmpeg", "-nostdin", "-v", "error", "-y",
         "-f", "lavfi", "-i", "testsrc=duration=2:size=320x240:rate=15",
         "-f", "lavfi", "-i", "sine=duration=2", "-c:v", "libvpx", "-c:a", "libopus", str(path)],
        check=True,
    )  # fmt: skip
    return path
