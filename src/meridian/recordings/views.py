"""Pages of the recordings area: the recorder, a recording's page, and its authorized media.

Media, thumbnails and caption tracks are answered only after the access check of every
request (404 for anyone outside the workspace), inline, under the type the server found,
with ``X-Content-Type-Options: nosniff``.
"""

import csv
import io
from pathlib import Path
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.core.files.uploadhandler import TemporaryFileUploadHandler
from django.http import HttpResponse, HttpResponsePermanentRedirect
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_http_methods, require_POST

from meridian.briefs.access import brief_get_for, sees_who_watched
from meridian.core.errors import (
    MeridianError,
    NotFound,
    PermissionDenied,
    ValidationFailed,
    size_label,
)
from meridian.core.submission import once_per_submission, saved
from meridian.recordings import chapters
from meridian.recordings.access import can_manage, caption_get_for, recording_get_for
from meridian.recordings.api import caption_file
from meridian.recordings.models import Recording
from meridian.recordings.selectors import (
    Insights,
    caption_list_for,
    chapter_list_for,
    correction_list_for,
    player_state_for,
    recording_insights_for,
    recording_list_for,
    recording_media_stored,
    recording_view_for,
    segment_list_for,
    transcript_for,
    transcript_state_for,
)
from meridian.recordings.services import (
    CHUNK_BYTES,
    caption_add,
    caption_bytes,
    caption_delete,
    chapters_set,
    recording_create_from_file,
    recording_delete,
    transcript_correct,
)
from meridian.recordings.serving import stored_file_response
from meridian.workspaces.access import WorkspaceRequest, requires
from meridian.workspaces.models import Role

# Room for the multipart envelope around a file sent by the plain upload form.
FORM_OVERHEAD = 64 * 1024


@csrf_exempt  # the size is checked before the body is read; csrf_protect runs right after
@require_http_methods(["GET", "POST"])
@requires(Role.MEMBER)
def record(request: WorkspaceRequest, workspace: str, brief_id: int) -> HttpResponse:
    """Record screen, camera or both in the browser, or pick a file; chunked upload by script."""
    brief = brief_get_for(request.membership, brief_id)
    if request.method == "POST":
        header = (request.META.get("CONTENT_LENGTH") or "0").strip()
        if not header.isascii() or not header.isdigit() or len(header) > 20:
            return _record_page(
                request,
                brief,
                problem="The request's Content-Length header is not a byte count; send the "
                "form again.",
                status=400,
            )
        declared = int(header)
        if declared > settings.UPLOAD_MAX_BYTES + FORM_OVERHEAD:
            limit = settings.UPLOAD_MAX_BYTES
            return _record_page(
                request,
                brief,
                problem=f"The file is larger than the limit of {size_label(limit)} ({limit} bytes).",
                status=413,
            )
        # Files sent by the plain form go to a temporary file on disk, never into memory.
        request.upload_handlers = [TemporaryFileUploadHandler(request)]
    return _record_form(request, brief)


@csrf_protect
@once_per_submission
def _record_form(request: WorkspaceRequest, brief: object) -> HttpResponse:
    if request.method != "POST":
        return _record_page(request, brief)
    upload = request.FILES.get("file")
    if upload is None:
        return _record_page(request, brief, problem="Choose a video or audio file.", status=422)
    try:
        recording = recording_create_from_file(
            acting=request.membership,
            brief=brief,  # type: ignore[arg-type]
            path=Path(upload.temporary_file_path()),  # type: ignore[attr-defined]
            filename=upload.name or "recording",
        )
    except MeridianError as exc:
        return _record_page(request, brief, problem=exc.detail, status=exc.status_code)
    messages.success(request, "Uploaded. The recording plays now; processing adds a thumbnail.")
    return saved(
        request,
        redirect(
            "recording_detail",
            workspace=request.membership.workspace.slug,
            recording_id=recording.pk,
        ),
    )


def _record_page(
    request: WorkspaceRequest, brief: object, *, problem: str = "", status: int = 200
) -> HttpResponse:
    context = {
        "brief": brief,
        "problem": problem,
        "can_manage": can_manage(request.membership, brief),  # type: ignore[arg-type]
        "max_bytes": settings.UPLOAD_MAX_BYTES,
        "max_label": size_label(settings.UPLOAD_MAX_BYTES),
        "chunk_bytes": CHUNK_BYTES,
        "recordings": recording_list_for(viewer=request.membership, brief=brief),  # type: ignore[arg-type]
    }
    return render(request, "recordings/record.html", context, status=status)


@requires(Role.GUEST)
def detail(request: WorkspaceRequest, workspace: str, recording_id: int) -> HttpResponse:
    """A recording's own page: the player, its transcript, its captions and state."""
    recording = recording_get_for(request.membership, recording_id)
    return _detail_page(request, recording)


def _detail_page(
    request: WorkspaceRequest,
    recording: Recording,
    *,
    chapters_text: str | None = None,
    chapters_problem: str = "",
    status: int = 200,
) -> HttpResponse:
    marks = chapter_list_for(viewer=request.membership, recording=recording)
    if chapters_text is None:
        chapters_text = chapters.as_text([chapters.ChapterMark(c.start, c.title) for c in marks])
    context = {
        "chapters": marks,
        "chapters_text": chapters_text,
        "chapters_problem": chapters_problem,
        "recording": recording,
        "brief": recording.brief,
        "captions": caption_list_for(viewer=request.membership, recording=recording),
        "progress": recording_view_for(viewer=request.membership, recording=recording),
        "can_manage": can_manage(request.membership, recording.brief),
        "pins": [],
        "media_stored": recording_media_stored(recording=recording),
        **transcript_state_for(viewer=request.membership, recording=recording),
        **player_state_for(viewer=request.membership, recording=recording),
    }
    return render(request, "recordings/detail.html", context, status=status)


@require_POST
@requires(Role.MEMBER)
def chapters_edit(request: WorkspaceRequest, workspace: str, recording_id: int) -> HttpResponse:
    """Replace the recording's chapters with the author's text (one a line)."""
    recording = recording_get_for(request.membership, recording_id)
    text = request.POST.get("chapters", "")
    try:
        chapters_set(acting=request.membership, recording=recording, text=text)
    except MeridianError as exc:
        problem = next(iter(exc.errors.get("chapters", [])), exc.detail)
        return _detail_page(
            request, recording, chapters_text=text, chapters_problem=problem, status=exc.status_code
        )
    messages.success(request, "Chapters saved.")
    return redirect("recording_detail", workspace=workspace, recording_id=recording.pk)


@requires(Role.GUEST)
def transcript_page(request: WorkspaceRequest, workspace: str, recording_id: int) -> HttpResponse:
    """The automatic transcript line by line: the author corrects words here; its history."""
    recording = recording_get_for(request.membership, recording_id)
    return _transcript_page(request, recording)


def _transcript_page(
    request: WorkspaceRequest, recording: Recording, *, problem: str = "", status: int = 200
) -> HttpResponse:
    transcript = transcript_for(viewer=request.membership, recording=recording)
    if transcript is None:
        raise NotFound("This recording has no transcript.")
    context = {
        "recording": recording,
        "brief": recording.brief,
        "transcript": transcript,
        "segments": segment_list_for(viewer=request.membership, transcript=transcript),
        "corrections": correction_list_for(viewer=request.membership, transcript=transcript),
        "can_manage": can_manage(request.membership, recording.brief),
        "problem": problem,
    }
    return render(request, "recordings/transcript.html", context, status=status)


@require_POST
@requires(Role.MEMBER)
def transcript_correct_view(
    request: WorkspaceRequest, workspace: str, recording_id: int, index: int
) -> HttpResponse:
    """Correct one line of the transcript; a change of its times is refused with the reason."""
    recording = recording_get_for(request.membership, recording_id)
    transcript = transcript_for(viewer=request.membership, recording=recording)
    if transcript is None:
        raise NotFound("This recording has no transcript.")
    try:
        transcript_correct(
            acting=request.membership,
            transcript=transcript,
            index=index,
            text=request.POST.get("text", ""),
            start=_seconds_or_none(request.POST.get("start")),
            end=_seconds_or_none(request.POST.get("end")),
        )
    except MeridianError as exc:
        problems = [m for ms in exc.errors.values() for m in ms] or [exc.detail]
        return _transcript_page(request, recording, problem=problems[0], status=exc.status_code)
    messages.success(request, "Correction saved; the captions and search show it now.")
    url = reverse(
        "recording_transcript", kwargs={"workspace": workspace, "recording_id": recording.pk}
    )
    return redirect(f"{url}#segment-{index}")


def _seconds_or_none(value: str | None) -> float | None:
    if value is None or not value.strip():
        return None
    try:
        seconds = float(value)
    except ValueError:
        raise ValidationFailed.field("start", "A time is a number of seconds.") from None
    if seconds != seconds or seconds in (float("inf"), float("-inf")):
        raise ValidationFailed.field("start", "A time is a number of seconds.")
    return seconds


@require_http_methods(["GET", "HEAD"])
@requires(Role.GUEST)
def transcript_status(request: WorkspaceRequest, workspace: str, recording_id: int) -> HttpResponse:
    """The transcript's state and progress, which the page asks for again while it is made."""
    recording = recording_get_for(request.membership, recording_id)
    context = {
        "recording": recording,
        "refresh": True,
        **transcript_state_for(viewer=request.membership, recording=recording),
    }
    return render(request, "recordings/_transcript_status.html", context)


@require_http_methods(["GET", "HEAD"])
@requires(Role.GUEST)
def media(request: WorkspaceRequest, workspace: str, recording_id: int) -> HttpResponseBase:
    """The recording's playable media, with byte ranges for seeking."""
    recording = recording_get_for(request.membership, recording_id)
    stored = recording.playable or recording.original
    return stored_file_response(
        request, stored.name, content_type=recording.media_type, filename=recording.filename
    )


@require_http_methods(["GET", "HEAD"])
@requires(Role.GUEST)
def thumbnail(request: WorkspaceRequest, workspace: str, recording_id: int) -> HttpResponseBase:
    """The recording's JPEG still."""
    recording = recording_get_for(request.membership, recording_id)
    if not recording.thumbnail:
        raise NotFound("This recording has no thumbnail yet.")
    return stored_file_response(
        request, recording.thumbnail.name, content_type="image/jpeg", filename="thumbnail.jpg"
    )


@require_http_methods(["GET", "HEAD"])
@requires(Role.GUEST)
def caption_vtt(
    request: WorkspaceRequest, workspace: str, recording_id: int, caption_id: int
) -> HttpResponse:
    """A caption track as WebVTT for the player's <track>."""
    recording = recording_get_for(request.membership, recording_id)
    return caption_file(caption_get_for(request.membership, recording, caption_id))


@require_POST
@requires(Role.MEMBER)
@once_per_submission
def caption_new(request: WorkspaceRequest, workspace: str, recording_id: int) -> HttpResponse:
    """Attach an uploaded WebVTT file to the recording."""
    recording = recording_get_for(request.membership, recording_id)
    upload = request.FILES.get("file")
    try:
        if upload is None:
            raise MeridianError("Choose a WebVTT (.vtt) file.")
        caption_add(
            acting=request.membership,
            recording=recording,
            vtt=caption_bytes(upload),
            language=request.POST.get("language", "en"),
            label=request.POST.get("label", ""),
        )
    except MeridianError as exc:
        messages.error(request, exc.detail)
        return redirect("recording_detail", workspace=workspace, recording_id=recording.pk)
    messages.success(request, "Captions added; the transcript is under the player.")
    return saved(
        request, redirect("recording_detail", workspace=workspace, recording_id=recording.pk)
    )


@require_POST
@requires(Role.MEMBER)
def caption_remove(
    request: WorkspaceRequest, workspace: str, recording_id: int, caption_id: int
) -> HttpResponse:
    """Remove a caption track."""
    recording = recording_get_for(request.membership, recording_id)
    caption = caption_get_for(request.membership, recording, caption_id)
    try:
        caption_delete(acting=request.membership, caption=caption)
    except MeridianError as exc:
        messages.error(request, exc.detail)
    return redirect("recording_detail", workspace=workspace, recording_id=recording.pk)


@require_POST
@requires(Role.MEMBER)
def remove(request: WorkspaceRequest, workspace: str, recording_id: int) -> HttpResponse:
    """Delete a recording, back to its brief."""
    recording = recording_get_for(request.membership, recording_id)
    try:
        recording_delete(acting=request.membership, recording=recording)
    except MeridianError as exc:
        messages.error(request, exc.detail)
        return redirect("recording_detail", workspace=workspace, recording_id=recording.pk)
    messages.success(request, "Recording deleted.")
    return redirect("brief_detail", workspace=workspace, brief_id=recording.brief_id)


@requires(Role.GUEST)
def search(request: WorkspaceRequest, workspace: str) -> HttpResponse:
    """The old transcript search page: transcripts are in the main search now."""
    query = urlencode({"q": request.GET.get("q", "").strip()[:200], "kind": "transcript"})
    return HttpResponsePermanentRedirect(
        f"{reverse('search', kwargs={'workspace': workspace})}?{query}"
    )


def _insights_of(request: WorkspaceRequest, recording_id: int) -> tuple[Recording, Insights]:
    recording = recording_get_for(request.membership, recording_id)
    if not sees_who_watched(request.membership, recording.brief):
        raise PermissionDenied("Only the brief's author or an admin sees how it was watched.")
    return recording, recording_insights_for(viewer=request.membership, recording=recording)


@requires(Role.MEMBER)
def insights(request: WorkspaceRequest, workspace: str, recording_id: int) -> HttpResponse:
    """For the brief's author (and admins): who watched how much, where people stopped, and
    which moments drew comments or reactions."""
    recording, found = _insights_of(request, recording_id)
    chart = {
        "step": found.step,
        "viewers": len(found.viewers),
        "points": [[second, percent] for second, _, percent in found.retention_rows],
    }
    context = {"recording": recording, "brief": recording.brief, "insights": found, "chart": chart}
    return render(request, "recordings/insights.html", context)


@requires(Role.MEMBER)
def insights_csv(request: WorkspaceRequest, workspace: str, recording_id: int) -> HttpResponse:
    """The retention chart's numbers: for each moment, how many viewers watched it."""
    recording, found = _insights_of(request, recording_id)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["second", "viewers", "percent_of_viewers"])
    writer.writerows(found.retention_rows)
    response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="recording-{recording.pk}-retention.csv"'
    )
    return response
