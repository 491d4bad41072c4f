"""Caption files of a recording: read, checked, stored as cues, deleted."""

from django.db import transaction

from meridian.core.errors import TooLarge, ValidationFailed, size_label
from meridian.core.services import audit_record
from meridian.recordings import captions
from meridian.recordings.access import require_manage
from meridian.recordings.models import Caption, CaptionCue, Recording
from meridian.recordings.search import caption_search_index, cues_search_remove
from meridian.recordings.services.common import CAPTION_MAX_BYTES, Readable
from meridian.workspaces.models import Membership


def caption_bytes(file: Readable) -> bytes:
    """An uploaded caption file's bytes, refused by its size before it is read (at most the cap)."""
    message = f"A caption file may be at most {size_label(CAPTION_MAX_BYTES)}."
    size = getattr(file, "size", None)
    if isinstance(size, int) and size > CAPTION_MAX_BYTES:
        raise TooLarge(message, {"file": [message]})
    data = file.read(CAPTION_MAX_BYTES + 1)
    if len(data) > CAPTION_MAX_BYTES:
        raise TooLarge(message, {"file": [message]})
    return data


@transaction.atomic
def caption_add(
    *, acting: Membership, recording: Recording, vtt: bytes, language: str = "en", label: str = ""
) -> Caption:
    """Attach a WebVTT caption track, parsed into cues (the transcript under the player)."""
    require_manage(acting, recording.brief)
    if len(vtt) > CAPTION_MAX_BYTES:
        raise TooLarge(f"A caption file may be at most {size_label(CAPTION_MAX_BYTES)}.")
    try:
        text = vtt.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationFailed.field("file", "A WebVTT file must be UTF-8 text.") from None
    try:
        cues = captions.parse_vtt(text)
    except captions.BadCaptions as exc:
        raise ValidationFailed.field("file", str(exc)) from None
    language = (language or "en").strip()[:35]
    caption = Caption.objects.create(
        workspace_id=recording.workspace_id,
        recording=recording,
        created_by=acting,
        language=language,
        label=(label or "").strip()[:100] or language,
    )
    CaptionCue.objects.bulk_create(
        CaptionCue(
            workspace_id=recording.workspace_id,
            caption=caption,
            index=i,
            start=cue.start,
            end=cue.end,
            text=cue.text,
        )
        for i, cue in enumerate(cues)
    )
    caption_search_index(caption)
    audit_record(actor=acting, action="caption.add", obj=caption, data={"cues": len(cues)})
    return caption


@transaction.atomic
def caption_delete(*, acting: Membership, caption: Caption) -> None:
    """Remove a caption track and its cues."""
    require_manage(acting, caption.recording.brief)
    audit_record(actor=acting, action="caption.delete", obj=caption)
    cues_search_remove(caption.cues.values_list("pk", flat=True))
    caption.delete()
