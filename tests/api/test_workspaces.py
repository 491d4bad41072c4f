"""Me, workspaces, invitations and the audit log through the API."""

import pytest
from django.test import Client

from meridian.workspaces.models import Invitation, Role, Workspace
from meridian.workspaces.services import team_create
from tests.api.support import bearer, get, problem, send, sign_in

pytestmark = pytest.mark.django_db


def test_me_names_the_person_the_workspace_and_the_role(client, member):
    body = get(client, "/me", bearer(member)).json()
    assert body == {
        "id": member.user.pk,
        "email": member.user.email,
        "name": member.user.name,
        "workspace": "acme",
        "membership_id": member.pk,
        "role": "member",
        "display_name": member.profile.display_name,
        "time_zone": "UTC",
    }


def test_creating_a_workspace_makes_you_its_admin(client, member):
    csrf = sign_in(client, member.user)
    response = send(client, "POST", "/workspaces", {"name": "Globex", "slug": "globex"}, csrf)
    assert response.status_code == 201
    created = Workspace.objects.get(slug="globex")
    assert created.memberships.get(user=member.user).role == Role.ADMIN


def test_taken_workspace_slug_is_422_naming_slug_and_creates_nothing(client, member):
    csrf = sign_in(client, member.user)
    response = send(client, "POST", "/workspaces", {"name": "Copy", "slug": "acme"}, csrf)
    assert list(problem(response, 422)["errors"]) == ["slug"]
    assert Workspace.objects.count() == 1


def test_admin_invites_a_person(client, admin):
    response = send(
        client, "POST", "/invitations", {"email": "new@example.com", "role": "guest"}, bearer(admin)
    )
    assert (response.status_code, response.json()["role"]) == (201, "guest")
    assert Invitation.objects.get().email == "new@example.com"


def test_member_cannot_invite_and_nothing_is_sent(client, member):
    response = send(client, "POST", "/invitations", {"email": "new@example.com"}, bearer(member))
    problem(response, 403)
    assert not Invitation.objects.exists()


def test_invalid_invitation_email_is_422_naming_email(client, admin):
    response = send(client, "POST", "/invitations", {"email": "not-an-email"}, bearer(admin))
    assert list(problem(response, 422)["errors"]) == ["email"]


def test_audit_log_is_newest_first_for_admins(client, admin):
    team_create(acting=admin, name="Platform")
    actions = [e["action"] for e in get(client, "/audit", bearer(admin)).json()["items"]]
    assert actions == ["token.create", "team.create", "workspace.create"]


def test_audit_log_filters_by_action(client, admin):
    team_create(acting=admin, name="Platform")
    items = get(client, "/audit?action=team.", bearer(admin)).json()["items"]
    assert [e["action"] for e in items] == ["team.create"]


def test_audit_log_pages_newest_first_without_repeats(client, admin):
    for name in ["one", "two", "three"]:
        team_create(acting=admin, name=name)
    headers = bearer(admin)
    first = get(client, "/audit?limit=3", headers).json()
    second = get(client, f"/audit?limit=3&cursor={first['next']}", headers).json()
    ids = [e["id"] for e in first["items"] + second["items"]]
    assert (len(ids), ids, second["next"]) == (5, sorted(ids, reverse=True), None)


def test_audit_log_is_refused_to_members(client, member):
    assert "admin role" in problem(get(client, "/audit", bearer(member)), 403)["detail"]


def test_audit_log_of_another_workspace_is_never_shown(client, admin, outsider):
    actions = get(client, "/audit", bearer(admin)).json()["items"]
    assert {e["actor"] for e in actions} == {admin.user.email}


def test_a_token_cannot_create_workspaces_beyond_its_own(db):
    from meridian.accounts.services import token_create
    from meridian.workspaces.models import Workspace
    from tests import factories

    ws = factories.workspace()
    _, raw = token_create(acting=factories.admin_of(ws), name="script")
    before = Workspace.objects.count()
    response = Client(headers={"Authorization": f"Bearer {raw}"}).post(
        "/api/v1/workspaces", {"name": "Shadow"}, content_type="application/json"
    )
    assert response.status_code == 403
    assert "sign in" in response.json()["detail"]
    assert Workspace.objects.count() == before


def test_admin_lists_and_withdraws_invitations_through_the_api(db):
    from meridian.accounts.services import token_create
    from meridian.workspaces.services import invitation_create
    from tests import factories

    ws = factories.workspace()
    admin = factories.admin_of(ws)
    invitation, _ = invitation_create(acting=admin, email="soon@example.com")
    _, raw = token_create(acting=admin, name="script")
    api = Client(headers={"Authorization": f"Bearer {raw}"})
    listed = api.get("/api/v1/invitations").json()
    assert [i["email"] for i in listed["items"]] == ["soon@example.com"]
    assert api.delete(f"/api/v1/invitations/{invitation.pk}").status_code == 204
    again = api.delete(f"/api/v1/invitations/{invitation.pk}")
    assert again.status_code == 409
    assert api.get("/api/v1/invitations").json()["items"] == []


def test_admin_removes_a_member_through_the_api_and_their_token_stops_working(db):
    from meridian.accounts.services import token_create
    from tests import factories

    ws = factories.workspace()
    admin = factories.admin_of(ws)
    member = factories.member(ws)
    _, admin_raw = token_create(acting=admin, name="admin")
    _, member_raw = token_create(acting=member, name="member")
    response = Client(headers={"Authorization": f"Bearer {admin_raw}"}).delete(
        f"/api/v1/members/{member.pk}"
    )
    assert response.status_code == 204
    assert (
        Client(headers={"Authorization": f"Bearer {member_raw}"}).get("/api/v1/me").status_code
        == 401
    )
