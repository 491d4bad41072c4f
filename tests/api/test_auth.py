"""Who may call the API: bearer tokens, the browser session with CSRF, and the workspace acted in."""

import pytest
from django.utils import timezone

from meridian.accounts.models import ApiToken, User
from meridian.workspaces.models import Team, Workspace
from meridian.workspaces.services import member_deactivate, membership_add
from tests import factories
from tests.api.support import bearer, get, problem, send, sign_in

pytestmark = pytest.mark.django_db


def test_request_without_credentials_is_401_naming_both_ways_in(client, admin):
    body = problem(get(client, "/me"), 401)
    assert "Bearer" in body["detail"] and "sign in" in body["detail"]


def test_401_answer_tells_clients_to_use_a_bearer_token(client, admin):
    assert get(client, "/members")["WWW-Authenticate"].startswith("Bearer")


def test_unknown_token_is_401_saying_no_such_token_exists(client, admin):
    body = problem(get(client, "/me", {"Authorization": "Bearer mer_not-a-real-token"}), 401)
    assert "no such token" in body["detail"]


def test_authorization_header_that_is_not_bearer_is_401_naming_the_expected_form(client, admin):
    body = problem(get(client, "/me", {"Authorization": "Basic dXNlcjpwYXNz"}), 401)
    assert "Bearer <token>" in body["detail"]


def test_token_of_a_removed_member_is_401_because_removal_revokes_it(client, admin, member):
    headers = bearer(member)
    member_deactivate(acting=admin, member=member)
    body = problem(get(client, "/me", headers), 401)
    assert "revoked" in body["detail"]


def test_token_of_a_disabled_person_is_401_saying_they_lost_access(client, member):
    headers = bearer(member)
    User.objects.filter(pk=member.user_id).update(is_active=False)
    body = problem(get(client, "/me", headers), 401)
    assert "no longer has access" in body["detail"]


def test_bad_token_is_not_rescued_by_a_valid_session(client, admin):
    sign_in(client, admin.user)
    problem(get(client, "/me", {"Authorization": "Bearer mer_wrong"}), 401)


def test_token_acts_as_its_own_member_even_beside_another_persons_session(client, admin, member):
    sign_in(client, admin.user)
    response = get(client, "/me", bearer(member))
    assert response.json()["membership_id"] == member.pk


def test_session_cookie_authenticates_reads(client, member):
    sign_in(client, member.user)
    response = get(client, "/me")
    assert (response.status_code, response.json()["email"]) == (200, member.user.email)


def test_session_write_without_csrf_token_is_403_and_creates_nothing(browser, member):
    sign_in(browser, member.user)
    body = problem(send(browser, "POST", "/teams", {"name": "Platform"}), 403)
    assert "CSRF" in body["detail"]
    assert not Team.objects.filter(name="Platform").exists()


def test_session_write_with_wrong_csrf_token_is_403(browser, member):
    sign_in(browser, member.user)
    problem(send(browser, "POST", "/teams", {"name": "Platform"}, {"X-CSRFToken": "x" * 32}), 403)


def test_session_write_with_csrf_token_succeeds(browser, member):
    csrf = sign_in(browser, member.user)
    response = send(browser, "POST", "/teams", {"name": "Platform"}, csrf)
    assert response.status_code == 201
    assert Team.objects.filter(workspace=member.workspace, name="Platform").exists()


def test_token_write_needs_no_csrf_token(browser, member):
    response = send(browser, "POST", "/teams", {"name": "Platform"}, bearer(member))
    assert response.status_code == 201


def test_anonymous_write_is_401_not_a_csrf_failure(browser, member):
    problem(send(browser, "POST", "/teams", {"name": "Platform"}), 401)


def test_session_acts_in_the_workspace_named_by_the_header(client, member):
    second = factories.workspace(name="Second", admin=member.user)
    sign_in(client, member.user)
    response = get(client, "/me", {"X-Meridian-Workspace": second.slug})
    assert response.json()["workspace"] == second.slug


def test_session_acts_in_the_workspace_named_by_the_query_parameter(client, member):
    second = factories.workspace(name="Second", admin=member.user)
    sign_in(client, member.user)
    response = get(client, f"/me?workspace={second.slug}")
    assert response.json()["workspace"] == second.slug


def test_session_acts_in_the_first_joined_workspace_by_default(client, member):
    factories.workspace(name="Aardvark", admin=member.user)
    sign_in(client, member.user)
    assert get(client, "/me").json()["workspace"] == member.workspace.slug


def test_session_naming_a_workspace_it_is_not_in_is_404_without_its_data(
    client, member, other_workspace
):
    sign_in(client, member.user)
    response = get(client, "/members", {"X-Meridian-Workspace": other_workspace.slug})
    body = problem(response, 404)
    assert other_workspace.slug in body["detail"]
    assert other_workspace.name not in response.content.decode()


def test_person_without_a_workspace_is_told_so_by_workspace_operations(client, db):
    person = factories.user()
    sign_in(client, person)
    body = problem(get(client, "/me"), 404)
    assert "not a member of any workspace" in body["detail"]


def test_person_without_a_workspace_can_create_their_first(client, db):
    person = factories.user()
    sign_in(client, person)
    response = send(client, "POST", "/workspaces", {"name": "Fresh Start"})
    assert (response.status_code, response.json()["slug"]) == (201, "fresh-start")
    assert Workspace.objects.get(slug="fresh-start").memberships.get().user == person


def test_workspaces_lists_every_workspace_of_a_session(client, member):
    factories.workspace(name="Second", admin=member.user)
    sign_in(client, member.user)
    names = [w["name"] for w in get(client, "/workspaces").json()["items"]]
    assert names == ["Acme", "Second"]


def test_workspaces_lists_only_the_tokens_workspace_for_a_token(client, member):
    factories.workspace(name="Second", admin=member.user)
    names = [w["name"] for w in get(client, "/workspaces", bearer(member)).json()["items"]]
    assert names == ["Acme"]


def test_token_of_workspace_a_naming_workspace_b_in_the_header_is_404(client, member):
    second = factories.workspace(name="Second", admin=member.user)
    membership_add(workspace=second, user=factories.user(name="Bea Secret"), role="member")
    response = get(client, "/members", {**bearer(member), "X-Meridian-Workspace": second.slug})
    body = problem(response, 404)
    assert member.workspace.slug in body["detail"] and second.slug in body["detail"]
    assert "Bea Secret" not in response.content.decode()


def test_token_of_workspace_a_naming_workspace_b_in_the_query_is_404(client, member):
    second = factories.workspace(name="Second", admin=member.user)
    membership_add(workspace=second, user=factories.user(name="Bea Secret"), role="member")
    response = get(client, f"/members?workspace={second.slug}", bearer(member))
    problem(response, 404)
    assert "Bea Secret" not in response.content.decode()


def test_token_with_a_session_in_workspace_b_still_acts_only_in_workspace_a(client, member):
    second = factories.workspace(name="Second", admin=member.user)
    sign_in(client, member.user)
    response = get(client, f"/me?workspace={second.slug}", bearer(member))
    problem(response, 404)


def test_token_naming_its_own_workspace_is_served(client, member):
    response = get(client, f"/me?workspace={member.workspace.slug}", bearer(member))
    assert response.json()["workspace"] == member.workspace.slug


def test_other_workspace_token_changes_nothing(client, member, outsider):
    response = send(
        client,
        "POST",
        "/teams",
        {"name": "Intruders"},
        {**bearer(outsider), "X-Meridian-Workspace": member.workspace.slug},
    )
    problem(response, 404)
    assert not Team.objects.filter(name="Intruders").exists()


def test_token_use_is_recorded_even_on_a_read(client, member):
    headers = bearer(member)
    get(client, "/me", headers)
    assert ApiToken.objects.get(membership=member).last_used_at is not None


def test_write_with_an_unknown_token_is_401_and_creates_nothing(client, member):
    headers = {"Authorization": "Bearer mer_guessed"}
    problem(send(client, "POST", "/teams", {"name": "Ghosts"}, headers), 401)
    assert not Team.objects.exists()


def test_write_with_a_revoked_token_is_401_and_creates_nothing(client, member):
    headers = bearer(member)
    ApiToken.objects.filter(membership=member).update(revoked_at=timezone.now())
    problem(send(client, "POST", "/teams", {"name": "Ghosts"}, headers), 401)
    assert not Team.objects.exists()
