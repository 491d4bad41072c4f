"""The inbox through the API: list, done, snooze, undo and counts, your own items only."""

from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from meridian.briefs.models import Brief
from meridian.briefs.services import Deadline
from meridian.notifications.models import InboxItem, InboxState
from tests.api.support import bearer, get, problem, send
from tests.briefs.factories import brief
from tests.decisions.factories import proposal
from tests.notifications.factories import many_items

pytestmark = pytest.mark.django_db


@pytest.fixture
def item(ada, kathmandu):
    brief(ada, [kathmandu], title="Pricing page", deadline=Deadline(day=date(2026, 3, 12)))
    return InboxItem.objects.get(recipient=kathmandu)


@pytest.fixture
def auth(kathmandu):
    return bearer(kathmandu)


def test_the_list_says_why_and_when_in_your_own_zone(client, item, auth):
    body = get(client, "/inbox", auth).json()
    assert body["count"] == 1 and body["next_offset"] is None
    [out] = body["items"]
    assert out["id"] == item.pk and out["actor"] == "Ada" and out["state"] == "open"
    assert out["why"].endswith("by the end of your Thursday (17:00 Asia/Kathmandu)")
    assert out["cause"] == item.cause and out["overdue"] is False


def test_done_then_undo(client, item, auth):
    assert send(client, "POST", f"/inbox/{item.pk}/done", None, auth).json()["state"] == "done"
    assert get(client, "/inbox/counts", auth).json() == {"open": 0, "snoozed": 0, "done": 1}
    assert [i["id"] for i in get(client, "/inbox?view=done", auth).json()["items"]] == [item.pk]
    assert send(client, "POST", f"/inbox/{item.pk}/undo", None, auth).json()["state"] == "open"


def test_snooze_to_a_working_time_moment_or_an_instant(client, item, auth, monday):
    out = send(client, "POST", f"/inbox/{item.pk}/snooze", {"moment": "next_working_morning"}, auth)
    assert out.json()["snoozed_until"] == "2026-03-10T03:15:00Z"
    assert get(client, "/inbox/counts", auth).json()["snoozed"] == 1
    later = (timezone.now() + timedelta(days=2)).isoformat()
    assert (
        send(client, "POST", f"/inbox/{item.pk}/snooze", {"until": later}, auth).status_code == 200
    )
    monday.shift(timedelta(days=2, seconds=1))
    assert get(client, "/inbox/counts", auth).json()["open"] == 1


def test_snoozing_into_the_past_is_a_422_naming_it(client, item, auth):
    past = (timezone.now() - timedelta(hours=1)).isoformat()
    out = problem(send(client, "POST", f"/inbox/{item.pk}/snooze", {"until": past}, auth), 422)
    assert "is in the past" in out["errors"]["until"][0]
    out = problem(
        send(client, "POST", f"/inbox/{item.pk}/snooze", {"moment": "someday"}, auth), 422
    )
    assert InboxItem.objects.get(pk=item.pk).snoozed_until is None


@pytest.mark.parametrize("until", ["9999-12-31T23:00:00-05:00", "2040-01-01T09:00:00+00:00"])
def test_snoozing_beyond_the_horizon_is_a_422_naming_it(client, item, auth, until):
    out = problem(send(client, "POST", f"/inbox/{item.pk}/snooze", {"until": until}, auth), 422)
    assert "too far ahead" in out["errors"]["until"][0]
    assert InboxItem.objects.get(pk=item.pk).snoozed_until is None


def test_snoozing_to_the_first_moment_of_the_calendar_is_a_422_in_the_past(client, item, auth):
    until = "0001-01-01T00:00:00+14:00"
    out = problem(send(client, "POST", f"/inbox/{item.pk}/snooze", {"until": until}, auth), 422)
    assert "is in the past" in out["errors"]["until"][0]
    assert InboxItem.objects.get(pk=item.pk).snoozed_until is None


def test_someone_elses_item_is_a_404(client, item, ada):
    problem(send(client, "POST", f"/inbox/{item.pk}/done", None, bearer(ada)), 404)
    assert InboxItem.objects.get(pk=item.pk).state == InboxState.OPEN


def test_an_idempotency_key_replays_done_instead_of_failing_again(client, item, auth):
    headers = {**auth, "Idempotency-Key": "done-once"}
    first = send(client, "POST", f"/inbox/{item.pk}/done", None, headers)
    again = send(client, "POST", f"/inbox/{item.pk}/done", None, headers)
    assert first.status_code == again.status_code == 200
    assert again["Idempotent-Replayed"] == "true" and again.json() == first.json()


def test_the_list_pages_and_costs_the_same_queries_for_50_or_500_items(
    client, kathmandu, ada, auth
):
    many_items(kathmandu, 50, actor=ada)
    get(client, "/inbox?limit=50", auth)
    with CaptureQueriesContext(connection) as few:
        first = get(client, "/inbox?limit=50", auth).json()
    InboxItem.objects.all().delete()
    many_items(kathmandu, 500, actor=ada)
    with CaptureQueriesContext(connection) as many:
        page = get(client, "/inbox?limit=50", auth).json()
    assert len(many) == len(few)
    assert len(first["items"]) == 50 and page["count"] == 500 and page["next_offset"] == 50
    after = get(client, "/inbox?limit=50&offset=50", auth).json()["items"]
    assert {i["id"] for i in after}.isdisjoint(i["id"] for i in page["items"])


def test_responding_and_giving_a_stance_through_the_api_empty_the_inbox(
    client, item, auth, ada, kathmandu
):
    p = proposal(ada, [kathmandu], title="Four-day week")
    assert get(client, "/inbox/counts", auth).json()["open"] == 2
    brief_id = Brief.objects.get(title="Pricing page").pk
    assert (
        send(client, "POST", f"/briefs/{brief_id}/responses", {"body": "Yes."}, auth).status_code
        == 201
    )
    assert (
        send(client, "POST", f"/proposals/{p.pk}/stance", {"position": "agree"}, auth).status_code
        == 200
    )
    assert get(client, "/inbox", auth).json()["items"] == []
    assert get(client, "/inbox/counts", auth).json()["open"] == 0
