"""The recordings API: the chunked, resumable upload protocol, recordings, captions, progress,
the automatic transcript with its corrections, chapters, reactions and player settings.

The upload protocol (tus-like):

1. ``POST /uploads {brief_id, filename, size}`` → 201 with the upload's ``id``, ``offset`` 0
   and the suggested ``chunk_size``. A size over the limit is refused here with 413.
2. ``PATCH /uploads/{id}`` with the header ``Upload-Offset: <offset>``, a ``Content-Length``
   and the chunk's raw bytes (``Content-Type: application/offset+octet-stream``) → 200 with
   the new offset. A chunk that does not start at the server's offset → 409, with the
   server's offset in the ``Upload-Offset`` header; past the declared size → 413.
3. After a failure, ``GET /uploads/{id}`` tells the offset to resume from.
4. The chunk that completes the file is probed: not audio or video → 422 with the reason;
   otherwise the answer names the ``recording_id``, processed in the background.
"""

from django.db.models import QuerySet
from django.http import HttpResponse
from django.http.response import HttpResponseBase
from ninja import File, Form, Header, Query, Router, Schema, Status
from ninja.files import UploadedFile
from ninja.pagination import paginate

from meridian.briefs.access import sees_who_watched
from meridian.core.errors import NotFound, PermissionDenied
from meridian.core.inputs import Id
from meridian.core.pagination import CursorPagination
from meridian.core.schemas import Problem
from meridian.recordings import transcription
from meridian.recordings.access import (
    brief_for_recording,
    caption_get_for,
    recording_get_for,
    upload_get_for,
)
from meridian.recordings.captions import Cue, write_vtt
from meridian.recordings.errors import Busy, ChunkInterrupted, OffsetMismatch
from meridian.recordings.models import (
    Caption,
    CaptionCue,
    Chapter,
    PlayerSettings,
    Reaction,
    Recording,
    RecordingView,
    Transcript,
    TranscriptCorrection,
    TranscriptSegment,
    Upload,
)
from meridian.recordings.schemas import (
    CaptionDetailOut,
    CaptionOut,
    ChapterOut,
    ChaptersIn,
    CorrectionIn,
    CorrectionOut,
    CueHitOut,
    InsightsOut,
    PlayerSettingsIn,
    PlayerSettingsOut,
    ProgressIn,
    ProgressOut,
    ReactionIn,
    ReactionOut,
    RecordingOut,
    SegmentOut,
    TranscriptOut,
    UploadIn,
    UploadOut,
    ViewOut,
)
from meridian.recordings.selectors import (
    Insights,
    caption_list_for,
    caption_search,
    chapter_list_for,
    correction_list_for,
    player_rate_for,
    reaction_list_for,
    recording_insights_for,
    recording_list_for,
    recording_view_for,
    recording_views_for,
    segment_list_for,
    transcript_for,
)
from meridian.recordings.services import (
    caption_add,
    caption_bytes,
    caption_delete,
    chapters_set,
    player_rate_set,
    reaction_add,
    recording_delete,
    recording_view_record,
    transcript_correct,
    upload_append,
    upload_cancel,
    upload_create,
)
from meridian.recordings.serving import stored_file_response, text_response
from meridian.workspaces.access import ApiRequest, requires
from meridian.workspaces.models import Role

router = Router(tags=["recordings"])

CHUNK_BODY = {
    "requestBody": {
        "required": True,
        "description": "The chunk's bytes, starting at Upload-Offset.",
        "content": {
            "application/offset+octet-stream": {"schema": {"type": "string", "format": "binary"}}
        },
    }
}
MEDIA_BODY = {
    "responses": {
        "200": {
            "description": "The whole file.",
            "content": {"video/*": {"schema": {"type": "string", "format": "binary"}}},
        },
        "206": {"description": "The byte range asked for with a Range header."},
        "416": {"description": "The range lies outside the file."},
    }
}
THUMBNAIL_BODY = {
    "responses": {
        "200": {
            "description": "The JPEG still.",
            "content": {"image/jpeg": {"schema": {"type": "string", "format": "binary"}}},
        },
        "206": {"description": "The byte range asked for with a Range header."},
        "416": {"description": "The range lies outside the file."},
    }
}


def _with_offset(response: HttpResponseBase, upload: Upload) -> HttpResponseBase:
    response["Upload-Offset"] = str(upload.offset)
    response["Upload-Length"] = str(upload.size)
    response["Cache-Control"] = "no-store"
    return response


@router.post("/uploads", response={201: UploadOut, 403: Problem, 404: Problem, 409: Problem})
@requires(Role.MEMBER)
def upload_new(request: ApiRequest, payload: UploadIn, response: HttpResponse) -> Status[Upload]:
    """Start a chunked upload of a recording for a brief (its author or an admin)."""
    brief = brief_for_recording(request.membership, payload.brief_id)
    upload = upload_create(
        acting=request.membership, brief=brief, filename=payload.filename, size=payload.size
    )
    _with_offset(response, upload)
    response["Location"] = UploadOut.resolve_url(upload)
    return Status(201, upload)


@router.get(
    "/uploads/{upload_id}", response={200: UploadOut, 404: Problem}, url_name="recordings_upload"
)
@requires(Role.MEMBER)
def upload_status(request: ApiRequest, upload_id: int, response: HttpResponse) -> Upload:
    """Where an upload stands: the offset to resume from, or its recording once complete."""
    upload = upload_get_for(request.membership, upload_id)
    _with_offset(response, upload)
    return upload


@router.patch(
    "/uploads/{upload_id}",
    response={
        200: UploadOut,
        404: Problem,
        409: Problem,
        410: Problem,
        411: Problem,
        413: Problem,
        422: Problem,
    },
    openapi_extra=CHUNK_BODY,
)
@requires(Role.MEMBER)
def upload_chunk(
    request: ApiRequest,
    upload_id: int,
    response: HttpResponse,
    upload_offset: int = Header(..., alias="Upload-Offset", ge=0),
) -> Upload | HttpResponseBase:
    """Send the chunk that starts at Upload-Offset; its bytes are read and stored in blocks."""
    upload = upload_get_for(request.membership, upload_id)
    length = request.META.get("CONTENT_LENGTH")
    try:
        upload = upload_append(
            acting=request.membership,
            upload=upload,
            offset=upload_offset,
            stream=request,  # read in blocks: the body is never held whole
            length=int(length) if length and length.isdigit() else None,
        )
    except (OffsetMismatch, ChunkInterrupted, Busy) as exc:
        answer = _problem(exc.status_code, exc.detail, exc.errors)
        answer["Upload-Offset"] = str(exc.offset)
        answer["Cache-Control"] = "no-store"
        if isinstance(exc, Busy) and exc.finishing:
            answer["Upload-Status"] = "finishing"
        return answer
    _with_offset(response, upload)
    return upload


def _problem(status: int, detail: str, errors: dict[str, list[str]]) -> HttpResponse:
    from django.http import JsonResponse

    return JsonResponse({"detail": detail, "errors": errors}, status=status)


@router.delete("/uploads/{upload_id}", response={204: None, 404: Problem, 409: Problem})
@requires(Role.MEMBER)
def upload_delete(request: ApiRequest, upload_id: int) -> Status[None]:
    """Give up an unfinished upload; the bytes sent so far are removed."""
    upload_cancel(acting=request.membership, upload=upload_get_for(request.membership, upload_id))
    return Status(204, None)


class RecordingQuery(Schema):
    brief_id: Id | None = None


@router.get("/recordings", response={200: list[RecordingOut], 404: Problem})
@requires(Role.GUEST)
@paginate(CursorPagination, key="-created_at")
def recordings(request: ApiRequest, filters: Query[RecordingQuery]) -> QuerySet[Recording]:
    """Recordings of the workspace, newest first; ``brief_id`` narrows them to one brief."""
    brief = None
    if filters.brief_id is not None:
        brief = brief_for_recording(request.membership, filters.brief_id)
    return recording_list_for(viewer=request.membership, brief=brief)


@router.get("/recordings/{recording_id}", response={200: RecordingOut, 404: Problem})
@requires(Role.GUEST)
def recording(request: ApiRequest, recording_id: int) -> Recording:
    """One recording: its state, what it is, and where its media is."""
    return recording_get_for(request.membership, recording_id)


@router.delete(
    "/recordings/{recording_id}", response={204: None, 403: Problem, 404: Problem, 409: Problem}
)
@requires(Role.MEMBER)
def recording_remove(request: ApiRequest, recording_id: int) -> Status[None]:
    """Delete a recording and its files (the brief's author or an admin)."""
    target = recording_get_for(request.membership, recording_id)
    recording_delete(acting=request.membership, recording=target)
    return Status(204, None)


@router.get(
    "/recordings/{recording_id}/media",
    response={404: Problem},
    openapi_extra=MEDIA_BODY,
    url_name="recordings_media",
)
@requires(Role.GUEST)
def recording_media(request: ApiRequest, recording_id: int) -> HttpResponseBase:
    """The playable media (the web rendition when there is one); send Range to seek."""
    target = recording_get_for(request.membership, recording_id)
    media = target.playable or target.original
    return stored_file_response(
        request, media.name, content_type=target.media_type, filename=target.filename
    )


@router.get(
    "/recordings/{recording_id}/original", response={404: Problem}, openapi_extra=MEDIA_BODY
)
@requires(Role.GUEST)
def recording_original(request: ApiRequest, recording_id: int) -> HttpResponseBase:
    """The file as it was uploaded, under the type the server found it to be."""
    target = recording_get_for(request.membership, recording_id)
    return stored_file_response(
        request, target.original.name, content_type=target.content_type, filename=target.filename
    )


@router.get(
    "/recordings/{recording_id}/thumbnail",
    response={404: Problem},
    openapi_extra=THUMBNAIL_BODY,
    url_name="recordings_thumbnail",
)
@requires(Role.GUEST)
def recording_thumbnail(request: ApiRequest, recording_id: int) -> HttpResponseBase:
    """A JPEG still of the recording, once the worker has made it."""
    target = recording_get_for(request.membership, recording_id)
    if not target.thumbnail:
        raise NotFound("This recording has no thumbnail (yet).")
    return stored_file_response(
        request, target.thumbnail.name, content_type="image/jpeg", filename="thumbnail.jpg"
    )


@router.get(
    "/recordings/{recording_id}/progress",
    response={200: ProgressOut, 404: Problem},
    url_name="recordings_progress",
)
@requires(Role.GUEST)
def progress(request: ApiRequest, recording_id: int) -> RecordingView | dict:
    """How much of the recording you have watched."""
    target = recording_get_for(request.membership, recording_id)
    view = recording_view_for(viewer=request.membership, recording=target)
    if view is None:
        return {
            "recording_id": target.pk,
            "membership_id": request.membership.pk,
            "ranges": [],
            "fraction": 0.0,
            "position": 0.0,
        }
    return view


@router.post("/recordings/{recording_id}/progress", response={200: ProgressOut, 404: Problem})
@requires(Role.GUEST)
def progress_report(request: ApiRequest, recording_id: int, payload: ProgressIn) -> RecordingView:
    """Report the time ranges just watched (the player sends this every few seconds)."""
    target = recording_get_for(request.membership, recording_id)
    return recording_view_record(
        viewer=request.membership,
        recording=target,
        ranges=payload.ranges,
        position=payload.position,
        duration=payload.duration,
    )


@router.get("/recordings/{recording_id}/views", response={200: list[ViewOut], 404: Problem})
@requires(Role.GUEST)
def views(request: ApiRequest, recording_id: int) -> QuerySet[RecordingView]:
    """Each member's progress on the recording, for the brief's author and admins; anyone else
    gets only their own (an empty list before they watch)."""
    target = recording_get_for(request.membership, recording_id)
    return recording_views_for(viewer=request.membership, recording=target)


@router.get(
    "/recordings/{recording_id}/insights", response={200: InsightsOut, 403: Problem, 404: Problem}
)
@requires(Role.MEMBER)
def insights(request: ApiRequest, recording_id: int) -> Insights:
    """Who watched how much, the retention per moment and the moments that drew comments or
    reactions; for the brief's author and the workspace's admins only (403 for others)."""
    target = recording_get_for(request.membership, recording_id)
    if not sees_who_watched(request.membership, target.brief):
        raise PermissionDenied("Only the brief's author or an admin sees how it was watched.")
    return recording_insights_for(viewer=request.membership, recording=target)


@router.get("/recordings/{recording_id}/captions", response={200: list[CaptionOut], 404: Problem})
@requires(Role.GUEST)
def captions(request: ApiRequest, recording_id: int) -> list[Caption]:
    """The recording's caption tracks."""
    target = recording_get_for(request.membership, recording_id)
    return caption_list_for(viewer=request.membership, recording=target)


@router.post(
    "/recordings/{recording_id}/captions",
    response={201: CaptionDetailOut, 403: Problem, 404: Problem, 409: Problem},
)
@requires(Role.MEMBER)
def caption_new(
    request: ApiRequest,
    recording_id: int,
    file: File[UploadedFile],
    language: Form[str] = "en",
    label: Form[str] = "",
) -> Status[Caption]:
    """Upload a WebVTT file (multipart field ``file``); it is parsed into searchable cues."""
    target = recording_get_for(request.membership, recording_id)
    caption = caption_add(
        acting=request.membership,
        recording=target,
        vtt=caption_bytes(file),
        language=language,
        label=label,
    )
    return Status(201, caption)


@router.get(
    "/recordings/{recording_id}/captions/{caption_id}",
    response={200: CaptionDetailOut, 404: Problem},
)
@requires(Role.GUEST)
def caption(request: ApiRequest, recording_id: int, caption_id: int) -> Caption:
    """One caption track with its cues."""
    target = recording_get_for(request.membership, recording_id)
    return caption_get_for(request.membership, target, caption_id)


@router.get(
    "/recordings/{recording_id}/captions/{caption_id}/vtt",
    response={404: Problem},
    url_name="recordings_caption_vtt",
    openapi_extra={"responses": {"200": {"description": "WebVTT", "content": {"text/vtt": {}}}}},
)
@requires(Role.GUEST)
def caption_vtt(request: ApiRequest, recording_id: int, caption_id: int) -> HttpResponse:
    """The caption track as WebVTT, written from its cues."""
    target = recording_get_for(request.membership, recording_id)
    track = caption_get_for(request.membership, target, caption_id)
    return caption_file(track)


def caption_file(track: Caption) -> HttpResponse:
    """A caption track as a WebVTT response (shared with the page view)."""
    cues = [Cue(c.start, c.end, c.text) for c in track.cues.order_by("index")]
    return text_response(
        write_vtt(cues),
        content_type="text/vtt; charset=utf-8",
        filename=f"captions-{track.language}.vtt",
    )


@router.delete(
    "/recordings/{recording_id}/captions/{caption_id}",
    response={204: None, 403: Problem, 404: Problem, 409: Problem},
)
@requires(Role.MEMBER)
def caption_remove(request: ApiRequest, recording_id: int, caption_id: int) -> Status[None]:
    """Remove a caption track."""
    target = recording_get_for(request.membership, recording_id)
    caption_delete(
        acting=request.membership, caption=caption_get_for(request.membership, target, caption_id)
    )
    return Status(204, None)


def _transcript(request: ApiRequest, recording_id: int) -> Transcript:
    target = recording_get_for(request.membership, recording_id)
    found = transcript_for(viewer=request.membership, recording=target)
    if found is None:
        reason = transcription.unavailable_reason() or "it is made after processing"
        raise NotFound(f"This recording has no transcript yet ({reason}).")
    return found


def _transcript_out(request: ApiRequest, transcript: Transcript) -> dict[str, object]:
    segments = segment_list_for(viewer=request.membership, transcript=transcript)
    return {
        **{f: getattr(transcript, f) for f in TRANSCRIPT_FIELDS},
        "recording_id": transcript.recording_id,
        "segments": list(segments),
    }


TRANSCRIPT_FIELDS = (
    "status",
    "progress",
    "model_name",
    "language",
    "problem",
    "started_at",
    "finished_at",
)


@router.get("/recordings/{recording_id}/transcript", response={200: TranscriptOut, 404: Problem})
@requires(Role.GUEST)
def transcript(request: ApiRequest, recording_id: int) -> dict[str, object]:
    """The recording's automatic transcript: its state and progress, and its timed segments."""
    return _transcript_out(request, _transcript(request, recording_id))


@router.patch(
    "/recordings/{recording_id}/transcript/segments/{index}",
    response={200: SegmentOut, 403: Problem, 404: Problem, 409: Problem, 422: Problem},
)
@requires(Role.MEMBER)
def transcript_segment_correct(
    request: ApiRequest, recording_id: int, index: int, payload: CorrectionIn
) -> TranscriptSegment:
    """Correct a segment's words (the author); a changed start or end is refused with 422."""
    return transcript_correct(
        acting=request.membership,
        transcript=_transcript(request, recording_id),
        index=index,
        text=payload.text,
        start=payload.start,
        end=payload.end,
    )


@router.get(
    "/recordings/{recording_id}/transcript/corrections",
    response={200: list[CorrectionOut], 404: Problem},
)
@requires(Role.GUEST)
def transcript_corrections(request: ApiRequest, recording_id: int) -> list[TranscriptCorrection]:
    """The transcript's history: every correction, newest first."""
    found = _transcript(request, recording_id)
    return list(correction_list_for(viewer=request.membership, transcript=found))


@router.get("/recordings/{recording_id}/chapters", response={200: list[ChapterOut], 404: Problem})
@requires(Role.GUEST)
def chapters_list(request: ApiRequest, recording_id: int) -> list[Chapter]:
    """The recording's chapters in time order."""
    target = recording_get_for(request.membership, recording_id)
    return chapter_list_for(viewer=request.membership, recording=target)


@router.put(
    "/recordings/{recording_id}/chapters",
    response={200: list[ChapterOut], 403: Problem, 404: Problem, 409: Problem, 422: Problem},
)
@requires(Role.MEMBER)
def chapters_replace(request: ApiRequest, recording_id: int, payload: ChaptersIn) -> list[Chapter]:
    """Replace the recording's chapters (the author); times must rise and fall within it."""
    target = recording_get_for(request.membership, recording_id)
    text = "\n".join(f"{c.start:.3f} {' '.join(c.title.split())}" for c in payload.chapters)
    return chapters_set(acting=request.membership, recording=target, text=text)


@router.get("/recordings/{recording_id}/reactions", response={200: list[ReactionOut], 404: Problem})
@requires(Role.GUEST)
def reactions(request: ApiRequest, recording_id: int) -> list[Reaction]:
    """The emoji people put at moments of the recording, in time order."""
    target = recording_get_for(request.membership, recording_id)
    return reaction_list_for(viewer=request.membership, recording=target)


@router.post(
    "/recordings/{recording_id}/reactions",
    response={201: ReactionOut, 404: Problem, 422: Problem},
    url_name="recordings_reactions",
)
@requires(Role.GUEST)
def reaction_new(request: ApiRequest, recording_id: int, payload: ReactionIn) -> Status[Reaction]:
    """React at a moment (a repeat of the same emoji within a second is the same reaction)."""
    target = recording_get_for(request.membership, recording_id)
    made = reaction_add(
        acting=request.membership, recording=target, seconds=payload.seconds, emoji=payload.emoji
    )
    return Status(201, made)


@router.get("/player-settings", response={200: PlayerSettingsOut})
@requires(Role.GUEST)
def player_settings(request: ApiRequest) -> dict[str, float]:
    """The calling member's player settings (the speed recordings start at)."""
    return {"rate": player_rate_for(viewer=request.membership)}


@router.put(
    "/player-settings",
    response={200: PlayerSettingsOut, 422: Problem},
    url_name="recordings_player_settings",
)
@requires(Role.GUEST)
def player_settings_set(request: ApiRequest, payload: PlayerSettingsIn) -> PlayerSettings:
    """Remember the calling member's playback speed (the player sends it when it changes)."""
    return player_rate_set(acting=request.membership, rate=payload.rate)


class RecordingSearchQuery(Schema):
    q: str = ""


@router.get("/captions/search", response=list[CueHitOut])
@requires(Role.GUEST)
@paginate(CursorPagination, key="id")
def caption_hits(request: ApiRequest, filters: Query[RecordingSearchQuery]) -> QuerySet[CaptionCue]:
    """Caption cues of the workspace whose text contains ``q``, with where they are."""
    return caption_search(request.membership, filters.q)
