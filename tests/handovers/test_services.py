"""Handover services: who may hand what to whom, acknowledging, cancelling, questions, bulk."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from hypothesis import given
from hypothesis import strategies as st

from meridian.briefs.models import Brief
from meridian.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from meridian.handovers.models import (
    BatchState,
    Handover,
    HandoverBatch,
    HandoverComment,
    HandoverState,
)
from meridian.handovers.services import (
    Assignment,
    bulk_assign,
    handover_acknowledge,
    handover_answer,
    handover_ask,
    handover_bulk_start,
    handover_cancel,
)
from meridian.notifications.models import InboxItem, InboxState
from meridian.workspaces.services import member_deactivate
from tests.briefs.factories import brief, person
from tests.handovers.factories import handover, many_briefs
from tests.support import IMMEDIATE_TASKS

pytestmark = pytest.mark.django_db


def open_items(member) -> list[str]:
    return sorted(
        InboxItem.objects.filter(recipient=member, state=InboxState.OPEN).values_list(
            "cause", flat=True
        )
    )


def nothing_written() -> bool:
    return not Handover.objects.exists() and not HandoverBatch.objects.exists()


# --- Starting -------------------------------------------------------------------------------


def test_handover_start_puts_the_packet_in_the_receivers_inbox_and_keeps_the_item_with_the_giver(
    item, giver, receiver
):
    h = handover(item, receiver, note="The **vendor** call is on Friday.")

    assert h.state == HandoverState.PENDING
    assert (h.giver_id, h.receiver_id, h.object_label) == (
        giver.pk,
        receiver.pk,
        "Vendor migration",
    )
    assert "<strong>vendor</strong>" in h.note_html
    assert open_items(receiver) == [f"handovers.received:{h.pk}"]
    inbox = InboxItem.objects.get(recipient=receiver)
    assert inbox.url == f"/w/{item.workspace.slug}/handovers/{h.pk}/"
    assert Brief.objects.get(pk=item.pk).author_id == giver.pk


def test_handing_over_to_oneself_is_a_receiver_error_and_writes_nothing(item, giver):
    with pytest.raises(ValidationFailed) as caught:
        handover(item, giver)
    assert "receiver" in caught.value.errors
    assert nothing_written()
    assert not InboxItem.objects.filter(cause__startswith="handovers.").exists()


def test_handing_over_to_a_removed_member_names_the_receiver_field(item, admin, receiver):
    member_deactivate(acting=admin, member=receiver)
    with pytest.raises(ValidationFailed) as caught:
        handover(item, receiver)
    assert caught.value.errors["receiver"] == [
        f"{receiver.profile.display_name} is no longer a member of this workspace."
    ]
    assert nothing_written()


def test_handing_over_to_someone_of_another_workspace_is_a_receiver_error(item, outsider):
    with pytest.raises(ValidationFailed) as caught:
        handover(item, outsider)
    assert caught.value.errors == {"receiver": ["Choose a member of this workspace."]}
    assert nothing_written()


def test_only_the_holder_or_an_admin_may_hand_an_item_over(item, giver, receiver, admin, member):
    with pytest.raises(PermissionDenied):
        handover(item, receiver, actor=member)
    assert nothing_written()

    h = handover(item, receiver, actor=admin)
    assert (h.giver_id, h.created_by_id) == (giver.pk, admin.pk)


def test_an_item_already_in_handover_is_a_conflict_naming_both_people(item, receiver, member):
    handover(item, receiver)
    with pytest.raises(Conflict) as caught:
        handover(item, member)
    assert caught.value.status_code == 409
    assert receiver.profile.display_name in caught.value.detail
    assert Handover.objects.count() == 1


def test_unknown_kinds_and_items_are_not_found(giver, receiver, outsider, other_workspace):
    from meridian.handovers.services import handover_start

    with pytest.raises(NotFound):
        handover_start(actor=giver, kind="spaceship", object_id=1, receiver=receiver)
    with pytest.raises(NotFound):
        handover_start(actor=giver, kind="brief", object_id=999_999, receiver=receiver)
    foreign = brief(outsider, [person(other_workspace)], title="Globex plans")
    with pytest.raises(NotFound):
        handover_start(actor=giver, kind="brief", object_id=foreign.pk, receiver=receiver)
    assert nothing_written()


def test_a_note_too_long_is_a_note_error(item, receiver):
    with pytest.raises(ValidationFailed) as caught:
        handover(item, receiver, note="x" * 20_001)
    assert "note" in caught.value.errors
    assert nothing_written()


# --- Acknowledging and cancelling -----------------------------------------------------------


def test_acknowledging_transfers_the_item_resolves_the_inbox_and_tells_the_giver(
    item, giver, receiver, mailoutbox, django_capture_on_commit_callbacks, settings
):
    settings.TASKS = IMMEDIATE_TASKS
    h = handover(item, receiver)
    with django_capture_on_commit_callbacks(execute=True):
        handover_acknowledge(actor=receiver, handover=h)

    h.refresh_from_db()
    assert h.state == HandoverState.ACKNOWLEDGED and h.acknowledged_at is not None
    assert Brief.objects.get(pk=item.pk).author_id == receiver.pk
    assert open_items(receiver) == []
    assert [m.to for m in mailoutbox] == [[giver.user.email]]
    assert "took over" in mailoutbox[0].subject


def test_acknowledging_someone_elses_handover_is_not_found(item, giver, receiver, member, admin):
    h = handover(item, receiver)
    for other in (giver, member, admin):
        with pytest.raises(NotFound):
            handover_acknowledge(actor=other, handover=h)
    h.refresh_from_db()
    assert h.state == HandoverState.PENDING
    assert Brief.objects.get(pk=item.pk).author_id == giver.pk


def test_acknowledging_twice_is_a_conflict(item, receiver):
    h = handover(item, receiver)
    handover_acknowledge(actor=receiver, handover=h)
    with pytest.raises(Conflict):
        handover_acknowledge(actor=receiver, handover=h)


def test_the_giver_cancels_and_the_receivers_item_goes(item, giver, receiver):
    h = handover(item, receiver)
    handover_cancel(actor=giver, handover=h)
    h.refresh_from_db()
    assert h.state == HandoverState.CANCELLED and h.cancelled_at is not None
    assert open_items(receiver) == []
    assert Brief.objects.get(pk=item.pk).author_id == giver.pk
    # The item can be handed over again.
    assert handover(item, receiver).state == HandoverState.PENDING


def test_the_receiver_cannot_cancel_but_an_admin_can(item, receiver, admin):
    h = handover(item, receiver)
    with pytest.raises(PermissionDenied):
        handover_cancel(actor=receiver, handover=h)
    handover_cancel(actor=admin, handover=h)
    h.refresh_from_db()
    assert h.state == HandoverState.CANCELLED


# --- Questions ------------------------------------------------------------------------------


def test_a_question_awaits_the_other_side_until_answered(item, giver, receiver):
    h = handover(item, receiver)
    question = handover_ask(actor=receiver, handover=h, body="Who is the *contact*?")
    assert question.is_question and "<em>contact</em>" in question.body_html
    assert open_items(giver) == [f"handovers.question:{question.pk}"]

    answer = handover_answer(actor=giver, handover=h, question=question, body="Dana at Acme.")
    question.refresh_from_db()
    assert question.answered_at is not None and answer.parent_id == question.pk
    assert open_items(giver) == []


def test_only_the_two_sides_talk_on_a_handover(item, receiver, member):
    h = handover(item, receiver)
    with pytest.raises(PermissionDenied):
        handover_ask(actor=member, handover=h, body="May I?")
    assert not HandoverComment.objects.exists()


def test_an_empty_question_is_a_body_error(item, receiver):
    h = handover(item, receiver)
    with pytest.raises(ValidationFailed) as caught:
        handover_ask(actor=receiver, handover=h, body="   ")
    assert "body" in caught.value.errors
    assert not HandoverComment.objects.exists()


def test_answering_twice_is_a_conflict(item, giver, receiver):
    h = handover(item, receiver)
    question = handover_ask(actor=receiver, handover=h, body="Deadline firm?")
    handover_answer(actor=giver, handover=h, question=question, body="Yes.")
    with pytest.raises(Conflict):
        handover_answer(actor=giver, handover=h, question=question, body="Still yes.")


# --- Hand over everything -------------------------------------------------------------------


@given(
    n=st.integers(min_value=0, max_value=60),
    receivers=st.lists(st.integers(min_value=1, max_value=99), min_size=1, max_size=5, unique=True),
)
def test_bulk_assign_spreads_items_in_turn_evenly(n, receivers):
    items = [("brief", i) for i in range(1, n + 1)]
    plan = bulk_assign(items, receivers, {})
    assert [(a.kind, a.object_id) for a in plan] == items
    counts = [sum(1 for a in plan if a.receiver_id == r) for r in receivers]
    assert max(counts) - min(counts) <= 1


@given(
    n=st.integers(min_value=1, max_value=30),
    chosen=st.dictionaries(st.integers(min_value=1, max_value=30), st.integers(100, 105)),
)
def test_bulk_assign_keeps_each_items_own_receiver(n, chosen):
    items = [("brief", i) for i in range(1, n + 1)]
    per_item = {f"brief:{i}": r for i, r in chosen.items()}
    plan = bulk_assign(items, [7, 8], per_item)
    for a in plan:
        assert a.receiver_id == chosen.get(a.object_id, a.receiver_id)
        if a.object_id not in chosen:
            assert a.receiver_id in (7, 8)


def test_bulk_handover_spreads_items_and_tells_each_receiver_once(giver, receiver, member):
    items = many_briefs(giver, 5)
    plan = bulk_assign([("brief", b.pk) for b in items], [receiver.pk, member.pk], {})
    batch = handover_bulk_start(actor=giver, member=giver, assignments=plan, note="On leave.")

    batch.refresh_from_db()
    assert (batch.state, batch.total, batch.done) == (BatchState.DONE, 5, 5)
    assert Handover.objects.filter(receiver=receiver, batch=batch).count() == 3
    assert Handover.objects.filter(receiver=member, batch=batch).count() == 2
    assert open_items(receiver) == [f"handovers.batch:{batch.pk}"]
    assert open_items(member) == [f"handovers.batch:{batch.pk}"]


def test_a_batch_item_in_the_inbox_goes_once_all_its_items_are_acknowledged(giver, receiver):
    items = many_briefs(giver, 2)
    plan = [Assignment("brief", b.pk, receiver.pk) for b in items]
    batch = handover_bulk_start(actor=giver, member=giver, assignments=plan)
    first, second = Handover.objects.filter(batch=batch).order_by("pk")
    handover_acknowledge(actor=receiver, handover=first)
    assert open_items(receiver) == [f"handovers.batch:{batch.pk}"]
    handover_acknowledge(actor=receiver, handover=second)
    assert open_items(receiver) == []


def test_bulk_handover_to_a_removed_member_writes_nothing(giver, receiver, admin):
    items = many_briefs(giver, 3)
    member_deactivate(acting=admin, member=receiver)
    plan = [Assignment("brief", b.pk, receiver.pk) for b in items]
    with pytest.raises(ValidationFailed) as caught:
        handover_bulk_start(actor=giver, member=giver, assignments=plan)
    assert "receivers" in caught.value.errors
    assert nothing_written()
    assert not InboxItem.objects.filter(cause__startswith="handovers.").exists()


def test_only_admins_hand_over_everything_of_someone_else(giver, receiver, member, admin):
    items = many_briefs(giver, 1)
    plan = [Assignment("brief", items[0].pk, receiver.pk)]
    with pytest.raises(PermissionDenied):
        handover_bulk_start(actor=member, member=giver, assignments=plan)
    assert nothing_written()
    batch = handover_bulk_start(actor=admin, member=giver, assignments=plan)
    assert Handover.objects.get(batch=batch).giver_id == giver.pk


def test_bulk_skips_items_not_held_or_already_in_handover(giver, receiver, member):
    mine = many_briefs(giver, 2)
    theirs = many_briefs(member, 1)
    handover(mine[0], member)
    plan = [Assignment("brief", b.pk, receiver.pk) for b in [*mine, *theirs]]
    batch = handover_bulk_start(actor=giver, member=giver, assignments=plan)
    batch.refresh_from_db()
    assert (batch.done, batch.skipped) == (1, 2)
    assert list(Handover.objects.filter(batch=batch).values_list("object_id", flat=True)) == [
        mine[1].pk
    ]


def test_a_long_bulk_handover_runs_in_the_background_to_the_end(
    giver, receiver, member, settings, django_capture_on_commit_callbacks
):
    settings.TASKS = IMMEDIATE_TASKS
    items = many_briefs(giver, 120)
    plan = bulk_assign([("brief", b.pk) for b in items], [receiver.pk, member.pk], {})
    with django_capture_on_commit_callbacks(execute=True):
        batch = handover_bulk_start(actor=giver, member=giver, assignments=plan)
        # Before the task runs, the batch is only planned.
        assert HandoverBatch.objects.get(pk=batch.pk).state == BatchState.RUNNING
    batch.refresh_from_db()
    assert (batch.state, batch.done, batch.percent) == (BatchState.DONE, 120, 100)
    assert Handover.objects.filter(batch=batch).count() == 120
    assert InboxItem.objects.filter(cause=f"handovers.batch:{batch.pk}").count() == 2


def test_running_a_batch_twice_hands_nothing_over_twice(giver, receiver):
    from meridian.handovers.services import handover_batch_run

    items = many_briefs(giver, 60)
    plan = [Assignment("brief", b.pk, receiver.pk) for b in items]
    batch = handover_bulk_start(actor=giver, member=giver, assignments=plan)
    handover_batch_run(batch_id=batch.pk)
    HandoverBatch.objects.filter(pk=batch.pk).update(state=BatchState.RUNNING)
    handover_batch_run(batch_id=batch.pk)
    assert Handover.objects.filter(batch=batch).count() == 60


def test_a_batch_runs_in_a_constant_number_of_queries(workspace, giver, receiver):
    from meridian.handovers.services import handover_batch_run

    def queries(n: int) -> int:
        owner = person(workspace)
        items = many_briefs(owner, n)
        plan = [Assignment("brief", b.pk, receiver.pk) for b in items]
        batch = handover_bulk_start(actor=owner, member=owner, assignments=plan)
        with CaptureQueriesContext(connection) as ctx:
            handover_batch_run(batch_id=batch.pk)
        return len(ctx.captured_queries)

    # Under BULK_CHUNK items: one chunk either way.
    assert queries(60) == queries(240)


def test_acknowledging_a_batch_takes_everything_waiting_and_tells_the_giver_once(
    giver, receiver, member, mailoutbox, django_capture_on_commit_callbacks, settings
):
    from meridian.handovers.services import handover_acknowledge_batch

    settings.TASKS = IMMEDIATE_TASKS
    items = many_briefs(giver, 5)
    plan = bulk_assign([("brief", b.pk) for b in items], [receiver.pk, member.pk], {})
    batch = handover_bulk_start(actor=giver, member=giver, assignments=plan)
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        taken = handover_acknowledge_batch(actor=receiver, batch=batch)

    assert taken == 3
    assert Brief.objects.filter(author=receiver).count() == 3
    assert Handover.objects.filter(receiver=member, state=HandoverState.PENDING).count() == 2
    assert open_items(receiver) == []
    assert [m.subject for m in mailoutbox if giver.user.email in m.to] == [
        f"[{giver.workspace.name}] {receiver.profile.display_name} took over 3 items you handed them"
    ]
    assert handover_acknowledge_batch(actor=receiver, batch=batch) == 0
