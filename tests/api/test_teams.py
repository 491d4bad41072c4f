"""Teams through the API: guests read, members write, other workspaces' teams do not exist."""

import pytest

from meridian.workspaces.models import Role, Team, TeamMembership
from meridian.workspaces.services import team_add_member, team_create
from tests import factories
from tests.api.support import bearer, get, problem, send, sign_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def platform(admin):
    return team_create(acting=admin, name="Platform", description="Keeps the lights on")


def test_teams_are_listed_by_name_with_member_counts(client, admin, member, platform):
    team_create(acting=admin, name="Design")
    team_add_member(acting=admin, team=platform, member=member)
    body = get(client, "/teams", bearer(member)).json()
    assert [(t["name"], t["member_count"]) for t in body["items"]] == [
        ("Design", 0),
        ("Platform", 1),
    ]


def test_guest_can_read_teams(client, workspace, platform):
    guest = factories.member(workspace, role=Role.GUEST)
    sign_in(client, guest.user)
    assert [t["slug"] for t in get(client, "/teams").json()["items"]] == ["platform"]


def test_guest_cannot_create_a_team_and_nothing_is_created(client, workspace):
    guest = factories.member(workspace, role=Role.GUEST)
    csrf = sign_in(client, guest.user)
    body = problem(send(client, "POST", "/teams", {"name": "Shadow"}, csrf), 403)
    assert "member role" in body["detail"]
    assert not Team.objects.exists()


def test_member_creates_a_team(client, member):
    response = send(client, "POST", "/teams", {"name": "Research"}, bearer(member))
    assert response.status_code == 201
    assert response.json() == {
        "id": Team.objects.get().pk,
        "name": "Research",
        "slug": "research",
        "description": "",
        "member_count": 0,
    }


def test_duplicate_team_name_is_422_naming_name_and_creates_nothing(client, member, platform):
    body = problem(send(client, "POST", "/teams", {"name": "platform"}, bearer(member)), 422)
    assert "already a team" in body["errors"]["name"][0]
    assert Team.objects.count() == 1


def test_team_without_a_name_is_422_naming_name(client, member):
    body = problem(send(client, "POST", "/teams", {"description": "x"}, bearer(member)), 422)
    assert list(body["errors"]) == ["name"]


def test_renaming_a_team_keeps_its_member_count(client, admin, member, platform):
    team_add_member(acting=admin, team=platform, member=member)
    response = send(client, "PATCH", "/teams/platform", {"name": "Infra"}, bearer(member))
    assert (response.json()["name"], response.json()["member_count"]) == ("Infra", 1)


def test_team_members_are_listed_with_their_teams(client, admin, member, platform):
    team_add_member(acting=admin, team=platform, member=member)
    items = get(client, "/teams/platform/members", bearer(member)).json()["items"]
    assert [(m["id"], m["teams"]) for m in items] == [
        (member.pk, [{"slug": "platform", "name": "Platform"}])
    ]


def test_adding_a_member_to_a_team(client, admin, member, platform):
    response = send(
        client, "POST", "/teams/platform/members", {"membership_id": member.pk}, bearer(admin)
    )
    assert response.status_code == 201
    assert response.json()["teams"] == [{"slug": "platform", "name": "Platform"}]


def test_adding_a_member_twice_is_409(client, admin, member, platform):
    team_add_member(acting=admin, team=platform, member=member)
    response = send(
        client, "POST", "/teams/platform/members", {"membership_id": member.pk}, bearer(admin)
    )
    assert "already in Platform" in problem(response, 409)["detail"]


def test_adding_someone_from_another_workspace_is_404_and_changes_nothing(
    client, admin, platform, outsider
):
    response = send(
        client, "POST", "/teams/platform/members", {"membership_id": outsider.pk}, bearer(admin)
    )
    problem(response, 404)
    assert not TeamMembership.objects.exists()


def test_removing_a_member_from_a_team(client, admin, member, platform):
    team_add_member(acting=admin, team=platform, member=member)
    response = send(client, "DELETE", f"/teams/platform/members/{member.pk}", headers=bearer(admin))
    assert (response.status_code, response.content) == (204, b"")
    assert not TeamMembership.objects.exists()


def test_removing_someone_not_in_the_team_is_404(client, admin, member, platform):
    response = send(client, "DELETE", f"/teams/platform/members/{member.pk}", headers=bearer(admin))
    assert "not in this team" in problem(response, 404)["detail"]


def test_team_of_another_workspace_is_404_without_its_data(client, platform, outsider):
    response = get(client, "/teams/platform/members", bearer(outsider))
    problem(response, 404)
    assert "Keeps the lights on" not in response.content.decode()


def test_renaming_a_team_of_another_workspace_is_404_and_changes_nothing(
    client, platform, outsider
):
    problem(send(client, "PATCH", "/teams/platform", {"name": "Mine"}, bearer(outsider)), 404)
    platform.refresh_from_db()
    assert platform.name == "Platform"
