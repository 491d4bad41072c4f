"""The dashboards' answer cache: never stale after a write that changes a dashboard (every kind
of write walked, each answer compared with a fresh one), no reader sees another's private
figures, the workspace's date and the reader's zone are in the key, and a warm answer reads
only the version. Every table a dashboard reads is an input that bumps the version."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from meridian.dashboards import answers, freshness, selectors
from meridian.dashboards.api import _out
from meridian.dashboards.models import DashboardVersion
from meridian.dashboards.services import team_dashboard_save
from meridian.dashboards.views import _export_base, _parts
from meridian.goals.services import key_result_delete, key_result_update
from meridian.metrics.services import custom_metric_create, metrics_zone_set, value_push
from meridian.metrics.services.rebuild import rollups_recompute
from meridian.tracking.models import TrackingAccess
from meridian.tracking.services import entry_create, policy_update
from meridian.work.services.projects import project_create
from meridian.workspaces.models import Role
from meridian.workspaces.services import (
    member_deactivate,
    profile_update,
    team_add_member,
    team_remove_member,
    team_update,
)
from tests.api.support import bearer, get
from tests.briefs.factories import person
from tests.dashboards.conftest import NOW, a_goal, a_key_result
from tests.goals.conftest import kr_fields

pytestmark = pytest.mark.django_db


def _path(kind, subject_id):
    return "/dashboards/workspace" if kind == "workspace" else f"/dashboards/{kind}/{subject_id}"


def _fresh(viewer, kind, subject_id):
    """The dashboard's JSON computed now, without the cache."""
    return _out(selectors.dashboard_for(viewer, kind, subject_id))


def _policy(ada, k=2, visibility="admins"):
    policy_update(
        acting=ada,
        allow_apps=False,
        allow_titles=False,
        retention_days=30,
        min_group_size=k,
        individual_visibility=visibility,
    )


def test_every_write_that_changes_a_dashboard_is_seen_at_once(client, ada, bo, team, signups):
    auth = bearer(ada)
    state = {}

    def push():
        value_push(acting=bo, metric=signups, at=NOW, value=4, subject="team", subject_id=team.pk)

    def goal():
        state["goal"] = a_goal(ada, "Grow", team_id=team.pk)

    def key_result():
        state["kr"] = a_key_result(ada, state["goal"], subject="team", subject_id=team.pk)

    def key_result_changed():
        fields = kr_fields(target=900.0, subject="team", subject_id=team.pk)
        key_result_update(acting=ada, key_result=state["kr"], fields=fields)

    def time_entry():
        start = NOW - timedelta(hours=3)
        entry_create(acting=bo, start=start, end=start + timedelta(hours=1))

    # (what is written, the dashboard it visibly changes, the write)
    steps = [
        ("a custom metric's value", ("team", team.pk), push),
        ("a custom metric", ("team", team.pk), lambda: custom_metric_create(
            acting=ada, key="churn", label="Churn", definition="Lost")),
        ("a goal on the team", None, goal),
        ("a key result", ("team", team.pk), key_result),
        ("a key result's target", ("team", team.pk), key_result_changed),
        ("the team's name", ("team", team.pk), lambda: team_update(
            acting=ada, team=team, name="Renamed", description="")),
        ("a member joining the team", None, lambda: team_add_member(
            acting=ada, team=team, member=ada)),
        ("the tracking policy's k", ("team", team.pk), lambda: _policy(ada, k=2)),
        ("a member leaving the team", ("team", team.pk), lambda: team_remove_member(
            acting=ada, team=team, member=ada)),
        ("the team's layout", ("team", team.pk), lambda: team_dashboard_save(
            acting=ada, team=team, metrics=["signups", "tasks_completed"])),
        ("a member joining the workspace", None, lambda: person(
            ada.workspace, "UTC", display_name="Cy")),
        ("a person's name", ("person", bo.pk), lambda: profile_update(
            acting=bo, member=bo, display_name="Bo Renamed")),
        ("who may see individual figures", ("person", bo.pk), lambda: _policy(
            ada, k=2, visibility="self")),
        ("someone tracking time", None, time_entry),
        ("a project", ("workspace", None), lambda: project_create(actor=ada, name="Apollo")),
        ("the metric zone", ("team", team.pk), lambda: metrics_zone_set(
            acting=ada, time_zone="Pacific/Kiritimati")),
        ("a rebuild of the rollups", None, lambda: rollups_recompute(ada.workspace_id)),
        ("a key result deleted", ("team", team.pk), lambda: key_result_delete(
            acting=ada, key_result=state["kr"])),
        ("a member leaving the workspace", None, lambda: member_deactivate(
            acting=ada, member=bo)),
    ]  # fmt: skip
    boards = [("team", team.pk), ("workspace", None), ("person", bo.pk)]
    browser = Client()
    browser.force_login(ada.user)

    def answer(board):
        """The board's API JSON and its page, both as cached."""
        kind, sid = board
        tail = "" if kind == "workspace" else f"{kind}/{sid}/"
        page = browser.get(f"/w/{ada.workspace.slug}/dashboards/{tail}").content.decode()
        return get(client, _path(*board), auth).content, page

    for what, changes, write in steps:
        before = {
            b: answer(b) for b in boards if not (what.endswith("workspace") and b[0] == "person")
        }
        version = freshness.version_of(ada.workspace_id)
        write()
        assert freshness.version_of(ada.workspace_id) != version, what
        for board in before:
            if what == "a member leaving the workspace" and board[0] == "person":
                continue
            after = answer(board)
            fresh = selectors.dashboard_for(ada, *board)
            assert after[0] == _out(fresh), f"stale JSON after {what}: {board}"
            body = _parts(fresh, _export_base(ada.workspace.slug, *board))[2]
            assert body in after[1], f"stale page after {what}: {board}"
            if board == changes:  # in its JSON, or on its page only (the projects' links)
                old_json, old_page = before[board]
                assert after[0] != old_json or body not in old_page, f"{what} changed nothing"


def _tables(sql):
    return set(re.findall(r'(?:FROM|JOIN)\s+"?(\w+)"?', sql, flags=re.IGNORECASE))


def test_every_table_a_dashboard_reads_bumps_its_version(ada, bo, team, signups, clock):
    # A dashboard read of a table no write bumps the version for would be served stale: every
    # table read for any kind of dashboard (page and API parts) is an input or maintained.
    a_key_result(ada, a_goal(ada, "Grow", team_id=team.pk), subject="team", subject_id=team.pk)
    project = project_create(actor=ada, name="Apollo")
    value_push(acting=bo, metric=signups, at=NOW, value=4, subject="team", subject_id=team.pk)
    read: set[str] = set()
    for kind, sid in (("workspace", None), ("team", team.pk), ("person", bo.pk),
                      ("project", project.pk)):  # fmt: skip
        with CaptureQueriesContext(connection) as captured:
            board = selectors.dashboard_for(ada, kind, sid)
            _out(board)
            _parts(board, "/export/")
        for query in captured.captured_queries:
            if not query["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE")):
                read |= _tables(query["sql"])
    from django.apps import apps

    bumped = {m._meta.db_table for m in freshness.input_models()} | {
        apps.get_model(*label)._meta.db_table for label in freshness.MAINTAINED
    }
    assert {"metrics_metricrollup", "workspaces_team", "goals_keyresult"} <= read
    assert read - bumped == set()
    assert DashboardVersion._meta.db_table == "dashboards_dashboardversion"  # its raw SQL's


def test_a_warm_answer_reads_the_version_and_nothing_a_dashboard_reads(client, ada, team):
    auth = bearer(ada)
    path = _path("team", team.pk)
    first = get(client, path, auth)
    with CaptureQueriesContext(connection) as captured:
        again = get(client, path, auth)
    with CaptureQueriesContext(connection) as other:
        get(client, "/me", auth)  # the same sign-in on an answer of no dashboard
    assert again.content == first.content
    assert len(captured.captured_queries) <= len(other.captured_queries) + 1
    sql = " ".join(q["sql"] for q in captured.captured_queries)
    assert "dashboards_dashboardversion" in sql
    assert "metrics_metricrollup" not in sql and "goals_keyresult" not in sql


def test_readers_never_see_each_others_private_figures(client, ada, bo, clock):
    _policy(ada, k=2, visibility="admins")
    cy = person(ada.workspace, "UTC", display_name="Cy")
    path = _path("person", bo.pk)
    own = get(client, path, bearer(bo)).json()
    theirs = get(client, path, bearer(cy)).json()
    admins = get(client, path, bearer(ada)).json()
    assert own["hidden"] == [] and admins["hidden"] == []
    assert "Hours tracked" in theirs["hidden"]
    assert get(client, path, bearer(bo)).json() == own
    assert get(client, path, bearer(cy)).json() == theirs


def test_a_read_of_someones_figures_is_logged_on_a_cached_answer_too(client, ada, bo, clock):
    _policy(ada, k=2, visibility="admins")
    auth = bearer(ada)
    for _ in range(2):
        assert get(client, _path("person", bo.pk), auth).status_code == 200
    assert TrackingAccess.objects.filter(subject=bo, viewer=ada).count() == 2


def test_the_page_keeps_its_reader_parts_out_of_the_shared_body(client, ada, bo, team, clock):
    a_goal(bo, "Bo leads", team_id=team.pk)  # a lead may choose the team's metrics
    cy = person(ada.workspace, "UTC", display_name="Cy", role=Role.MEMBER)
    url = f"/w/{ada.workspace.slug}/dashboards/team/{team.pk}/"
    customize = f"/w/{ada.workspace.slug}/dashboards/team/{team.pk}/customize/"
    client.force_login(bo.user)
    lead = client.get(url).content.decode()
    client.force_login(cy.user)
    other = client.get(url).content.decode()
    assert customize in lead and customize not in other
    assert f"/dashboards/person/{bo.pk}/" in lead and f"/dashboards/person/{cy.pk}/" in other
    assert f"/dashboards/person/{bo.pk}/" not in other.split("<h1>")[0]


def test_a_new_day_in_the_workspaces_zone_is_a_new_answer(client, ada, team):
    # 15:00 UTC is 16:00 in Berlin (the metric zone): at 23:30 UTC it is already tomorrow there.
    auth = bearer(ada)
    path = _path("team", team.pk)
    with time_machine.travel(NOW, tick=False):
        today = get(client, path, auth).json()
    with time_machine.travel(NOW.replace(hour=22, minute=59), tick=False):
        assert get(client, path, auth).json() == today
    with time_machine.travel(NOW.replace(hour=23, minute=30), tick=False):
        tomorrow = get(client, path, auth).json()
        assert tomorrow["today"] == "2026-11-06" and today["today"] == "2026-11-05"
        assert tomorrow == _fresh_json(ada, "team", team.pk)


def _fresh_json(viewer, kind, sid):
    import json

    return json.loads(_fresh(viewer, kind, sid))


def test_the_readers_zone_is_in_the_key(client, ada, bo, team, clock):
    answers.CACHE.clear()
    path = _path("team", team.pk)
    get(client, path, bearer(ada))  # Berlin
    get(client, path, bearer(bo))  # Kathmandu
    get(client, path, bearer(ada))
    assert len(answers.CACHE) == 2


def test_a_workspace_without_a_version_is_not_cached(client, ada, team, clock):
    DashboardVersion.objects.filter(workspace_id=ada.workspace_id).delete()
    answers.CACHE.clear()
    assert get(client, _path("team", team.pk), bearer(ada)).status_code == 200
    assert len(answers.CACHE) == 0


def test_another_workspaces_team_is_a_404_before_and_after_caching(client, ada, outsider, team):
    auth = bearer(outsider)
    assert get(client, _path("team", team.pk), bearer(ada)).status_code == 200
    assert get(client, _path("team", team.pk), auth).status_code == 404
