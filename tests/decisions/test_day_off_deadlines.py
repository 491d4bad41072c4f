"""A proposal closing on a day off for someone: their day moves, and the form says so first."""

import re
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from meridian.decisions.models import Proposal, ProposalParticipant
from meridian.decisions.services import Deadline
from tests.briefs.factories import person
from tests.decisions.factories import proposal

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)  # Thursday
SUNDAY = date(2026, 12, 6)
MONDAY_END_TOKYO = datetime(2026, 12, 7, 17, 0, tzinfo=ZoneInfo("Asia/Tokyo"))


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def hana(workspace):
    return person(workspace, "Asia/Tokyo", display_name="Hana Sato")


def form_data(*members, **overrides) -> dict:
    data = {
        "title": "Which CI provider?",
        "kind": "single",
        "options": "GitHub Actions\nBuildkite",
        "rule": "majority",
        "visibility": "open",
        "participants": [f"member:{m.pk}" for m in members],
        "deadline_kind": "local_day",
        "deadline_date": SUNDAY.isoformat(),
        "open": "1",
    }
    data.update(overrides)
    return data


def test_a_proposal_closing_on_sunday_closes_for_hana_at_the_end_of_her_monday(owner, hana):
    p = proposal(owner, [hana], deadline=Deadline(kind="local_day", day=SUNDAY))
    row = ProposalParticipant.objects.get(proposal=p, membership=hana)
    assert row.local_deadline == MONDAY_END_TOKYO
    p.refresh_from_db()
    # It closes when the last deadline passes: the owner's, at the end of Monday in Berlin.
    assert p.close_at == datetime(2026, 12, 7, 17, 0, tzinfo=ZoneInfo("Europe/Berlin"))


def test_the_proposal_form_warns_naming_the_owner_and_hana_and_saves_nothing(client, owner, hana):
    client.force_login(owner.user)
    new = reverse("proposal_new", kwargs={"workspace": owner.workspace.slug})

    response = client.post(new, form_data(hana))

    html = response.content.decode()
    assert response.status_code == 200 and "That day is a day off for 2 people you ask." in html
    assert (
        "Hana Sato (Asia/Tokyo) does not work on Sunday 6 December: their deadline becomes "
        "the end of Monday 7 December, 17:00 Asia/Tokyo."
    ) in html
    assert "(Europe/Berlin) does not work on Sunday 6 December" in html
    assert not Proposal.objects.exists()

    kept = re.search(r'name="days_off_ok" value="([0-9a-f]+)"', html).group(1)
    confirmed = client.post(new, form_data(hana, days_off_ok=kept))
    assert confirmed.status_code == 302
    assert ProposalParticipant.objects.get(membership=hana).local_deadline == MONDAY_END_TOKYO


def test_a_working_day_opens_the_proposal_without_a_warning(client, owner, hana):
    client.force_login(owner.user)
    new = reverse("proposal_new", kwargs={"workspace": owner.workspace.slug})
    response = client.post(new, form_data(hana, deadline_date="2026-12-08"))
    assert response.status_code == 302 and Proposal.objects.get().is_open


def test_keeping_a_day_then_choosing_another_day_off_warns_again(client, owner, hana):
    client.force_login(owner.user)
    new = reverse("proposal_new", kwargs={"workspace": owner.workspace.slug})
    html = client.post(new, form_data(hana)).content.decode()
    kept = re.search(r'name="days_off_ok" value="([0-9a-f]+)"', html).group(1)

    saturday = client.post(new, form_data(hana, deadline_date="2026-12-05", days_off_ok=kept))

    assert saturday.status_code == 200
    assert "does not work on Saturday 5 December" in saturday.content.decode()
    assert not Proposal.objects.exists()
