"""Chunked uploads: created, appended to at their offset, finished into a recording, cancelled or abandoned."""

import contextlib
import fcntl
import os
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import IO

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from meridian.briefs.models import Brief
from meridian.core.errors import Conflict, TooLarge, ValidationFailed, size_label
from meridian.core.services import audit_record
from meridian.recordings import media
from meridian.recordings.access import require_manage
from meridian.recordings.errors import Busy, ChunkInterrupted, Gone, LengthRequired, OffsetMismatch
from meridian.recordings.models import Upload, UploadStatus
from meridian.recordings.services.common import (
    BLOCK,
    CHUNK_MAX_BYTES,
    Readable,
    _clean_filename,
    _over_cap,
    logger,
    partial_path,
)
from meridian.recordings.services.recordings import _recording_store
from meridian.workspaces.models import Membership


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
