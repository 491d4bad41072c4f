"""The recordings services: chunked uploads, probing, storage, processing, cleanup, progress."""

import fcntl
import io
import subprocess
from datetime import timedelta

import pytest
from django.core.files.storage import default_storage
from django.utils import timezone

from meridian.briefs.services import brief_close
from meridian.core.errors import Conflict, PermissionDenied, TooLarge, ValidationFailed
from meridian.core.models import AuditEntry
from meridian.core.scheduler import registered_jobs, tick
from meridian.recordings import media
from meridian.recordings.errors import Busy, ChunkInterrupted, Gone, OffsetMismatch
from meridian.recordings.models import Recording, RecordingStatus, Upload, UploadStatus
from meridian.recordings.services import (
    CAPTION_MAX_BYTES,
    caption_bytes,
    partial_path,
    recording_create_from_file,
    recording_delete,
    recording_process,
    recording_view_record,
    upload_abandon,
    upload_append,
    upload_cancel,
    upload_create,
)
from tests.recordings.support import IMMEDIATE_TASKS, BreaksAfter, MustNotBeRead, send_file

pytestmark = pytest.mark.django_db


def test_a_chunked_upload_becomes_a_recording_kept_in_storage(
    django_capture_on_commit_callbacks, author, brief, clips
):
    with django_capture_on_commit_callbacks(execute=True):
        upload = send_file(author, brief, clips["webm"], chunk=10_000)

    recording = Recording.objects.get(pk=upload.recording_id)
    assert upload.status == UploadStatus.COMPLETE
    assert recording.brief == brief
    assert recording.content_type == "video/webm"
    assert recording.kind == "video"
    assert recording.status == RecordingStatus.PROCESSING
    assert recording.original.name.endswith("/original.webm")
    with default_storage.open(recording.original.name, "rb") as stored:
        assert stored.read() == clips["webm"].read_bytes()
    assert not partial_path(upload).exists()
    assert AuditEntry.objects.filter(
        action="recording.create", object_id=str(recording.pk)
    ).exists()


def test_an_upload_over_the_cap_is_refused_naming_the_limit_before_anything_is_stored(
    settings, author, brief
):
    settings.UPLOAD_MAX_BYTES = 1024 * 1024

    with pytest.raises(TooLarge) as refused:
        upload_create(acting=author, brief=brief, filename="big.webm", size=1024 * 1024 + 1)

    assert refused.value.status_code == 413
    assert "limit of 1 MiB (1048576 bytes)" in refused.value.detail
    assert not Upload.objects.exists()


def test_a_chunk_past_the_declared_size_is_refused_before_its_body_is_read(author, brief):
    upload = upload_create(acting=author, brief=brief, filename="a.webm", size=100)

    with pytest.raises(TooLarge) as refused:
        upload_append(acting=author, upload=upload, offset=0, stream=MustNotBeRead(), length=101)

    assert "declared size of 100 bytes" in refused.value.detail
    assert not partial_path(upload).exists()


def test_a_chunk_at_the_wrong_offset_is_refused_with_the_offset_the_server_has(author, brief):
    upload = upload_create(acting=author, brief=brief, filename="a.webm", size=100)
    upload_append(acting=author, upload=upload, offset=0, stream=io.BytesIO(b"x" * 40), length=40)

    with pytest.raises(OffsetMismatch) as refused:
        upload_append(acting=author, upload=upload, offset=20, stream=MustNotBeRead(), length=10)

    assert refused.value.status_code == 409
    assert refused.value.offset == 40


def test_an_interrupted_chunk_keeps_what_arrived_and_the_upload_resumes_from_there(
    author, brief, clips
):
    data = clips["webm"].read_bytes()
    upload = upload_create(acting=author, brief=brief, filename="walk.webm", size=len(data))

    with pytest.raises(ChunkInterrupted) as cut:
        upload_append(
            acting=author, upload=upload, offset=0, stream=BreaksAfter(data, 5000), length=len(data)
        )
    resumed_at = Upload.objects.get(pk=upload.pk).offset
    rest = data[resumed_at:]
    done = upload_append(
        acting=author, upload=upload, offset=resumed_at, stream=io.BytesIO(rest), length=len(rest)
    )

    assert cut.value.offset == resumed_at == 5000
    assert done.status == UploadStatus.COMPLETE
    with default_storage.open(done.recording.original.name, "rb") as stored:
        assert stored.read() == data


@pytest.mark.parametrize("fake", ["png", "html"])
def test_a_file_that_is_not_audio_or_video_is_rejected_with_the_reason_and_removed(
    author, brief, clips, fake
):
    with pytest.raises(ValidationFailed) as refused:
        send_file(author, brief, clips[fake])

    upload = Upload.objects.get()
    assert upload.status == UploadStatus.REJECTED
    assert (
        "not an audio or video file" in refused.value.detail
        or "not audio or video" in refused.value.detail
    )
    assert refused.value.errors == {"file": [refused.value.detail]}
    assert upload.problem == refused.value.detail
    assert not partial_path(upload).exists()
    assert not Recording.objects.exists()


def test_a_small_4k_file_of_half_an_hour_is_refused_before_any_transcode_naming_its_size(
    author, brief, clips
):
    assert clips["huge"].stat().st_size < 1024 * 1024

    with pytest.raises(ValidationFailed) as refused:
        send_file(author, brief, clips["huge"])

    upload = Upload.objects.get()
    assert upload.status == UploadStatus.REJECTED
    assert "3840×2160 video of 30 min 0 s" in refused.value.detail
    assert "more than this server converts (1080p for 60 min" in refused.value.detail
    assert refused.value.errors == {"file": [refused.value.detail]}
    assert not partial_path(upload).exists()
    assert not Recording.objects.exists()


def test_a_file_that_needs_converting_gets_a_rendition_of_at_most_720p(settings, tmp_path):
    source = tmp_path / "talk.mkv"
    subprocess.run(
        ["ffmpeg", "-nostdin", "-v", "error", "-y", "-f", "lavfi",
         "-i", "testsrc=duration=1:size=1920x1080:rate=5", "-c:v", "libx264",
         "-preset", "ultrafast", str(source)],
        check=True,
    )  # fmt: skip

    made = media.process(source, tmp_path)

    assert made.playable_type == "video/webm"
    assert (made.width, made.height) == (1280, 720)


def test_a_png_is_named_for_what_it_is(clips):
    with pytest.raises(media.NotMedia, match="PNG"):
        media.probe(clips["png"])


def test_only_the_briefs_author_or_an_admin_may_upload(teammate, admin, brief):
    with pytest.raises(PermissionDenied):
        upload_create(acting=teammate, brief=brief, filename="a.webm", size=10)

    assert upload_create(acting=admin, brief=brief, filename="a.webm", size=10).pk


def test_a_closed_brief_takes_no_recording(author, brief):
    brief_close(acting=author, brief=brief, summary="Agreed.")
    brief.refresh_from_db()

    with pytest.raises(Conflict, match="closed"):
        upload_create(acting=author, brief=brief, filename="a.webm", size=10)


def test_the_worker_extracts_duration_and_a_thumbnail(author, brief, clips):
    upload = send_file(author, brief, clips["webm"])

    recording = recording_process(recording_id=upload.recording_id)

    assert recording.status == RecordingStatus.READY
    assert recording.duration == pytest.approx(2.0, abs=0.1)
    assert (recording.width, recording.height) == (320, 240)
    assert not recording.playable  # a WebM with a duration plays as it is
    with default_storage.open(recording.thumbnail.name, "rb") as thumb:
        assert thumb.read(3) == b"\xff\xd8\xff"  # a JPEG


def test_a_webm_without_a_duration_is_remuxed_so_players_can_seek(author, brief, clips, tmp_path):
    # MediaRecorder writes WebM as a stream, like ffmpeg writing into a pipe: no duration.
    streamed = tmp_path / "streamed.webm"
    with streamed.open("wb") as out:
        subprocess.run(
            [
                "ffmpeg",
                "-v",
                "error",
                "-i",
                str(clips["webm"]),
                "-c",
                "copy",
                "-map_metadata",
                "-1",
                "-f",
                "webm",
                "pipe:1",
            ],
            stdout=out,
            check=True,
        )
    assert media.probe(streamed).duration is None

    upload = send_file(author, brief, streamed)
    recording = recording_process(recording_id=upload.recording_id)

    assert recording.playable.name.endswith("/playable.webm")
    assert recording.media_type == "video/webm"
    assert recording.duration == pytest.approx(2.0, abs=0.1)


def test_a_file_browsers_cannot_play_gets_a_webm_rendition(author, brief, tmp_path):
    avi = tmp_path / "old.avi"
    subprocess.run(
        ["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "testsrc=duration=1:size=160x120:rate=10",
         "-c:v", "mpeg4", str(avi)],
        check=True,
    )  # fmt: skip

    recording = recording_create_from_file(acting=author, brief=brief, path=avi, filename="old.avi")
    recording = recording_process(recording_id=recording.pk)

    assert recording.content_type == "video/x-msvideo"
    assert recording.playable_type == "video/webm"
    assert media.probe(default_storage.path(recording.playable.name)).video_codec == "vp8"


def test_without_ffmpeg_the_original_is_ready_to_play_as_it_is(monkeypatch, author, brief, clips):
    upload = send_file(author, brief, clips["webm"])
    monkeypatch.setattr(media, "ffmpeg_path", lambda: None)

    recording = recording_process(recording_id=upload.recording_id)

    assert recording.status == RecordingStatus.READY
    assert not recording.thumbnail
    assert recording.media_type == "video/webm"


def test_without_ffprobe_the_first_bytes_decide(monkeypatch, clips):
    monkeypatch.setattr(media, "ffprobe_path", lambda: None)

    assert media.probe(clips["webm"]).content_type == "video/webm"
    assert media.probe(clips["wav"]).kind == "audio"
    with pytest.raises(media.NotMedia, match="first bytes"):
        media.probe(clips["html"])


def test_finishing_an_upload_queues_processing_after_commit(
    settings, django_capture_on_commit_callbacks, author, brief, clips
):
    settings.TASKS = IMMEDIATE_TASKS

    with django_capture_on_commit_callbacks(execute=True):
        upload = send_file(author, brief, clips["webm"])

    assert Recording.objects.get(pk=upload.recording_id).status == RecordingStatus.READY


def test_abandoned_partial_uploads_are_removed_after_the_configured_age(
    settings, django_capture_on_commit_callbacks, author, brief
):
    settings.UPLOAD_ABANDON_HOURS = 24
    upload = upload_create(acting=author, brief=brief, filename="a.webm", size=100)
    upload_append(acting=author, upload=upload, offset=0, stream=io.BytesIO(b"x" * 10), length=10)
    job = [j for j in registered_jobs() if j.name == "upload.abandoned"]
    now = timezone.now()

    early = tick(now + timedelta(hours=23), jobs=job)
    with django_capture_on_commit_callbacks(execute=True):
        late = tick(now + timedelta(hours=25), jobs=job)
    again = tick(now + timedelta(hours=26), jobs=job)

    assert early.ran == []
    assert late.ran == [f"upload.abandoned:{upload.pk}"]
    assert again.ran == []
    assert not Upload.objects.exists()
    assert not partial_path(upload).exists()
    assert AuditEntry.objects.filter(action="upload.abandon").count() == 1


def test_a_cancelled_upload_leaves_nothing_behind(
    django_capture_on_commit_callbacks, author, brief
):
    upload = upload_create(acting=author, brief=brief, filename="a.webm", size=100)
    upload_append(acting=author, upload=upload, offset=0, stream=io.BytesIO(b"x" * 10), length=10)

    with django_capture_on_commit_callbacks(execute=True):
        upload_cancel(acting=author, upload=upload)

    assert not Upload.objects.exists()
    assert not partial_path(upload).exists()


def test_deleting_a_recording_removes_its_files(
    django_capture_on_commit_callbacks, author, brief, clips
):
    upload = send_file(author, brief, clips["webm"])
    recording = recording_process(recording_id=upload.recording_id)
    names = [recording.original.name, recording.thumbnail.name]

    with django_capture_on_commit_callbacks(execute=True):
        recording_delete(acting=author, recording=recording)

    assert not Recording.objects.exists()
    assert [default_storage.exists(n) for n in names] == [False, False]


def test_watch_progress_merges_ranges_and_reaches_the_whole_recording(
    author, teammate, brief, clips
):
    recording = recording_process(recording_id=send_file(author, brief, clips["webm"]).recording_id)

    first = recording_view_record(viewer=teammate, recording=recording, ranges=[[0, 0.8]])
    second = recording_view_record(
        viewer=teammate, recording=recording, ranges=[[0.5, 1.5], [1.5, 2.0]], position=2.0
    )

    assert first.fraction == pytest.approx(0.4, abs=0.05)
    assert second.ranges == [[0.0, 2.0]]
    assert second.fraction == 1.0
    assert AuditEntry.objects.filter(action="recording.view").count() == 1


def test_watch_progress_refuses_ranges_that_are_not_time(author, teammate, brief, clips):
    recording = Recording.objects.get(pk=send_file(author, brief, clips["webm"]).recording_id)

    with pytest.raises(ValidationFailed) as refused:
        recording_view_record(viewer=teammate, recording=recording, ranges=[[5, 1]])

    assert "ranges" in refused.value.errors


def test_the_demo_recording_is_a_real_processed_video_with_captions(author, brief, clips):
    from meridian.recordings.demo import demo_recording

    recording = demo_recording(brief)

    assert recording.status == RecordingStatus.READY
    assert recording.duration == pytest.approx(6.0, abs=0.2)
    assert recording.thumbnail
    assert recording.captions.get().cues.count() == 3
    assert demo_recording(brief) == recording


def test_a_failure_while_finishing_keeps_the_file_and_a_retry_makes_the_recording(
    monkeypatch, django_capture_on_commit_callbacks, author, brief, clips
):
    data = clips["webm"].read_bytes()
    upload = upload_create(acting=author, brief=brief, filename="w.webm", size=len(data))
    create = Recording.objects.create
    calls = []

    def fails_once(**fields):
        calls.append(fields)
        if len(calls) == 1:
            raise RuntimeError("the database went away")
        return create(**fields)

    monkeypatch.setattr(Recording.objects, "create", fails_once)

    with pytest.raises(RuntimeError):
        upload_append(
            acting=author, upload=upload, offset=0, stream=io.BytesIO(data), length=len(data)
        )
    failed = Upload.objects.get()
    assert (failed.status, failed.offset) == (UploadStatus.RECEIVING, len(data))
    assert partial_path(upload).read_bytes() == data  # nothing lost, nothing padded
    assert not any(files for _, files in _walk("recordings"))  # the stored copy is removed

    with django_capture_on_commit_callbacks(execute=True):
        done = upload_append(
            acting=author, upload=failed, offset=len(data), stream=io.BytesIO(b""), length=0
        )

    assert done.status == UploadStatus.COMPLETE
    recording = Recording.objects.get()
    assert Upload.objects.get().recording == recording
    with default_storage.open(recording.original.name, "rb") as stored:
        assert stored.read() == data
    assert not partial_path(upload).exists()


def _walk(folder):
    if not default_storage.exists(folder):
        return
    dirs, files = default_storage.listdir(folder)
    yield folder, files
    for name in dirs:
        yield from _walk(f"{folder}/{name}")


def test_a_chunk_while_the_upload_is_finishing_is_answered_finishing_with_the_offset(author, brief):
    upload = upload_create(acting=author, brief=brief, filename="w.webm", size=10)
    upload_append(acting=author, upload=upload, offset=0, stream=io.BytesIO(b"x" * 4), length=4)
    path = partial_path(upload)
    Upload.objects.filter(pk=upload.pk).update(offset=10, status=UploadStatus.FINISHING)
    path.write_bytes(b"x" * 10)

    with open(path, "rb") as holder:  # the finishing request holds the file's lock
        fcntl.flock(holder, fcntl.LOCK_EX)
        with pytest.raises(Busy) as busy:
            upload_append(
                acting=author,
                upload=Upload.objects.get(),
                offset=10,
                stream=MustNotBeRead(),
                length=0,
            )

    assert busy.value.status_code == 409
    assert busy.value.finishing and busy.value.offset == 10
    assert "finishing" in busy.value.detail


def test_a_partial_file_shorter_than_the_offset_is_not_padded_but_resumed_from(author, brief):
    upload = upload_create(acting=author, brief=brief, filename="w.webm", size=100)
    upload_append(acting=author, upload=upload, offset=0, stream=io.BytesIO(b"x" * 40), length=40)
    partial_path(upload).write_bytes(b"x" * 25)  # the disk lost the last 15 bytes

    with pytest.raises(OffsetMismatch) as mismatch:
        upload_append(
            acting=author,
            upload=Upload.objects.get(),
            offset=40,
            stream=MustNotBeRead(),
            length=60,
        )

    assert mismatch.value.offset == 25
    assert Upload.objects.get().offset == 25
    assert partial_path(upload).read_bytes() == b"x" * 25


def test_a_chunk_for_an_upload_cancelled_meanwhile_is_gone_not_finished(author, brief, clips):
    data = clips["webm"].read_bytes()
    upload = upload_create(acting=author, brief=brief, filename="w.webm", size=len(data))
    stale = Upload.objects.get()
    Upload.objects.filter(pk=upload.pk).delete()  # cancelled between the read and the lock

    with pytest.raises(Gone) as gone:
        upload_append(
            acting=author, upload=stale, offset=0, stream=io.BytesIO(data), length=len(data)
        )

    assert gone.value.status_code == 410
    assert not Recording.objects.exists()


def test_abandoning_skips_an_upload_that_got_a_chunk_or_is_being_written(author, brief):
    upload = upload_create(acting=author, brief=brief, filename="a.webm", size=100)
    upload_append(acting=author, upload=upload, offset=0, stream=io.BytesIO(b"x" * 10), length=10)
    seen = Upload.objects.get()
    before = seen.updated_at + timedelta(seconds=1)
    Upload.objects.filter(pk=upload.pk).update(updated_at=before + timedelta(seconds=5))

    assert upload_abandon(upload=seen, before=before) is False  # a chunk came since
    assert Upload.objects.exists()

    Upload.objects.filter(pk=upload.pk).update(updated_at=seen.updated_at)

    with open(partial_path(upload), "rb") as holder:  # a chunk is being written
        fcntl.flock(holder, fcntl.LOCK_EX)
        assert upload_abandon(upload=seen, before=before) is False
    assert partial_path(upload).read_bytes() == b"x" * 10

    assert upload_abandon(upload=seen, before=before) is True
    assert not Upload.objects.exists()


def test_an_oversized_caption_is_refused_by_its_size_before_it_is_read():
    class Big:
        size = CAPTION_MAX_BYTES + 1

        def read(self, size=-1):
            raise AssertionError("read although its size is over the limit")

    with pytest.raises(TooLarge) as refused:
        caption_bytes(Big())
    assert "at most 2 MiB" in refused.value.detail

    unsized = io.BytesIO(b"x" * (CAPTION_MAX_BYTES + 10))
    with pytest.raises(TooLarge):
        caption_bytes(unsized)
    assert unsized.tell() == CAPTION_MAX_BYTES + 1  # never more than the cap and one byte


def test_deleting_the_brief_removes_its_recordings_files_and_unfinished_uploads(
    django_capture_on_commit_callbacks, author, brief, clips
):
    recording = recording_process(recording_id=send_file(author, brief, clips["webm"]).recording_id)
    names = [recording.original.name, recording.thumbnail.name]
    unfinished = upload_create(acting=author, brief=brief, filename="b.webm", size=100)
    upload_append(
        acting=author, upload=unfinished, offset=0, stream=io.BytesIO(b"x" * 10), length=10
    )
    assert [default_storage.exists(n) for n in names] == [True, True]
    assert partial_path(unfinished).exists()

    with django_capture_on_commit_callbacks(execute=True):
        brief.delete()

    assert not Recording.objects.exists() and not Upload.objects.exists()
    assert [default_storage.exists(n) for n in names] == [False, False]
    assert not partial_path(unfinished).exists()
