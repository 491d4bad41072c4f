"""Recordings: stored from a file, processed by the worker (probe, thumbnail, rendition), deleted."""

import contextlib
import os
import secrets
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

from django.conf import settings
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone
from django.utils.text import get_valid_filename

from meridian.briefs.models import Brief
from meridian.briefs.services import brief_send_when_ready
from meridian.core.errors import ValidationFailed
from meridian.core.services import audit_record
from meridian.recordings import media
from meridian.recordings.access import require_manage
from meridian.recordings.errors import Gone
from meridian.recordings.models import CaptionCue, Recording, RecordingStatus, Upload, UploadStatus
from meridian.recordings.search import cues_search_remove
from meridian.recordings.services.common import BLOCK, _clean_filename, _over_cap, logger
from meridian.recordings.services.transcripts import transcript_queue
from meridian.workspaces.models import Membership


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
            require_manage(acting, Brief.all_objects.get(pk=brief.pk))
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


def _failed_problem(fields: dict[str, object]) -> str:
    reason = str(fields.get("problem") or "processing failed")
    return f"its recording could not be processed ({reason}). Record or upload it again, or send it without."


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
            if status == RecordingStatus.READY:
                # Every processed recording is transcribed next (or told why it cannot be).
                transcript_queue(recording=recording)
            # A draft its author sent while this was processing goes out now (or, when the
            # recording failed, stays a draft and its author is told why).
            problem = "" if status == RecordingStatus.READY else _failed_problem(fields)
            brief_send_when_ready(brief_id=recording.brief_id, problem=problem)
    return bool(changed)


@transaction.atomic
def recording_delete(*, acting: Membership, recording: Recording) -> None:
    """Delete a recording and its files (after the deletion commits)."""
    require_manage(acting, recording.brief)
    names = [
        str(f.name) for f in (recording.original, recording.playable, recording.thumbnail) if f
    ]
    audit_record(actor=acting, action="recording.delete", obj=recording)
    cues_search_remove(
        CaptionCue.objects.filter(caption__recording=recording).values_list("pk", flat=True)
    )
    recording.delete()

    def remove() -> None:
        for name in names:
            default_storage.delete(name)

    transaction.on_commit(remove)
