"""Proposal deadlines far ahead or before the calendar: refused on input, harmless when stored."""

from datetime import UTC, date, datetime

import pytest
import time_machine
from django.urls import reverse

from meridian.decisions.models import Proposal, ProposalParticipant
from meridian.decisions.services import Deadline
from tests.api.support import bearer, get, problem, send
from tests.briefs.factories import person
from tests.decisions.factories import proposal

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 12, 5, 23, 30, tzinfo=UTC)  # a Saturday night


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def tokyo(workspace):
    return person(workspace, "Asia/Tokyo")


def new(member, **deadline) -> dict:
    return {
        "title": "Adopt a four-day week",
        "kind": "consent",
        "rule": "no_blocks",
        "participants": [{"member_id": member.pk}],
        **deadline,
    }


@pytest.mark.parametrize(
    ("deadline", "field", "says"),
    [
        ({"deadline_kind": "instant", "deadline_at": "9999-12-31T23:59:59Z"}, "deadline_at", "too far ahead"),
        ({"deadline_kind": "instant", "deadline_at": "0001-01-01T00:00:00+14:00"}, "deadline_at", "has already passed"),
        ({"deadline_kind": "local_day", "deadline_date": "9999-12-31"}, "deadline_date", "too far ahead"),
        ({"deadline_kind": "local_day", "deadline_date": "0001-01-01"}, "deadline_date", "has already passed"),
    ],
)  # fmt: skip
def test_api_refuses_a_proposal_deadline_out_of_bounds_and_saves_nothing(
    client, owner, tokyo, deadline, field, says
):
    response = send(client, "POST", "/proposals", new(tokyo, **deadline), bearer(owner))
    out = problem(response, 422)
    assert says in out["errors"].get(field, [""])[0], out
    assert not Proposal.objects.exists()


def test_page_form_refuses_a_far_future_day_naming_the_field(client, owner, tokyo):
    client.force_login(owner.user)
    data = {
        "title": "Which CI provider?",
        "kind": "single",
        "options": "GitHub Actions\nBuildkite",
        "rule": "majority",
        "visibility": "open",
        "participants": [f"member:{tokyo.pk}"],
        "deadline_kind": "local_day",
        "deadline_date": "9999-12-31",
        "open": "1",
    }
    response = client.post(
        reverse("proposal_new", kwargs={"workspace": owner.workspace.slug}), data
    )
    assert response.status_code == 422
    assert "too far ahead" in response.content.decode()
    assert not Proposal.objects.exists()


def test_a_stored_year_9999_proposal_deadline_still_renders_everywhere(client, owner, tokyo):
    p = proposal(owner, [tokyo], deadline=Deadline(kind="local_day", day=date(2026, 12, 9)))
    last = datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC)
    Proposal.objects.filter(pk=p.pk).update(
        deadline_kind="instant", deadline_at=last, deadline_date=None, close_at=last
    )
    ProposalParticipant.objects.filter(proposal=p).update(local_deadline=last)
    ws = owner.workspace.slug

    for viewer in (owner, tokyo):
        client.force_login(viewer.user)
        page = client.get(reverse("proposal_detail", kwargs={"workspace": ws, "proposal_id": p.pk}))
        assert page.status_code == 200
        assert "31 December" in page.content.decode()
        assert client.get(reverse("proposal_list", kwargs={"workspace": ws})).status_code == 200
        api = get(client, f"/proposals/{p.pk}", bearer(viewer))
        assert api.status_code == 200
        assert api.json()["deadline_at"].startswith("9999-12-31T23:59:59")
    client.force_login(owner.user)
    edit = client.get(reverse("proposal_edit", kwargs={"workspace": ws, "proposal_id": p.pk}))
    assert edit.status_code in (200, 409)  # an open proposal's edit page may refuse; never 500
