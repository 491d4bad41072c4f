"""The dashboards API: the same dashboards as the pages with every number's drill-down link, a
team's layout (leads and admins; 422 for an unknown metric, nothing saved), 404 across
workspaces, and the operations in the OpenAPI document."""

import pytest

from meridian.dashboards.models import TeamDashboard
from meridian.dashboards.schemas import DashboardOut
from meridian.metrics.services import value_push
from meridian.workspaces.services import team_create
from tests.api.support import bearer, get, send
from tests.dashboards.conftest import NOW, a_goal, a_key_result

pytestmark = pytest.mark.django_db


def test_a_team_dashboard_through_the_api_matches_the_page(client, ada, bo, team, signups):
    goal = a_goal(ada, "Grow", team_id=team.pk)
    a_key_result(ada, goal, subject="team", subject_id=team.pk)
    value_push(acting=bo, metric=signups, at=NOW, value=4, subject="team", subject_id=team.pk)
    out = get(client, f"/dashboards/team/{team.pk}", bearer(bo))
    assert out.status_code == 200, out.content
    data = out.json()
    assert data["title"] == "Team Design <b>crew</b>" and data["time_zone"] == "Europe/Berlin"
    assert data["weeks"][-1] == {"first": "2026-10-30", "last": "2026-11-05"}
    chart = next(c for c in data["charts"] if c["slug"] == "signups")
    assert chart["rows"][-1][1]["value"] == 4
    assert chart["rows"][-1][1]["url"] == (
        f"/w/{ada.workspace.slug}/metrics/signups/"
        f"?first=2026-10-30&last=2026-11-05&subject=team&subject_id={team.pk}"
    )
    assert [c["kind"] for c in data["key_results"]] == ["key_result"]
    # A team smaller than the tracking policy's k does not show its members' time.
    assert data["custom_layout"] is False
    assert data["hidden"] == [
        "Hours tracked",
        "Hours tracked outside working hours",
        "Hours active (synced activity)",
        "Hours in focus categories",
    ]


def test_the_dashboard_json_is_exactly_what_its_schema_makes_of_it(client, ada, bo, team, signups):
    # The API writes the dashboard's JSON straight from the selectors (no second validation):
    # it must be what DashboardOut (the OpenAPI document's shape) makes of the same data —
    # counts as numbers, every cell with its (maybe empty) spark line.
    goal = a_goal(ada, "Grow", team_id=team.pk)
    a_key_result(ada, goal, subject="team", subject_id=team.pk)
    value_push(acting=bo, metric=signups, at=NOW, value=4, subject="team", subject_id=team.pk)
    for path in (f"/dashboards/team/{team.pk}", "/dashboards/workspace"):
        out = get(client, path, bearer(ada))
        assert out.status_code == 200 and out["Content-Type"].startswith("application/json")
        data = out.json()
        assert DashboardOut.model_validate(data).model_dump(mode="json") == data
        assert data["charts"] and data["key_results"] if "team" in path else data["table"]


def test_the_workspace_dashboard_has_the_teams_table(client, ada, team):
    data = get(client, "/dashboards/workspace", bearer(ada)).json()
    assert data["table"]["columns"][0] == "Team"
    assert data["table"]["rows"][0][0]["value"] == "Design <b>crew</b>"
    assert [c["slug"] for c in data["multiples"]] == [f"team{team.pk}-tasks_completed"]


def test_another_workspaces_subject_or_an_unknown_kind_is_a_404(client, ada, outsider):
    theirs = team_create(acting=outsider, name="Zeta")
    auth = bearer(ada)
    assert get(client, f"/dashboards/team/{theirs.pk}", auth).status_code == 404
    assert get(client, f"/dashboards/person/{outsider.pk}", auth).status_code == 404
    assert get(client, f"/dashboards/team/{theirs.pk}/layout", auth).status_code == 404
    assert get(client, "/dashboards/galaxy/1", auth).status_code in (404, 422)


def test_a_lead_sets_the_layout_and_an_unknown_metric_is_a_422(client, ada, bo, team, signups):
    url = f"/dashboards/team/{team.pk}/layout"
    assert get(client, url, bearer(bo)).json()["custom"] is False
    refused = send(client, "PUT", url, {"metrics": ["signups"]}, bearer(bo))
    assert refused.status_code == 403
    a_goal(bo, "Bo leads", team_id=team.pk)
    bad = send(client, "PUT", url, {"metrics": ["signups", "nope"]}, bearer(bo))
    assert bad.status_code == 422 and "nope" in bad.json()["errors"]["metrics"][0]
    twice = send(client, "PUT", url, {"metrics": ["signups", "signups"]}, bearer(bo))
    assert twice.status_code == 422
    assert not TeamDashboard.objects.exists()
    ok = send(client, "PUT", url, {"metrics": ["signups", "tasks_completed"]}, bearer(bo))
    assert ok.status_code == 200 and ok.json()["metrics"] == ["signups", "tasks_completed"]
    data = get(client, f"/dashboards/team/{team.pk}", bearer(ada)).json()
    assert [c["slug"] for c in data["charts"]] == ["signups", "tasks_completed"]
    assert data["custom_layout"] is True


def test_the_dashboards_are_in_the_openapi_document(client, ada):
    paths = get(client, "/openapi.json", bearer(ada)).json()["paths"]
    assert "/api/v1/dashboards/workspace" in paths
    assert "/api/v1/dashboards/{kind}/{subject_id}" in paths
    assert "put" in paths["/api/v1/dashboards/team/{team_id}/layout"]
