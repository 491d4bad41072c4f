"""What the recordings services share: limits, the partial files of uploads, file names."""

import logging
from pathlib import Path
from typing import Protocol

from django.conf import settings
from django.utils.text import get_valid_filename

from meridian.core.errors import TooLarge, size_label
from meridian.recordings.models import Upload

logger = logging.getLogger("meridian.recordings.services")

# The chunk size the server suggests, and the most one request may carry.
CHUNK_BYTES = 8 * 1024 * 1024
CHUNK_MAX_BYTES = 64 * 1024 * 1024
# Bytes read from the request and written to disk at a time.
BLOCK = 256 * 1024
CAPTION_MAX_BYTES = 2 * 1024 * 1024
MAX_RANGES = 500
MAX_SECONDS = 24 * 3600.0


class Readable(Protocol):
    def read(self, size: int = -1, /) -> bytes: ...


def partial_dir() -> Path:
    """Where unfinished uploads are kept (every web process of an install must share it)."""
    return Path(settings.MEDIA_ROOT) / "uploads" / "partial"


def partial_path(upload: Upload) -> Path:
    return partial_dir() / f"{upload.pk}.part"


def _clean_filename(filename: str, default: str = "recording") -> str:
    name = filename.replace("\\", "/").rsplit("/", 1)[-1].strip()
    return (get_valid_filename(name) if name.strip(". ") else "")[:200] or default


def _over_cap(size: int) -> TooLarge:
    limit = settings.UPLOAD_MAX_BYTES
    message = (
        f"The file is {size_label(size)}, larger than the limit of {size_label(limit)} "
        f"({limit} bytes) per recording."
    )
    return TooLarge(message, {"size": [message]})
