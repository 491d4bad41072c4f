from datetime import timedelta

import pytest
from django.utils import timezone

from meridian.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from meridian.core.models import AuditEntry
from meridian.workspaces.models import Invitation, Membership, Profile, Role
from meridian.workspaces.services import (
    invitation_accept,
    invitation_create,
    member_set_role,
    profile_update,
    team_add_member,
    team_create,
    workspace_create,
)
from tests import factories

pytestmark = pytest.mark.django_db


def test_workspace_creator_becomes_admin_with_profile_and_audit_entry():
    person = factories.user(name="Ada")
    ws = workspace_create(user=person, name="Analytical Engines")
    m = Membership.objects.get(workspace=ws, user=person)
    assert (ws.slug, m.role, m.profile.display_name) == ("analytical-engines", Role.ADMIN, "Ada")
    assert AuditEntry.objects.filter(workspace=ws, action="workspace.create").count() == 1


def test_workspace_slug_collision_is_a_field_error_and_creates_nothing(workspace):
    before = Membership.objects.count()
    with pytest.raises(ValidationFailed) as exc:
        workspace_create(user=factories.user(), name="Other", slug=workspace.slug)
    assert "taken" in exc.value.errors["slug"][0]
    assert Membership.objects.count() == before


def test_invalid_time_zone_names_the_zone_and_changes_nothing(member):
    with pytest.raises(ValidationFailed) as exc:
        profile_update(acting=member, member=member, time_zone="Mars/Olympus", display_name="New")
    assert "Mars/Olympus" in exc.value.errors["time_zone"][0]
    member.profile.refresh_from_db()
    assert (member.profile.time_zone, member.profile.display_name) != ("Mars/Olympus", "New")


def test_overlapping_working_hours_are_refused_naming_the_day(member):
    with pytest.raises(ValidationFailed) as exc:
        profile_update(acting=member, member=member, working_hours={"1": [[540, 720], [660, 780]]})
    assert "Tuesday" in exc.value.errors["working_hours"][0]
    assert "overlap" in exc.value.errors["working_hours"][0]


def test_inverted_working_hours_are_refused(member):
    with pytest.raises(ValidationFailed) as exc:
        profile_update(acting=member, member=member, working_hours={"0": [[840, 720]]})
    assert "Monday" in exc.value.detail


def test_split_working_hours_are_saved_in_order(member):
    profile_update(
        acting=member,
        member=member,
        time_zone="Asia/Kathmandu",
        working_hours={"0": [[840, 1080], [540, 720]]},
    )
    profile = Profile.objects.get(membership=member)
    assert profile.working_hours == {"0": [[540, 720], [840, 1080]]}
    assert profile.time_zone == "Asia/Kathmandu"


def test_member_cannot_edit_someone_elses_profile(workspace, member):
    other = factories.member(workspace)
    with pytest.raises(PermissionDenied):
        profile_update(acting=member, member=other, display_name="Hacked")


def test_last_admin_cannot_step_down(admin):
    with pytest.raises(Conflict):
        member_set_role(acting=admin, member=admin, role=Role.MEMBER)


def test_invitation_is_single_use(admin):
    _, token = invitation_create(acting=admin, email="new@example.com")
    person = factories.user(email="new@example.com")
    m = invitation_accept(token=token, user=person)
    assert m.workspace_id == admin.workspace_id and m.role == Role.MEMBER
    with pytest.raises(Conflict, match="already been used"):
        invitation_accept(token=token, user=person)


def test_expired_invitation_is_refused(admin):
    invitation, token = invitation_create(acting=admin, email="late@example.com")
    Invitation.objects.filter(pk=invitation.pk).update(
        expires_at=timezone.now() - timedelta(minutes=1)
    )
    with pytest.raises(Conflict, match="expired"):
        invitation_accept(token=token, user=factories.user(email="late@example.com"))
    assert not Membership.objects.filter(user__email="late@example.com").exists()


def test_invitation_for_another_email_is_refused(admin):
    _, token = invitation_create(acting=admin, email="right@example.com")
    with pytest.raises(Conflict, match=r"right@example\.com"):
        invitation_accept(token=token, user=factories.user(email="wrong@example.com"))


def test_unknown_invitation_token_is_not_found(db):
    with pytest.raises(NotFound):
        invitation_accept(token="inv_nonsense", user=factories.user())


def test_member_cannot_invite(member):
    with pytest.raises(PermissionDenied):
        invitation_create(acting=member, email="x@example.com")


def test_team_from_another_workspace_cannot_take_our_member(member, outsider):
    foreign_team = team_create(acting=outsider, name="Foreign")
    with pytest.raises(NotFound):
        team_add_member(acting=outsider, team=foreign_team, member=member)


def test_services_refuse_objects_from_another_workspace_even_without_an_access_helper(
    admin, outsider
):
    victim = factories.member(outsider.workspace)
    with pytest.raises(NotFound):
        member_set_role(acting=admin, member=victim, role=Role.ADMIN)
    with pytest.raises(NotFound):
        profile_update(acting=admin, member=victim, display_name="Hijacked")
    victim.refresh_from_db()
    assert victim.role == Role.MEMBER and victim.profile.display_name != "Hijacked"


@pytest.mark.parametrize("name", ["Evil\nBcc: everyone@example.com", "Tab\there"])
def test_names_with_line_breaks_or_control_characters_are_refused(member, name):
    with pytest.raises(ValidationFailed, match="one line"):
        profile_update(acting=member, member=member, display_name=name)
    with pytest.raises(ValidationFailed, match="one line"):
        team_create(acting=member, name=name)
    with pytest.raises(ValidationFailed, match="one line"):
        workspace_create(user=member.user, name=name)


@pytest.mark.parametrize("zone", ["EST5EDT", "Factory", "localtime", "Etc/GMT+5"])
def test_only_region_city_time_zones_are_accepted(member, zone):
    with pytest.raises(ValidationFailed, match="Unknown time zone"):
        profile_update(acting=member, member=member, time_zone=zone)
