"""Handovers through the API: create (once per Idempotency-Key), read with the packet,
acknowledge, cancel, questions, bulk preview/start/status, readiness, and constant queries."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from meridian.briefs.models import Brief
from meridian.handovers.models import Handover, HandoverBatch, HandoverState
from meridian.handovers.services import handover_ask
from meridian.workspaces.services import member_deactivate
from tests.api.support import bearer, get, problem, send
from tests.briefs.factories import brief, person
from tests.handovers.factories import handover, many_briefs

pytestmark = pytest.mark.django_db


def test_create_once_per_idempotency_key_and_read_the_packet(client, item, giver, receiver):
    headers = {**bearer(giver), "Idempotency-Key": "handover-1"}
    body = {"kind": "brief", "object_id": item.pk, "receiver_id": receiver.pk, "note": "*Yours*"}
    first = send(client, "POST", "/handovers", body, headers)
    again = send(client, "POST", "/handovers", body, headers)

    assert first.status_code == 201, first.content
    assert again.status_code == 201 and again["Idempotent-Replayed"] == "true"
    assert Handover.objects.count() == 1
    out = first.json()
    assert out["state"] == "pending" and out["note_html"] == "<p><em>Yours</em></p>\n"
    assert out["giver"]["id"] == giver.pk and out["receiver"]["id"] == receiver.pk
    keys = [s["key"] for s in out["packet"]["sections"]]
    assert keys == ["description", "criteria", "questions", "people"]


def test_create_for_a_removed_member_is_422_naming_the_receiver(
    client, item, giver, receiver, admin
):
    member_deactivate(acting=admin, member=receiver)
    body = {"kind": "brief", "object_id": item.pk, "receiver_id": receiver.pk}
    out = problem(send(client, "POST", "/handovers", body, bearer(giver)), 422)
    assert "receiver" in out["errors"]
    assert not Handover.objects.exists()


def test_create_twice_for_one_item_is_409(client, item, giver, receiver, member):
    handover(item, receiver)
    body = {"kind": "brief", "object_id": item.pk, "receiver_id": member.pk}
    problem(send(client, "POST", "/handovers", body, bearer(giver)), 409)


def test_create_for_an_unknown_item_is_404(client, giver, receiver):
    body = {"kind": "brief", "object_id": 987654, "receiver_id": receiver.pk}
    problem(send(client, "POST", "/handovers", body, bearer(giver)), 404)


def test_acknowledge_by_the_receiver_and_404_for_anyone_else(client, item, giver, receiver):
    h = handover(item, receiver)
    problem(send(client, "POST", f"/handovers/{h.pk}/acknowledge", None, bearer(giver)), 404)
    response = send(client, "POST", f"/handovers/{h.pk}/acknowledge", None, bearer(receiver))
    assert response.status_code == 200, response.content
    assert response.json()["state"] == "acknowledged"
    assert Brief.objects.get(pk=item.pk).author_id == receiver.pk


def test_cancel_by_the_giver(client, item, giver, receiver):
    h = handover(item, receiver)
    problem(send(client, "POST", f"/handovers/{h.pk}/cancel", None, bearer(receiver)), 403)
    response = send(client, "POST", f"/handovers/{h.pk}/cancel", None, bearer(giver))
    assert response.json()["state"] == "cancelled"


def test_questions_and_answers(client, item, giver, receiver):
    h = handover(item, receiver)
    asked = send(client, "POST", f"/handovers/{h.pk}/questions", {"body": "Why?"}, bearer(receiver))
    assert asked.status_code == 201, asked.content
    qid = asked.json()["id"]
    answered = send(
        client,
        "POST",
        f"/handovers/{h.pk}/questions/{qid}/answer",
        {"body": "Because."},
        bearer(giver),
    )
    assert answered.status_code == 201 and answered.json()["parent_id"] == qid
    detail = get(client, f"/handovers/{h.pk}", bearer(receiver)).json()
    assert [c["body"] for c in detail["comments"]] == ["Why?", "Because."]
    assert detail["open_questions"] == 0
    problem(
        send(client, "POST", f"/handovers/{h.pk}/questions", {"body": ""}, bearer(receiver)), 422
    )


def test_another_workspace_sees_no_handover(client, item, receiver, outsider):
    h = handover(item, receiver)
    problem(get(client, f"/handovers/{h.pk}", bearer(outsider)), 404)


def test_the_list_filters_and_keeps_a_constant_query_count(client, workspace, giver, receiver):
    def make(n: int) -> None:
        for i in range(n):
            b = brief(giver, [person(workspace)], title=f"Item {i}")
            h = handover(b, receiver)
            handover_ask(actor=receiver, handover=h, body="Q?")

    make(1)
    with CaptureQueriesContext(connection) as one:
        first = get(client, "/handovers?direction=incoming", bearer(receiver))
    make(5)
    with CaptureQueriesContext(connection) as many:
        all_rows = get(client, "/handovers?direction=incoming", bearer(receiver))
    assert len(first.json()["items"]) == 1 and len(all_rows.json()["items"]) == 6
    assert all_rows.json()["items"][0]["open_questions"] == 1
    assert len(many) == len(one)
    assert get(client, "/handovers?direction=incoming", bearer(giver)).json()["items"] == []


def test_bulk_preview_start_and_status(client, workspace, giver, receiver, member):
    items = many_briefs(giver, 3)
    body = {"receiver_ids": [receiver.pk, member.pk], "note": "On leave."}
    preview = send(client, "POST", "/handovers/bulk/preview", body, bearer(giver))
    assert preview.status_code == 200, preview.content
    rows = preview.json()["items"]
    assert [r["receiver_id"] for r in rows] == [receiver.pk, member.pk, receiver.pk]
    assert rows[0]["packet"]["title"] == items[0].title
    assert not Handover.objects.exists()

    started = send(client, "POST", "/handovers/bulk", body, bearer(giver))
    assert started.status_code == 202, started.content
    batch = started.json()
    assert (batch["state"], batch["done"], batch["total"]) == ("done", 3, 3)
    status = get(client, f"/handovers/batches/{batch['id']}", bearer(giver))
    assert status.json()["percent"] == 100
    problem(get(client, f"/handovers/batches/{batch['id']}", bearer(person(workspace))), 404)

    # Each receiver takes over everything waiting for them at once.
    taken = send(
        client, "POST", f"/handovers/batches/{batch['id']}/acknowledge", None, bearer(receiver)
    )
    assert taken.json() == {"acknowledged": 2}
    assert Brief.objects.filter(author=receiver).count() == 2


def test_bulk_without_receivers_is_422_and_writes_nothing(client, giver):
    many_briefs(giver, 2)
    problem(send(client, "POST", "/handovers/bulk", {"receiver_ids": []}, bearer(giver)), 422)
    assert not HandoverBatch.objects.exists()


def test_bulk_for_someone_else_needs_an_admin(client, giver, receiver, member):
    many_briefs(giver, 1)
    body = {"member_id": giver.pk, "receiver_ids": [receiver.pk]}
    problem(send(client, "POST", "/handovers/bulk", body, bearer(member)), 403)
    assert not HandoverBatch.objects.exists()


def test_readiness_per_member_with_reasons(client, workspace, giver, member):
    bare = brief(giver, [member], title="Bare")
    Brief.objects.filter(pk=bare.pk).update(body="")
    out = get(client, "/readiness", bearer(member)).json()
    assert out["threshold"] == 70
    (row,) = out["members"]
    assert row["member"]["id"] == giver.pk and row["held"] == 1
    (risk,) = row["at_risk"]
    assert risk["title"] == "Bare" and risk["bus_factor_one"] is True and risk["score"] == 25
    assert {c["key"]: c["ok"] for c in risk["checks"]} == {
        "description": False,
        "no_open_questions": True,
        "contributors": False,
    }
    assert out["groups"][0]["name"] == "Briefs"


def test_the_pending_state_is_in_the_api_list(client, item, receiver):
    handover(item, receiver)
    rows = get(client, "/handovers?state=pending", bearer(receiver)).json()["items"]
    assert [r["state"] for r in rows] == [HandoverState.PENDING]
