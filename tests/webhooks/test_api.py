"""The webhooks API: admins only, refusals named (422), secrets once, the delivery log."""

import pytest

from meridian.webhooks.models import WebhookEndpoint
from tests.api.support import bearer, get, problem, send
from tests.briefs.factories import brief, person

pytestmark = pytest.mark.django_db

EVENTS = ["brief.created", "proposal.closed"]


def test_a_private_address_is_refused_with_422_naming_the_reason(client, admin, receiver):
    auth = bearer(admin)
    body = problem(
        send(client, "POST", "/webhooks", {"url": receiver.url(), "events": EVENTS}, auth), 422
    )
    assert "resolves to 127.0.0.1, a loopback address" in body["errors"]["url"][0]
    body = problem(
        send(
            client, "POST", "/webhooks", {"url": "http://169.254.169.254/", "events": EVENTS}, auth
        ),
        422,
    )
    assert "169.254.169.254, a link-local address" in body["detail"]
    body = problem(
        send(client, "POST", "/webhooks", {"url": "gopher://x.test/", "events": EVENTS}, auth), 422
    )
    assert body["errors"]["url"] == ["A webhook address must start with http:// or https://."]
    assert not WebhookEndpoint.objects.exists()


def test_an_allowed_host_lets_the_endpoint_be_made_and_its_secret_is_shown_once(
    client, admin, receiver
):
    auth = bearer(admin)
    host = send(client, "POST", "/webhook-hosts", {"host": "127.0.0.1"}, auth)
    assert host.status_code == 201 and host.json()["host"] == "127.0.0.1"
    made = send(client, "POST", "/webhooks", {"url": receiver.url(), "events": EVENTS}, auth)
    assert made.status_code == 201, made.content
    secret = made.json()["secret"]
    assert secret.startswith("whsec_")
    listed = get(client, "/webhooks", auth)
    assert [e["url"] for e in listed.json()["items"]] == [receiver.url()]
    assert secret not in listed.content.decode()
    one = get(client, f"/webhooks/{made.json()['id']}", auth).json()
    assert "secret" not in one
    rotated = send(client, "POST", f"/webhooks/{one['id']}/rotate-secret", None, auth).json()
    assert rotated["secret"] != secret


def test_the_delivery_log_shows_status_code_attempts_and_next_try(
    client, admin, workspace, receiver, run_tasks, loopback_allowed
):
    auth = bearer(admin)
    made = send(client, "POST", "/webhooks", {"url": receiver.url(), "events": EVENTS}, auth).json()
    with run_tasks():
        brief(admin, [person(workspace)], title="Roadmap")
    log = get(client, f"/webhooks/{made['id']}/deliveries", auth).json()["items"]
    assert len(log) == 1
    entry = log[0]
    assert (entry["event"], entry["status"], entry["response_code"], entry["attempts"]) == (
        "brief.created",
        "succeeded",
        200,
        1,
    )
    assert entry["next_attempt_at"] is None
    assert entry["payload"]["brief"]["title"] == "Roadmap"
    assert receiver.requests[0].headers["Meridian-Delivery"] == entry["id"]


def test_patch_changes_only_what_is_sent_and_refuses_a_private_address(
    client, admin, receiver, loopback_allowed
):
    auth = bearer(admin)
    made = send(client, "POST", "/webhooks", {"url": receiver.url(), "events": EVENTS}, auth).json()
    off = send(client, "PATCH", f"/webhooks/{made['id']}", {"active": False}, auth).json()
    assert (off["active"], off["events"], off["url"]) == (False, EVENTS, receiver.url())
    refused = send(
        client, "PATCH", f"/webhooks/{made['id']}", {"url": "http://10.0.0.7/hook"}, auth
    )
    assert "10.0.0.7, a private address" in problem(refused, 422)["detail"]
    assert WebhookEndpoint.objects.get(pk=made["id"]).url == receiver.url()


def test_members_may_not_manage_webhooks_and_other_workspaces_see_nothing(
    client, admin, member, outsider, receiver, loopback_allowed
):
    made = send(
        client, "POST", "/webhooks", {"url": receiver.url(), "events": EVENTS}, bearer(admin)
    ).json()
    problem(get(client, "/webhooks", bearer(member)), 403)
    problem(send(client, "POST", "/webhook-hosts", {"host": "10.0.0.1"}, bearer(member)), 403)
    problem(get(client, f"/webhooks/{made['id']}", bearer(outsider)), 404)
    problem(send(client, "DELETE", f"/webhooks/{made['id']}", None, bearer(outsider)), 404)
    assert get(client, "/webhooks", bearer(outsider)).json()["items"] == []
    assert WebhookEndpoint.objects.filter(pk=made["id"]).exists()


def test_unknown_event_kinds_and_bad_hosts_are_refused(client, admin):
    auth = bearer(admin)
    refused = send(
        client, "POST", "/webhooks", {"url": "https://x.test/", "events": ["brief.deleted"]}, auth
    )
    assert "brief.created" in problem(refused, 422)["errors"]["events.0"][0]
    bad = send(client, "POST", "/webhook-hosts", {"host": "http://x/y"}, auth)
    assert "host" in problem(bad, 422)["errors"]
