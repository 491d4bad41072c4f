"""Recordings in search: every timed piece of a transcript (a caption cue) is a document.

Automatic transcripts and uploaded caption tracks alike: a hit names the brief and the moment,
and opens the brief's player there (``?t=`` seconds, which player.js seeks to). The captioning
and transcript services index a track's cues when they write it and take them out when they
remove it; ``meridian search_reindex`` rebuilds the kind from the tables. Every member of a
workspace may watch the recordings of sent briefs; a draft's are its author's alone (the
``briefs.draft`` audience, opened when the brief is sent).
"""

from collections.abc import Iterable, Iterator

from django.urls import reverse

from meridian.briefs.search import draft_audience
from meridian.recordings.models import Caption, CaptionCue
from meridian.recordings.templatetags.recording_tags import timecode
from meridian.search.registry import Document
from meridian.search.services import search_index_delete_many, search_index_upsert_many

KIND = "transcript"


def _document(cue: CaptionCue, caption: Caption) -> Document:
    brief = caption.recording.brief
    url = reverse("brief_detail", kwargs={"workspace": brief.workspace.slug, "brief_id": brief.pk})
    return Document(
        workspace_id=cue.workspace_id,
        kind=KIND,
        object_id=cue.pk,
        parent_id=brief.pk,
        title="",
        body=cue.text,
        context=f"{brief.title} at {timecode(cue.start)}",
        url=f"{url}?t={cue.start:.3f}#player",
        # A draft's transcript is found by its author alone, until the brief is sent.
        audience=draft_audience(brief),
        created_at=caption.created_at,
    )


def caption_search_index(caption: Caption) -> None:
    """Index every cue of a caption track as it is now (a few queries, whatever their number)."""
    caption = Caption.objects.select_related("recording__brief__workspace").get(pk=caption.pk)
    search_index_upsert_many(_document(cue, caption) for cue in caption.cues.order_by("index"))


def brief_transcripts_index(brief_id: int) -> None:
    """Index again every cue of a brief's recordings (its title, shown with each, changed)."""
    captions = Caption.objects.select_related("recording__brief__workspace").filter(
        recording__brief_id=brief_id
    )
    search_index_upsert_many(
        _document(cue, caption) for caption in captions for cue in caption.cues.order_by("index")
    )


def cues_search_remove(cue_ids: Iterable[int]) -> None:
    """Take cues out of search (their track or recording is being removed)."""
    search_index_delete_many(kind=KIND, object_ids=cue_ids)


def transcript_documents() -> Iterator[Document]:
    """Every cue of every caption track of every recording."""
    cues = CaptionCue.objects.select_related("caption__recording__brief__workspace").order_by("pk")
    for cue in cues.iterator(2000):
        yield _document(cue, cue.caption)
