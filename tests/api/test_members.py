"""The members list and a member's role: cursor pagination, filters, tenancy, query counts."""

import base64
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from meridian.workspaces.models import Membership, Role
from meridian.workspaces.services import team_add_member, team_create
from tests import factories
from tests.api.support import bearer, get, problem, send, sign_in

pytestmark = pytest.mark.django_db


def _cursor(payload: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(payload).encode()).decode()


@pytest.fixture
def crew(workspace, admin):
    """Four more members with names that sort A, B, C, D."""
    return [factories.member(workspace, display_name=name) for name in ["Cleo", "Ada", "Dan", "Bo"]]


def _names(body: dict) -> list[str]:
    return [m["display_name"] for m in body["items"]]


def test_members_page_has_items_and_next(client, admin, crew):
    body = get(client, "/members?limit=2", bearer(admin)).json()
    assert set(body) == {"items", "next"}
    assert len(body["items"]) == 2 and body["next"]


def test_walking_the_pages_returns_every_member_once_by_name(client, admin, crew):
    headers = bearer(admin)
    first = get(client, "/members?limit=2", headers).json()
    second = get(client, f"/members?limit=2&cursor={first['next']}", headers).json()
    third = get(client, f"/members?limit=2&cursor={second['next']}", headers).json()
    names = _names(first) + _names(second) + _names(third)
    assert names == ["Ada", "Bo", "Cleo", "Dan", admin.profile.display_name]
    assert third["next"] is None


def test_next_page_is_stable_when_someone_joins_before_the_cursor(client, workspace, admin, crew):
    headers = bearer(admin)
    first = get(client, "/members?limit=2", headers).json()
    factories.member(workspace, display_name="Aaron")
    second = get(client, f"/members?limit=2&cursor={first['next']}", headers).json()
    assert _names(second) == ["Cleo", "Dan"]


def test_members_with_the_same_name_are_paged_without_loss_or_repeat(client, workspace, admin):
    twins = [factories.member(workspace, display_name="Sam") for _ in range(3)]
    headers = bearer(admin)
    first = get(client, "/members?limit=2&q=Sam", headers).json()
    second = get(client, f"/members?limit=2&q=Sam&cursor={first['next']}", headers).json()
    ids = [m["id"] for m in first["items"] + second["items"]]
    assert ids == [m.pk for m in twins]


def test_members_filter_by_role(client, workspace, admin, crew):
    factories.member(workspace, role=Role.GUEST, display_name="Gus")
    body = get(client, "/members?role=guest", bearer(admin)).json()
    assert _names(body) == ["Gus"]


def test_members_filter_by_team(client, admin, crew):
    team = team_create(acting=admin, name="Platform")
    team_add_member(acting=admin, team=team, member=crew[0])
    body = get(client, "/members?team=platform", bearer(admin)).json()
    assert _names(body) == ["Cleo"]
    assert body["items"][0]["teams"] == [{"slug": "platform", "name": "Platform"}]


def test_members_filter_by_text(client, admin, crew):
    assert _names(get(client, "/members?q=cle", bearer(admin)).json()) == ["Cleo"]


def test_members_list_leaves_out_removed_members(client, admin, crew):
    Membership.objects.filter(pk=crew[0].pk).update(is_active=False)
    assert "Cleo" not in _names(get(client, "/members", bearer(admin)).json())


def test_members_list_runs_the_same_number_of_queries_for_5_and_40_members(
    client, workspace, admin
):
    headers = bearer(admin)
    team = team_create(acting=admin, name="Platform")
    for _ in range(4):
        team_add_member(acting=admin, team=team, member=factories.member(workspace))
    get(client, "/members", headers)  # records the token's use, a write made once a minute
    with CaptureQueriesContext(connection) as five:
        assert len(get(client, "/members", headers).json()["items"]) == 5
    for _ in range(35):
        team_add_member(acting=admin, team=team, member=factories.member(workspace))
    with CaptureQueriesContext(connection) as forty:
        assert len(get(client, "/members", headers).json()["items"]) == 40
    assert len(forty) == len(five)


def test_members_list_never_shows_another_workspace(client, admin, outsider):
    response = get(client, "/members", bearer(outsider))
    assert admin.user.email not in response.content.decode()


def test_garbage_cursor_is_422_naming_cursor(client, admin):
    body = problem(get(client, "/members?cursor=%%%not-base64", bearer(admin)), 422)
    assert list(body["errors"]) == ["cursor"]


def test_cursor_of_another_list_is_422_naming_cursor(client, admin):
    headers = bearer(admin)
    for name in ["one", "two"]:
        team_create(acting=admin, name=name)
    teams_cursor = get(client, "/teams?limit=1", headers).json()["next"]
    body = problem(get(client, f"/members?cursor={teams_cursor}", headers), 422)
    assert list(body["errors"]) == ["cursor"]


def test_forged_cursor_with_a_value_of_the_wrong_type_is_422(client, admin):
    forged = _cursor({"key": "-created_at", "after": ["not a time", 1]})
    body = problem(get(client, f"/tokens?cursor={forged}", bearer(admin)), 422)
    assert list(body["errors"]) == ["cursor"]


def test_forged_cursor_with_a_non_numeric_id_is_422(client, admin):
    forged = _cursor({"key": "profile__display_name", "after": ["Ada", "x"]})
    problem(get(client, f"/members?cursor={forged}", bearer(admin)), 422)


def test_limit_over_200_is_422_naming_limit(client, admin):
    body = problem(get(client, "/members?limit=201", bearer(admin)), 422)
    assert list(body["errors"]) == ["limit"]
    assert "200" in body["detail"]


def test_limit_of_zero_is_422_naming_limit(client, admin):
    body = problem(get(client, "/members?limit=0", bearer(admin)), 422)
    assert list(body["errors"]) == ["limit"]


def test_limit_of_200_is_accepted(client, admin):
    assert get(client, "/members?limit=200", bearer(admin)).status_code == 200


def test_one_member_is_shown_with_email_role_and_zone(client, admin, member):
    body = get(client, f"/members/{member.pk}", bearer(admin)).json()
    assert (body["email"], body["role"], body["time_zone"]) == (member.user.email, "member", "UTC")


def test_member_of_another_workspace_is_404_without_data(client, admin, outsider):
    response = get(client, f"/members/{outsider.pk}", bearer(admin))
    problem(response, 404)
    assert outsider.user.email not in response.content.decode()


def test_member_id_that_is_not_a_number_is_422_naming_it(client, admin):
    body = problem(get(client, "/members/abc", bearer(admin)), 422)
    assert list(body["errors"]) == ["member_id"]


def test_admin_changes_a_members_role(client, admin, member):
    response = send(client, "PUT", f"/members/{member.pk}/role", {"role": "guest"}, bearer(admin))
    assert response.json()["role"] == "guest"
    member.refresh_from_db()
    assert member.role == Role.GUEST


def test_member_cannot_change_roles_and_nothing_changes(client, admin, member):
    body = problem(
        send(client, "PUT", f"/members/{admin.pk}/role", {"role": "guest"}, bearer(member)), 403
    )
    assert "admin" in body["detail"]
    admin.refresh_from_db()
    assert admin.role == Role.ADMIN


def test_unknown_role_is_422_naming_role(client, admin, member):
    response = send(client, "PUT", f"/members/{member.pk}/role", {"role": "owner"}, bearer(admin))
    body = problem(response, 422)
    assert list(body["errors"]) == ["role"]


def test_last_admin_cannot_step_down(client, admin):
    response = send(client, "PUT", f"/members/{admin.pk}/role", {"role": "member"}, bearer(admin))
    body = problem(response, 409)
    assert "at least one admin" in body["detail"]


def test_admin_cannot_change_a_role_in_another_workspace(client, admin, outsider):
    response = send(client, "PUT", f"/members/{outsider.pk}/role", {"role": "guest"}, bearer(admin))
    problem(response, 404)
    outsider.refresh_from_db()
    assert outsider.role == Role.ADMIN


def test_guest_can_read_the_members_list(client, workspace, admin):
    guest = factories.member(workspace, role=Role.GUEST)
    sign_in(client, guest.user)
    assert len(get(client, "/members").json()["items"]) == 2
