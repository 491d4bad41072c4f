"""GET /api/v1/search: the same search as the page, cursor-paginated, with the API's errors."""

import pytest
from django.test import Client

from tests.api.support import bearer, get, problem
from tests.briefs.factories import brief, comment

pytestmark = pytest.mark.django_db


@pytest.fixture
def thread(author, reader):
    b = brief(author, [reader], title="Pricing page rework", body="Three plans.")
    c = comment(b, reader, "The <b>pricing</b> of the Pro plan.")
    return b, c


def test_search_returns_ranked_hits_with_escaped_marked_snippets(client, reader, thread):
    b, c = thread
    response = get(client, "/search?q=pricing", bearer(reader))
    assert response.status_code == 200
    body = response.json()
    assert [(i["kind"], i["object_id"]) for i in body["items"]] == [
        ("brief", b.pk),
        ("comment", c.pk),
    ]
    brief_hit, comment_hit = body["items"]
    assert brief_hit["title_html"] == "<mark>Pricing</mark> page rework"
    assert brief_hit["url"] == f"/w/{b.workspace.slug}/briefs/{b.pk}/"
    assert comment_hit["parent_id"] == b.pk
    assert comment_hit["context"] == "Pricing page rework"
    assert "&lt;b&gt;<mark>pricing</mark>&lt;/b&gt;" in comment_hit["snippet_html"]
    assert body["next"] is None


def test_kind_narrows_and_cursor_pages(client, reader, author):
    b = brief(author, [reader], title="Release train")
    for i in range(5):
        comment(b, reader, f"Release note {i}")
    headers = bearer(reader)
    first = get(client, "/search?q=release&kind=comment&limit=3", headers).json()
    assert [i["kind"] for i in first["items"]] == ["comment"] * 3
    second = get(client, f"/search?q=release&kind=comment&limit=3&cursor={first['next']}", headers)
    items = second.json()["items"]
    assert len(items) == 2
    assert second.json()["next"] is None
    both = get(client, "/search?q=release&kind=comment&kind=brief", headers).json()
    assert len(both["items"]) == 6


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/search", "q"),
        ("/search?q=" + "x" * 201, "q"),
        ("/search?q=x&kind=nope", "kind"),
        ("/search?q=x&cursor=garbage", "cursor"),
        ("/search?q=x&limit=51", "limit"),
    ],
)
def test_bad_input_is_a_422_naming_the_field(client, reader, path, field):
    body = problem(get(client, path, bearer(reader)), 422)
    assert field in body["errors"]


@pytest.mark.parametrize("q", ['NEAR("', "OR", "*", '"unclosed', "a:*|!&"])
def test_query_syntax_never_fails(client, reader, thread, q):
    assert get(client, f"/search?q={q}", bearer(reader)).status_code == 200


def test_a_nul_character_in_the_query_is_refused_naming_the_parameter(client, reader, thread):
    # No database stores NUL (PostgreSQL refuses it); meridian.core.inputs refuses it first.
    response = get(client, "/search?q=a%00b", bearer(reader))
    assert response.status_code == 422
    assert "q" in response.json()["errors"]


def test_anonymous_callers_and_other_workspaces_get_nothing(reader, outsider, thread):
    assert problem(get(Client(), "/search?q=pricing"), 401)
    response = get(Client(), "/search?q=pricing", bearer(outsider))
    assert response.status_code == 200
    assert response.json()["items"] == []
    named = get(
        Client(),
        f"/search?q=pricing&workspace={reader.workspace.slug}",
        bearer(outsider),
    )
    assert named.status_code == 404
