"""A member leaves: handovers to them are cancelled (the giver is told and keeps the item);
handovers from them stay, and the receiver can still acknowledge them."""

import pytest

from meridian.briefs.models import Brief
from meridian.core.models import AuditEntry
from meridian.handovers.models import Handover, HandoverState
from meridian.handovers.services import (
    Assignment,
    handover_acknowledge,
    handover_bulk_start,
    handover_cancel,
)
from meridian.notifications.models import InboxItem, InboxState
from meridian.workspaces.services import member_deactivate
from tests import factories
from tests.briefs.factories import person
from tests.handovers.factories import handover, many_briefs

pytestmark = pytest.mark.django_db


def test_a_handover_to_a_member_who_leaves_is_cancelled_and_the_giver_keeps_the_item(
    item, giver, receiver, admin
):
    h = handover(item, receiver)
    member_deactivate(acting=admin, member=receiver)
    h.refresh_from_db()
    assert h.state == HandoverState.CANCELLED and h.cancelled_at is not None
    assert Brief.objects.get(pk=item.pk).author_id == giver.pk
    told = InboxItem.objects.get(recipient=giver, kind="handovers.receiver_left")
    assert told.title == (
        f"{receiver.profile.display_name} left the workspace: the brief Vendor migration "
        "stays with you"
    )
    assert not InboxItem.objects.filter(recipient=receiver, state=InboxState.OPEN).exists()
    assert AuditEntry.objects.filter(action="handover.cancel_receiver_left").count() == 1


def test_the_giver_may_hand_the_item_to_someone_else_after_the_receiver_left(
    item, giver, receiver, admin, workspace
):
    handover(item, receiver)
    member_deactivate(acting=admin, member=receiver)
    assert InboxItem.objects.get(recipient=giver, state=InboxState.OPEN).cause.startswith(
        "handovers.returned:"
    )
    other = person(workspace)
    assert handover(item, other).state == HandoverState.PENDING
    assert not InboxItem.objects.filter(recipient=giver, state=InboxState.OPEN).exists()


def test_a_batch_to_a_member_who_leaves_is_cancelled_item_by_item(giver, receiver, admin):
    items = many_briefs(giver, 3)
    plan = [Assignment("brief", b.pk, receiver.pk) for b in items]
    handover_bulk_start(actor=giver, member=giver, assignments=plan)
    member_deactivate(acting=admin, member=receiver)
    assert set(Handover.objects.values_list("state", flat=True)) == {HandoverState.CANCELLED}
    assert InboxItem.objects.filter(recipient=giver, kind="handovers.receiver_left").count() == 3


def test_a_handover_from_a_member_who_left_stays_and_the_receiver_can_acknowledge_it(
    item, giver, receiver, admin
):
    h = handover(item, receiver)
    member_deactivate(acting=admin, member=giver)
    h.refresh_from_db()
    assert h.state == HandoverState.PENDING
    assert InboxItem.objects.filter(
        recipient=receiver, cause=f"handovers.received:{h.pk}", state=InboxState.OPEN
    ).exists()
    handover_acknowledge(actor=receiver, handover=h)
    assert Brief.objects.get(pk=item.pk).author_id == receiver.pk


def test_an_admin_can_still_cancel_a_handover_from_a_member_who_left(item, giver, receiver, admin):
    h = handover(item, receiver)
    member_deactivate(acting=admin, member=giver)
    assert handover_cancel(actor=admin, handover=h).state == HandoverState.CANCELLED


def test_a_departure_in_another_workspace_leaves_our_handovers_pending(item, receiver, outsider):
    h = handover(item, receiver)
    stranger = factories.member(outsider.workspace)
    member_deactivate(acting=outsider, member=stranger)
    h.refresh_from_db()
    assert h.state == HandoverState.PENDING
