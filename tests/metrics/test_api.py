"""The metrics API: the catalogue, pushing custom values (idempotent, 422 naming the field, 404
for an unknown key), the items behind a number, and another workspace's metrics as 404."""

from datetime import timedelta

import pytest

from meridian.metrics.models import MetricFact
from meridian.metrics.services import custom_metric_create
from tests import factories
from tests.api.support import bearer, get, problem, send, sign_in
from tests.metrics.conftest import NOW
from tests.work.factories import project, task

pytestmark = pytest.mark.django_db


@pytest.fixture
def nps(ada):
    return custom_metric_create(acting=ada, key="nps", label="NPS", definition="Score", unit="pts")


def push(client, auth, key="nps", **over):
    body = {"at": (NOW - timedelta(hours=1)).isoformat(), "value": 42, **over}
    return send(client, "POST", f"/metrics/{key}/values", body, auth)


def test_the_catalogue_lists_every_metric_with_no_data_as_null(client, ada, nps):
    out = get(client, "/metrics", bearer(ada))
    assert out.status_code == 200, out.content
    by_key = {m["key"]: m for m in out.json()}
    assert {"tasks_completed", "cycle_time", "open_tasks", "overdue_tasks", "nps"} <= set(by_key)
    assert by_key["tasks_completed"]["formula"] and by_key["tasks_completed"]["sources"]
    assert [v["days"] for v in by_key["nps"]["values"]] == [7, 30]
    assert by_key["nps"]["values"][0]["value"] is None
    assert by_key["nps"]["custom"] is True


def test_a_value_pushed_twice_answers_201_then_200_and_is_kept_once(client, ada, nps):
    auth = bearer(ada)
    first = push(client, auth)
    assert first.status_code == 201, first.content
    again = push(client, auth, value=43)
    assert again.status_code == 200 and again.json()["created"] is False
    assert list(MetricFact.objects.values_list("value", flat=True)) == [43.0]
    catalogue = {m["key"]: m for m in get(client, "/metrics", auth).json()}
    assert catalogue["nps"]["values"][0]["value"] == 43


@pytest.mark.parametrize(
    ("over", "field"),
    [
        ({"at": "2099-01-01T00:00:00Z"}, "at"),
        ({"value": "NaN"}, "value"),
        ({"value": "Infinity"}, "value"),
        ({"subject": "member", "subject_id": 999999}, "subject_id"),
    ],
)
def test_a_bad_value_is_a_422_naming_the_field_and_nothing_is_stored(client, ada, nps, over, field):
    out = problem(push(client, bearer(ada), **over), 422)
    assert field in out["errors"], out
    assert MetricFact.objects.count() == 0


def test_a_non_finite_number_written_as_a_json_literal_is_refused_as_bad_json(client, ada, nps):
    raw = '{"at": "2026-11-05T14:00:00Z", "value": NaN}'
    out = client.post(
        "/api/v1/metrics/nps/values", data=raw, content_type="application/json", headers=bearer(ada)
    )
    assert "NaN is not a JSON number" in problem(out, out.status_code)["detail"]
    assert 400 <= out.status_code < 500
    assert MetricFact.objects.count() == 0


def test_an_unknown_key_is_a_404(client, ada):
    problem(push(client, bearer(ada), key="nope"), 404)
    problem(get(client, "/metrics/nope/items", bearer(ada)), 404)


def test_another_workspaces_custom_metric_is_a_404_to_push_and_to_read(client, nps, outsider):
    problem(push(client, bearer(outsider)), 404)
    problem(get(client, "/metrics/nps/items", bearer(outsider)), 404)


def test_a_value_about_a_member_feeds_their_rollup_and_lists_as_an_item(client, ada, bo, nps):
    out = push(client, bearer(ada), subject="member", subject_id=bo.pk, note="From the survey")
    assert out.status_code == 201, out.content
    items = get(client, f"/metrics/nps/items?subject=member&subject_id={bo.pk}", bearer(ada))
    data = items.json()
    assert data["total"] == 1
    assert data["items"][0]["note"] == "From the survey" and data["items"][0]["member"] == "Bo"


def test_the_items_behind_tasks_completed_link_to_the_tasks(
    client, ada, django_capture_on_commit_callbacks
):
    from meridian.work.services import task_update

    with django_capture_on_commit_callbacks(execute=True):
        item = task(ada, project(ada), title="Ship the pricing page", owner=ada)
        task_update(actor=ada, task=item, version=item.version, changes={"status": "done"})
    data = get(client, "/metrics/tasks_completed/items?days=30", bearer(ada)).json()
    assert [(i["title"], i["kind"], i["id"]) for i in data["items"]] == [
        ("Ship the pricing page", "task", item.pk)
    ]
    assert data["items"][0]["url"].endswith(f"/tasks/{item.pk}/")
    other = factories.admin_of(factories.workspace(name="Globex"))
    assert get(client, "/metrics/tasks_completed/items", bearer(other)).json()["total"] == 0


def test_a_guest_reads_but_may_not_push_and_only_admins_define(client, ada, workspace, nps):
    from meridian.workspaces.models import Role

    guest = factories.member(workspace, role=Role.GUEST)
    session = {**sign_in(client, guest.user), "X-Meridian-Workspace": workspace.slug}
    assert get(client, "/metrics", session).status_code == 200
    problem(push(client, session), 403)
    client.logout()
    member = factories.member(workspace)
    body = {"key": "arr", "label": "ARR", "definition": "Annual recurring revenue"}
    problem(send(client, "POST", "/metrics", body, bearer(member)), 403)
    made = send(client, "POST", "/metrics", body, bearer(ada))
    assert made.status_code == 201 and made.json()["key"] == "arr"


def test_an_admin_sets_the_metrics_zone_and_an_unknown_zone_is_a_422(client, ada, bo):
    problem(send(client, "PUT", "/metrics/settings", {"time_zone": "Mars/Base"}, bearer(ada)), 422)
    problem(send(client, "PUT", "/metrics/settings", {"time_zone": "UTC"}, bearer(bo)), 403)
    out = send(client, "PUT", "/metrics/settings", {"time_zone": "Europe/Berlin"}, bearer(ada))
    assert out.json() == {"time_zone": "Europe/Berlin"}
    assert get(client, "/metrics/settings", bearer(bo)).json() == {"time_zone": "Europe/Berlin"}
