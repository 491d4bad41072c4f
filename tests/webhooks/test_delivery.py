"""Deliveries for real: resolved on loopback, posted to a real server, signed, retried, given up."""

import hashlib
import hmac
import json
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from meridian.core.errors import ValidationFailed
from meridian.core.scheduler import Job, tick
from meridian.webhooks.models import DeliveryStatus, WebhookDelivery
from meridian.webhooks.schedule import JOB, webhook_retries
from meridian.webhooks.services import (
    MAX_ATTEMPTS,
    RETRY_DELAYS,
    allowed_host_add,
    allowed_host_remove,
    delivery_attempt,
    endpoint_secret_rotate,
)
from tests.briefs.factories import brief, person
from tests.webhooks.support import endpoint

pytestmark = pytest.mark.django_db

RETRIES = [Job(JOB, webhook_retries)]


def _verify(secret: str, header: str, body: bytes) -> bool:
    """What a receiver does (docs/user/webhooks.md): recompute the HMAC over "<t>.<body>"."""
    parts = dict(item.split("=", 1) for item in header.split(","))
    expected = hmac.new(secret.encode(), f"{parts['t']}.".encode() + body, hashlib.sha256)
    return hmac.compare_digest(expected.hexdigest(), parts["v1"])


def test_loopback_address_is_refused_until_an_admin_allows_the_host(admin, receiver):
    with pytest.raises(ValidationFailed) as refused:
        endpoint(admin, receiver.url())
    assert "resolves to 127.0.0.1, a loopback address" in refused.value.errors["url"][0]
    with pytest.raises(ValidationFailed) as by_name:
        endpoint(admin, receiver.url(host="localhost"))
    assert "localhost resolves to 127.0.0.1, a loopback address" in by_name.value.detail

    allowed_host_add(acting=admin, host="localhost")
    created, secret = endpoint(admin, receiver.url(host="localhost"))
    assert created.url == receiver.url(host="localhost")
    assert secret.startswith("whsec_")


def test_an_event_reaches_a_real_server_signed_once_the_host_is_allowed(
    admin, workspace, receiver, run_tasks
):
    allowed_host_add(acting=admin, host="localhost")
    hook, secret = endpoint(admin, receiver.url(host="localhost"))
    asked = person(workspace)
    with run_tasks():
        made = brief(admin, [asked], title="Quarterly plan")

    assert len(receiver.requests) == 1
    got = receiver.requests[0]
    delivery = WebhookDelivery.objects.get(endpoint=hook)
    assert got.path == "/hook"
    assert got.headers["Meridian-Event"] == "brief.created"
    assert got.headers["Meridian-Delivery"] == str(delivery.uid)
    assert got.headers["Content-Type"] == "application/json"
    assert _verify(secret, got.headers["Meridian-Signature"], got.body)
    assert not _verify("whsec_wrong", got.headers["Meridian-Signature"], got.body)
    body = json.loads(got.body)
    assert body["event"] == "brief.created"
    assert body["data"]["brief"]["title"] == "Quarterly plan"
    assert body["data"]["brief"]["url"].endswith(f"/briefs/{made.pk}/")
    assert body["data"]["brief"]["url"].startswith("http")
    assert body["data"]["actor"]["name"] == admin.profile.display_name
    assert (delivery.status, delivery.attempts, delivery.response_code) == ("succeeded", 1, 200)


def test_an_unsubscribed_or_switched_off_endpoint_gets_nothing(
    admin, workspace, receiver, run_tasks, loopback_allowed
):
    endpoint(admin, receiver.url(), events=["proposal.closed"])
    with run_tasks():
        brief(admin, [person(workspace)])
    assert receiver.requests == []
    assert not WebhookDelivery.objects.exists()


def test_a_name_that_turns_private_after_creation_is_refused_at_the_send(
    admin, workspace, receiver, run_tasks
):
    """DNS rebinding: the check is made again, with real resolution, before every send."""
    allowed = allowed_host_add(acting=admin, host="localhost")
    hook, _ = endpoint(admin, receiver.url(host="localhost"))
    allowed_host_remove(acting=admin, allowed=allowed)
    with run_tasks():
        brief(admin, [person(workspace)])

    assert receiver.requests == []
    delivery = WebhookDelivery.objects.get(endpoint=hook)
    assert delivery.status == DeliveryStatus.PENDING
    assert "localhost resolves to 127.0.0.1, a loopback address" in delivery.last_error
    assert delivery.next_attempt_at is not None


def test_a_rotated_secret_signs_from_then_on(
    admin, workspace, receiver, run_tasks, loopback_allowed
):
    hook, old = endpoint(admin, receiver.url())
    _, new = endpoint_secret_rotate(acting=admin, endpoint=hook)
    with run_tasks():
        brief(admin, [person(workspace)])
    got = receiver.requests[0]
    assert new != old
    assert _verify(new, got.headers["Meridian-Signature"], got.body)
    assert not _verify(old, got.headers["Meridian-Signature"], got.body)


def test_a_redirect_is_not_followed_and_counts_as_a_failed_attempt(
    admin, workspace, receiver, run_tasks, loopback_allowed
):
    receiver.status, receiver.location = 302, "http://169.254.169.254/latest/meta-data/"
    hook, _ = endpoint(admin, receiver.url())
    with run_tasks():
        brief(admin, [person(workspace)])
    delivery = WebhookDelivery.objects.get(endpoint=hook)
    assert len(receiver.requests) == 1
    assert delivery.response_code == 302
    assert "redirect" in delivery.last_error
    assert delivery.status == DeliveryStatus.PENDING


def test_an_endpoint_that_never_answers_is_retried_with_backoff_then_marked_failed(
    client, admin, workspace, silent, run_tasks, loopback_allowed
):
    hook, _ = endpoint(admin, silent.url())
    start = timezone.now()
    with time_machine.travel(start, tick=False), run_tasks():
        brief(admin, [person(workspace)])
    delivery = WebhookDelivery.objects.get(endpoint=hook)
    assert (delivery.attempts, delivery.status) == (1, DeliveryStatus.PENDING)
    assert delivery.next_attempt_at == start + RETRY_DELAYS[0]
    assert "No answer within" in delivery.last_error

    moment = start
    for attempt, delay in enumerate(RETRY_DELAYS, start=2):
        # Just before the next try, the scheduler has nothing to do.
        with time_machine.travel(moment + delay - timedelta(seconds=1), tick=False), run_tasks():
            assert tick(jobs=RETRIES).ran == []
        moment += delay
        with time_machine.travel(moment, tick=False), run_tasks():
            assert tick(jobs=RETRIES).ran == [f"{JOB}:{delivery.pk}:{attempt}"]
            # A second worker's tick at the same moment finds the attempt taken.
            assert tick(jobs=RETRIES).ran == []
        delivery.refresh_from_db()
        assert delivery.attempts == attempt

    assert delivery.status == DeliveryStatus.FAILED
    assert delivery.attempts == MAX_ATTEMPTS == 6
    assert delivery.next_attempt_at is None
    assert len(silent.accepted) == MAX_ATTEMPTS
    client.force_login(admin.user)
    page = client.get(f"/w/{workspace.slug}/webhooks/{hook.pk}/").content.decode()
    assert "Failed" in page and "No answer within 0.5 s." in page
    assert "1 failed" in client.get(f"/w/{workspace.slug}/webhooks/").content.decode()


def test_one_attempt_is_never_made_twice(admin, workspace, receiver, run_tasks, loopback_allowed):
    hook, _ = endpoint(admin, receiver.url())
    with run_tasks():
        brief(admin, [person(workspace)])
    delivery = WebhookDelivery.objects.get(endpoint=hook)
    assert delivery_attempt(delivery_id=delivery.pk, attempt=1) == "skipped"
    assert delivery_attempt(delivery_id=delivery.pk, attempt=2) == "skipped"
    assert len(receiver.requests) == 1
