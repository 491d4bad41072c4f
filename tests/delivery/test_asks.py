"""Delivery as a sender meets it on an ask: held emails shown on the page, urgent, excerpts."""

from datetime import UTC, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from meridian.briefs.models import Brief
from tests.briefs.factories import brief, person

pytestmark = pytest.mark.django_db

# Saturday 27 March 2027, 23:00 in Berlin, 22:00 in Lisbon.
SATURDAY_NIGHT = datetime(2027, 3, 27, 22, 0, tzinfo=UTC)


def page(client, viewer, b: Brief) -> str:
    client.force_login(viewer.user)
    url = reverse("brief_detail", kwargs={"workspace": b.workspace.slug, "brief_id": b.pk})
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def test_the_author_sees_each_participants_email_held_until_in_the_authors_own_zone(
    client, workspace, time_machine
):
    time_machine.move_to(SATURDAY_NIGHT, tick=False)
    author = person(workspace, "Europe/Lisbon", display_name="Ana")
    berliner = person(workspace, "Europe/Berlin", display_name="Bert")
    always = person(workspace, "Asia/Tokyo", hours={}, display_name="Kei")
    b = brief(author, [berliner, always])

    html = page(client, author, b)

    # Bert's Monday 09:00 in Berlin is 08:00 in Lisbon (both on summer time by then).
    assert "email held until Mon 29 Mar, 08:00 Europe/Lisbon (your time)" in html
    assert html.count("email held until") == 1  # Kei keeps no hours: told at once
    assert "email held until" not in page(client, berliner, b)


def test_held_notes_cost_one_query_whatever_the_number_of_participants(
    client, workspace, time_machine
):
    time_machine.move_to(SATURDAY_NIGHT, tick=False)
    author = person(workspace, "Europe/Lisbon")
    few = brief(author, [person(workspace, "Europe/Berlin")], title="Few")
    many = brief(author, [person(workspace, "Europe/Berlin") for _ in range(6)], title="Many")
    page(client, author, few)

    counts = []
    for b in (few, many):
        with CaptureQueriesContext(connection) as captured:
            page(client, author, b)
        counts.append(len(captured.captured_queries))

    assert counts[0] == counts[1]
