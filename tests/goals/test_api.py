"""The goals API: create, read (with each key result's status), update, delete; 422 naming the
field for an unknown metric, a cycle, a target equal to the baseline; 404 across workspaces."""

import pytest

from meridian.goals.models import Goal, KeyResult
from tests.api.support import bearer, get, problem, send
from tests.goals.conftest import push_daily

pytestmark = pytest.mark.django_db

KR = {
    "title": "Sign-ups",
    "metric": "signups",
    "baseline": 0,
    "target": 300,
    "start": "2026-11-01",
    "due": "2026-11-30",
}


def test_a_goal_with_a_key_result_reads_its_status(client, ada, signups):
    auth = bearer(ada)
    made = send(client, "POST", "/goals", {"title": "Grow", "due": "2026-12-31"}, auth)
    assert made.status_code == 201, made.content
    goal_id = made.json()["id"]
    kr = send(client, "POST", f"/goals/{goal_id}/key-results", KR, auth)
    assert kr.status_code == 201, kr.content
    assert kr.json()["status"] == "no_data" and kr.json()["current"] is None
    push_daily(ada, signups, 10)
    out = get(client, f"/goals/{goal_id}", auth).json()
    assert out["owner_id"] == ada.pk
    [result] = out["key_results"]
    assert result["status"] == "on_track" and result["current"] == 50
    assert result["explanation"] == "At the current pace 300 of 300 by 30 November."
    assert [g["id"] for g in get(client, "/goals", auth).json()] == [goal_id]
    note = send(client, "POST", f"/goals/{goal_id}/notes", {"body": "Going *well*"}, auth)
    assert note.status_code == 201
    assert [n["body"] for n in get(client, f"/goals/{goal_id}/notes", auth).json()] == [
        "Going *well*"
    ]


@pytest.mark.parametrize(
    ("over", "field"),
    [({"metric": "nope"}, "metric"), ({"target": 0}, "target"), ({"due": "2026-10-01"}, "due")],
)
def test_a_bad_key_result_is_a_422_naming_the_field(client, ada, signups, over, field):
    auth = bearer(ada)
    goal_id = send(client, "POST", "/goals", {"title": "G", "due": "2026-12-31"}, auth).json()["id"]
    body = problem(send(client, "POST", f"/goals/{goal_id}/key-results", {**KR, **over}, auth), 422)
    assert field in str(body)
    assert KeyResult.objects.count() == 0


def test_a_cycle_is_a_422_naming_it(client, ada):
    auth = bearer(ada)
    a = send(client, "POST", "/goals", {"title": "A", "due": "2026-12-31"}, auth).json()["id"]
    b = send(
        client, "POST", "/goals", {"title": "B", "due": "2026-12-31", "parent_id": a}, auth
    ).json()["id"]
    out = send(
        client, "PUT", f"/goals/{a}", {"title": "A", "due": "2026-12-31", "parent_id": b}, auth
    )
    assert "“A” → “B” → “A”" in str(problem(out, 422))
    assert Goal.objects.get(pk=a).parent_id is None


def test_another_workspaces_goal_and_subject_are_404(client, ada, outsider, signups):
    theirs = send(
        client, "POST", "/goals", {"title": "Zeta", "due": "2026-12-31"}, bearer(outsider)
    ).json()["id"]
    auth = bearer(ada)
    problem(get(client, f"/goals/{theirs}", auth), 404)
    problem(send(client, "DELETE", f"/goals/{theirs}", None, auth), 404)
    mine = send(client, "POST", "/goals", {"title": "G", "due": "2026-12-31"}, auth).json()["id"]
    body = {**KR, "subject": "member", "subject_id": outsider.pk}
    problem(send(client, "POST", f"/goals/{mine}/key-results", body, auth), 404)
    assert Goal.objects.filter(pk=theirs).exists()


def test_only_the_owner_or_an_admin_deletes(client, ada, bo):
    goal_id = send(
        client, "POST", "/goals", {"title": "Ada's", "due": "2026-12-31"}, bearer(ada)
    ).json()["id"]
    problem(send(client, "DELETE", f"/goals/{goal_id}", None, bearer(bo)), 403)
    assert send(client, "DELETE", f"/goals/{goal_id}", None, bearer(ada)).status_code == 204
    assert not Goal.objects.exists()
