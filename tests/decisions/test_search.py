"""Decisions in the one search: records and proposals for everyone, blind discussions only for
those who may read them, and never a stance."""

import pytest

from meridian.decisions.services import proposal_close, proposal_comment_add
from meridian.search.models import SearchDocument
from meridian.search.selectors import search_for
from meridian.search.services import search_reindex
from tests.decisions.factories import decided, proposal, vote

pytestmark = pytest.mark.django_db


def found(viewer, q: str) -> list[str]:
    return [hit.kind for hit in search_for(viewer=viewer, q=q)]


def test_a_decision_record_is_found_by_its_rationale(owner, ana):
    record = decided(
        proposal(owner, [ana], title="Four-day week"),
        statement="We try a four-day week.",
        rationale="Sustainable pace beats heroics.",
    )
    hits = search_for(viewer=ana, q="heroics")
    assert [(h.kind, h.object_id) for h in hits] == [("decision", record.pk)]
    assert hits.hits[0].url == record.get_absolute_url()


def test_a_blind_discussion_is_found_only_by_those_who_may_read_it(owner, ana, bikram):
    p = proposal(owner, [ana, bikram], visibility="blind", title="Office move")
    vote(bikram, p, position="agree")
    proposal_comment_add(acting=bikram, proposal=p, body="The quokka room is too small")

    assert found(ana, "quokka") == []
    assert found(bikram, "quokka") == ["proposal_comment"]
    vote(ana, p, position="agree")
    assert found(ana, "quokka") == ["proposal_comment"]


def test_after_close_a_blind_discussion_is_open_to_everyone(owner, ana, carmen):
    p = proposal(owner, [ana], visibility="blind")
    proposal_comment_add(acting=ana, proposal=p, body="Platypus objections")
    assert found(carmen, "platypus") == []
    proposal_close(acting=owner, proposal=p, reason="Enough")
    assert found(carmen, "platypus") == ["proposal_comment"]


def test_drafts_are_not_indexed_and_stances_never_are(owner, ana):
    proposal(owner, [ana], title="Wombat draft", open_now=False)
    p = proposal(owner, [ana], title="Open question")
    vote(ana, p, position="object", reason="Echidna concerns")
    assert found(owner, "wombat") == [] and found(owner, "echidna") == []


def test_reindexing_rebuilds_the_same_documents(owner, ana):
    p = proposal(owner, [ana], visibility="blind")
    proposal_comment_add(acting=ana, proposal=p, body="Numbat")
    decided(proposal(owner, [ana]))
    before = sorted(SearchDocument.objects.values_list("kind", "object_id", "audience"))
    search_reindex(kinds=["decision", "proposal", "proposal_comment"])
    assert sorted(SearchDocument.objects.values_list("kind", "object_id", "audience")) == before
