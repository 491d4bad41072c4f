"""Other areas reach a brief's page only as registered panels: the recording player, the proposal button."""

import pytest
from django.test import Client
from django.urls import reverse

from meridian.core import registry
from tests.recordings.support import send_file

pytestmark = pytest.mark.django_db


def brief_page(member, brief) -> str:
    client = Client()
    client.force_login(member.user)
    url = reverse("brief_detail", kwargs={"workspace": brief.workspace.slug, "brief_id": brief.pk})
    return client.get(url).content.decode()


def test_a_brief_with_a_recording_shows_the_player_and_its_page_to_the_author(
    author, teammate, brief, clips
):
    recording = send_file(author, brief, clips["webm"]).recording

    seen_by_author, seen_by_teammate = brief_page(author, brief), brief_page(teammate, brief)

    assert f'data-recording="{recording.pk}"' in seen_by_author
    assert f'data-recording="{recording.pk}"' in seen_by_teammate
    assert ">Recording and captions</a>" in seen_by_author
    assert ">Recording and captions</a>" not in seen_by_teammate


def test_a_brief_without_a_recording_offers_the_author_to_record_one(author, brief):
    page = brief_page(author, brief)

    assert "data-player" not in page
    assert ">Record a walkthrough</a>" in page


def test_the_brief_page_shows_only_what_other_areas_register_for_it(author, brief, clips):
    send_file(author, brief, clips["webm"])

    with registry.replaced(registry.PANELS, []):
        page = brief_page(author, brief)

    assert "data-player" not in page
    assert "Record a walkthrough" not in page
    assert "Recording and captions" not in page
    assert "Turn into a proposal" not in page  # the decisions area's panel


def test_an_open_brief_offers_to_become_a_proposal_through_the_decisions_panel(author, brief):
    page = brief_page(author, brief)

    assert f'/decisions/new/?brief={brief.pk}">Turn into a proposal</a>' in page
