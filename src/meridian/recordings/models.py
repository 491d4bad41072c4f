"""Recordings: a brief's video or audio walkthrough, its chunked upload, captions and who watched.

Media bytes never live in the database: an upload in progress is a partial file on disk
(``MEDIA_ROOT/uploads/partial/``), a finished recording is stored through Django's storage
API and served only by an authorized view.
"""

from django.db import models
from django.db.models import Q


class UploadStatus(models.TextChoices):
    """Where a chunked upload stands: receiving bytes, being finished, turned into a recording, or refused.

    FINISHING is claimed by the one request that sent the last byte while it probes and stores
    the file; every other request is answered "finishing" until it ends (complete, rejected,
    or back to RECEIVING at the full offset if finishing failed, so a retry finishes again).
    """

    RECEIVING = "receiving", "Receiving"
    FINISHING = "finishing", "Finishing"
    COMPLETE = "complete", "Complete"
    REJECTED = "rejected", "Rejected"


class Upload(models.Model):
    """A resumable, chunked upload of a recording; the bytes so far are a partial file on disk."""

    workspace = models.ForeignKey(
        "workspaces.Workspace", on_delete=models.CASCADE, related_name="+"
    )
    brief = models.ForeignKey("briefs.Brief", on_delete=models.CASCADE, related_name="uploads")
    created_by = models.ForeignKey(
        "workspaces.Membership", on_delete=models.CASCADE, related_name="uploads"
    )
    filename = models.CharField(max_length=255)
    size = models.BigIntegerField()
    # Bytes received and kept so far; the next chunk must start here.
    offset = models.BigIntegerField(default=0)
    status = models.CharField(
        max_length=10, choices=UploadStatus.choices, default=UploadStatus.RECEIVING
    )
    problem = models.TextField(blank=True)
    recording = models.ForeignKey(
        "Recording", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # The time of the last chunk: an upload quiet for longer than the abandon age is removed.
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "updated_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(offset__gte=0) & Q(offset__lte=models.F("size")),
                name="upload_offset_within_size",
            ),
        ]

    def __str__(self) -> str:
        return self.filename


class MediaKind(models.TextChoices):
    """Whether a recording has pictures or is sound only."""

    VIDEO = "video", "Video"
    AUDIO = "audio", "Audio"


class RecordingStatus(models.TextChoices):
    """Processing state: the original plays in every state; processing only adds to it."""

    PROCESSING = "processing", "Processing"
    READY = "ready", "Ready"
    FAILED = "failed", "Processing failed"


class Recording(models.Model):
    """A brief's recorded walkthrough (video or audio), checked to be media and kept in storage."""

    workspace = models.ForeignKey(
        "workspaces.Workspace", on_delete=models.CASCADE, related_name="+"
    )
    brief = models.ForeignKey("briefs.Brief", on_delete=models.CASCADE, related_name="recordings")
    created_by = models.ForeignKey(
        "workspaces.Membership", on_delete=models.RESTRICT, related_name="recordings"
    )
    filename = models.CharField(max_length=255)
    kind = models.CharField(max_length=5, choices=MediaKind.choices, default=MediaKind.VIDEO)
    # What the server found the file to be (from its content, never from the client's word).
    container = models.CharField(max_length=100)
    original = models.FileField(max_length=300)
    content_type = models.CharField(max_length=100)
    size = models.BigIntegerField()
    # A web-playable rendition, made by the worker when the original is not (or lacks a duration).
    playable = models.FileField(max_length=300, blank=True)
    playable_type = models.CharField(max_length=100, blank=True)
    thumbnail = models.FileField(max_length=300, blank=True)
    duration = models.FloatField(null=True, blank=True)
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    status = models.CharField(
        max_length=10, choices=RecordingStatus.choices, default=RecordingStatus.PROCESSING
    )
    problem = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["brief", "-created_at"])]

    def __str__(self) -> str:
        return self.filename

    @property
    def media_type(self) -> str:
        """The Content-Type of what the player is given: the rendition if any, else the original."""
        return self.playable_type if self.playable else self.content_type


class RecordingView(models.Model):
    """How much of a recording one member has watched: merged time ranges and their share."""

    workspace = models.ForeignKey(
        "workspaces.Workspace", on_delete=models.CASCADE, related_name="+"
    )
    recording = models.ForeignKey(Recording, on_delete=models.CASCADE, related_name="views")
    membership = models.ForeignKey(
        "workspaces.Membership", on_delete=models.CASCADE, related_name="recording_views"
    )
    # [[start, end], ...] in seconds, sorted and non-overlapping.
    ranges = models.JSONField(default=list)
    fraction = models.FloatField(default=0.0)
    position = models.FloatField(default=0.0)
    first_viewed_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["recording", "membership"], name="recording_view_unique"
            ),
            models.CheckConstraint(
                condition=Q(fraction__gte=0) & Q(fraction__lte=1), name="recording_view_fraction"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.membership} watched {self.fraction:.0%} of {self.recording}"


class Caption(models.Model):
    """A WebVTT caption track of a recording, parsed into cues: shown as a transcript, searchable."""

    workspace = models.ForeignKey(
        "workspaces.Workspace", on_delete=models.CASCADE, related_name="+"
    )
    recording = models.ForeignKey(Recording, on_delete=models.CASCADE, related_name="captions")
    created_by = models.ForeignKey(
        "workspaces.Membership", on_delete=models.RESTRICT, related_name="+"
    )
    language = models.CharField(max_length=35, default="en")
    label = models.CharField(max_length=100)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["language", "id"]

    def __str__(self) -> str:
        return f"{self.label} captions of {self.recording}"


class CaptionCue(models.Model):
    """One timed piece of text of a caption track."""

    workspace = models.ForeignKey(
        "workspaces.Workspace", on_delete=models.CASCADE, related_name="+"
    )
    caption = models.ForeignKey(Caption, on_delete=models.CASCADE, related_name="cues")
    index = models.PositiveIntegerField()
    start = models.FloatField()
    end = models.FloatField()
    text = models.TextField()

    class Meta:
        ordering = ["caption", "index"]
        constraints = [
            models.UniqueConstraint(fields=["caption", "index"], name="caption_cue_unique"),
        ]

    def __str__(self) -> str:
        return self.text[:60]


class TranscriptStatus(models.TextChoices):
    """Where a recording's automatic transcript stands; SILENT is a finished, empty transcript."""

    OFF = "off", "Transcripts are off"
    PENDING = "pending", "Waiting to be transcribed"
    RUNNING = "running", "Transcribing"
    DONE = "done", "Transcribed"
    SILENT = "silent", "Silent: no speech found"
    FAILED = "failed", "Transcription failed"


class Transcript(models.Model):
    """A recording's automatic transcript, made on the server by the worker with a local model.

    Its segments are written in one transaction when the run ends, so a run that is killed
    and restarted never leaves half a transcript or two copies of one.
    """

    workspace = models.ForeignKey(
        "workspaces.Workspace", on_delete=models.CASCADE, related_name="+"
    )
    recording = models.OneToOneField(Recording, on_delete=models.CASCADE, related_name="transcript")
    status = models.CharField(
        max_length=10, choices=TranscriptStatus.choices, default=TranscriptStatus.PENDING
    )
    # Share of the audio transcribed so far, from 0 to 1, while RUNNING.
    progress = models.FloatField(default=0.0)
    model_name = models.CharField(max_length=200, blank=True)
    language = models.CharField(max_length=35, blank=True)
    problem = models.TextField(blank=True)
    # The caption track written from the segments (the player's captions).
    caption = models.OneToOneField(
        Caption, null=True, blank=True, on_delete=models.SET_NULL, related_name="transcript"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(progress__gte=0) & Q(progress__lte=1), name="transcript_progress"
            ),
        ]

    def __str__(self) -> str:
        return f"Transcript of {self.recording}"


class TranscriptSegment(models.Model):
    """One timed sentence or phrase of a transcript, with its words' own times."""

    workspace = models.ForeignKey(
        "workspaces.Workspace", on_delete=models.CASCADE, related_name="+"
    )
    transcript = models.ForeignKey(Transcript, on_delete=models.CASCADE, related_name="segments")
    index = models.PositiveIntegerField()
    start = models.FloatField()
    end = models.FloatField()
    text = models.TextField()
    # [[start, end, word], ...] as the model heard them (before any correction).
    words = models.JSONField(default=list)

    class Meta:
        ordering = ["transcript", "index"]
        constraints = [
            models.UniqueConstraint(
                fields=["transcript", "index"], name="transcript_segment_unique"
            ),
        ]

    def __str__(self) -> str:
        return self.text[:60]


class TranscriptCorrection(models.Model):
    """One correction of a transcript segment's words by the person who recorded it: its history."""

    workspace = models.ForeignKey(
        "workspaces.Workspace", on_delete=models.CASCADE, related_name="+"
    )
    transcript = models.ForeignKey(Transcript, on_delete=models.CASCADE, related_name="corrections")
    segment = models.ForeignKey(
        TranscriptSegment, on_delete=models.CASCADE, related_name="corrections"
    )
    before = models.TextField()
    after = models.TextField()
    by = models.ForeignKey("workspaces.Membership", on_delete=models.RESTRICT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.before[:30]} → {self.after[:30]}"


class Chapter(models.Model):
    """A named part of a recording from a moment on: proposed from its transcript, edited by its author."""

    workspace = models.ForeignKey(
        "workspaces.Workspace", on_delete=models.CASCADE, related_name="+"
    )
    recording = models.ForeignKey(Recording, on_delete=models.CASCADE, related_name="chapters")
    index = models.PositiveIntegerField()
    start = models.FloatField()
    title = models.CharField(max_length=120)

    class Meta:
        ordering = ["recording", "index"]
        constraints = [
            models.UniqueConstraint(fields=["recording", "index"], name="chapter_unique"),
        ]

    def __str__(self) -> str:
        return self.title


class PlayerSettings(models.Model):
    """How one member likes the player: the playback speed every recording starts at."""

    workspace = models.ForeignKey(
        "workspaces.Workspace", on_delete=models.CASCADE, related_name="+"
    )
    membership = models.OneToOneField(
        "workspaces.Membership", on_delete=models.CASCADE, related_name="player_settings"
    )
    rate = models.FloatField(default=1.0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(rate__gte=1) & Q(rate__lte=2), name="player_settings_rate"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.membership}: {self.rate}×"


class Reaction(models.Model):
    """An emoji a member put at a moment of a recording; shown on the timeline beside the pins."""

    EMOJI = ("👍", "❤️", "😂", "🎉", "🤔", "👀")

    workspace = models.ForeignKey(
        "workspaces.Workspace", on_delete=models.CASCADE, related_name="+"
    )
    recording = models.ForeignKey(Recording, on_delete=models.CASCADE, related_name="reactions")
    membership = models.ForeignKey(
        "workspaces.Membership", on_delete=models.CASCADE, related_name="recording_reactions"
    )
    seconds = models.FloatField()
    emoji = models.CharField(max_length=16)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["recording", "seconds", "id"]
        indexes = [models.Index(fields=["recording", "seconds"])]
        constraints = [
            models.CheckConstraint(condition=Q(seconds__gte=0), name="reaction_seconds"),
        ]

    def __str__(self) -> str:
        return f"{self.emoji} at {self.seconds:.1f} s"
