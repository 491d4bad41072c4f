"""Error messages, emails and the profile clock tell a time in the reader's zone, named."""

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.urls import reverse

from meridian.briefs.models import Brief
from meridian.briefs.services import Deadline, Invitee, brief_close, brief_create, comment_add
from meridian.core.errors import Conflict, ValidationFailed
from meridian.decisions.services import Deadline as CloseBy
from meridian.decisions.services import proposal_close, proposal_create, proposal_update
from tests import factories
from tests.support import IMMEDIATE_TASKS

pytestmark = pytest.mark.django_db

SATURDAY_NIGHT = datetime(2026, 12, 5, 23, 0, tzinfo=UTC)  # Sunday 00:00 in Berlin


@pytest.fixture
def clock():
    with time_machine.travel(SATURDAY_NIGHT, tick=True):
        yield


@pytest.fixture
def berlin(clock, workspace):
    return factories.member(workspace, time_zone="Europe/Berlin")


@pytest.fixture
def kathmandu(clock, workspace):
    return factories.member(workspace, time_zone="Asia/Kathmandu")


def test_a_past_deadline_error_names_the_writers_zone_and_wall_time(berlin, kathmandu):
    nine_in_berlin = datetime(2026, 12, 5, 8, 0, tzinfo=UTC)
    with pytest.raises(ValidationFailed) as caught:
        brief_create(
            author=berlin,
            title="Too late",
            participants=[Invitee(member_id=kathmandu.pk)],
            deadline=Deadline(at=nine_in_berlin),
        )
    message = caught.value.errors["deadline_at"][0]
    assert message == "The deadline 2026-12-05 09:00 Europe/Berlin has already passed."
    assert not Brief.objects.filter(title="Too late").exists()


def test_a_past_proposal_deadline_error_names_the_writers_zone(berlin, kathmandu):
    with pytest.raises(ValidationFailed) as caught:
        proposal_create(
            owner=kathmandu,
            title="Too late too",
            participants=[Invitee(member_id=berlin.pk)],
            deadline=CloseBy(kind="instant", at=datetime(2026, 12, 5, 8, 0, tzinfo=UTC)),
            open_now=True,
        )
    assert caught.value.errors["deadline_at"][0] == (
        "The deadline 2026-12-05 13:45 Asia/Kathmandu has already passed."
    )


def test_a_closed_brief_tells_each_member_when_it_closed_in_their_own_zone(berlin, kathmandu):
    brief = brief_create(
        author=berlin, title="Done", participants=[Invitee(member_id=kathmandu.pk)]
    )
    brief_close(acting=berlin, brief=brief, summary="Settled.")
    with pytest.raises(Conflict) as caught:
        comment_add(acting=kathmandu, brief=brief, body="One more thing")
    # 23:00 UTC on Saturday is 04:45 on Sunday in Kathmandu.
    assert "closed on 2026-12-06 04:45 Asia/Kathmandu" in caught.value.detail


def test_a_closed_proposal_tells_its_owner_when_in_their_own_zone(berlin, kathmandu):
    proposal = proposal_create(
        owner=berlin,
        title="Closed one",
        participants=[Invitee(member_id=kathmandu.pk)],
        deadline=CloseBy(kind="instant", at=SATURDAY_NIGHT + timedelta(days=3)),
        open_now=True,
    )
    proposal_close(acting=berlin, proposal=proposal, reason="Enough said")
    with pytest.raises(Conflict) as caught:
        proposal_close(acting=berlin, proposal=proposal, reason="Again")
    assert "already closed on 2026-12-06 00:00 Europe/Berlin" in caught.value.detail
    with pytest.raises(Conflict):
        proposal_update(acting=berlin, proposal=proposal, title="Renamed")


def test_the_past_deadline_error_on_the_brief_form_names_the_readers_zone(
    client, berlin, kathmandu
):
    client.force_login(berlin.user)
    response = client.post(
        reverse("brief_new", kwargs={"workspace": berlin.workspace.slug}),
        {
            "title": "From the form",
            "ask_kind": "feedback",
            "required": [f"member:{kathmandu.pk}"],
            "deadline_kind": "instant",
            "deadline_at": "2026-12-05T09:00",
        },
    )
    page = response.content.decode()
    assert response.status_code == 422
    assert "2026-12-05 09:00 Europe/Berlin has already passed" in page
    assert not Brief.objects.filter(title="From the form").exists()


def test_the_profile_clock_names_the_weekday_of_the_members_own_zone(client, berlin):
    client.force_login(berlin.user)
    page = client.get(reverse("profile", kwargs={"workspace": berlin.workspace.slug}))
    # Saturday 23:00 UTC is already Sunday in Berlin; the weekday used to be UTC's.
    assert "It is <strong>00:00</strong> on Sunday in Europe/Berlin" in page.content.decode()


def test_the_ask_email_tells_each_recipient_their_deadline_in_their_own_zone(
    settings, mailoutbox, django_capture_on_commit_callbacks, berlin, kathmandu
):
    settings.TASKS = IMMEDIATE_TASKS
    new_york = factories.member(berlin.workspace, time_zone="America/New_York")
    with django_capture_on_commit_callbacks(execute=True):
        brief_create(
            author=berlin,
            title="Pricing",
            participants=[Invitee(member_id=kathmandu.pk), Invitee(member_id=new_york.pk)],
            deadline=Deadline(at=datetime(2026, 12, 10, 16, 0, tzinfo=UTC)),
        )
    body = {m.to[0]: m.body for m in mailoutbox}
    assert (
        "Respond by Thursday 10 December 2026, 21:45 Asia/Kathmandu." in body[kathmandu.user.email]
    )
    assert (
        "Respond by Thursday 10 December 2026, 11:00 America/New_York." in body[new_york.user.email]
    )


def test_an_end_of_day_deadline_email_is_the_end_of_the_recipients_working_day(
    settings, mailoutbox, django_capture_on_commit_callbacks, berlin, kathmandu
):
    settings.TASKS = IMMEDIATE_TASKS
    with django_capture_on_commit_callbacks(execute=True):
        brief_create(
            author=berlin,
            title="By Thursday",
            participants=[Invitee(member_id=kathmandu.pk)],
            deadline=Deadline(day=date(2026, 12, 10)),
        )
    # Follow-the-sun: the end of Thursday's working hours (09:00-17:00 by default) in Kathmandu.
    assert "Respond by Thursday 10 December 2026, 17:00 Asia/Kathmandu." in mailoutbox[-1].body
