"""One rule for who watched a brief's recording and how much: its author and the workspace's
admins see everyone's progress; any other member sees only their own (page and API alike)."""

import pytest
from django.test import Client

from meridian.recordings.models import Recording
from meridian.recordings.services import recording_view_record
from tests import factories
from tests.api.support import bearer, get, problem
from tests.briefs.factories import brief as make_brief
from tests.briefs.factories import person
from tests.recordings.support import send_file

pytestmark = pytest.mark.django_db


@pytest.fixture
def colleague(workspace):
    return person(workspace, "UTC", display_name="Colleague Cole")


@pytest.fixture
def walkthrough(author, teammate, colleague, clips) -> tuple:
    """A minute-long recording on a brief asking the teammate and a colleague: the teammate
    watched all of it, the colleague a third."""
    made = make_brief(author, [teammate, colleague], title="Walkthrough")
    recording = send_file(author, made, clips["webm"]).recording
    Recording.objects.filter(pk=recording.pk).update(duration=60.0)
    recording.refresh_from_db()
    recording_view_record(viewer=teammate, recording=recording, ranges=[[0, 60]])
    recording_view_record(viewer=colleague, recording=recording, ranges=[[0, 20]])
    for participant in (teammate, colleague):  # each opened the brief to watch it
        _watched_badges(participant, made)
    return made, recording


def _views(client, member, recording) -> list[tuple[int, float]]:
    answer = get(client, f"/recordings/{recording.pk}/views", bearer(member)).json()
    return sorted((v["membership_id"], round(v["fraction"], 2)) for v in answer)


def _watched_badges(member, made) -> str:
    browser = Client()
    browser.force_login(member.user)
    page = browser.get(f"/w/{made.workspace.slug}/briefs/{made.pk}/").content.decode()
    return " ".join(part.split("</span>")[0] for part in page.split('class="badge">Watched ')[1:])


def test_the_author_and_an_admin_see_everyones_progress_in_the_api(
    client, author, teammate, colleague, walkthrough
):
    _, recording = walkthrough
    admin = factories.admin_of(author.workspace)
    everyone = sorted([(teammate.pk, 1.0), (colleague.pk, 0.33)])

    assert _views(client, author, recording) == everyone
    assert _views(client, admin, recording) == everyone


def test_a_member_sees_only_their_own_progress_and_one_who_never_watched_sees_nothing(
    client, author, teammate, colleague, walkthrough
):
    _, recording = walkthrough
    bystander = factories.member(author.workspace)

    assert _views(client, teammate, recording) == [(teammate.pk, 1.0)]
    assert _views(client, colleague, recording) == [(colleague.pk, 0.33)]
    assert _views(client, bystander, recording) == []


def test_another_workspace_gets_404_for_the_views(client, walkthrough, outsider):
    _, recording = walkthrough

    problem(get(client, f"/recordings/{recording.pk}/views", bearer(outsider)), 404)


def test_the_brief_page_shows_each_participants_share_to_the_author_and_only_your_own_to_you(
    author, teammate, colleague, walkthrough
):
    made, _ = walkthrough
    admin = factories.admin_of(author.workspace)

    assert sorted(_watched_badges(author, made).split()) == ["100%", "33%"]
    assert sorted(_watched_badges(admin, made).split()) == ["100%", "33%"]
    assert _watched_badges(teammate, made) == "100%"
    assert _watched_badges(colleague, made) == "33%"


def test_the_brief_api_gives_a_members_share_to_the_author_and_none_of_others_to_a_member(
    client, author, teammate, colleague, walkthrough
):
    made, _ = walkthrough

    def shares(member) -> dict[int, float | None]:
        rows = get(client, f"/briefs/{made.pk}", bearer(member)).json()["participants"]
        return {r["member"]["id"]: r["watched"] and round(r["watched"], 2) for r in rows}

    assert shares(author) == {teammate.pk: 1.0, colleague.pk: 0.33}
    assert shares(teammate) == {teammate.pk: 1.0, colleague.pk: None}
