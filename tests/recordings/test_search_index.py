"""Transcripts in search stay true to their brief: indexed in bulk, retitled, removed with it."""

import pytest

from meridian.briefs.models import Brief
from meridian.briefs.services import brief_update
from meridian.recordings.services import caption_add
from meridian.search.models import SearchDocument
from meridian.search.selectors import search_for
from tests.recordings.support import send_file

pytestmark = pytest.mark.django_db


def _vtt(cues: int) -> bytes:
    lines = ["WEBVTT", ""]
    for i in range(cues):
        lines += [f"00:00:{i // 10}{i % 10}.000 --> 00:00:{i // 10}{i % 10}.900", f"Cue {i}", ""]
    return "\n".join(lines).encode()


def test_a_track_is_indexed_in_a_few_queries_whatever_its_length(
    author, brief, clips, django_assert_max_num_queries
):
    recording = send_file(author, brief, clips["webm"]).recording
    with django_assert_max_num_queries(25):
        caption_add(acting=author, recording=recording, vtt=_vtt(60), label="English")
    assert SearchDocument.objects.filter(kind="transcript").count() == 60
    # Indexing the track again replaces its documents, keeping when each was first indexed.
    first = dict(SearchDocument.objects.values_list("object_id", "created_at"))
    from meridian.recordings.models import Caption
    from meridian.recordings.search import caption_search_index

    with django_assert_max_num_queries(6):
        caption_search_index(Caption.objects.get())
    assert dict(SearchDocument.objects.values_list("object_id", "created_at")) == first


def test_a_new_brief_title_shows_with_its_transcript_hits(author, teammate, brief, clips):
    recording = send_file(author, brief, clips["webm"]).recording
    vtt = b"WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nThe budget question\n"
    caption_add(acting=author, recording=recording, vtt=vtt, label="English")
    brief_update(acting=author, brief=brief, title="Onboarding, second take")

    [hit] = [h for h in search_for(viewer=teammate, q="budget") if h.kind == "transcript"]
    assert hit.context == "Onboarding, second take at 0:01"


def test_deleting_a_brief_takes_its_transcript_out_of_search(author, teammate, brief, clips):
    recording = send_file(author, brief, clips["webm"]).recording
    vtt = b"WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nThe budget question\n"
    caption_add(acting=author, recording=recording, vtt=vtt, label="English")
    assert SearchDocument.objects.filter(kind="transcript").exists()

    Brief.objects.filter(pk=brief.pk).delete()  # by cascade: its recordings and captions go

    assert not SearchDocument.objects.filter(kind="transcript").exists()
    assert [h for h in search_for(viewer=teammate, q="budget")] == []
