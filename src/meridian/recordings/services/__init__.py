"""Every write of the recordings area: chunked uploads, recordings, processing, captions, progress.

An upload's bytes go to a partial file on disk in blocks, never into memory as a whole; the
database holds how many bytes are kept (the offset), which is where the next chunk must start.
When the last byte arrives the file is probed for what it really is, moved into storage and
becomes a Recording; the worker then adds duration, thumbnail and a web-playable rendition.

One module per concept, re-exported here so callers import from ``meridian.recordings.services``:
``uploads`` (chunked uploads), ``recordings`` (storing, processing and deleting recordings),
``captioning`` (caption files), ``transcripts`` (automatic transcripts), ``watching`` (watch progress) and ``common``.
"""

from meridian.recordings.services.captioning import caption_add, caption_bytes, caption_delete
from meridian.recordings.services.common import (
    BLOCK,
    CAPTION_MAX_BYTES,
    CHUNK_BYTES,
    CHUNK_MAX_BYTES,
    MAX_RANGES,
    MAX_SECONDS,
    Readable,
    partial_dir,
    partial_path,
)
from meridian.recordings.services.recordings import (
    attempt_dir,
    processing_dir,
    recording_create_from_file,
    recording_delete,
    recording_process,
    recording_processing_failed,
)
from meridian.recordings.services.transcripts import (
    chapters_set,
    transcript_correct,
    transcript_failed,
    transcript_make,
    transcript_queue,
)
from meridian.recordings.services.uploads import (
    upload_abandon,
    upload_append,
    upload_cancel,
    upload_create,
)
from meridian.recordings.services.watching import (
    player_rate_set,
    reaction_add,
    recording_view_record,
)

__all__ = [
    "BLOCK",
    "CAPTION_MAX_BYTES",
    "CHUNK_BYTES",
    "CHUNK_MAX_BYTES",
    "MAX_RANGES",
    "MAX_SECONDS",
    "Readable",
    "attempt_dir",
    "caption_add",
    "caption_bytes",
    "caption_delete",
    "chapters_set",
    "partial_dir",
    "partial_path",
    "player_rate_set",
    "processing_dir",
    "reaction_add",
    "recording_create_from_file",
    "recording_delete",
    "recording_process",
    "recording_processing_failed",
    "recording_view_record",
    "transcript_correct",
    "transcript_failed",
    "transcript_make",
    "transcript_queue",
    "upload_abandon",
    "upload_append",
    "upload_cancel",
    "upload_create",
]
