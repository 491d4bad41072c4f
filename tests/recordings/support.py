"""Helpers of the recordings tests: sending a file in chunks, streams that break."""

import io
from pathlib import Path

from meridian.briefs.models import Brief
from meridian.recordings.models import Upload
from meridian.recordings.services import upload_append, upload_create
from meridian.workspaces.models import Membership

IMMEDIATE_TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}


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
