"""The check-ins API: define (422 naming fields, warnings), prompts, answer, team day, resolve,
and the 404s for another's prompt and another workspace's task; the OpenAPI lists it all."""

from datetime import date

import pytest

from meridian.checkins.models import Blocker, CheckinPrompt
from tests import factories
from tests.api.support import bearer, get, problem, send
from tests.checkins.conftest import MONDAY
from tests.checkins.factories import asked
from tests.work.factories import project, task

pytestmark = pytest.mark.django_db

DAY = date(2026, 12, 7)


def test_defining_without_questions_or_days_is_422_naming_the_fields(client, admin, crew, clock):
    body = {
        "team": crew.slug,
        "name": "Daily",
        "questions": [],
        "weekdays": [],
        "ask_time": "09:30",
    }
    response = send(client, "POST", "/checkins", body, bearer(admin))
    assert set(problem(response, 422)["errors"]) == {"questions", "weekdays"}


def test_defining_returns_the_checkin_with_working_hours_warnings(client, admin, crew, clock):
    body = {
        "team": crew.slug,
        "name": "Daily",
        "questions": ["Done?", "Next?"],
        "weekdays": [0, 1, 2, 3, 4],
        "ask_time": "07:00",
    }
    response = send(client, "POST", "/checkins", body, bearer(admin))
    assert response.status_code == 201, response.content
    out = response.json()
    assert out["questions"] == ["Done?", "Next?"]
    names = {w["message"].split(" does not")[0] for w in out["warnings"]}
    assert names == {"Ana Berlin", "Ben London"}


def test_answering_through_the_api_and_resolving_the_blocker(client, admin, daily, ana, clock):
    the_task = task(admin, project(admin), title="Budget", owner=admin)
    prompt = asked(daily, ana, DAY, MONDAY)
    mine = get(client, "/checkins/prompts", bearer(ana)).json()
    assert [p["id"] for p in mine] == [prompt.pk]
    body = {"answers": ["Done", "Next"], "blocker": {"text": "Budget", "task_id": the_task.pk}}
    for _ in range(2):  # a retry answers once
        response = send(client, "POST", f"/checkins/prompts/{prompt.pk}/answer", body, bearer(ana))
        assert response.status_code == 200, response.content
    assert CheckinPrompt.objects.get().answers == ["Done", "Next"]
    day = get(client, f"/checkins/{daily.pk}/days/2026-12-07", bearer(admin)).json()
    assert [a["answers"] for a in day["answers"]] == [["Done", "Next"]]
    [blocker] = day["open_blockers"]
    assert blocker["task_id"] == the_task.pk and blocker["seen"] == 1
    resolved = send(
        client, "POST", f"/checkins/blockers/{blocker['id']}/resolve", None, bearer(admin)
    )
    assert resolved.json()["resolved_at"] is not None


def test_another_members_prompt_and_another_workspaces_task_are_404(
    client, daily, ana, ben, other_workspace, clock
):
    prompt = asked(daily, ana, DAY, MONDAY)
    path = f"/checkins/prompts/{prompt.pk}/answer"
    problem(send(client, "POST", path, {"answers": ["x"]}, bearer(ben)), 404)
    stranger = factories.admin_of(other_workspace)
    foreign = task(stranger, project(stranger))
    body = {"answers": ["x"], "blocker": {"text": "Stuck", "task_id": foreign.pk}}
    problem(send(client, "POST", path, body, bearer(ana)), 404)
    assert Blocker.objects.count() == 0
    assert CheckinPrompt.objects.get().responded_at is None


def test_a_mood_out_of_range_is_422_and_changes_nothing(client, admin, crew, ana, clock):
    from tests.checkins.factories import checkin

    moody = checkin(admin, crew, ask_mood=True)
    prompt = asked(moody, ana, DAY, MONDAY)
    response = send(
        client, "POST", f"/checkins/prompts/{prompt.pk}/answer",
        {"answers": ["x"], "mood": 9}, bearer(ana),
    )  # fmt: skip
    assert "mood" in problem(response, 422)["errors"]
    assert CheckinPrompt.objects.get().responded_at is None


def test_the_openapi_schema_lists_the_checkin_operations(client, admin):
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    assert "/api/v1/checkins" in paths
    assert "/api/v1/checkins/prompts/{prompt_id}/answer" in paths
    assert "patch" in paths["/api/v1/checkins/{checkin_id}"]


def test_patching_a_checkin_changes_only_what_is_given(client, admin, daily, clock):
    path = f"/checkins/{daily.pk}"
    response = send(client, "PATCH", path, {"name": "  Morning   check-in "}, bearer(admin))
    assert response.status_code == 200, response.content
    out = response.json()
    assert out["name"] == "Morning check-in"
    assert out["questions"] == ["What did you finish?", "What's next?"]
    assert out["weekdays"] == [0, 1, 2, 3, 4] and out["ask_time"] == "09:30:00"
    changed = send(
        client, "PATCH", path, {"weekdays": [4, 0], "ask_time": "07:00", "archived": True},
        bearer(admin),
    )  # fmt: skip
    out = changed.json()
    assert out["weekdays"] == [0, 4] and out["archived"] is True
    # 07:00 is before Ana's and Ben's working day: the warning names them, as on defining.
    assert {w["message"].split(" does not")[0] for w in out["warnings"]} == {
        "Ana Berlin",
        "Ben London",
    }
    daily.refresh_from_db()
    assert daily.archived_at is not None and daily.name == "Morning check-in"


def test_patching_with_no_questions_or_days_is_422_naming_the_fields_and_changes_nothing(
    client, admin, daily, clock
):
    path = f"/checkins/{daily.pk}"
    response = send(
        client, "PATCH", path, {"questions": ["  "], "weekdays": [], "name": "New"}, bearer(admin)
    )
    assert set(problem(response, 422)["errors"]) == {"questions", "weekdays"}
    problem(send(client, "PATCH", path, {"ask_time": None}, bearer(admin)), 422)
    daily.refresh_from_db()
    assert daily.name == "Daily check-in" and daily.weekdays == [0, 1, 2, 3, 4]


def test_patching_another_workspaces_checkin_is_404_and_a_non_member_of_the_team_403(
    client, workspace, daily, other_workspace, clock
):
    stranger = factories.admin_of(other_workspace)
    problem(send(client, "PATCH", f"/checkins/{daily.pk}", {"name": "X"}, bearer(stranger)), 404)
    outsider = factories.member(workspace)
    problem(send(client, "PATCH", f"/checkins/{daily.pk}", {"name": "X"}, bearer(outsider)), 403)
    daily.refresh_from_db()
    assert daily.name == "Daily check-in"
