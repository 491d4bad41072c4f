"""Personal API tokens: shown once, stored hashed, scoped to one workspace, revocable."""

import hashlib

import pytest

from meridian.accounts.models import ApiToken
from meridian.accounts.services import token_create
from meridian.workspaces.models import Role
from tests import factories
from tests.api.support import bearer, get, problem, send, sign_in

pytestmark = pytest.mark.django_db


def test_created_token_is_shown_once_with_its_secret(client, member):
    csrf = sign_in(client, member.user)
    body = send(client, "POST", "/tokens", {"name": "CI"}, csrf).json()
    assert body["token"].startswith(body["prefix"])
    assert body["name"] == "CI" and body["last_used_at"] is None


def test_created_token_is_stored_only_as_its_digest(client, member):
    csrf = sign_in(client, member.user)
    raw = send(client, "POST", "/tokens", {"name": "CI"}, csrf).json()["token"]
    stored = ApiToken.objects.get(membership=member)
    assert stored.digest == hashlib.sha256(raw.encode()).hexdigest()
    assert raw not in {stored.digest, stored.prefix, stored.name}


def test_token_list_never_shows_secrets(client, member):
    csrf = sign_in(client, member.user)
    raw = send(client, "POST", "/tokens", {"name": "CI"}, csrf).json()["token"]
    response = get(client, "/tokens")
    assert [t["name"] for t in response.json()["items"]] == ["CI"]
    assert raw not in response.content.decode()
    assert "token" not in response.json()["items"][0]


def test_new_token_authenticates_as_its_creator(client, member):
    csrf = sign_in(client, member.user)
    raw = send(client, "POST", "/tokens", {"name": "CI"}, csrf).json()["token"]
    client.logout()
    response = get(client, "/me", {"Authorization": f"Bearer {raw}"})
    assert response.json()["membership_id"] == member.pk


def test_using_a_token_sets_its_last_used_time_shown_in_the_list(client, member):
    headers = bearer(member)
    get(client, "/members", headers)
    listed = get(client, "/tokens", headers).json()["items"][0]
    assert listed["last_used_at"] is not None
    assert ApiToken.objects.get(membership=member).last_used_at is not None


def test_token_list_shows_only_your_tokens_in_this_workspace(client, admin, member):
    token_create(acting=admin, name="Admin's")
    second = factories.workspace(name="Second", admin=member.user)
    token_create(acting=second.memberships.get(), name="Elsewhere")
    token_create(acting=member, name="Mine")
    names = [t["name"] for t in get(client, "/tokens", bearer(member, "Listing")).json()["items"]]
    assert names == ["Listing", "Mine"]


def test_token_list_is_newest_first_across_pages(client, member):
    for name in ["one", "two", "three"]:
        token_create(acting=member, name=name)
    headers = bearer(member, "four")
    first = get(client, "/tokens?limit=2", headers).json()
    second = get(client, f"/tokens?limit=2&cursor={first['next']}", headers).json()
    names = [t["name"] for t in first["items"] + second["items"]]
    assert (names, second["next"]) == (["four", "three", "two", "one"], None)


def test_revoked_token_answers_401_saying_it_was_revoked(client, member):
    headers = bearer(member)
    token = ApiToken.objects.get(membership=member)
    send(client, "DELETE", f"/tokens/{token.pk}", headers=headers)
    body = problem(get(client, "/me", headers), 401)
    assert "revoked" in body["detail"]


def test_revoking_shows_the_revocation_time(client, member):
    token, _ = token_create(acting=member, name="Old")
    response = send(client, "DELETE", f"/tokens/{token.pk}", headers=bearer(member))
    assert response.status_code == 200
    assert response.json()["revoked_at"] is not None


def test_revoking_twice_is_409(client, member):
    token, _ = token_create(acting=member, name="Old")
    headers = bearer(member)
    send(client, "DELETE", f"/tokens/{token.pk}", headers=headers)
    body = problem(send(client, "DELETE", f"/tokens/{token.pk}", headers=headers), 409)
    assert "already revoked" in body["detail"]


def test_revoking_someone_elses_token_is_404_and_leaves_it_working(client, admin, member):
    token, raw = token_create(acting=admin, name="Admin's")
    problem(send(client, "DELETE", f"/tokens/{token.pk}", headers=bearer(member)), 404)
    assert get(client, "/me", {"Authorization": f"Bearer {raw}"}).status_code == 200


def test_a_token_cannot_create_tokens_and_nothing_is_created(client, member):
    headers = bearer(member)
    body = problem(send(client, "POST", "/tokens", {"name": "Successor"}, headers), 403)
    assert "sign in" in body["detail"]
    assert not ApiToken.objects.filter(name="Successor").exists()


def test_guest_cannot_create_tokens(client, workspace):
    guest = factories.member(workspace, role=Role.GUEST)
    csrf = sign_in(client, guest.user)
    problem(send(client, "POST", "/tokens", {"name": "CI"}, csrf), 403)
    assert not ApiToken.objects.exists()


def test_empty_token_name_is_422_naming_the_field_and_creates_nothing(client, member):
    csrf = sign_in(client, member.user)
    body = problem(send(client, "POST", "/tokens", {"name": ""}, csrf), 422)
    assert "name" in body["errors"]
    assert not ApiToken.objects.exists()


def test_blank_token_name_is_422_from_the_service(client, member):
    csrf = sign_in(client, member.user)
    body = problem(send(client, "POST", "/tokens", {"name": "   "}, csrf), 422)
    assert body["errors"] == {"name": ["A token name has 1 to 100 characters."]}
