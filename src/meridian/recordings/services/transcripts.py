"""Automatic transcripts: queued after processing, made by the worker, written all at once.

A run claims the transcript (RUNNING), reports its progress as it goes, and writes the
segments, the caption track made from them and the final state in one transaction, and only
while the transcript is still RUNNING: a run killed midway leaves nothing half-written, the
restarted run writes the transcript once, and a run that finds it finished does nothing.
"""

import secrets
import subprocess

from django.db import transaction
from django.utils import timezone

from meridian.core.errors import NotFound, ValidationFailed
from meridian.core.services import audit_record
from meridian.recordings import chapters, transcription
from meridian.recordings.access import require_manage
from meridian.recordings.captions import MAX_CUE_CHARS
from meridian.recordings.models import (
    Caption,
    CaptionCue,
    Chapter,
    Recording,
    Transcript,
    TranscriptCorrection,
    TranscriptSegment,
    TranscriptStatus,
)
from meridian.recordings.search import caption_search_index
from meridian.recordings.services.common import logger
from meridian.workspaces.models import Membership

FINISHED = (TranscriptStatus.DONE, TranscriptStatus.SILENT, TranscriptStatus.FAILED)
# Progress is written when it moved by at least this share (not once per segment).
PROGRESS_STEP = 0.02
AUTOMATIC_LABEL = "Automatic transcript"


def transcript_queue(*, recording: Recording) -> Transcript:
    """Give a processed recording its transcript: queued, or "off" with the reason (idempotent).

    Called inside the transaction that marks the recording processed; the task is enqueued
    after it commits.
    """
    reason = transcription.unavailable_reason()
    transcript, created = Transcript.objects.get_or_create(
        recording=recording,
        defaults={
            "workspace_id": recording.workspace_id,
            "status": TranscriptStatus.OFF if reason else TranscriptStatus.PENDING,
            "problem": reason,
        },
    )
    if created and not reason:
        transaction.on_commit(lambda: _enqueue(recording.pk))
    return transcript


def _enqueue(recording_id: int) -> None:
    from meridian.recordings.tasks import transcript_make_task

    transcript_make_task.enqueue(recording_id=recording_id)


def transcript_make(*, recording_id: int, task_id: str = "", attempt: int = 1) -> Transcript | None:
    """Transcribe the recording's audio and store the transcript and its captions (idempotent).

    A silent recording gets an empty transcript marked silent; an audio track that cannot be
    decoded marks the transcript failed with the reason, and the recording stays as it is.
    """
    from meridian.recordings.services.recordings import _local_copy, _workdir

    transcript = Transcript.objects.filter(recording_id=recording_id).first()
    if transcript is None or transcript.status in (*FINISHED, TranscriptStatus.OFF):
        return transcript
    try:
        engine = transcription.engine()
    except transcription.TranscriptionUnavailable as exc:
        _finish_without(transcript, status=TranscriptStatus.OFF, problem=str(exc))
        return _fresh(transcript)
    Transcript.objects.filter(pk=transcript.pk).exclude(status__in=FINISHED).update(
        status=TranscriptStatus.RUNNING,
        progress=0.0,
        model_name=engine.model_name[:200],
        started_at=timezone.now(),
    )
    recording = transcript.recording
    task_id = task_id or f"direct-{secrets.token_hex(6)}"
    reported = [0.0]

    def progress(share: float) -> None:
        if share - reported[0] >= PROGRESS_STEP:
            reported[0] = share
            Transcript.objects.filter(pk=transcript.pk, status=TranscriptStatus.RUNNING).update(
                progress=round(min(1.0, share), 3)
            )

    # The work directory is named after the transcription, beside the processing attempts.
    with _workdir(recording.pk, task_id=f"transcript-{task_id}", attempt=attempt) as workdir:
        try:
            with _local_copy(str(recording.original.name), workdir) as source:
                pcm = workdir / "audio.pcm"
                duration = transcription.extract_audio(source, pcm)
            result = transcription.transcribe(pcm, duration, on_progress=progress)
        # BadAudio (ffmpeg could not decode the track) and the engine's own RuntimeErrors (a
        # model that will not load, a decoder error) end in FAILED with the reason, not retries.
        except (RuntimeError, ValueError, OSError, subprocess.TimeoutExpired) as exc:
            logger.warning("Transcribing recording %s failed: %s", recording.pk, exc)
            _finish_without(transcript, status=TranscriptStatus.FAILED, problem=str(exc)[:1000])
            return _fresh(transcript)
    _finish(transcript, result)
    return _fresh(transcript)


def _fresh(transcript: Transcript) -> Transcript:
    transcript.refresh_from_db()
    return transcript


@transaction.atomic
def _finish(transcript: Transcript, result: transcription.Result) -> None:
    locked = Transcript.objects.select_for_update().filter(pk=transcript.pk).first()
    if locked is None or locked.status in FINISHED:
        return  # another run finished first: its transcript stands
    recording = locked.recording
    segments = [s for s in result.segments if s.text.strip()]
    locked.segments.all().delete()
    TranscriptSegment.objects.bulk_create(
        TranscriptSegment(
            workspace_id=locked.workspace_id,
            transcript=locked,
            index=i,
            start=s.start,
            end=s.end,
            text=s.text,
            words=[[w.start, w.end, w.text] for w in s.words],
        )
        for i, s in enumerate(segments)
    )
    caption = None
    if segments:
        language = result.language or "en"
        caption = Caption.objects.create(
            workspace_id=locked.workspace_id,
            recording=recording,
            created_by_id=recording.created_by_id,
            language=language[:35],
            label=f"{AUTOMATIC_LABEL} ({language})"[:100],
        )
        CaptionCue.objects.bulk_create(
            CaptionCue(
                workspace_id=locked.workspace_id,
                caption=caption,
                index=i,
                start=s.start,
                end=s.end,
                text=s.text[:MAX_CUE_CHARS],
            )
            for i, s in enumerate(segments)
        )
        caption_search_index(caption)
        _propose_chapters(locked, segments)
    status = TranscriptStatus.DONE if segments else TranscriptStatus.SILENT
    Transcript.objects.filter(pk=locked.pk).update(
        status=status,
        progress=1.0,
        language=(result.language or "")[:35],
        caption=caption,
        problem="",
        finished_at=timezone.now(),
    )
    audit_record(
        actor=None,
        action="transcript.make",
        obj=locked,
        workspace=locked.workspace,
        data={"status": status, "segments": len(segments), "model": locked.model_name},
    )


def _finish_without(transcript: Transcript, *, status: str, problem: str) -> None:
    with transaction.atomic():
        changed = (
            Transcript.objects.filter(pk=transcript.pk)
            .exclude(status__in=FINISHED)
            .update(status=status, problem=problem, finished_at=timezone.now())
        )
        if changed:
            audit_record(
                actor=None,
                action="transcript.make",
                obj=transcript,
                workspace=transcript.workspace,
                data={"status": status, "problem": problem},
            )


def transcript_failed(*, recording_id: int) -> None:
    """The transcription task failed for good (it raised, or its workers kept dying)."""
    transcript = Transcript.objects.filter(recording_id=recording_id).first()
    if transcript is not None:
        _finish_without(
            transcript,
            status=TranscriptStatus.FAILED,
            problem="the background worker transcribing it stopped before finishing",
        )


# Seconds within which a correction's times count as unchanged (the page sends them rounded).
TIMING_TOLERANCE = 0.0005


@transaction.atomic
def transcript_correct(
    *,
    acting: Membership,
    transcript: Transcript,
    index: int,
    text: str,
    start: float | None = None,
    end: float | None = None,
) -> TranscriptSegment:
    """Correct the words of one segment; the times stay as heard, and the change is kept.

    A correction that moves the segment's start or end is refused: the captions, the words'
    times, search hits and chapters all hang on the times the model heard.
    """
    require_manage(acting, transcript.recording.brief)
    segment = (
        TranscriptSegment.objects.select_for_update()
        .filter(transcript=transcript, index=index)
        .first()
    )
    if segment is None:
        raise NotFound("No such segment in this transcript.")
    for name, given, heard in (("start", start, segment.start), ("end", end, segment.end)):
        if given is not None and abs(given - heard) > TIMING_TOLERANCE:
            raise ValidationFailed.field(
                name,
                "A correction changes the words only, not the timing: this segment runs from "
                f"{heard:.3f} s to {segment.end:.3f} s as heard.",
            )
    text = " ".join((text or "").split())
    if not text:
        raise ValidationFailed.field("text", "A corrected segment needs its words.")
    if "-->" in text:
        raise ValidationFailed.field(
            "text", "A correction changes the words only, not the timing: leave out “-->”."
        )
    if len(text) > MAX_CUE_CHARS:
        raise ValidationFailed.field(
            "text", f"A segment may be at most {MAX_CUE_CHARS} characters."
        )
    if text == segment.text:
        return segment
    TranscriptCorrection.objects.create(
        workspace_id=transcript.workspace_id,
        transcript=transcript,
        segment=segment,
        before=segment.text,
        after=text,
        by=acting,
    )
    segment.text = text
    segment.save(update_fields=["text"])
    if transcript.caption is not None:
        CaptionCue.objects.filter(caption=transcript.caption, index=index).update(text=text)
        caption_search_index(transcript.caption)
    audit_record(actor=acting, action="transcript.correct", obj=transcript, data={"index": index})
    return segment


def _chapters_write(recording: Recording, marks: list[chapters.ChapterMark]) -> list[Chapter]:
    """The recording's chapters, in order, from its marks (the old ones already gone)."""
    return Chapter.objects.bulk_create(
        Chapter(
            workspace_id=recording.workspace_id,
            recording=recording,
            index=i,
            start=m.start,
            title=m.title,
        )
        for i, m in enumerate(marks)
    )


def _propose_chapters(transcript: Transcript, segments: list[transcription.Segment]) -> None:
    recording = transcript.recording
    if Chapter.objects.filter(recording=recording).exists():
        return  # the author's chapters (or an earlier proposal) stand
    marks = chapters.propose([chapters.Timed(s.start, s.end, s.text) for s in segments])
    _chapters_write(recording, marks)


@transaction.atomic
def chapters_set(*, acting: Membership, recording: Recording, text: str) -> list[Chapter]:
    """Replace a recording's chapters with the author's, written one a line (“1:05 Pricing”)."""
    require_manage(acting, recording.brief)
    try:
        marks = chapters.parse(text or "", recording.duration)
    except chapters.BadChapters as exc:
        raise ValidationFailed.field("chapters", str(exc)) from None
    Chapter.objects.filter(recording=recording).delete()
    made = _chapters_write(recording, marks)
    audit_record(actor=acting, action="chapters.set", obj=recording, data={"chapters": len(made)})
    return made
