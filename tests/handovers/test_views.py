"""The handovers pages through Django's test client: the packet, forms with bad input, lists,
hand over everything with its progress, the readiness page, and the panels on an item's page."""

import dataclasses

import pytest
import time_machine
from django.db import connection
from django.template import Context, Template
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from meridian.briefs.models import Brief
from meridian.core import registry
from meridian.handovers.kinds import HANDOVER_KINDS
from meridian.handovers.models import BatchState, Handover, HandoverBatch, HandoverState
from meridian.handovers.services import handover_ask
from meridian.workspaces.services import member_deactivate
from tests.briefs.factories import brief, comment, person
from tests.handovers.factories import handover, many_briefs
from tests.handovers.kinds import BRIEF_KIND

pytestmark = pytest.mark.django_db


def signed_in(client, membership):
    client.force_login(membership.user)
    return client


def url(name: str, ws, **kwargs) -> str:
    return reverse(name, kwargs={"workspace": ws.slug, **kwargs})


# --- The packet page ------------------------------------------------------------------------


@time_machine.travel("2026-12-07 09:30:00+00:00", tick=False)
def test_the_packet_page_shows_note_people_sections_and_times_in_the_readers_zone(
    client, workspace, item, giver, receiver
):
    h = handover(item, receiver, note="Call **Dana** first.")
    handover_ask(actor=receiver, handover=h, body="Is Friday firm?")
    page = signed_in(client, receiver).get(url("handover_detail", workspace, handover_id=h.pk))
    html = page.content.decode()

    assert page.status_code == 200
    assert "Call <strong>Dana</strong> first." in html
    assert f'{giver.profile.display_name}</span> → <span class="person">' in html
    assert "Move billing to the <strong>new</strong> vendor." in html  # description section
    assert 'data-section="questions"' in html and "Acceptance criteria" in html
    # Kathmandu is UTC+05:45: 09:30 UTC is 15:15 there, and the zone is named.
    assert "15:15 Asia/Kathmandu" in html
    assert "Is Friday firm?" in html
    assert "Acknowledge: take it over" in html
    assert "Cancel handover" not in html


def test_the_giver_sees_cancel_not_acknowledge(client, workspace, item, giver, receiver):
    h = handover(item, receiver)
    html = signed_in(client, giver).get(url("handover_detail", workspace, handover_id=h.pk))
    text = html.content.decode()
    assert "Cancel handover" in text and "Acknowledge: take it over" not in text


def test_markdown_in_a_note_never_runs_in_the_browser(client, workspace, item, receiver):
    h = handover(item, receiver, note='<script>alert(1)</script><img src=x onerror="alert(2)">')
    html = signed_in(client, receiver).get(url("handover_detail", workspace, handover_id=h.pk))
    text = html.content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert "<script>alert" not in text and "<img src=x" not in text


def test_acknowledging_from_the_page_makes_it_the_receivers(client, workspace, item, receiver):
    h = handover(item, receiver)
    response = signed_in(client, receiver).post(
        url("handover_acknowledge", workspace, handover_id=h.pk)
    )
    assert response.status_code == 302
    assert Brief.objects.get(pk=item.pk).author_id == receiver.pk


def test_acknowledging_someone_elses_handover_from_the_page_is_404(
    client, workspace, item, giver, receiver
):
    h = handover(item, receiver)
    response = signed_in(client, giver).post(
        url("handover_acknowledge", workspace, handover_id=h.pk)
    )
    assert response.status_code == 404
    assert Handover.objects.get(pk=h.pk).state == HandoverState.PENDING


def test_another_workspaces_handover_is_404(client, workspace, item, receiver, outsider):
    h = handover(item, receiver)
    response = signed_in(client, outsider).get(
        url("handover_detail", outsider.workspace, handover_id=h.pk)
    )
    assert response.status_code == 404


def test_asking_and_answering_on_the_page(client, workspace, item, giver, receiver):
    h = handover(item, receiver)
    response = signed_in(client, receiver).post(
        url("handover_question_new", workspace, handover_id=h.pk), {"body": "Who is *Dana*?"}
    )
    assert response.status_code == 302
    question = h.comments.get()
    response = signed_in(client, giver).post(
        url("handover_answer_new", workspace, handover_id=h.pk, question_id=question.pk),
        {"body": "The vendor's contact."},
    )
    assert response.status_code == 302
    question.refresh_from_db()
    assert question.answered_at is not None


def test_an_empty_question_comes_back_with_the_error(client, workspace, item, receiver):
    h = handover(item, receiver)
    response = signed_in(client, receiver).post(
        url("handover_question_new", workspace, handover_id=h.pk), {"body": ""}
    )
    assert response.status_code == 422
    assert "This field is required." in response.content.decode()
    assert not h.comments.exists()


# --- Handing one item over ------------------------------------------------------------------


def test_the_new_handover_form_shows_the_packet_before_it_is_sent(client, workspace, item, giver):
    page = signed_in(client, giver).get(
        url("handover_new", workspace) + f"?kind=brief&id={item.pk}"
    )
    html = page.content.decode()
    assert page.status_code == 200
    assert "What they will read: the packet" in html
    assert "Move billing to the <strong>new</strong> vendor." in html
    assert 'name="receiver"' in html


def test_handing_over_from_the_form(client, workspace, item, giver, receiver):
    response = signed_in(client, giver).post(
        url("handover_new", workspace),
        {"kind": "brief", "id": item.pk, "receiver": receiver.pk, "note": "All yours."},
    )
    h = Handover.objects.get()
    assert response.status_code == 302
    assert response["Location"] == url("handover_detail", workspace, handover_id=h.pk)
    assert (h.receiver_id, h.note) == (receiver.pk, "All yours.")


def test_handing_over_to_a_removed_member_is_a_field_error(
    client, workspace, item, giver, receiver, admin
):
    member_deactivate(acting=admin, member=receiver)
    response = signed_in(client, giver).post(
        url("handover_new", workspace),
        {"kind": "brief", "id": item.pk, "receiver": receiver.pk, "note": ""},
    )
    assert response.status_code == 422
    assert 'id="id_receiver-error"' in response.content.decode()
    assert not Handover.objects.exists()


def test_an_unknown_item_or_kind_is_404(client, workspace, giver):
    c = signed_in(client, giver)
    assert c.get(url("handover_new", workspace) + "?kind=brief&id=999999").status_code == 404
    assert c.get(url("handover_new", workspace) + "?kind=rocket&id=1").status_code == 404


# --- Lists ----------------------------------------------------------------------------------


def test_the_list_keeps_a_constant_query_count(client, workspace, giver, receiver):
    c = signed_in(client, receiver)
    handover(brief(giver, [person(workspace)], title="First"), receiver)
    c.get(url("handover_list", workspace))  # warm caches (session, profile)
    with CaptureQueriesContext(connection) as one:
        assert c.get(url("handover_list", workspace)).status_code == 200
    for n in range(6):
        handover(brief(giver, [person(workspace)], title=f"More {n}"), receiver)
    with CaptureQueriesContext(connection) as many:
        page = c.get(url("handover_list", workspace))
    assert len(many) == len(one)
    assert page.content.decode().count("Waiting for you") == 7


def test_the_list_filters_incoming_and_outgoing(client, workspace, item, giver, receiver):
    handover(item, receiver)
    c = signed_in(client, giver)
    assert (
        "Vendor migration"
        in c.get(url("handover_list", workspace) + "?direction=outgoing").content.decode()
    )
    assert (
        "Vendor migration"
        not in c.get(url("handover_list", workspace) + "?direction=incoming").content.decode()
    )


# --- Hand over everything -------------------------------------------------------------------


def test_hand_over_everything_lists_what_i_hold_with_packet_previews(
    client, workspace, giver, receiver
):
    many_briefs(giver, 3)
    page = signed_in(client, giver).get(url("handover_everything", workspace))
    html = page.content.decode()
    assert page.status_code == 200
    assert html.count('name="item"') == 3
    assert html.count('<details class="card packet-preview">') == 3
    assert "Hand over 3 items" in html


def test_hand_over_everything_creates_every_handover_and_shows_the_batch(
    client, workspace, giver, receiver, member
):
    items = many_briefs(giver, 4)
    data = {
        "receivers": [receiver.pk, member.pk],
        "spread": "round_robin",
        "note": "On leave until March.",
        "item": [f"brief:{b.pk}" for b in items],
        f"to-brief:{items[0].pk}": str(member.pk),
    }
    response = signed_in(client, giver).post(url("handover_everything", workspace), data)
    batch = HandoverBatch.objects.get()
    assert response.status_code == 302
    assert response["Location"] == url("handover_batch", workspace, batch_id=batch.pk)
    assert batch.state == BatchState.DONE
    received = dict(Handover.objects.values_list("object_id", "receiver_id"))
    assert received[items[0].pk] == member.pk
    # The rest in turn: receiver, member, receiver.
    assert sorted(received.values()) == sorted([member.pk, member.pk, receiver.pk, receiver.pk])
    page = signed_in(client, giver).get(response["Location"])
    assert '<progress max="4" value="4"' in page.content.decode()


def test_hand_over_everything_without_receivers_is_a_form_error(client, workspace, giver):
    many_briefs(giver, 2)
    response = signed_in(client, giver).post(
        url("handover_everything", workspace), {"spread": "one", "item": []}
    )
    assert response.status_code == 422
    assert not HandoverBatch.objects.exists()


def test_members_cannot_hand_over_everything_of_someone_else(client, workspace, giver, member):
    response = signed_in(client, member).get(
        url("handover_everything", workspace) + f"?member={giver.pk}"
    )
    assert response.status_code == 404


def test_a_running_batch_polls_its_progress(client, workspace, giver, receiver):
    batch = HandoverBatch.objects.create(
        workspace=workspace, giver=giver, created_by=giver, total=200, done=50
    )
    page = signed_in(client, giver).get(
        url("handover_batch", workspace, batch_id=batch.pk), HTTP_HX_REQUEST="true"
    )
    html = page.content.decode()
    assert 'hx-trigger="every 1s"' in html and '<progress max="200" value="50"' in html
    assert "<html" not in html


# --- Readiness ------------------------------------------------------------------------------


def test_the_readiness_page_lists_single_contributor_items_worst_first(
    client, workspace, giver, receiver, member
):
    bare = brief(giver, [member], title="Undocumented")
    Brief.objects.filter(pk=bare.pk).update(body="")
    brief(giver, [member], title="Documented", body="All here.")  # 3/4: ready enough
    shared = brief(receiver, [member], title="Shared work")
    Brief.objects.filter(pk=shared.pk).update(body="")
    comment(shared, member, "I worked on this too.")
    page = signed_in(client, member).get(url("handover_readiness", workspace))
    html = page.content.decode()
    assert page.status_code == 200
    assert "Undocumented" in html and "No description" in html
    assert "Documented</a>" not in html and "Shared work" not in html
    assert f'<meter min="0" max="1" value="1" aria-labelledby="bar-{giver.pk}">' in html


def test_the_readiness_page_filters_by_member(client, workspace, giver, receiver, member):
    for who, title in ((giver, "Giver's"), (receiver, "Receiver's")):
        b = brief(who, [member], title=title)
        Brief.objects.filter(pk=b.pk).update(body="")
    page = signed_in(client, member).get(
        url("handover_readiness", workspace) + f"?member={receiver.pk}"
    )
    html = page.content.decode()
    assert "Receiver&#x27;s" in html and "Giver&#x27;s" not in html


# --- Panels on an item's page ---------------------------------------------------------------


def _render_panels(point: str, membership, object_id: int) -> str:
    template = Template("{% load panels %}{% panels point object_id %}")
    return template.render(
        Context(
            {
                "point": point,
                "object_id": object_id,
                "membership": membership,
                "workspace": membership.workspace,
            }
        )
    )


def test_an_items_page_shows_hand_over_then_the_pending_badge(workspace, item, giver, receiver):
    as_task = dataclasses.replace(BRIEF_KIND, kind="task")
    with registry.replaced(HANDOVER_KINDS, [as_task]):
        html = _render_panels("task.actions", giver, item.pk)
        assert f"/handovers/new/?kind=task&amp;id={item.pk}" in html
        assert "Readiness" in html
        Handover.objects.create(
            workspace=workspace,
            kind="task",
            object_id=item.pk,
            object_label=item.title,
            giver=giver,
            receiver=receiver,
        )
        html = _render_panels("task.actions", giver, item.pk)
    assert f"In handover: {giver.profile.display_name} → {receiver.profile.display_name}" in html


def test_a_guest_reads_only_handovers_they_are_part_of(client, workspace, item, receiver):
    from meridian.workspaces.models import Role
    from tests import factories

    h = handover(item, receiver)
    guest = factories.member(workspace, role=Role.GUEST)
    response = signed_in(client, guest).get(url("handover_detail", workspace, handover_id=h.pk))
    assert response.status_code == 404


def test_the_list_answers_htmx_with_the_table_only(client, workspace, item, receiver):
    handover(item, receiver)
    response = signed_in(client, receiver).get(
        url("handover_list", workspace) + "?state=pending", HTTP_HX_REQUEST="true"
    )
    html = response.content.decode()
    assert 'id="handover-list"' in html and "<html" not in html and "Vendor migration" in html


def test_someone_elses_batch_is_404(client, workspace, giver, member):
    batch = HandoverBatch.objects.create(workspace=workspace, giver=giver, created_by=giver)
    response = signed_in(client, member).get(url("handover_batch", workspace, batch_id=batch.pk))
    assert response.status_code == 404


def test_the_packet_page_of_a_deleted_item_says_so(client, workspace, item, receiver):
    h = handover(item, receiver)
    Brief.objects.filter(pk=item.pk).delete()
    response = signed_in(client, receiver).get(url("handover_detail", workspace, handover_id=h.pk))
    assert response.status_code == 200
    assert "The brief is no longer there to assemble a packet from." in response.content.decode()


def test_a_receiver_acknowledges_all_of_a_batch_from_the_list(client, workspace, giver, receiver):
    from meridian.handovers.services import Assignment, handover_bulk_start

    items = many_briefs(giver, 3)
    plan = [Assignment("brief", b.pk, receiver.pk) for b in items]
    batch = handover_bulk_start(actor=giver, member=giver, assignments=plan)
    c = signed_in(client, receiver)
    page = c.get(url("handover_list", workspace) + f"?batch={batch.pk}")
    assert "Acknowledge all 3" in page.content.decode()
    response = c.post(url("handover_batch_acknowledge", workspace, batch_id=batch.pk))
    assert response.status_code == 302
    assert Brief.objects.filter(author=receiver).count() == 3
