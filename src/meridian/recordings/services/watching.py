"""Watch progress: which parts of a recording each member has watched."""

import math
from collections.abc import Sequence

from django.db import transaction

from meridian.core.errors import ValidationFailed
from meridian.core.services import audit_record
from meridian.recordings.models import PlayerSettings, Reaction, Recording, RecordingView
from meridian.recordings.progress import clip_ranges, merge_ranges, watched_fraction
from meridian.recordings.services.common import MAX_RANGES, MAX_SECONDS
from meridian.workspaces.models import Membership


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


@transaction.atomic
def player_rate_set(*, acting: Membership, rate: float) -> PlayerSettings:
    """Remember the member's playback speed (1× to 2×) for every recording they open."""
    if not math.isfinite(rate) or not 1.0 <= rate <= 2.0:
        raise ValidationFailed.field("rate", "The speed is from 1× to 2×.")
    settings, _ = PlayerSettings.objects.update_or_create(
        membership=acting,
        defaults={"workspace_id": acting.workspace_id, "rate": round(rate, 2)},
    )
    return settings


# Two reactions of one member closer than this are one (a double click, a stuck key).
REACTION_MERGE_SECONDS = 1.0
MAX_REACTIONS_PER_MEMBER = 200


@transaction.atomic
def reaction_add(
    *, acting: Membership, recording: Recording, seconds: float, emoji: str
) -> Reaction:
    """Put an emoji at a moment of the recording (any member who can watch it)."""
    if emoji not in Reaction.EMOJI:
        raise ValidationFailed.field("emoji", f"Choose one of {' '.join(Reaction.EMOJI)}.")
    limit = recording.duration or MAX_SECONDS
    if not math.isfinite(seconds) or not 0 <= seconds <= limit:
        raise ValidationFailed.field(
            "seconds", f"The moment is between 0 and {limit:.0f} seconds into the recording."
        )
    mine = Reaction.objects.select_for_update().filter(recording=recording, membership=acting)
    near = mine.filter(
        emoji=emoji,
        seconds__gte=seconds - REACTION_MERGE_SECONDS,
        seconds__lte=seconds + REACTION_MERGE_SECONDS,
    ).first()
    if near is not None:
        return near
    if mine.count() >= MAX_REACTIONS_PER_MEMBER:
        raise ValidationFailed.field(
            "emoji", f"One member may react at most {MAX_REACTIONS_PER_MEMBER} times."
        )
    reaction = Reaction.objects.create(
        workspace_id=recording.workspace_id,
        recording=recording,
        membership=acting,
        seconds=round(seconds, 2),
        emoji=emoji,
    )
    audit_record(actor=acting, action="reaction.add", obj=reaction, data={"emoji": emoji})
    return reaction
