"""The workspaces pages through Django's test client: access, forms with bad input, htmx, queries."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from meridian.accounts.models import User
from meridian.core.models import AuditEntry
from meridian.workspaces.models import Invitation, Membership, Profile, Role, Team, Workspace
from meridian.workspaces.services import (
    invitation_accept,
    invitation_create,
    profile_update,
    team_add_member,
    team_create,
)
from tests import factories

pytestmark = pytest.mark.django_db

# Every page of a workspace, as (url name, extra kwargs); the team and member ids are filled in.
WORKSPACE_PAGES = [
    ("workspace_home", {}),
    ("members", {}),
    ("invite", {}),
    ("profile", {}),
    ("teams", {}),
    ("team", {"team": "core"}),
    ("tokens", {}),
    ("audit_log", {}),
]


def signed_in(client, membership: Membership):
    client.force_login(membership.user)
    return client


def url(name: str, ws, **kwargs) -> str:
    return reverse(name, kwargs={"workspace": ws.slug, **kwargs})


@pytest.fixture
def team(admin):
    return team_create(acting=admin, name="Core")


def profile_post(**overrides: str) -> dict[str, str]:
    data = {
        "display_name": "Bea",
        "title": "",
        "time_zone": "UTC",
        "digest_time": "",
        **{f"hours_{i}": "09:00-17:00" for i in range(5)},
        **{f"hours_{i}": "" for i in (5, 6)},
        **{f"focus_{i}": "" for i in range(7)},
    }
    data.update(overrides)
    return data


def profile_state(m: Membership) -> tuple:
    p = Profile.objects.get(membership=m)
    return (p.display_name, p.time_zone, p.working_hours, p.focus_blocks, p.updated_at)


# --- Access ------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "kwargs"), WORKSPACE_PAGES)
def test_anonymous_visitor_is_sent_to_sign_in(client, workspace, team, name, kwargs):
    target = url(name, workspace, **kwargs)
    response = client.get(target)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('account_login')}?next={target}"


@pytest.mark.parametrize(("name", "kwargs"), WORKSPACE_PAGES)
def test_member_of_another_workspace_gets_404_on_every_page(
    client, workspace, team, outsider, name, kwargs
):
    response = signed_in(client, outsider).get(url(name, workspace, **kwargs))
    assert response.status_code == 404
    assert b"Acme" not in response.content


def test_member_of_another_workspace_cannot_post_to_its_pages(
    client, workspace, admin, member, team, outsider
):
    signed_in(client, outsider)
    before = AuditEntry.objects.filter(workspace=workspace).count()
    posts = [
        (url("member_role", workspace, member_id=member.pk), {"role": "admin"}),
        (url("invite", workspace), {"email": "spy@example.com", "role": "admin"}),
        (url("teams", workspace), {"name": "Spies"}),
        (url("team", workspace, team="core"), {"member": member.pk, "action": "remove"}),
        (url("profile", workspace), profile_post(display_name="Spy")),
        (url("tokens", workspace), {"name": "spy"}),
    ]
    for target, data in posts:
        assert client.post(target, data).status_code == 404, target
    assert AuditEntry.objects.filter(workspace=workspace).count() == before
    assert Membership.objects.get(pk=member.pk).role == Role.MEMBER


@pytest.mark.parametrize("name", ["audit_log", "invite"])
def test_member_who_is_not_admin_gets_403_on_admin_pages(client, member, name):
    response = signed_in(client, member).get(url(name, member.workspace))
    assert response.status_code == 403
    assert b"admin role" in response.content


def test_member_cannot_change_roles_or_invite(client, workspace, admin, member):
    signed_in(client, member)
    role_url = url("member_role", workspace, member_id=admin.pk)
    assert client.post(role_url, {"role": "guest"}).status_code == 403
    invite_url = url("invite", workspace)
    assert client.post(invite_url, {"email": "x@example.com", "role": "member"}).status_code == 403
    assert Membership.objects.get(pk=admin.pk).role == Role.ADMIN
    assert not Invitation.objects.exists()


def test_members_page_hides_admin_controls_from_members(client, member):
    response = signed_in(client, member).get(url("members", member.workspace))
    assert response.status_code == 200
    assert b"Invite someone" not in response.content
    assert b"Change role" not in response.content
    assert b"Audit log" not in response.content


# --- Members -----------------------------------------------------------------------------


def test_members_page_shows_each_members_local_time_and_working_state(client, workspace, admin):
    kathmandu = factories.member(
        workspace,
        time_zone="Asia/Kathmandu",
        working_hours={str(d): [[0, 1440]] for d in range(7)},
    )
    off = factories.member(workspace, time_zone="America/New_York", working_hours={})
    before = timezone.now()
    response = signed_in(client, admin).get(url("members", workspace))
    after = timezone.now()
    html = response.content.decode()
    from zoneinfo import ZoneInfo

    shown = {(t.astimezone(ZoneInfo("Asia/Kathmandu")).strftime("%H:%M")) for t in (before, after)}
    assert any(f">{hhmm}</time>" in html for hhmm in shown)
    assert "Asia/Kathmandu · UTC+05:45" in html
    assert "America/New York" in html
    assert html.count("badge working") >= 1 and "off hours" in html
    assert kathmandu.profile.display_name in html and off.profile.display_name in html


def test_members_page_filters_without_javascript(client, workspace, admin, team):
    ada = factories.member(workspace, display_name="Ada Lovelace")
    grace = factories.member(workspace, display_name="Grace Hopper")
    team_add_member(acting=admin, team=team, member=grace)
    signed_in(client, admin)
    by_name = client.get(url("members", workspace), {"q": "lovelace"}).content.decode()
    assert "Ada Lovelace" in by_name and "Grace Hopper" not in by_name
    by_team = client.get(url("members", workspace), {"team": "core"}).content.decode()
    assert "Grace Hopper" in by_team and "Ada Lovelace" not in by_team
    by_role = client.get(url("members", workspace), {"role": "admin"}).content.decode()
    assert admin.profile.display_name in by_role and "Ada Lovelace" not in by_role
    assert ada.pk


def test_htmx_request_to_members_page_returns_only_the_member_table(client, admin, member):
    response = signed_in(client, admin).get(
        url("members", admin.workspace), {"q": member.profile.display_name}, HTTP_HX_REQUEST="true"
    )
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="member-table"')
    assert "<html" not in html and "<nav" not in html and 'role="search"' not in html
    assert member.profile.display_name in html
    assert "HX-Request" in response["Vary"]


def test_htmx_history_restore_gets_the_whole_members_page(client, admin):
    response = signed_in(client, admin).get(
        url("members", admin.workspace),
        HTTP_HX_REQUEST="true",
        HTTP_HX_HISTORY_RESTORE_REQUEST="true",
    )
    assert b"<html" in response.content and b'id="member-table"' in response.content


def _members_page_queries(client, admin) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url("members", admin.workspace))
    assert response.status_code == 200
    return len(queries)


def test_members_page_query_count_does_not_grow_with_members(client, workspace, admin):
    team_a = team_create(acting=admin, name="Alpha")
    team_b = team_create(acting=admin, name="Beta")
    invitation_create(acting=admin, email="pending@example.com")
    signed_in(client, admin)

    def add_members(n: int) -> None:
        for _ in range(n):
            m = factories.member(workspace, time_zone="Europe/Berlin")
            team_add_member(acting=admin, team=team_a, member=m)
            team_add_member(acting=admin, team=team_b, member=m)

    add_members(4)
    with_5 = _members_page_queries(client, admin)
    add_members(35)
    with_40 = _members_page_queries(client, admin)
    assert Membership.objects.filter(workspace=workspace).count() == 40
    assert with_40 == with_5
    assert with_5 <= 8


# --- Profile -----------------------------------------------------------------------------


def test_profile_saves_zone_and_split_working_hours(client, member):
    response = signed_in(client, member).post(
        url("profile", member.workspace),
        profile_post(
            time_zone="Asia/Kathmandu",
            hours_0="14:00-18:00, 09:00-12:00",
            focus_2="09:00-11:00",
            digest_time="08:30",
        ),
    )
    assert response.status_code == 302
    p = Profile.objects.get(membership=member)
    assert p.time_zone == "Asia/Kathmandu"
    assert p.working_hours["0"] == [[540, 720], [840, 1080]]
    assert p.focus_blocks == {"2": [[540, 660]]}
    page = client.get(url("profile", member.workspace)).content.decode()
    assert 'value="09:00-12:00, 14:00-18:00"' in page
    assert "Profile saved." in page


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"time_zone": "Mars/Olympus"}, "Unknown time zone: “Mars/Olympus”."),
        ({"hours_1": "09:00-12:00, 11:00-13:00"}, "09:00–12:00 overlaps 11:00–13:00"),
        ({"hours_3": "17:00-09:00"}, "17:00–09:00 ends before it starts"),
        ({"focus_4": "25:00-26:00"}, "25:00 is not a time of day"),
        ({"hours_0": "nine to five"}, "is not HH:MM-HH:MM"),
        ({"display_name": ""}, "This field is required."),
    ],
    ids=["invalid-zone", "overlapping", "inverted", "out-of-range", "unreadable", "no-name"],
)
def test_profile_with_bad_input_names_the_problem_and_changes_nothing(
    client, member, overrides, message
):
    before = profile_state(member)
    audit_before = AuditEntry.objects.count()
    response = signed_in(client, member).post(
        url("profile", member.workspace),
        profile_post(**{"time_zone": "Europe/Berlin", **overrides}),
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert message in html
    assert 'role="alert"' in html and 'aria-invalid="true"' in html
    assert profile_state(member) == before
    assert AuditEntry.objects.count() == audit_before


def test_profile_error_names_the_weekday(client, member):
    response = signed_in(client, member).post(
        url("profile", member.workspace), profile_post(hours_1="09:00-12:00, 11:00-13:00")
    )
    html = response.content.decode()
    assert "Tuesday working hours</a>: 09:00–12:00 overlaps 11:00–13:00" in html
    assert 'aria-describedby="id_hours_1_error"' in html


def test_profile_page_offers_every_zone_and_shows_the_local_time(client, member):
    profile_update(acting=member, member=member, time_zone="Asia/Kathmandu")
    html = signed_in(client, member).get(url("profile", member.workspace)).content.decode()
    assert '<option value="Asia/Kathmandu">' in html
    assert 'list="time-zones"' in html
    assert "in Asia/Kathmandu (UTC+05:45)" in html


# --- Invitations -------------------------------------------------------------------------


def test_admin_invites_and_sees_the_link_once(client, admin):
    signed_in(client, admin)
    response = client.post(
        url("invite", admin.workspace), {"email": "Bea@Example.com", "role": "member"}
    )
    assert response.status_code == 200
    html = response.content.decode()
    invitation = Invitation.objects.get()
    assert invitation.email == "bea@example.com"
    assert "http://testserver/invitations/" in html
    assert "no-store" in response["Cache-Control"]
    members_page = client.get(url("members", admin.workspace)).content.decode()
    assert "bea@example.com" in members_page and "/invitations/" not in members_page


def test_inviting_an_existing_member_is_a_form_error(client, admin, member):
    response = signed_in(client, admin).post(
        url("invite", admin.workspace), {"email": member.user.email.upper(), "role": "member"}
    )
    assert response.status_code == 422
    assert f"{member.user.email} is already a member." in response.content.decode()
    assert not Invitation.objects.exists()


@pytest.fixture
def invitation(admin):
    return invitation_create(acting=admin, email="bea@example.com", role=Role.MEMBER)


def test_new_person_accepts_an_invitation_and_lands_on_their_profile(client, invitation):
    inv, token = invitation
    page = client.get(reverse("invitation_accept", kwargs={"token": token}))
    assert page.status_code == 200 and b"bea@example.com" in page.content
    response = client.post(
        reverse("invitation_accept", kwargs={"token": token}),
        {"display_name": "Bea", "password": "a-long-enough-pass-42"},
    )
    assert response.status_code == 302
    assert response["Location"] == url("profile", inv.workspace)
    m = Membership.objects.get(workspace=inv.workspace, user__email="bea@example.com")
    assert (m.role, m.profile.display_name) == (Role.MEMBER, "Bea")
    assert client.get(url("members", inv.workspace)).status_code == 200


def test_accepting_with_a_weak_password_is_a_form_error_and_creates_nothing(client, invitation):
    _, token = invitation
    response = client.post(
        reverse("invitation_accept", kwargs={"token": token}),
        {"display_name": "Bea", "password": "short"},
    )
    assert response.status_code == 422
    assert "too short" in response.content.decode()
    assert not User.objects.filter(email="bea@example.com").exists()
    assert Invitation.objects.get().accepted_at is None


def test_accepting_when_the_email_already_has_an_account_says_so(client, invitation):
    factories.user(email="bea@example.com")
    _, token = invitation
    response = client.post(
        reverse("invitation_accept", kwargs={"token": token}),
        {"display_name": "Bea", "password": "a-long-enough-pass-42"},
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert "An account with bea@example.com already exists; sign in instead." in html
    assert User.objects.filter(email="bea@example.com").count() == 1
    assert Invitation.objects.get().accepted_at is None
    assert not Membership.objects.filter(user__email="bea@example.com").exists()


def test_signed_in_person_accepts_with_one_click(client, invitation):
    inv, token = invitation
    bea = factories.user(email="bea@example.com")
    client.force_login(bea)
    assert (
        b"Join as bea@example.com"
        in client.get(reverse("invitation_accept", kwargs={"token": token})).content
    )
    response = client.post(reverse("invitation_accept", kwargs={"token": token}))
    assert response.status_code == 302
    assert Membership.objects.filter(workspace=inv.workspace, user=bea).exists()


def test_joining_a_workspace_whose_name_ends_with_a_full_stop_says_so_once(client, admin):
    Workspace.objects.filter(pk=admin.workspace_id).update(name="Meridian Demo Co.")
    _, token = invitation_create(acting=admin, email="bea@example.com", role=Role.MEMBER)
    target = reverse("invitation_accept", kwargs={"token": token})
    response = client.post(
        target, {"display_name": "Bea", "password": "a-long-enough-pass-42"}, follow=True
    )
    html = response.content.decode()
    assert "You joined Meridian Demo Co. Set your time zone" in html
    assert "Co.." not in html


def test_expired_invitation_is_refused_and_changes_nothing(client, invitation):
    inv, token = invitation
    Invitation.objects.filter(pk=inv.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    target = reverse("invitation_accept", kwargs={"token": token})
    assert client.get(target).status_code == 409
    response = client.post(target, {"display_name": "Bea", "password": "a-long-enough-pass-42"})
    assert response.status_code == 409
    assert "This invitation has expired; ask for a new one." in response.content.decode()
    assert not User.objects.filter(email="bea@example.com").exists()


def test_used_invitation_is_refused(client, invitation):
    _, token = invitation
    invitation_accept(token=token, user=factories.user(email="bea@example.com"))
    members_before = Membership.objects.count()
    response = client.post(
        reverse("invitation_accept", kwargs={"token": token}),
        {"display_name": "Mallory", "password": "a-long-enough-pass-42"},
    )
    assert response.status_code == 409
    assert "This invitation has already been used." in response.content.decode()
    assert Membership.objects.count() == members_before
    assert User.objects.filter(email="bea@example.com").count() == 1


def test_unknown_invitation_link_is_404(client, invitation):
    response = client.get(reverse("invitation_accept", kwargs={"token": "inv_not-a-real-token"}))
    assert response.status_code == 404
    assert "This invitation link is not valid." in response.content.decode()


def test_invitation_for_someone_else_is_refused_to_a_signed_in_person(client, invitation):
    inv, token = invitation
    mallory = factories.user(email="mallory@example.com")
    client.force_login(mallory)
    page = client.get(reverse("invitation_accept", kwargs={"token": token})).content.decode()
    assert "This invitation is for bea@example.com, but you are signed in as" in page
    assert "Join as" not in page
    response = client.post(reverse("invitation_accept", kwargs={"token": token}))
    assert response.status_code == 403
    assert (
        "This invitation is for bea@example.com; you are signed in as mallory@example.com."
        in response.content.decode()
    )
    assert not Membership.objects.filter(workspace=inv.workspace, user=mallory).exists()
    assert Invitation.objects.get().accepted_at is None


# --- Workspaces, teams, roles -------------------------------------------------------------


def test_creating_a_workspace_makes_you_its_admin(client):
    person = factories.user()
    client.force_login(person)
    response = client.post(reverse("workspace_create"), {"name": "Initech", "slug": ""})
    assert response.status_code == 302 and response["Location"] == "/w/initech/members/"
    assert Membership.objects.get(user=person).role == Role.ADMIN


def test_taken_workspace_address_is_a_form_error(client, workspace):
    client.force_login(factories.user())
    response = client.post(reverse("workspace_create"), {"name": "Acme 2", "slug": workspace.slug})
    assert response.status_code == 422
    assert f"The address “{workspace.slug}” is taken." in response.content.decode()


def test_admin_changes_a_role_from_the_members_page(client, admin, member):
    signed_in(client, admin)
    response = client.post(
        url("member_role", admin.workspace, member_id=member.pk), {"role": "guest"}, follow=True
    )
    assert Membership.objects.get(pk=member.pk).role == Role.GUEST
    assert "is now guest." in response.content.decode()


def test_last_admin_stepping_down_is_refused_with_a_message(client, admin):
    response = signed_in(client, admin).post(
        url("member_role", admin.workspace, member_id=admin.pk), {"role": "member"}, follow=True
    )
    assert "A workspace needs at least one admin." in response.content.decode()
    assert Membership.objects.get(pk=admin.pk).role == Role.ADMIN


def test_team_pages_create_add_remove_and_rename(client, workspace, admin, member):
    signed_in(client, admin)
    response = client.post(url("teams", workspace), {"name": "Platform", "description": ""})
    team = Team.objects.get(workspace=workspace)
    assert response["Location"] == url("team", workspace, team=team.slug)
    team_url = url("team", workspace, team=team.slug)
    client.post(team_url, {"action": "add", "member": member.pk})
    page = client.get(team_url).content.decode()
    assert member.profile.display_name in page and "joined Platform" in page
    assert "UTC · UTC+00:00" in page
    client.post(team_url, {"action": "remove", "member": member.pk})
    assert not team.team_memberships.exists()
    client.post(team_url, {"action": "update", "name": "Platform Team", "description": "Infra"})
    team.refresh_from_db()
    assert (team.name, team.description) == ("Platform Team", "Infra")
    listing = client.get(url("teams", workspace)).content.decode()
    assert "Platform Team" in listing and "0 members" in listing


def test_duplicate_team_name_is_a_form_error(client, admin, team):
    response = signed_in(client, admin).post(url("teams", admin.workspace), {"name": "core"})
    assert response.status_code == 422
    assert "There is already a team called “core”." in response.content.decode()
    assert Team.objects.count() == 1


def test_adding_a_member_of_another_workspace_to_a_team_is_refused(client, admin, team, outsider):
    signed_in(client, admin)
    response = client.post(
        url("team", admin.workspace, team="core"), {"action": "add", "member": outsider.pk}
    )
    assert response.status_code == 302
    assert not team.team_memberships.exists()


def test_guest_sees_teams_without_edit_forms(client, workspace, team):
    guest = factories.member(workspace, role=Role.GUEST)
    signed_in(client, guest)
    assert b"Start a team" not in client.get(url("teams", workspace)).content
    page = client.get(url("team", workspace, team="core")).content
    assert b"Edit team" not in page and b"Add a member" not in page


def test_admin_withdraws_an_invitation_and_its_link_stops_working(client, admin):
    from meridian.workspaces.services import invitation_create

    invitation, token = invitation_create(acting=admin, email="later@example.com")
    client.force_login(admin.user)
    members_page = client.get(f"/w/{admin.workspace.slug}/members/").content.decode()
    assert f"/members/invites/{invitation.pk}/withdraw/" in members_page
    response = client.post(f"/w/{admin.workspace.slug}/members/invites/{invitation.pk}/withdraw/")
    assert response.status_code == 302
    client.logout()
    page = client.get(f"/invitations/{token}/")
    assert page.status_code == 409
    assert "withdrawn" in page.content.decode()


def test_admin_removes_a_member_whose_pages_then_answer_404(client, admin, member):
    client.force_login(admin.user)
    response = client.post(f"/w/{admin.workspace.slug}/members/{member.pk}/remove/")
    assert response.status_code == 302
    client.force_login(member.user)
    assert client.get(f"/w/{admin.workspace.slug}/members/").status_code == 404


def test_member_cannot_remove_anyone(client, workspace, member):
    other = factories.member(workspace)
    client.force_login(member.user)
    assert client.post(f"/w/{workspace.slug}/members/{other.pk}/remove/").status_code == 403
    other.refresh_from_db()
    assert other.is_active
