"""The search page through Django's test client: results, htmx, no JavaScript, access."""

import pytest
from django.urls import reverse

from meridian.workspaces.models import Role
from tests import factories
from tests.briefs.factories import brief, comment

pytestmark = pytest.mark.django_db


def page(ws, **params) -> str:
    url = reverse("search", kwargs={"workspace": ws.slug})
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return f"{url}?{query}" if query else url


@pytest.fixture
def thread(author, reader):
    b = brief(author, [reader], title="Pricing page rework", body="Three plans.")
    c = comment(b, reader, "Careful: <script>alert(1)</script> and the pricing of the Pro plan.")
    return b, c


def test_the_page_lists_hits_with_marked_snippets_and_links(client, reader, thread):
    b, c = thread
    client.force_login(reader.user)
    response = client.get(page(reader.workspace, q="pricing"))
    assert response.status_code == 200
    html = response.content.decode()
    assert f'href="/w/{b.workspace.slug}/briefs/{b.pk}/"' in html
    assert f'href="/w/{b.workspace.slug}/briefs/{b.pk}/#comment-{c.pk}"' in html
    assert "<mark>Pricing</mark> page rework" in html
    assert "Comment on “Pricing page rework”" in html
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert 'role="search"' in html


def test_htmx_gets_only_the_results_and_kinds_narrow_them(client, reader, thread):
    b, c = thread
    client.force_login(reader.user)
    response = client.get(
        page(reader.workspace, q="pricing", kind="comment"), HTTP_HX_REQUEST="true"
    )
    html = response.content.decode()
    assert html.lstrip().startswith('<section id="search-results"')
    assert f"#comment-{c.pk}" in html
    assert f'/briefs/{b.pk}/"' not in html
    assert "HX-Request" in response["Vary"]


def test_without_a_query_or_a_match_the_page_says_so(client, reader, thread):
    client.force_login(reader.user)
    assert "Type a few words" in client.get(page(reader.workspace)).content.decode()
    html = client.get(page(reader.workspace, q="zeppelin", kind="brief")).content.decode()
    assert "Nothing among the briefs matches “zeppelin”" in html


def test_more_results_follow_a_cursor_link_that_works_without_javascript(client, reader, author):
    b = brief(author, [reader], title="Release train")
    for i in range(25):
        comment(b, reader, f"Release note {i}")
    client.force_login(reader.user)
    first = client.get(page(reader.workspace, q="release")).content.decode()
    assert first.count('class="hit"') == 20
    assert "More results" in first
    cursor = first.split("cursor=")[1].split('"')[0]
    second = client.get(page(reader.workspace, q="release", cursor=cursor)).content.decode()
    assert second.count('class="hit"') == 6
    broken = client.get(page(reader.workspace, q="release", cursor="garbage"))
    assert broken.status_code == 200
    assert broken.content.decode().count('class="hit"') == 20


def test_guests_search_and_every_page_has_the_search_box(client, workspace, thread):
    guest = factories.member(workspace, role=Role.GUEST)
    client.force_login(guest.user)
    assert client.get(page(workspace, q="pricing")).status_code == 200
    members = client.get(reverse("members", kwargs={"workspace": workspace.slug})).content
    assert b'id="site-search-q"' in members


def test_other_workspaces_and_anonymous_visitors_get_nothing(client, outsider, workspace, thread):
    assert client.get(page(workspace, q="pricing")).status_code == 302
    client.force_login(outsider.user)
    response = client.get(page(workspace, q="pricing"))
    assert response.status_code == 404
    assert b"Pricing" not in response.content
