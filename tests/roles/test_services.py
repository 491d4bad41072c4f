"""Roles' writes: the role and its duties, holders and their history, ticks, conflicts."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from meridian.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from meridian.notifications.models import InboxItem
from meridian.roles.models import Cadence, Duty, DutyCheck, HoldingHow, Role, RoleHolding
from meridian.roles.services import (
    DutyIn,
    RoleEditConflict,
    duty_tick,
    holder_assign,
    holder_release,
    role_create,
    role_transfer,
    role_update,
)
from meridian.workspaces.services import member_deactivate
from tests import factories
from tests.roles.factories import held, role
from tests.support import IMMEDIATE_TASKS

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 12, 9, 10, 0, tzinfo=UTC)  # Wednesday


@pytest.fixture(autouse=True)
def _clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def test_a_role_is_created_with_rendered_responsibilities_and_ordered_duties(member):
    r = role_create(
        acting=member,
        name="  Support   lead ",
        responsibilities="Answer **every** ticket.\n\n<script>alert(1)</script>",
        duties=[DutyIn("Triage the queue", "daily"), DutyIn("Send the digest", "weekly")],
    )
    assert r.name == "Support lead"
    assert "<strong>every</strong>" in r.responsibilities_html
    assert "<script>" not in r.responsibilities_html
    assert [(d.text, d.cadence) for d in r.duties.all()] == [
        ("Triage the queue", "daily"),
        ("Send the digest", "weekly"),
    ]


def test_a_second_role_with_the_same_name_in_any_case_is_refused(member):
    role(member, name="On-call")
    with pytest.raises(ValidationFailed) as refused:
        role(member, name="ON-CALL")
    assert "already a role" in refused.value.errors["name"][0]
    assert Role.objects.count() == 1


def test_a_bad_cadence_is_refused_and_nothing_is_written(member):
    with pytest.raises(ValidationFailed) as refused:
        role(member, duties=[DutyIn("Rotate keys", "hourly")])
    assert "hourly" in refused.value.errors["duties"][0]
    assert not Role.objects.exists() and not Duty.objects.exists()


def test_guests_cannot_create_roles(workspace):
    guest = factories.member(workspace, role="guest")
    with pytest.raises(PermissionDenied):
        role(guest)


def test_a_save_from_an_old_version_is_refused_with_the_other_change_and_writes_nothing(
    member, admin
):
    r = role(member)
    seen = Role.objects.get(pk=r.pk)
    role_update(acting=admin, role=r, version=r.version, name="Release captain")
    with pytest.raises(RoleEditConflict) as refused:
        role_update(acting=member, role=seen, version=seen.version, name="Release lead")
    assert refused.value.status_code == 409
    assert "Release captain" in refused.value.errors["name"][0]
    assert Role.objects.get(pk=r.pk).name == "Release captain"


def test_editing_duties_keeps_ticks_of_unchanged_duties_and_drops_removed_ones(member):
    r = held(member, role(member), member)
    budget = r.duties.get(text="Check the error budget")
    calendar = r.duties.get(text="Update the release calendar")
    duty_tick(acting=member, duty=budget, done=True)
    duty_tick(acting=member, duty=calendar, done=True)
    r.refresh_from_db()
    role_update(
        acting=member,
        role=r,
        version=r.version,
        duties=[DutyIn("Check the error budget", "daily"), DutyIn("Write release notes", "weekly")],
    )
    assert list(r.duties.values_list("text", flat=True)) == [
        "Check the error budget",
        "Write release notes",
    ]
    assert list(DutyCheck.objects.values_list("duty_id", flat=True)) == [budget.pk]


def test_assigning_starts_a_holding_notifies_and_releasing_ends_it_and_clears_the_inbox(
    member, admin, mailoutbox, settings, django_capture_on_commit_callbacks
):
    settings.TASKS = IMMEDIATE_TASKS
    r = role(admin)
    with django_capture_on_commit_callbacks(execute=True):
        holding = holder_assign(acting=admin, role=r, member=member)
    assert holding.how == HoldingHow.ASSIGNED and holding.started_at == NOW
    item = InboxItem.objects.get(recipient=member)
    assert item.cause == f"roles.role:{r.pk}" and item.state == "open"
    assert any("You now hold the role Release manager" in m.subject for m in mailoutbox)
    holder_release(acting=admin, role=r, member=member, at=NOW + timedelta(days=3))
    holding.refresh_from_db()
    assert holding.ended_at == NOW + timedelta(days=3) and holding.ended_by == admin
    assert not InboxItem.objects.filter(recipient=member, state="open").exists()
    assert RoleHolding.objects.count() == 1  # history kept


def test_a_role_can_have_several_holders_but_a_member_holds_it_once_at_a_time(member, admin):
    r = held(admin, role(admin), member, admin)
    with pytest.raises(ValidationFailed) as refused:
        holder_assign(acting=admin, role=r, member=member)
    assert "already holds" in refused.value.errors["member_id"][0]
    assert RoleHolding.objects.filter(role=r, ended_at=None).count() == 2


def test_a_departed_or_foreign_member_cannot_be_assigned(member, admin, outsider):
    r = role(admin)
    with pytest.raises(ValidationFailed):
        holder_assign(acting=admin, role=r, member=outsider)
    member_deactivate(acting=admin, member=member)
    member.refresh_from_db()
    with pytest.raises(ValidationFailed):
        holder_assign(acting=admin, role=r, member=member)
    assert not RoleHolding.objects.exists()


def test_releasing_someone_who_does_not_hold_the_role_is_not_found(member, admin):
    r = role(admin)
    with pytest.raises(NotFound):
        holder_release(acting=admin, role=r, member=member)


def test_an_archived_role_cannot_be_assigned(member, admin):
    r = role(admin)
    r = role_update(acting=admin, role=r, version=r.version, archived=True)
    with pytest.raises(Conflict):
        holder_assign(acting=admin, role=r, member=member)


def test_a_tick_holds_for_the_holders_period_in_their_zone_and_resets_with_the_next(
    workspace, admin, _clock
):
    # 10:00 UTC Wednesday is 23:45 Wednesday in Chatham; a daily duty ticked now is for Wednesday.
    chatham = factories.member(workspace, time_zone="Pacific/Chatham")
    r = held(admin, role(admin), chatham)
    daily = r.duties.get(cadence=Cadence.DAILY)
    weekly = r.duties.get(cadence=Cadence.WEEKLY)
    monthly = r.duties.get(cadence=Cadence.MONTHLY)
    for duty in (daily, weekly, monthly):
        duty_tick(acting=chatham, duty=duty, done=True)
    starts = dict(DutyCheck.objects.values_list("duty__cadence", "period_start"))
    assert starts == {
        "daily": datetime(2026, 12, 9).date(),
        "weekly": datetime(2026, 12, 7).date(),
        "monthly": datetime(2026, 12, 1).date(),
    }
    # The same tick again is no second row; unticking removes it.
    duty_tick(acting=chatham, duty=daily, done=True)
    assert DutyCheck.objects.filter(duty=daily).count() == 1
    duty_tick(acting=chatham, duty=daily, done=False)
    assert not DutyCheck.objects.filter(duty=daily).exists()


def test_only_holders_and_admins_tick_duties(member, admin):
    r = role(admin)
    duty = r.duties.first()
    with pytest.raises(PermissionDenied):
        duty_tick(acting=member, duty=duty, done=True)
    duty_tick(acting=admin, duty=duty, done=True)
    assert DutyCheck.objects.count() == 1


def test_a_handover_ends_the_givers_holding_and_starts_the_receivers(member, admin):
    r = held(admin, role(admin), member)
    receiver = factories.member(admin.workspace)
    role_transfer(role=r, giver=member, receiver=receiver, actor=receiver)
    rows = list(RoleHolding.objects.filter(role=r).order_by("started_at", "id"))
    assert [(h.membership_id, h.ended_at is None, h.how) for h in rows] == [
        (member.pk, False, "assigned"),
        (receiver.pk, True, "handover"),
    ]


def test_roles_of_another_workspace_cannot_be_changed(member, outsider):
    theirs = role(outsider)
    with pytest.raises(NotFound):
        role_update(acting=member, role=theirs, version=theirs.version, name="Mine")
    with pytest.raises(NotFound):
        holder_assign(acting=member, role=theirs, member=member)
