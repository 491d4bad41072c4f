"""Every write of the recordings area: chunked uploads, recordings, processing, captions, progress.

An upload's bytes go to a partial file on disk in blocks, never into memory as a whole; the
database holds how many bytes are kept (the offset), which is where the next chunk must start.
When the last byte arrives the file is probed for what it really is, moved into storage and
becomes a Recording; the worker then adds duration, thumbnail and a web-playable rendition.
"""

import contextlib
import fcntl
import logging
import math
import os
import secrets
import shutil
import subprocess
from collections.abc import Iterator, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import IO, Protocol

from django.conf import settings
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone
from django.utils.text import get_valid_filename

from meridian.briefs.models import Brief
from meridian.core.errors import Conflict, TooLarge, ValidationFailed, size_label
from meridian.core.services import audit_record
from meridian.recordings import captions, media
from meridian.recordings.access import require_manage
from meridian.recordings.errors import (
    Busy,
    ChunkInterrupted,
    Gone,
    LengthRequired,
    OffsetMismatch,
)
from meridian.recordings.models import (
    Caption,
    CaptionCue,
    Recording,
    RecordingStatus,
    RecordingView,
    Upload,
    UploadStatus,
)
from meridian.recordings.progress import clip_ranges, merge_ranges, watched_fraction
from meridian.workspaces.models import Membership

logger = logging.getLogger(__name__)

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


# --- Chunked upload -----------------------------------------------------------------------


@transaction.atomic
def upload_create(*, acting: Membership, brief: Brief, filename: str, size: int) -> Upload:
    """Announce a file of ``size`` bytes for a brief; its bytes follow in chunks."""
    require_manage(acting, brief)
    if size < 1:
        raise ValidationFailed.field("size", "Give the file's size in bytes (at least 1).")
    if size > settings.UPLOAD_MAX_BYTES:
        raise _over_cap(size)
    upload = Upload.objects.create(
        workspace_id=acting.workspace_id,
        brief=brief,
        created_by=acting,
        filename=_clean_filename(filename),
        size=size,
    )
    audit_record(actor=acting, action="upload.create", obj=upload, data={"size": size})
    return upload


def upload_append(
    *, acting: Membership, upload: Upload, offset: int, stream: Readable, length: int | None
) -> Upload:
    """Write one chunk that starts at ``offset``; the last chunk turns the upload into a recording.

    Whatever part of a chunk arrives is kept, so a cut connection loses nothing: the client
    asks for the offset and goes on from there. The chunk is refused before any byte is read
    when it does not start at the upload's offset or would pass the declared size.

    The request that writes the last byte claims the upload (FINISHING) and holds the partial
    file's lock while it probes and stores the file; others are answered "finishing". When
    finishing fails the upload is back to RECEIVING at the full offset with its partial file
    intact, so resending the empty last chunk finishes it again.
    """
    if upload.status == UploadStatus.COMPLETE:
        if offset == upload.size and not length:
            return upload  # a retried last chunk whose answer was lost
        raise Conflict("This upload is complete; it became a recording.")
    if upload.status == UploadStatus.REJECTED:
        raise ValidationFailed.field("file", upload.problem)
    require_manage(acting, upload.brief)
    if length is None:
        raise LengthRequired("Send each chunk with a Content-Length header.")
    if offset != upload.offset:
        raise OffsetMismatch(upload.offset)
    remaining = upload.size - upload.offset
    if length > remaining:
        raise TooLarge(
            f"This chunk of {length} bytes goes past the upload's declared size of "
            f"{upload.size} bytes; {remaining} bytes remain to be sent."
        )
    if length > CHUNK_MAX_BYTES:
        raise TooLarge(f"A chunk may carry at most {size_label(CHUNK_MAX_BYTES)}.")
    path = partial_path(upload)
    path.parent.mkdir(parents=True, exist_ok=True)
    with _locked(path, upload) as handle:
        # Another request may have written between our read of the offset and the lock.
        _refresh_or_gone(upload)
        if upload.status == UploadStatus.COMPLETE and offset == upload.size and not length:
            return upload  # finished by the request this one waited for
        if upload.status == UploadStatus.FINISHING:
            # Whoever finishes holds the lock to the end; holding it ourselves means that
            # request died mid-way (its process ended). The partial file is whole: go on.
            Upload.objects.filter(pk=upload.pk, status=UploadStatus.FINISHING).update(
                status=UploadStatus.RECEIVING
            )
            upload.status = UploadStatus.RECEIVING
        if upload.status != UploadStatus.RECEIVING or upload.offset != offset:
            raise OffsetMismatch(upload.offset)
        kept = os.fstat(handle.fileno()).st_size
        if kept < offset:
            # The partial file holds fewer bytes than the database counts (it was lost or
            # cut short): never pad it; the client resumes from what is really there.
            logger.warning("Upload %s: partial file has %s of %s bytes", upload.pk, kept, offset)
            Upload.objects.filter(
                pk=upload.pk, status=UploadStatus.RECEIVING, offset=offset
            ).update(offset=kept, updated_at=timezone.now())
            upload.offset = kept
            raise OffsetMismatch(kept)
        handle.truncate(offset)  # bytes past the offset were never acknowledged
        handle.seek(offset)
        received = _copy(stream, handle, length)
        handle.flush()
        os.fdatasync(handle.fileno())
        new_offset = offset + received
        last = new_offset == upload.size
        # The write and, with the last byte, the claim to finish: only while the upload is
        # still the one we locked (not cancelled or abandoned meanwhile).
        changed = Upload.objects.filter(
            pk=upload.pk, status=UploadStatus.RECEIVING, offset=offset
        ).update(
            offset=new_offset,
            status=UploadStatus.FINISHING if last else UploadStatus.RECEIVING,
            updated_at=timezone.now(),
        )
        if not changed:
            raise Gone("This upload was cancelled or removed while the chunk was stored.")
        upload.offset = new_offset
        if received < length:
            raise ChunkInterrupted(received, length, upload.offset)
        if last:
            upload.status = UploadStatus.FINISHING
            try:
                _upload_finish(acting=acting, upload=upload, path=path)
            except BaseException:
                if upload.status == UploadStatus.FINISHING:  # failed, not refused: retry later
                    Upload.objects.filter(pk=upload.pk, status=UploadStatus.FINISHING).update(
                        status=UploadStatus.RECEIVING, updated_at=timezone.now()
                    )
                    upload.status = UploadStatus.RECEIVING
                raise
    return upload


def _refresh_or_gone(upload: Upload) -> None:
    try:
        upload.refresh_from_db(fields=["offset", "status", "recording"])
    except Upload.DoesNotExist:
        raise Gone("This upload was cancelled or removed; start a new one.") from None


@contextlib.contextmanager
def _locked(path: Path, upload: Upload) -> Iterator[IO[bytes]]:
    """The partial file, open for writing and locked against a second writer."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    with open(fd, "r+b") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            _refresh_or_gone(upload)
            raise Busy(upload.offset, finishing=upload.status == UploadStatus.FINISHING) from None
        yield handle


def _copy(stream: Readable, handle: IO[bytes], length: int) -> int:
    """Copy up to ``length`` bytes in blocks; stop quietly where the client's stream breaks."""
    received = 0
    while received < length:
        try:
            block = stream.read(min(BLOCK, length - received))
        except OSError:  # the connection broke (Django's UnreadablePostError is one)
            break
        if not block:
            break
        handle.write(block)
        received += len(block)
    return received


def _upload_finish(*, acting: Membership, upload: Upload, path: Path) -> None:
    """Probe the complete file; keep it as a recording, or refuse it and remove it.

    Called with the upload claimed (FINISHING) and its partial file locked. The partial file
    is removed only once the recording has committed.
    """
    try:
        found = media.probe(path)
    except media.NotMedia as exc:
        with transaction.atomic():
            refused = Upload.objects.filter(pk=upload.pk, status=UploadStatus.FINISHING).update(
                status=UploadStatus.REJECTED, problem=str(exc), updated_at=timezone.now()
            )
            if not refused:
                raise Gone("This upload was cancelled or removed while it was finishing.") from None
            audit_record(
                actor=acting, action="upload.reject", obj=upload, data={"reason": str(exc)}
            )
        path.unlink(missing_ok=True)
        upload.status, upload.problem = UploadStatus.REJECTED, str(exc)
        raise ValidationFailed.field("file", str(exc)) from None
    recording = _recording_store(
        acting=acting, brief=upload.brief, path=path, filename=upload.filename, found=found,
        upload=upload,
    )  # fmt: skip
    upload.status, upload.recording = UploadStatus.COMPLETE, recording


# Upload states that may be cancelled by the uploader or removed when quiet for too long.
_REMOVABLE = (UploadStatus.RECEIVING, UploadStatus.REJECTED)


@transaction.atomic
def upload_cancel(*, acting: Membership, upload: Upload) -> None:
    """The uploader gives up an unfinished upload; its partial file is removed."""
    if upload.status == UploadStatus.COMPLETE:
        raise Conflict("This upload is complete; delete its recording instead.")
    path = partial_path(upload)
    deleted, _ = Upload.objects.filter(pk=upload.pk, status__in=_REMOVABLE).delete()
    if not deleted:
        current = Upload.objects.filter(pk=upload.pk).values_list("status", flat=True).first()
        if current is None:
            return  # already gone
        raise Conflict(
            "This upload is finishing or complete; wait for its recording, then delete that."
        )
    audit_record(actor=acting, action="upload.cancel", obj=upload)
    transaction.on_commit(lambda: path.unlink(missing_ok=True))


def upload_abandon(*, upload: Upload, before: datetime | None = None) -> bool:
    """Remove an upload nobody has sent a chunk to since ``before`` (scheduler).

    Done under the partial file's lock and only while the upload is still quiet, so a chunk
    being written or a file being finished is never removed; a FINISHING upload whose lock
    is free was left by a request that died. Answers whether the upload was removed.
    """
    path = partial_path(upload)
    if not path.parent.is_dir():
        path.parent.mkdir(parents=True, exist_ok=True)
    try:
        with _locked(path, upload), transaction.atomic():
            quiet = Upload.objects.select_for_update().filter(
                pk=upload.pk,
                status__in=[*_REMOVABLE, UploadStatus.FINISHING],
                updated_at__lt=before or upload.updated_at + timedelta(microseconds=1),
            )
            current = quiet.first()
            if current is None:
                return False
            audit_record(
                actor=None,
                action="upload.abandon",
                obj=current,
                workspace=upload.workspace,
                data={"offset": current.offset, "size": current.size},
            )
            current.delete()
            transaction.on_commit(lambda: path.unlink(missing_ok=True))
    except (Busy, Gone):
        return False  # a request is working on it right now, or it is gone already
    return True


# --- Recordings ---------------------------------------------------------------------------


class _LocalFile(File):
    """A file on local disk that FileSystemStorage may move into place instead of copying."""

    def temporary_file_path(self) -> str:
        return str(self.name)


def recording_create_from_file(
    *, acting: Membership, brief: Brief, path: Path, filename: str
) -> Recording:
    """Make a recording from a complete file on local disk (moved into storage), if it is media.

    Used for a file sent in one piece (the page's plain upload form) and by the demo.
    """
    require_manage(acting, brief)
    size = path.stat().st_size
    if size > settings.UPLOAD_MAX_BYTES:
        path.unlink(missing_ok=True)
        raise _over_cap(size)
    try:
        found = media.probe(path)
    except media.NotMedia as exc:
        path.unlink(missing_ok=True)
        raise ValidationFailed.field("file", str(exc)) from None
    return _recording_store(
        acting=acting, brief=brief, path=path, filename=_clean_filename(filename), found=found
    )


def _recording_store(
    *,
    acting: Membership,
    brief: Brief,
    path: Path,
    filename: str,
    found: media.Probe,
    upload: Upload | None = None,
) -> Recording:
    size = path.stat().st_size
    folder = f"recordings/{brief.workspace_id}/{secrets.token_hex(12)}"
    target = f"{folder}/original{found.extension}"
    if upload is None:
        with open(path, "rb") as handle:
            name = default_storage.save(target, _LocalFile(handle, str(path)))
        path.unlink(missing_ok=True)  # moved by local storage; copied by any other
    else:
        # The partial file stays whole until the recording commits, so a failure here leaves
        # an upload that can be finished again: storage moves a second name of it (a hard
        # link), or copies it where a link cannot be made.
        name = _store_copy(path, target)
    try:
        with transaction.atomic():
            require_manage(acting, Brief.objects.get(pk=brief.pk))
            recording = Recording.objects.create(
                workspace_id=brief.workspace_id,
                brief=brief,
                created_by=acting,
                filename=filename,
                kind=found.kind,
                container=found.container,
                original=name,
                content_type=found.content_type,
                size=size,
                duration=found.duration,
                width=found.width,
                height=found.height,
            )
            if upload is not None:
                done = Upload.objects.filter(
                    pk=upload.pk, status=UploadStatus.FINISHING, offset=size
                ).update(
                    status=UploadStatus.COMPLETE, recording=recording, updated_at=timezone.now()
                )
                if not done:
                    raise Gone("This upload was cancelled or removed while it was finishing.")
                transaction.on_commit(lambda: path.unlink(missing_ok=True))
            audit_record(
                actor=acting,
                action="recording.create",
                obj=recording,
                data={"brief": brief.pk, "size": size, "type": found.content_type},
            )
            transaction.on_commit(lambda: _enqueue_processing(recording.pk))
    except BaseException:
        default_storage.delete(name)
        raise
    return recording


def _store_copy(path: Path, target: str) -> str:
    """Save the file at ``path`` to storage as ``target``, leaving ``path`` in place."""
    link = path.with_name(f"{path.name}.{secrets.token_hex(6)}.store")
    try:
        os.link(path, link)
    except OSError:
        with open(path, "rb") as handle:
            return default_storage.save(target, File(handle, path.name))
    try:
        with open(link, "rb") as handle:
            return default_storage.save(target, _LocalFile(handle, str(link)))
    finally:
        link.unlink(missing_ok=True)  # moved by local storage; copied by any other


def _enqueue_processing(recording_id: int) -> None:
    from meridian.recordings.tasks import recording_process_task

    recording_process_task.enqueue(recording_id=recording_id)


@contextlib.contextmanager
def _local_copy(name: str, workdir: Path) -> Iterator[Path]:
    """A path on local disk holding the stored file: the file itself where storage has one."""
    try:
        yield Path(default_storage.path(name))
        return
    except NotImplementedError:
        pass
    target = workdir / ("source" + Path(name).suffix)
    with default_storage.open(name, "rb") as source, target.open("wb") as copy:
        shutil.copyfileobj(source, copy, BLOCK)
    yield target


def processing_dir(recording_id: int) -> Path:
    """The recording's work directory, holding one directory per attempt at processing it.

    It is under this instance's data directory, so two instances on one machine never share it.
    """
    return Path(settings.DATA_DIR) / "work" / f"recording-{recording_id}"


def attempt_dir(recording_id: int, *, task_id: str, attempt: int) -> Path:
    """The work directory of one attempt (one claim of the task) at processing a recording.

    Two attempts never share one: a worker whose lease lapsed while it still ran (a long
    database lock, a paused machine) goes on in its own directory beside the attempt that
    took its task over, and neither removes the other's files mid-transcode.
    """
    return processing_dir(recording_id) / f"{get_valid_filename(task_id)}-{attempt}"


def _attempts_remove(recording_id: int, *, task_id: str, upto: int) -> None:
    """Remove the work directories of the task's attempts 1..``upto`` (what killed ones left)."""
    for attempt in range(1, upto + 1):
        shutil.rmtree(attempt_dir(recording_id, task_id=task_id, attempt=attempt), True)
    with contextlib.suppress(OSError):  # another task's attempt still works in it
        processing_dir(recording_id).rmdir()


@contextlib.contextmanager
def _workdir(recording_id: int, *, task_id: str, attempt: int) -> Iterator[Path]:
    folder = attempt_dir(recording_id, task_id=task_id, attempt=attempt)
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(mode=0o700, parents=True)
    try:
        yield folder
    finally:
        # A worker killed mid-transcode leaves its directory behind; a later attempt removes
        # it once that attempt is over (an earlier one still running no longer decides).
        _attempts_remove(recording_id, task_id=task_id, upto=attempt)


def recording_process(
    *, recording_id: int, task_id: str = "", attempt: int = 1
) -> Recording | None:
    """Add duration, thumbnail and, when needed, a web-playable rendition (idempotent).

    Without ffmpeg the recording is ready as it is: the original plays. A failure keeps the
    original playable and records the reason. ``task_id`` and ``attempt`` name the work
    directory; called outside a task, the run gets one of its own.
    """
    recording = Recording.objects.filter(pk=recording_id).first()
    if recording is None or recording.status != RecordingStatus.PROCESSING:
        return recording
    if media.ffmpeg_path() is None or media.ffprobe_path() is None:
        _processing_done(recording, status=RecordingStatus.READY, fields={})
        recording.refresh_from_db()
        return recording
    original = str(recording.original.name)
    folder = original.rsplit("/", 1)[0]
    saved: list[str] = []
    task_id = task_id or f"direct-{secrets.token_hex(6)}"
    with _workdir(recording.pk, task_id=task_id, attempt=attempt) as workdir:
        try:
            with _local_copy(original, workdir) as source:
                result = media.process(source, workdir)
        except (media.NotMedia, RuntimeError, OSError, subprocess.TimeoutExpired) as exc:
            logger.warning("Processing recording %s failed: %s", recording.pk, exc)
            _processing_done(
                recording, status=RecordingStatus.FAILED, fields={"problem": str(exc)[:1000]}
            )
            recording.refresh_from_db()
            return recording
        fields: dict[str, object] = {
            "duration": result.duration or recording.duration,
            "width": result.width or recording.width,
            "height": result.height or recording.height,
        }
        if result.thumbnail:
            with result.thumbnail.open("rb") as handle:
                fields["thumbnail"] = default_storage.save(f"{folder}/thumbnail.jpg", File(handle))
                saved.append(str(fields["thumbnail"]))
        if result.playable:
            with result.playable.open("rb") as handle:
                name = f"{folder}/playable{result.playable.suffix}"
                fields["playable"] = default_storage.save(name, File(handle))
                saved.append(str(fields["playable"]))
            fields["playable_type"] = result.playable_type
    if not _processing_done(recording, status=RecordingStatus.READY, fields=fields):
        for name in saved:  # another worker finished first: keep its files, not ours
            default_storage.delete(name)
    recording.refresh_from_db()
    return recording


def recording_processing_failed(*, recording_id: int, task_id: str, attempts: int) -> None:
    """The processing task failed for good: the recording is failed, and its original plays.

    Called for the task's latest attempt only (see recordings.tasks): what its killed
    attempts left in their work directories goes too. A recording already processed stays so.
    """
    _attempts_remove(recording_id, task_id=task_id, upto=attempts)
    recording = Recording.objects.filter(pk=recording_id).first()
    if recording is None:
        return
    _processing_done(
        recording,
        status=RecordingStatus.FAILED,
        fields={"problem": "the background worker processing it stopped before finishing"},
    )


def _processing_done(recording: Recording, *, status: str, fields: dict[str, object]) -> bool:
    with transaction.atomic():
        changed = Recording.objects.filter(
            pk=recording.pk, status=RecordingStatus.PROCESSING
        ).update(status=status, processed_at=timezone.now(), **fields)
        if changed:
            audit_record(
                actor=None,
                action="recording.process",
                obj=recording,
                workspace=recording.workspace,
                data={"status": status, "duration": fields.get("duration")},
            )
    return bool(changed)


@transaction.atomic
def recording_delete(*, acting: Membership, recording: Recording) -> None:
    """Delete a recording and its files (after the deletion commits)."""
    require_manage(acting, recording.brief)
    names = [
        str(f.name) for f in (recording.original, recording.playable, recording.thumbnail) if f
    ]
    audit_record(actor=acting, action="recording.delete", obj=recording)
    recording.delete()

    def remove() -> None:
        for name in names:
            default_storage.delete(name)

    transaction.on_commit(remove)


# --- Captions -----------------------------------------------------------------------------


def caption_bytes(file: Readable) -> bytes:
    """An uploaded caption file's bytes, refused by its size before it is read (at most the cap)."""
    message = f"A caption file may be at most {size_label(CAPTION_MAX_BYTES)}."
    size = getattr(file, "size", None)
    if isinstance(size, int) and size > CAPTION_MAX_BYTES:
        raise TooLarge(message, {"file": [message]})
    data = file.read(CAPTION_MAX_BYTES + 1)
    if len(data) > CAPTION_MAX_BYTES:
        raise TooLarge(message, {"file": [message]})
    return data


@transaction.atomic
def caption_add(
    *, acting: Membership, recording: Recording, vtt: bytes, language: str = "en", label: str = ""
) -> Caption:
    """Attach a WebVTT caption track, parsed into cues (the transcript under the player)."""
    require_manage(acting, recording.brief)
    if len(vtt) > CAPTION_MAX_BYTES:
        raise TooLarge(f"A caption file may be at most {size_label(CAPTION_MAX_BYTES)}.")
    try:
        text = vtt.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationFailed.field("file", "A WebVTT file must be UTF-8 text.") from None
    try:
        cues = captions.parse_vtt(text)
    except captions.BadCaptions as exc:
        raise ValidationFailed.field("file", str(exc)) from None
    language = (language or "en").strip()[:35]
    caption = Caption.objects.create(
        workspace_id=recording.workspace_id,
        recording=recording,
        created_by=acting,
        language=language,
        label=(label or "").strip()[:100] or language,
    )
    CaptionCue.objects.bulk_create(
        CaptionCue(
            workspace_id=recording.workspace_id,
            caption=caption,
            index=i,
            start=cue.start,
            end=cue.end,
            text=cue.text,
        )
        for i, cue in enumerate(cues)
    )
    audit_record(actor=acting, action="caption.add", obj=caption, data={"cues": len(cues)})
    return caption


@transaction.atomic
def caption_delete(*, acting: Membership, caption: Caption) -> None:
    """Remove a caption track and its cues."""
    require_manage(acting, caption.recording.brief)
    audit_record(actor=acting, action="caption.delete", obj=caption)
    caption.delete()


# --- Watch progress -----------------------------------------------------------------------


def _valid_ranges(ranges: Sequence[Sequence[float]]) -> list[tuple[float, float]]:
    if len(ranges) > MAX_RANGES:
        raise ValidationFailed.field("ranges", f"Send at most {MAX_RANGES} ranges at a time.")
    valid = []
    for pair in ranges:
        if len(pair) != 2:
            raise ValidationFailed.field("ranges", "Each range is [start, end] in seconds.")
        start, end = float(pair[0]), float(pair[1])
        if (
            not (math.isfinite(start) and math.isfinite(end))
            or not 0 <= start <= end <= MAX_SECONDS
        ):
            raise ValidationFailed.field(
                "ranges", "Each range is [start, end] with 0 ≤ start ≤ end, in seconds."
            )
        valid.append((start, end))
    return valid


@transaction.atomic
def recording_view_record(
    *,
    viewer: Membership,
    recording: Recording,
    ranges: Sequence[Sequence[float]],
    position: float = 0.0,
    duration: float | None = None,
) -> RecordingView:
    """Add the time ranges a member just watched to their progress on the recording.

    The player sends this every few seconds, so only the first view is audited. The duration
    the player reports is used only while the server does not know the recording's own.
    """
    watched = _valid_ranges(ranges)
    length = recording.duration or (
        duration if duration and math.isfinite(duration) and 0 < duration <= MAX_SECONDS else None
    )
    view, created = RecordingView.objects.select_for_update().get_or_create(
        recording=recording,
        membership=viewer,
        defaults={"workspace_id": recording.workspace_id},
    )
    merged = merge_ranges([*view.ranges, *watched])
    if length:
        merged = clip_ranges(merged, length)
    view.ranges = [[round(a, 2), round(b, 2)] for a, b in merged]
    view.fraction = max(view.fraction, watched_fraction(merged, length))
    if math.isfinite(position) and position >= 0:
        view.position = min(position, length or MAX_SECONDS)
    view.save(update_fields=["ranges", "fraction", "position", "updated_at"])
    if created:
        audit_record(actor=viewer, action="recording.view", obj=recording)
    return view
