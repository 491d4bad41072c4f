"""The events tasks, handovers and check-ins declare in the registry and emit, as endpoints get them."""

import hashlib
import hmac
import json
from datetime import date
from pathlib import Path

import pytest
import time_machine
from django.conf import settings

from meridian.checkins.models import Blocker
from meridian.checkins.services import BlockerIn, prompt_answer
from meridian.core import registry
from meridian.handovers.models import Handover
from meridian.handovers.services import (
    Assignment,
    handover_acknowledge,
    handover_bulk_start,
    handover_start,
)
from meridian.webhooks.models import WebhookDelivery
from meridian.webhooks.services import allowed_host_add
from meridian.work.services import task_update
from meridian.work.services.board import task_move
from tests import factories
from tests.api.support import bearer, get, problem, send
from tests.checkins.conftest import MONDAY
from tests.checkins.factories import asked, checkin, team
from tests.webhooks.support import endpoint
from tests.work.factories import project, task

pytestmark = pytest.mark.django_db

DOCS = Path(__file__).parents[2] / "docs" / "user" / "webhooks.md"


@pytest.fixture
def clock():
    """Monday 7 December 2026, 10:00 UTC: the check-in asks that day."""
    with time_machine.travel(MONDAY, tick=False) as traveller:
        yield traveller


def _verify(secret: str, header: str, body: bytes) -> bool:
    parts = dict(item.split("=", 1) for item in header.split(","))
    expected = hmac.new(secret.encode(), f"{parts['t']}.".encode() + body, hashlib.sha256)
    return hmac.compare_digest(expected.hexdigest(), parts["v1"])


def _bodies(**filters) -> list[dict]:
    rows = WebhookDelivery.objects.filter(**filters).order_by("created_at", "id")
    return [json.loads(d.body) for d in rows]


def test_completing_a_task_posts_a_signed_task_completed_to_a_subscribed_endpoint(
    admin, workspace, receiver, loopback_allowed, run_tasks
):
    hook, secret = endpoint(admin, receiver.url(), events=["task.completed"])
    ana = factories.member(workspace, display_name="Ana Owner")
    site = project(admin)
    made = task(admin, site, title="Ship the pricing page", owner=ana)

    with run_tasks():
        task_update(actor=ana, task=made, version=made.version, changes={"status": "done"})

    assert len(receiver.requests) == 1
    got = receiver.requests[0]
    assert got.headers["Meridian-Event"] == "task.completed"
    assert _verify(secret, got.headers["Meridian-Signature"], got.body)
    body = json.loads(got.body)
    data = body["data"]
    assert data["task"]["title"] == "Ship the pricing page"
    assert data["task"]["url"] == f"{settings.BASE_URL}/w/{workspace.slug}/work/tasks/{made.pk}/"
    assert data["task"]["done"] is True and data["task"]["status"] == "done"
    assert data["task"]["project"]["name"] == site.name
    assert data["task"]["owner"]["name"] == "Ana Owner"
    assert data["actor"]["name"] == "Ana Owner"
    delivery = WebhookDelivery.objects.get(endpoint=hook)
    assert (delivery.kind, delivery.status, delivery.response_code) == (
        "task.completed",
        "succeeded",
        200,
    )


def test_a_task_done_on_the_board_is_completed_too_and_moving_it_back_is_not(
    admin, workspace, receiver, loopback_allowed, run_tasks
):
    endpoint(admin, receiver.url(), events=["task.completed"])
    made = task(admin, project(admin))

    with run_tasks():
        done = task_move(actor=admin, task=made, version=made.version, status="done")
        task_move(actor=admin, task=done, version=done.version, status="todo")

    assert [r.headers["Meridian-Event"] for r in receiver.requests] == ["task.completed"]


def test_tasks_handovers_and_blockers_emit_their_events_without_notes_or_blocker_text(
    admin, workspace, loopback_allowed, django_capture_on_commit_callbacks, clock
):
    kinds = [
        "task.created",
        "task.reassigned",
        "handover.started",
        "handover.acknowledged",
        "checkin.blocker_raised",
    ]
    endpoint(admin, "http://127.0.0.1:9/hook", events=kinds)
    ana = factories.member(workspace, display_name="Ana Giver")
    ben = factories.member(workspace, display_name="Ben Receiver")
    daily = checkin(admin, team(admin, ana, ben), name="Daily")
    with django_capture_on_commit_callbacks(execute=True):
        made = task(ana, project(admin), title="Renew the certificate", owner=ana)
        handover = handover_start(
            actor=ana, kind="task", object_id=made.pk, receiver=ben, note="SECRET-NOTE"
        )
        handover_acknowledge(actor=ben, handover=handover)
        prompt = asked(daily, ana, date(2026, 12, 7), MONDAY)
        prompt_answer(
            acting=ana,
            prompt=prompt,
            answers=["Drafts"],
            blocker=BlockerIn("SECRET-BLOCKER-TEXT", task_id=made.pk),
        )

    sent = _bodies()
    assert [b["event"] for b in sent] == [
        "task.created",
        "handover.started",
        "task.reassigned",
        "handover.acknowledged",
        "checkin.blocker_raised",
    ]
    created, started, reassigned, acknowledged, blocked = (b["data"] for b in sent)
    assert created["task"]["owner"]["name"] == "Ana Giver"
    assert started["handover"]["item"] == {"kind": "task", "id": made.pk, "title": made.title}
    assert started["handover"]["receiver"]["name"] == "Ben Receiver"
    assert started["handover"]["state"] == "pending"
    assert reassigned["previous_owner"]["name"] == "Ana Giver"
    assert reassigned["task"]["owner"]["name"] == "Ben Receiver"
    assert acknowledged["handover"]["state"] == "acknowledged"
    assert acknowledged["actor"]["name"] == "Ben Receiver"
    blocker = Blocker.objects.get()
    assert blocked["blocker"]["id"] == blocker.pk
    assert blocked["blocker"]["url"].endswith(f"/checkins/blockers/{blocker.pk}/")
    assert blocked["blocker"]["task"]["title"] == "Renew the certificate"
    assert blocked["checkin"]["name"] == "Daily"
    raw = "\n".join(d.body for d in WebhookDelivery.objects.all())
    assert "SECRET-NOTE" not in raw and "SECRET-BLOCKER-TEXT" not in raw


def test_another_workspaces_endpoint_hears_nothing_of_this_workspaces_tasks(
    admin, workspace, outsider, receiver, run_tasks
):
    allowed_host_add(acting=outsider, host="127.0.0.1")
    endpoint(outsider, receiver.url(), events=["task.created", "task.completed"])

    with run_tasks():
        made = task(admin, project(admin))
        task_update(actor=admin, task=made, version=made.version, changes={"status": "done"})

    assert receiver.requests == []
    assert not WebhookDelivery.objects.exists()


def test_the_settings_page_and_the_api_offer_every_kind_the_areas_declare(client, admin, workspace):
    declared = list(registry.webhook_events())
    client.force_login(admin.user)

    page = client.get(f"/w/{workspace.slug}/webhooks/").content.decode()
    listed = get(client, "/webhook-events", bearer(admin)).json()

    assert {"task.completed", "handover.started", "checkin.blocker_raised"} <= set(declared)
    assert all(f'value="{kind}"' in page for kind in declared)
    assert [k["event"] for k in listed] == declared
    completed = next(k for k in listed if k["event"] == "task.completed")
    assert completed["data"] == ["task", "actor"]


def test_the_api_subscribes_to_a_declared_kind_and_refuses_an_unknown_one_naming_the_kinds(
    client, admin, loopback_allowed
):
    auth = bearer(admin)
    made = send(
        client,
        "POST",
        "/webhooks",
        {"url": "http://127.0.0.1:9/h", "events": ["checkin.blocker_raised", "task.created"]},
        auth,
    )
    refused = send(
        client,
        "POST",
        "/webhooks",
        {"url": "http://127.0.0.1:9/h", "events": ["task.deleted"]},
        auth,
    )

    assert made.status_code == 201
    assert made.json()["events"] == ["task.created", "checkin.blocker_raised"]
    assert "task.completed" in problem(refused, 422)["errors"]["events.0"][0]


def test_members_may_not_list_the_kinds(client, member):
    problem(get(client, "/webhook-events", bearer(member)), 403)


def test_the_webhooks_guide_lists_every_declared_kind():
    guide = DOCS.read_text()

    assert [k for k in registry.webhook_events() if f"`{k}`" not in guide] == []


def test_a_hand_over_everything_batch_announces_each_item_it_starts(
    admin, workspace, loopback_allowed, django_capture_on_commit_callbacks
):
    endpoint(admin, "http://127.0.0.1:9/hook", events=["handover.started"])
    ana = factories.member(workspace, display_name="Ana Giver")
    ben = factories.member(workspace, display_name="Ben Receiver")
    cy = factories.member(workspace, display_name="Cy Receiver")
    site = project(admin)
    made = [task(ana, site, title=f"Item {n}", owner=ana) for n in range(3)]
    plan = [
        Assignment("task", made[0].pk, ben.pk),
        Assignment("task", made[1].pk, cy.pk),
        Assignment("task", made[2].pk, ben.pk),
    ]
    with django_capture_on_commit_callbacks(execute=True):
        batch = handover_bulk_start(actor=admin, member=ana, assignments=plan, note="SECRET-NOTE")

    batch.refresh_from_db()
    assert (batch.done, batch.skipped) == (3, 0)
    sent = [b["data"] for b in _bodies(kind="handover.started")]
    by_item = {d["handover"]["item"]["id"]: d for d in sent}
    assert sorted(by_item) == sorted(t.pk for t in made)
    assert {i: d["handover"]["receiver"]["name"] for i, d in by_item.items()} == {
        made[0].pk: "Ben Receiver",
        made[1].pk: "Cy Receiver",
        made[2].pk: "Ben Receiver",
    }
    handed = Handover.objects.filter(batch=batch)
    assert {d["handover"]["id"] for d in sent} == set(handed.values_list("pk", flat=True))
    assert all(d["handover"]["giver"]["name"] == "Ana Giver" for d in sent)
    assert all(d["handover"]["state"] == "pending" for d in sent)
    assert all(d["actor"]["id"] == admin.pk for d in sent)
    assert "SECRET-NOTE" not in "\n".join(d.body for d in WebhookDelivery.objects.all())


def test_a_task_written_straight_into_done_is_created_and_completed(
    admin, workspace, loopback_allowed, django_capture_on_commit_callbacks
):
    endpoint(admin, "http://127.0.0.1:9/hook", events=["task.created", "task.completed"])
    with django_capture_on_commit_callbacks(execute=True):
        made = task(admin, project(admin), title="Already shipped", status="done")
        task(admin, project(admin), title="Still to do")

    sent = _bodies()
    assert [(b["event"], b["data"]["task"]["title"]) for b in sent] == [
        ("task.created", "Already shipped"),
        ("task.completed", "Already shipped"),
        ("task.created", "Still to do"),
    ]
    assert sent[1]["data"]["task"]["id"] == made.pk
    assert sent[1]["data"]["task"]["done"] is True
