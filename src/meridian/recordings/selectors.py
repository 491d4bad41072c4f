"""Every read of the recordings area that pages and the API share; each takes the viewer."""

from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from django.core.files.storage import default_storage
from django.db.models import OuterRef, Prefetch, Q, QuerySet, Subquery

from meridian.briefs.access import sees_who_watched
from meridian.briefs.models import Brief, BriefStatus, Comment
from meridian.recordings import transcription
from meridian.recordings.access import visible_recordings
from meridian.recordings.models import (
    Caption,
    CaptionCue,
    Chapter,
    PlayerSettings,
    Reaction,
    Recording,
    RecordingStatus,
    RecordingView,
    Transcript,
    TranscriptCorrection,
    TranscriptSegment,
    TranscriptStatus,
)
from meridian.recordings.progress import RATES, retention, retention_step
from meridian.workspaces.models import Membership


def recording_list_for(*, viewer: Membership, brief: Brief | None = None) -> QuerySet[Recording]:
    """Recordings of the viewer's workspace (of one brief, when given), newest first."""
    recordings = Recording.objects.filter(
        visible_recordings(viewer), workspace_id=viewer.workspace_id
    ).select_related("brief", "workspace")
    if brief is not None:
        recordings = recordings.filter(brief=brief)
    return recordings.order_by("-created_at", "-id")


def recording_for_brief(*, viewer: Membership, brief: Brief) -> Recording | None:
    """The brief's current recording: the newest one (a re-recording replaces the one before)."""
    if brief.workspace_id != viewer.workspace_id:
        return None
    return recording_list_for(viewer=viewer, brief=brief).first()


def caption_list_for(*, viewer: Membership, recording: Recording) -> list[Caption]:
    """The recording's caption tracks with their cues (two queries, whatever their number)."""
    return list(
        Caption.objects.filter(workspace_id=viewer.workspace_id, recording=recording)
        .prefetch_related(Prefetch("cues", queryset=CaptionCue.objects.order_by("index")))
        .order_by("language", "id")
    )


def caption_search(viewer: Membership, q: str) -> QuerySet[CaptionCue]:
    """Caption cues of the viewer's workspace whose text contains ``q`` (case-insensitive)."""
    q = q.strip()
    cues = CaptionCue.objects.filter(
        ~Q(caption__recording__brief__status=BriefStatus.DRAFT)
        | Q(caption__recording__brief__author_id=viewer.pk),
        workspace_id=viewer.workspace_id,
    )
    if not q:
        return cues.none()
    return (
        cues.filter(text__icontains=q)
        .select_related("caption__recording__brief")
        .order_by("-caption__recording__created_at", "caption_id", "index")
    )


def chapter_list_for(*, viewer: Membership, recording: Recording) -> list[Chapter]:
    """The recording's chapters in time order."""
    return list(
        Chapter.objects.filter(
            workspace_id=viewer.workspace_id, recording_id=recording.pk
        ).order_by("index")
    )


def segment_list_for(*, viewer: Membership, transcript: Transcript) -> QuerySet[TranscriptSegment]:
    """A transcript's segments in order."""
    return TranscriptSegment.objects.filter(
        workspace_id=viewer.workspace_id, transcript=transcript
    ).order_by("index")


def correction_list_for(
    *, viewer: Membership, transcript: Transcript
) -> QuerySet[TranscriptCorrection]:
    """A transcript's corrections, newest first: its history."""
    return (
        TranscriptCorrection.objects.filter(workspace_id=viewer.workspace_id, transcript=transcript)
        .select_related("segment", "by__profile")
        .order_by("-created_at", "-id")
    )


def player_rate_for(*, viewer: Membership) -> float:
    """The speed the viewer's recordings start at (1× until they choose one)."""
    rate = (
        PlayerSettings.objects.filter(membership_id=viewer.pk)
        .values_list("rate", flat=True)
        .first()
    )
    return rate or 1.0


def player_state_for(*, viewer: Membership, recording: Recording) -> dict[str, object]:
    """The viewer's speed and where they stopped in this recording (the player resumes there)."""
    position = (
        RecordingView.objects.filter(recording_id=recording.pk, membership_id=viewer.pk)
        .values_list("position", flat=True)
        .first()
    )
    return {
        "reactions": reaction_list_for(viewer=viewer, recording=recording),
        "reaction_emoji": Reaction.EMOJI,
        "player_rate": player_rate_for(viewer=viewer),
        "player_resume": position or 0.0,
        "player_rates": RATES,
    }


def reaction_list_for(*, viewer: Membership, recording: Recording) -> list[Reaction]:
    """The recording's reactions in time order, with who reacted."""
    return list(
        Reaction.objects.filter(workspace_id=viewer.workspace_id, recording_id=recording.pk)
        .select_related("membership__profile")
        .order_by("seconds", "id")
    )


def transcript_for(*, viewer: Membership, recording: Recording) -> Transcript | None:
    """The recording's automatic transcript, if it was queued (processing queues it)."""
    return Transcript.objects.filter(
        workspace_id=viewer.workspace_id, recording_id=recording.pk
    ).first()


def transcript_state_for(*, viewer: Membership, recording: Recording) -> dict[str, object]:
    """What the page says of the transcript: its row, and why transcripts are off if they are.

    ``live`` is true while the worker has it queued or running, so the page asks again.
    """
    return _transcript_state(transcript_for(viewer=viewer, recording=recording))


def _transcript_state(transcript: Transcript | None) -> dict[str, object]:
    off = transcription.unavailable_reason() if transcript is None else ""
    if transcript is not None and transcript.status == TranscriptStatus.OFF:
        off = transcript.problem or "transcription is not installed on this server"
    live = transcript is not None and transcript.status in (
        TranscriptStatus.PENDING,
        TranscriptStatus.RUNNING,
    )
    return {"transcript": transcript, "transcripts_off": off, "transcript_live": live}


def recording_view_for(*, viewer: Membership, recording: Recording) -> RecordingView | None:
    """The viewer's own progress on a recording, if they have watched any of it."""
    return RecordingView.objects.filter(recording=recording, membership=viewer).first()


def recording_views_for(*, viewer: Membership, recording: Recording) -> QuerySet[RecordingView]:
    """Each member's progress on a recording of the viewer's workspace: everyone's for the
    brief's author and admins, the viewer's own for anyone else (``sees_who_watched``)."""
    views = RecordingView.objects.filter(workspace_id=viewer.workspace_id, recording=recording)
    if not sees_who_watched(viewer, recording.brief):
        views = views.filter(membership=viewer)
    return views.select_related("membership__profile").order_by(
        "membership__profile__display_name", "id"
    )


def watch_fractions_for(*, viewer: Membership, recording: Recording | None) -> dict[int, float]:
    """Membership id → share of the recording watched (0..1), as far as the viewer may see it
    (everyone's for the brief's author and admins, else only their own)."""
    if recording is None:
        return {}
    return {
        v.membership_id: v.fraction for v in recording_views_for(viewer=viewer, recording=recording)
    }


def recording_media_stored(*, recording: Recording) -> bool:
    """Whether the file the player would play is still in storage (a restore may lack it)."""
    stored = recording.playable or recording.original
    return bool(stored.name) and default_storage.exists(str(stored.name))


# --- What the brief page shows of a recording (registered in hooks.py) -----------------------


def brief_recording_latest(brief_id: int) -> Recording | None:
    """The brief's current recording, for the brief's own reads (BriefMedia.latest)."""
    return Recording.objects.filter(brief_id=brief_id).order_by("-created_at", "-id").first()


def brief_recording_processing(brief_id: int) -> bool:
    """Whether a recording of the brief is still processing (BriefMedia.processing)."""
    return Recording.objects.filter(brief_id=brief_id, status=RecordingStatus.PROCESSING).exists()


def brief_recording_watched(recording: Recording, member_ids: list[int]) -> dict[int, float]:
    """How much of the recording each of the members has watched, 0 to 1 (BriefMedia.watched)."""
    rows = RecordingView.objects.filter(
        recording=recording, membership_id__in=member_ids
    ).values_list("membership_id", "fraction")
    return dict(rows)


def brief_player_panel(viewer: Membership, brief_id: int) -> dict[str, object] | None:
    """The player panel's context on a brief's page: its current recording, if it has one.

    One query reads the recording with its transcript, the viewer's resume position and
    speed; then its chapters, reactions, and caption tracks with their cues (five in all).
    """
    own_view = RecordingView.objects.filter(recording_id=OuterRef("pk"), membership_id=viewer.pk)
    own_rate = PlayerSettings.objects.filter(membership_id=viewer.pk)
    recording = (
        Recording.objects.filter(workspace_id=viewer.workspace_id, brief_id=brief_id)
        .select_related("transcript")
        .annotate(
            resume_at=Subquery(own_view.values("position")[:1]),
            viewer_rate=Subquery(own_rate.values("rate")[:1]),
        )
        .order_by("-created_at", "-id")
        .first()
    )
    if recording is None:
        return None
    transcript: Transcript | None = getattr(recording, "transcript", None)
    return {
        "recording": recording,
        "chapters": chapter_list_for(viewer=viewer, recording=recording),
        "captions": caption_list_for(viewer=viewer, recording=recording),
        "reactions": reaction_list_for(viewer=viewer, recording=recording),
        "reaction_emoji": Reaction.EMOJI,
        "player_rate": getattr(recording, "viewer_rate", None) or 1.0,
        "player_resume": getattr(recording, "resume_at", None) or 0.0,
        "player_rates": RATES,
        **_transcript_state(transcript),
    }


@dataclass(frozen=True)
class ViewerRow:
    """One member who watched: their name, how much, and when they last did."""

    name: str
    fraction: float
    updated_at: datetime


@dataclass(frozen=True)
class Moment:
    """A moment (a few seconds) of the recording that drew comments or reactions."""

    start: float
    comments: int
    reactions: dict[str, int]

    @property
    def total(self) -> int:
        return self.comments + sum(self.reactions.values())


@dataclass(frozen=True)
class Insights:
    """What the author learns of how their recording was watched (no more than that)."""

    viewers: list[ViewerRow]
    step: int  # seconds per retention point
    retention: list[int]  # viewers who watched each point
    moments: list[Moment]
    duration: float | None

    @property
    def retention_rows(self) -> list[tuple[int, int, int]]:
        """(second, viewers, % of viewers) for each point: the chart's table and CSV."""
        total = len(self.viewers) or 1
        return [(i * self.step, n, round(100 * n / total)) for i, n in enumerate(self.retention)]


# Comments and reactions closer together than this are one moment.
MOMENT_SECONDS = 5
MAX_MOMENTS = 10


def recording_insights_for(*, viewer: Membership, recording: Recording) -> Insights:
    """Who watched how much, where people dropped off, and which moments drew a response.

    Built from what is kept anyway: each member's merged watched ranges (RecordingView), the
    brief's pinned comments and the reactions. Callers check ``can_manage`` first.
    """
    views = list(
        RecordingView.objects.filter(workspace_id=viewer.workspace_id, recording=recording)
        .exclude(ranges=[])
        .select_related("membership__profile")
        .order_by("-fraction", "membership__profile__display_name")
    )
    duration = recording.duration or max((b for v in views for _, b in v.ranges), default=None)
    step = retention_step(duration)
    buckets: dict[int, tuple[int, Counter[str]]] = {}
    pinned = Comment.objects.filter(
        brief_id=recording.brief_id, at_seconds__isnull=False
    ).values_list("at_seconds", flat=True)
    for pinned_at in pinned:
        key = int(float(pinned_at or 0) // MOMENT_SECONDS)
        count, seen = buckets.get(key, (0, Counter()))
        buckets[key] = (count + 1, seen)
    for at, emoji in Reaction.objects.filter(recording=recording).values_list("seconds", "emoji"):
        key = int(at // MOMENT_SECONDS)
        count, seen = buckets.get(key, (0, Counter()))
        seen[emoji] += 1
        buckets[key] = (count, seen)
    moments = sorted(
        (
            Moment(float(k * MOMENT_SECONDS), c, dict(e.most_common()))
            for k, (c, e) in buckets.items()
        ),
        key=lambda m: (-m.total, m.start),
    )[:MAX_MOMENTS]
    return Insights(
        viewers=[
            ViewerRow(str(v.membership.profile.display_name), v.fraction, v.updated_at)
            for v in views
        ],
        step=step,
        retention=retention([v.ranges for v in views], duration, step),
        moments=sorted(moments, key=lambda m: m.start),
        duration=duration,
    )
