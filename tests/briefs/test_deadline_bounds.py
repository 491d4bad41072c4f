"""Deadlines far in the future or before the calendar: refused on input, harmless when stored.

A year-9999 deadline used to be saved, answer 500, and break the brief for every member; a
year-1 one answered 500. Input is now bounded (five years ahead, not before yesterday), and
values stored before the bound existed still render on the page, the edit page and the API.
"""

from datetime import UTC, date, datetime

import pytest
import time_machine
from django.urls import reverse

from meridian.briefs.models import Brief, BriefParticipant
from meridian.briefs.services import Deadline
from tests.api.support import bearer, get, problem, send
from tests.briefs.factories import brief, person

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 12, 5, 23, 30, tzinfo=UTC)  # a Saturday night


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def tokyo(workspace):
    return person(workspace, "Asia/Tokyo")


def body(member, **deadline) -> dict:
    return {"title": "Office move", "participants": [{"member_id": member.pk}], **deadline}


@pytest.mark.parametrize(
    ("field", "value", "says"),
    [
        ("deadline_at", "9999-12-31T23:59:59Z", "too far ahead"),
        ("deadline_at", "9999-12-31T23:00:00-05:00", "too far ahead"),
        ("deadline_at", "2031-12-07T09:00:00+00:00", "too far ahead"),
        ("deadline_at", "0001-01-01T00:00:00+14:00", "has already passed"),
        ("deadline_date", "9999-12-31", "too far ahead"),
        ("deadline_date", "0001-01-01", "has already passed"),
    ],
)
def test_api_refuses_a_deadline_out_of_bounds_naming_it_and_saves_nothing(
    client, author, tokyo, field, value, says
):
    out = problem(
        send(client, "POST", "/briefs", body(tokyo, **{field: value}), bearer(author)), 422
    )
    assert says in out["errors"][field][0]
    assert not Brief.objects.exists()


def test_api_accepts_a_deadline_just_inside_five_years(client, author, tokyo):
    response = send(
        client, "POST", "/briefs", body(tokyo, deadline_date="2031-12-01"), bearer(author)
    )
    assert response.status_code == 201, response.content


def test_api_refuses_a_far_future_deadline_on_edit_and_keeps_the_old_one(client, author, tokyo):
    b = brief(author, [tokyo], deadline=Deadline(day=date(2026, 12, 9)))
    response = send(
        client, "PATCH", f"/briefs/{b.pk}", {"deadline_at": "9999-12-31T23:59:59Z"}, bearer(author)
    )
    assert "too far ahead" in problem(response, 422)["errors"]["deadline_at"][0]
    b.refresh_from_db()
    assert (b.deadline_at, b.deadline_date) == (None, date(2026, 12, 9))


def test_page_form_refuses_a_far_future_moment_naming_the_field(client, author, tokyo):
    client.force_login(author.user)
    data = {
        "title": "Office move",
        "ask_kind": "fyi",
        "required": [f"member:{tokyo.pk}"],
        "deadline_kind": "instant",
        "deadline_at": "9999-12-31T23:59",
    }
    response = client.post(reverse("brief_new", kwargs={"workspace": author.workspace.slug}), data)
    assert response.status_code == 422
    assert "too far ahead" in response.content.decode()
    assert not Brief.objects.exists()


def test_a_stored_year_9999_deadline_still_renders_everywhere(client, author, tokyo):
    b = brief(author, [tokyo], deadline=Deadline(day=date(2026, 12, 9)))
    last = datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC)
    Brief.objects.filter(pk=b.pk).update(
        deadline_kind="instant", deadline_at=last, deadline_date=None, respond_by=last
    )
    BriefParticipant.objects.filter(brief=b).update(local_deadline=last)
    ws = author.workspace.slug

    for viewer in (author, tokyo):
        client.force_login(viewer.user)
        page = client.get(reverse("brief_detail", kwargs={"workspace": ws, "brief_id": b.pk}))
        assert page.status_code == 200
        assert "31 December" in page.content.decode()
        listing = client.get(reverse("brief_list", kwargs={"workspace": ws}))
        assert listing.status_code == 200
        api = get(client, f"/briefs/{b.pk}", bearer(viewer))
        assert api.status_code == 200
        assert api.json()["deadline_at"].startswith("9999-12-31T23:59:59")
    client.force_login(author.user)
    edit = client.get(reverse("brief_edit", kwargs={"workspace": ws, "brief_id": b.pk}))
    assert edit.status_code == 200
