"""A brief counts as seen only when a participant opens its page, not when it is fetched for them.

A Markdown image in a comment pointing at the brief's own address (``![x](/w/acme/briefs/5/)``)
makes the browser GET the page as an image; Fetch Metadata headers tell that apart.
"""

import pytest
from django.urls import reverse

from meridian.briefs.models import Brief, BriefParticipant
from tests.briefs.factories import brief

pytestmark = pytest.mark.django_db


@pytest.fixture
def asked(author, kathmandu) -> Brief:
    return brief(author, [kathmandu], title="Pricing page rework")


def seen_at(b: Brief, member):
    return BriefParticipant.objects.get(brief=b, membership=member).first_seen_at


def open_page(client, b: Brief, member, **headers):
    client.force_login(member.user)
    target = reverse("brief_detail", kwargs={"workspace": b.workspace.slug, "brief_id": b.pk})
    response = client.get(target, **headers)
    assert response.status_code == 200
    return response


def test_opening_the_page_marks_it_seen(client, asked, kathmandu):
    open_page(client, asked, kathmandu)
    assert seen_at(asked, kathmandu) is not None


def test_navigating_to_the_page_with_fetch_metadata_marks_it_seen(client, asked, kathmandu):
    open_page(
        client, asked, kathmandu, HTTP_SEC_FETCH_DEST="document", HTTP_SEC_FETCH_MODE="navigate"
    )
    assert seen_at(asked, kathmandu) is not None


def test_the_page_fetched_as_an_image_does_not_mark_it_seen(client, asked, kathmandu):
    open_page(client, asked, kathmandu, HTTP_SEC_FETCH_DEST="image", HTTP_SEC_FETCH_MODE="no-cors")
    assert seen_at(asked, kathmandu) is None


def test_the_page_fetched_by_a_script_does_not_mark_it_seen(client, asked, kathmandu):
    open_page(client, asked, kathmandu, HTTP_SEC_FETCH_DEST="empty", HTTP_SEC_FETCH_MODE="cors")
    assert seen_at(asked, kathmandu) is None


def test_an_htmx_request_does_not_mark_it_seen(client, asked, kathmandu):
    open_page(client, asked, kathmandu, HTTP_HX_REQUEST="true")
    assert seen_at(asked, kathmandu) is None


def test_a_prefetch_does_not_mark_it_seen(client, asked, kathmandu):
    open_page(
        client,
        asked,
        kathmandu,
        HTTP_SEC_FETCH_DEST="document",
        HTTP_SEC_FETCH_MODE="navigate",
        HTTP_SEC_PURPOSE="prefetch",
    )
    assert seen_at(asked, kathmandu) is None


def test_a_real_visit_after_an_image_fetch_still_counts(client, asked, kathmandu):
    open_page(client, asked, kathmandu, HTTP_SEC_FETCH_DEST="image")
    open_page(client, asked, kathmandu, HTTP_SEC_FETCH_DEST="document")
    assert seen_at(asked, kathmandu) is not None
