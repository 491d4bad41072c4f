"""search_for: ranking, snippets, who sees what, and input that must never break it."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from meridian.core import registry as core_registry
from meridian.core.errors import ValidationFailed
from meridian.search import backends
from meridian.search.models import SearchDocument
from meridian.search.query import parse_query
from meridian.search.registry import Audience
from meridian.search.selectors import search_for
from meridian.search.services import search_index_upsert
from tests import factories
from tests.briefs.factories import brief, comment
from tests.search.conftest import found

pytestmark = pytest.mark.django_db


def note(ws, object_id: int, title: str, body: str, **kwargs) -> None:
    """A document of a kind no area owns, straight into the index."""
    search_index_upsert(
        workspace_id=ws.pk,
        kind="note",
        object_id=object_id,
        title=title,
        body=body,
        url=f"/notes/{object_id}/",
        **kwargs,
    )


def test_a_title_hit_outranks_a_body_hit(workspace, author):
    note(workspace, 1, "Quarterly planning", "We talk about kubernetes clusters here.")
    note(workspace, 2, "Kubernetes upgrade", "The plan for next week.")
    note(workspace, 3, "Lunch", "Nothing relevant.")
    assert found(author, "kubernetes") == [("note", 2), ("note", 1)]


def test_a_document_with_every_word_outranks_none_and_all_words_must_match(workspace, author):
    note(workspace, 1, "Pricing", "Annual discount for the enterprise tier.")
    note(workspace, 2, "Pricing", "Monthly plans only.")
    assert found(author, "pricing annual") == [("note", 1)]
    assert found(author, '"enterprise tier"') == [("note", 1)]
    assert found(author, '"tier enterprise"') == []


def test_the_last_word_is_matched_as_a_beginning_and_words_by_their_stem(workspace, author):
    note(workspace, 1, "Deployment checklist", "")
    assert found(author, "deplo") == [("note", 1)]
    assert found(author, "deplo", prefix_last=False) == []
    assert found(author, "checklists deplo") == [("note", 1)]


def test_snippets_mark_the_matches_and_escape_everything_else(author, reader):
    b = brief(author, [reader], title="Widget <b>pricing</b> & plans")
    comment(b, reader, "Careful: <script>alert('pricing')</script> breaks the pricing page.")
    hits = {hit.kind: hit for hit in search_for(viewer=reader, q="pricing")}
    assert hits["brief"].title_html == "Widget &lt;b&gt;<mark>pricing</mark>&lt;/b&gt; &amp; plans"
    snippet = hits["comment"].snippet_html
    assert "<script>" not in snippet
    assert "script&gt;alert(&#x27;<mark>pricing</mark>&#x27;)&lt;/script&gt;" in snippet
    assert "the <mark>pricing</mark> page" in snippet
    assert hits["comment"].context == "Widget <b>pricing</b> & plans"


def test_long_bodies_give_a_short_snippet_around_the_match(workspace, author):
    filler = " ".join(f"word{i}" for i in range(400))
    note(workspace, 1, "Long", f"{filler} the needle is here {filler}")
    (hit,) = search_for(viewer=author, q="needle")
    assert "<mark>needle</mark>" in hit.snippet_html
    assert len(hit.snippet_html) < 600


def test_other_workspaces_documents_are_never_found(workspace, author, other_workspace, outsider):
    note(workspace, 1, "Secret roadmap", "Acquisition of Globex.")
    note(other_workspace, 2, "Their roadmap", "Acquisition of Acme.")
    assert found(author, "roadmap acquisition") == [("note", 1)]
    assert found(outsider, "roadmap acquisition") == [("note", 2)]
    assert found(outsider, "secret") == []


@pytest.fixture
def club():
    """An audience rule of the tests: "tests.club:<key>" admits the members listed per key."""
    members: dict[str, set[int]] = {}

    def check(viewer, keys):
        return {key for key in keys if viewer.pk in members.get(key, set())}

    rules = [*core_registry.items(core_registry.SEARCH_AUDIENCES), Audience("tests.club", check)]
    with core_registry.replaced(core_registry.SEARCH_AUDIENCES, rules):
        yield members


def test_restricted_documents_are_hidden_unless_their_audience_admits_the_viewer(
    workspace, author, reader, club
):
    note(workspace, 1, "Blind proposal", "Hidden stance about tabs", audience="tests.club:42")
    note(workspace, 2, "Open proposal", "Visible stance about tabs")
    note(workspace, 3, "Unknown rule", "Stance about tabs", audience="nobody.knows:1")
    club["42"] = {author.pk}
    assert set(found(author, "stance tabs")) == {("note", 2), ("note", 1)}
    assert found(reader, "stance tabs") == [("note", 2)]
    assert found(reader, "hidden") == []
    club["42"].add(reader.pk)
    assert ("note", 1) in found(reader, "stance tabs")
    note(workspace, 1, "Blind proposal", "Hidden stance about tabs", audience=None)
    assert found(factories.member(workspace), "hidden") == [("note", 1)]


def test_hidden_documents_do_not_take_the_places_of_visible_ones(workspace, reader, club):
    for i in range(30):
        note(workspace, i, "Tabs", "Tabs versus spaces", audience="tests.club:1")
    note(workspace, 100, "Tabs", "Tabs versus spaces, the open thread")
    assert found(reader, "tabs", limit=5) == [("note", 100)]


def test_kinds_narrow_the_search_and_unknown_kinds_are_refused(author, reader):
    b = brief(author, [reader], title="Pricing")
    c = comment(b, reader, "Pricing is fine.")
    assert set(found(reader, "pricing")) == {("brief", b.pk), ("comment", c.pk)}
    assert found(reader, "pricing", kinds=["comment"]) == [("comment", c.pk)]
    with pytest.raises(ValidationFailed) as caught:
        search_for(viewer=reader, q="pricing", kinds=["nope"])
    assert "kind" in caught.value.errors


def test_pages_follow_each_other_without_repeats_or_gaps(workspace, author):
    for i in range(1, 26):
        note(workspace, i, f"Release {i}", "release notes " * (i % 4 + 1))
    seen: list[int] = []
    cursor = None
    for _ in range(5):
        page = search_for(viewer=author, q="release", limit=10, cursor=cursor)
        seen += [hit.object_id for hit in page]
        cursor = page.next
        if cursor is None:
            break
    assert sorted(seen) == list(range(1, 26))
    assert cursor is None


@pytest.mark.parametrize("cursor", ["nonsense", "e30", "eyJrZXkiOiJzZWFyY2gifQ", "!!"])
def test_a_cursor_this_search_did_not_give_out_is_refused(author, cursor):
    with pytest.raises(ValidationFailed) as caught:
        search_for(viewer=author, q="release", cursor=cursor)
    assert "cursor" in caught.value.errors


NASTY = [
    "OR",
    "AND pricing",
    "pricing OR",
    "NOT",
    "NEAR(",
    "NEAR(pricing page, 2)",
    '"',
    '"pricing',
    'pricing"',
    '""',
    "*",
    "pri*",
    "p*",
    "-pricing",
    "pricing -page",
    "title:pricing",
    "{title}: pricing",
    "^pricing",
    "pricing & page | !x",
    "pricing:*",
    "'pricing'",
    "\\",
    "(",
    ")",
    "%",
    "_",
    "pricing%",
    "; DROP TABLE search_searchdocument; --",
    "\x00pricing",
    "\ue000pricing\ue001",
    "ünïcödé prîcing",
    "价格",
    "x" * 500,
    " ".join(["pricing"] * 50),
]


@pytest.mark.parametrize("q", NASTY)
def test_query_syntax_in_the_input_never_breaks_a_search(workspace, author, q):
    note(workspace, 1, "Pricing page", "The pricing page and its plans, NEAR the top.")
    hits = search_for(viewer=author, q=q)
    assert all(hit.object_id == 1 for hit in hits)


def test_operators_are_searched_as_words(workspace, author):
    note(workspace, 1, "Pricing page", "Pricing and plans.")
    note(workspace, 2, "Outlook", "Nothing else.")
    assert found(author, "pricing OR outlook") == []
    assert found(author, '"pricing page"') == [("note", 1)]
    assert found(author, "NEAR(pricing") == []


def test_an_empty_query_finds_nothing_without_asking_the_database(author):
    with CaptureQueriesContext(connection) as queries:
        assert found(author, "  * ") == []
    assert len(queries) == 0


def test_a_search_takes_as_many_queries_for_25_hits_as_for_one(workspace, author):
    note(workspace, 0, "Release 0", "notes")
    with CaptureQueriesContext(connection) as one:
        assert len(found(author, "release")) == 1
    for i in range(1, 30):
        note(workspace, i, f"Release {i}", "notes", created_at=timezone.now())
    with CaptureQueriesContext(connection) as many:
        assert len(found(author, "release", limit=25)) == 25
    assert len(many) == len(one) <= 9


def test_a_beginning_finds_every_word_that_begins_so_however_long(workspace, author):
    note(workspace, 1, "Architecture", "The architecture review.")
    note(workspace, 2, "Archive", "Old archives.")
    note(workspace, 3, "Plea", "A plea, pleasant and pleading.")
    note(workspace, 4, "Other", "Nothing here.")
    assert set(found(author, "arc*")) == {("note", 1), ("note", 2)}
    assert found(author, "architectu*") == [("note", 1)]
    assert found(author, "architectural") == [("note", 1)]
    assert found(author, "plea") == [("note", 3)]
    assert found(author, '"the architecture review"') == [("note", 1)]
    assert found(author, '"review the architecture"') == []


def _spread_notes(workspace, count: int) -> dict[str, list[int]]:
    """Notes whose ids lie far apart, across many of the match index's blocks of ids."""
    now = timezone.now()
    ids = {"body": [], "title": []}
    docs = []
    for i in range(count):
        doc_id = 5_000_000 + i * 97
        title = "Release plan" if i % 4 == 0 else ""
        body = "release notes" if i % 3 == 0 else "other words"
        if title or i % 3 == 0:
            ids["body"].append(doc_id)
        if title:
            ids["title"].append(doc_id)
        docs.append(
            SearchDocument(
                id=doc_id,
                workspace=workspace,
                kind="note",
                object_id=i,
                title=title,
                body=body,
                url=f"/notes/{i}/",
                created_at=now,
            )
        )
    SearchDocument.objects.bulk_create(docs)
    return ids


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's match index only")
@pytest.mark.parametrize("steps", [0, 1, 3])
@pytest.mark.parametrize("estimate", [1.0, 30.0, 1e12])
def test_postgres_ranks_the_newest_matches_whatever_the_planner_expects(
    workspace, monkeypatch, steps, estimate
):
    ids = _spread_notes(workspace, 80)
    # Whether the first span of ids holds all it needs, too few (then the next, older
    # spans), or everything: the candidates are the newest matches all the same.
    monkeypatch.setattr(backends, "_plan_rows", lambda plan: estimate)
    monkeypatch.setattr(backends, "SPAN_STEPS", steps)
    monkeypatch.setattr(backends, "POSTGRES_RECENT", 7)
    monkeypatch.setattr(backends, "POSTGRES_TITLED", 3)
    hits = backends.ranked(parse_query("release"), backends.Scope(workspace.pk), limit=50)
    newest = set(sorted(ids["body"])[-7:]) | set(sorted(ids["title"])[-3:])
    assert {doc_id for doc_id, _ in hits} == newest
    assert [score for _, score in hits] == sorted((score for _, score in hits), reverse=True)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's match index only")
def test_postgres_reads_a_common_words_newest_blocks_of_ids_not_all_its_matches(
    workspace, monkeypatch
):
    ids = _spread_notes(workspace, 400)
    # A planner that knows how many match (statistics of a real table).
    monkeypatch.setattr(backends, "_plan_rows", lambda plan: float(len(ids["body"])))
    monkeypatch.setattr(backends, "POSTGRES_RECENT", 10)
    with CaptureQueriesContext(connection) as queries:
        hits = backends.ranked(parse_query("release"), backends.Scope(workspace.pk), limit=500)
    body = [q["sql"] for q in queries if "search_match_vector(c.search_vector" in q["sql"]][-1]
    # Blocks of ids ("#<workspace><level><block>"), not the workspace's token alone.
    assert re.search(rf"'#{workspace.pk}[a-f]\d+'", body)
    assert {doc_id for doc_id, _ in hits} >= set(sorted(ids["body"])[-10:])
