"""Shapes of the recordings API."""

from datetime import datetime
from typing import Any

from django.urls import reverse
from ninja import Field, Schema

from meridian.recordings.services import CHUNK_BYTES, CHUNK_MAX_BYTES


class UploadIn(Schema):
    brief_id: int = Field(..., description="The brief the recording belongs to.")
    filename: str = Field("recording.webm", max_length=255, description="Shown to people only.")
    size: int = Field(..., ge=1, description="The whole file's size in bytes.")


class UploadOut(Schema):
    id: int
    brief_id: int
    filename: str
    size: int
    offset: int = Field(..., description="Bytes the server has; the next chunk starts here.")
    status: str = Field(
        ...,
        description="receiving, finishing (the last chunk is being stored; wait), complete or rejected.",
    )
    problem: str = Field(..., description="Why the file was rejected, when it was.")
    recording_id: int | None = Field(..., description="The recording, once the upload is complete.")
    chunk_size: int = Field(CHUNK_BYTES, description="The chunk size the server suggests.")
    max_chunk_size: int = Field(CHUNK_MAX_BYTES, description="The most one PATCH may carry.")
    url: str = Field(..., description="Where to send the chunks (PATCH) and ask for the offset.")

    @staticmethod
    def resolve_url(obj: Any) -> str:
        return reverse("api:recordings_upload", kwargs={"upload_id": obj.pk})


class CaptionOut(Schema):
    id: int
    language: str
    label: str
    created_at: datetime
    vtt_url: str

    @staticmethod
    def resolve_vtt_url(obj: Any) -> str:
        return reverse(
            "api:recordings_caption_vtt",
            kwargs={"recording_id": obj.recording_id, "caption_id": obj.pk},
        )


class CueOut(Schema):
    index: int
    start: float
    end: float
    text: str


class CaptionDetailOut(CaptionOut):
    cues: list[CueOut]

    @staticmethod
    def resolve_cues(obj: Any) -> list[Any]:
        return list(obj.cues.all())


class RecordingOut(Schema):
    id: int
    brief_id: int
    filename: str
    kind: str
    status: str = Field(..., description="processing, ready or failed; the original plays in all.")
    problem: str
    content_type: str = Field(..., description="What the server found the file to be.")
    size: int
    duration: float | None
    width: int | None
    height: int | None
    has_rendition: bool
    has_thumbnail: bool
    created_at: datetime
    processed_at: datetime | None
    media_url: str = Field(..., description="The media, with HTTP range support.")
    thumbnail_url: str | None

    @staticmethod
    def resolve_has_rendition(obj: Any) -> bool:
        return bool(obj.playable)

    @staticmethod
    def resolve_has_thumbnail(obj: Any) -> bool:
        return bool(obj.thumbnail)

    @staticmethod
    def resolve_media_url(obj: Any) -> str:
        return reverse("api:recordings_media", kwargs={"recording_id": obj.pk})

    @staticmethod
    def resolve_thumbnail_url(obj: Any) -> str | None:
        if not obj.thumbnail:
            return None
        return reverse("api:recordings_thumbnail", kwargs={"recording_id": obj.pk})


class ProgressIn(Schema):
    ranges: list[list[float]] = Field(
        ..., description="Time ranges watched since the last report, [[start, end], ...] seconds."
    )
    position: float = Field(0.0, ge=0, description="Where the player is now, in seconds.")
    duration: float | None = Field(
        None, gt=0, description="The duration the player sees (used while the server has none)."
    )


class ProgressOut(Schema):
    recording_id: int
    membership_id: int
    ranges: list[list[float]]
    fraction: float = Field(..., description="Share of the recording watched, 0 to 1.")
    position: float
    updated_at: datetime | None = None


class ViewOut(ProgressOut):
    display_name: str

    @staticmethod
    def resolve_display_name(obj: Any) -> str:
        return str(obj.membership.profile.display_name)


class CueHitOut(Schema):
    recording_id: int
    brief_id: int
    caption_id: int
    start: float
    end: float
    text: str

    @staticmethod
    def resolve_recording_id(obj: Any) -> int:
        return int(obj.caption.recording_id)

    @staticmethod
    def resolve_brief_id(obj: Any) -> int:
        return int(obj.caption.recording.brief_id)


class PlayerSettingsIn(Schema):
    rate: float = Field(..., ge=1, le=2, description="Playback speed, 1 to 2 (1.25, 1.5…).")


class PlayerSettingsOut(Schema):
    rate: float = Field(..., description="The speed every recording starts at for this member.")


class ReactionIn(Schema):
    seconds: float = Field(..., ge=0, le=24 * 3600, description="The moment, in seconds.")
    emoji: str = Field(..., max_length=16, description="One of 👍 ❤️ 😂 🎉 🤔 👀.")


class ReactionOut(Schema):
    id: int
    seconds: float
    emoji: str
    membership_id: int
    created_at: datetime


class SegmentOut(Schema):
    index: int
    start: float = Field(..., description="Seconds from the start of the recording.")
    end: float
    text: str
    words: list[tuple[float, float, str]] = Field(
        ..., description="[start, end, word] as the model heard them (before corrections)."
    )


class TranscriptOut(Schema):
    recording_id: int
    status: str = Field(
        ..., description="off, pending, running, done, silent (no speech) or failed."
    )
    progress: float = Field(..., description="Share transcribed so far, 0 to 1.")
    model_name: str = Field(..., description="The model that made it, e.g. Whisper tiny.en.")
    language: str
    problem: str = Field(..., description="Why it failed, or why transcripts are off.")
    started_at: datetime | None
    finished_at: datetime | None
    segments: list[SegmentOut]


class CorrectionIn(Schema):
    text: str = Field(..., max_length=2000, description="The segment's corrected words.")
    start: float | None = Field(
        None, description="Optional; must equal the segment's start (the timing stays as heard)."
    )
    end: float | None = Field(
        None, description="Optional; must equal the segment's end (the timing stays as heard)."
    )


class CorrectionOut(Schema):
    id: int
    index: int = Field(..., description="The segment corrected.")
    before: str
    after: str
    by_id: int = Field(..., description="The membership that corrected it.")
    created_at: datetime

    @staticmethod
    def resolve_index(obj: Any) -> int:
        return int(obj.segment.index)


class ChapterOut(Schema):
    index: int
    start: float
    title: str


class ChapterIn(Schema):
    start: float = Field(..., ge=0, le=24 * 3600, description="Seconds from the start.")
    title: str = Field(..., min_length=1, max_length=120)


class ChaptersIn(Schema):
    chapters: list[ChapterIn] = Field(
        ..., max_length=200, description="Every chapter, in time order (replaces the ones there)."
    )


class InsightViewerOut(Schema):
    name: str
    fraction: float = Field(..., description="Share of the recording watched, 0 to 1.")
    updated_at: datetime = Field(..., description="When they last watched.")


class InsightMomentOut(Schema):
    start: float = Field(..., description="Seconds into the recording (5-second moments).")
    comments: int
    reactions: dict[str, int] = Field(..., description="Emoji → how many.")


class InsightsOut(Schema):
    """How the recording was watched, for the brief's author and admins."""

    viewers: list[InsightViewerOut]
    step: int = Field(..., description="Seconds per retention point (1 up to 20 minutes).")
    retention: list[int] = Field(
        ..., description="How many viewers watched each point, from the start."
    )
    moments: list[InsightMomentOut]
    duration: float | None
