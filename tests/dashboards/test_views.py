"""The dashboards pages: charts with their tables where every number links to its items, key
results with target and forecast, the teams side by side, exports, a team's own layout, the
tracking policy on a person's page, another workspace's subject a 404, a constant query count."""

import csv
import io
import json
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from meridian.core import registry
from meridian.dashboards.models import TeamDashboard
from meridian.goals import selectors as goals
from meridian.metrics.models import MetricFact
from meridian.metrics.services import custom_metric_create, facts_write, value_push
from meridian.work.services import task_update
from meridian.workspaces.services import team_create
from tests.api.support import bearer
from tests.dashboards.conftest import NOW, a_goal, a_key_result, push_daily
from tests.work.factories import project, task

pytestmark = pytest.mark.django_db


def page(client, member, path=""):
    client.force_login(member.user)
    return client.get(f"/w/{member.workspace.slug}/dashboards/{path}")


def complete(member, titles, captured):
    with captured(execute=True):
        where = project(member, name=f"Project {titles[0]}")
        for title in titles:
            item = task(member, where, title=title, owner=member)
            task_update(actor=member, task=item, version=item.version, changes={"status": "done"})
    return where


def test_the_workspace_dashboard_draws_each_metric_with_a_linked_table(
    client, ada, django_capture_on_commit_callbacks
):
    complete(ada, ["Ship <b>pricing</b>", "Write copy"], django_capture_on_commit_callbacks)
    out = page(client, ada)
    assert out.status_code == 200
    html = out.content.decode()
    assert "<h1>Workspace dashboard</h1>" in html
    assert 'data-chart="tasks_completed"' in html and 'data-chart="cycle_time-distribution"' in html
    # This week's number opens the tasks of this week (Berlin's days: 30 Oct to 5 Nov).
    link = f"/w/{ada.workspace.slug}/metrics/tasks_completed/?first=2026-10-30&amp;last=2026-11-05"
    assert f'<a href="{link}">2</a>' in html
    assert "vendor/echarts/echarts.min.js" in html and "meridian/dashboards.js" in html
    slug = ada.workspace.slug
    assert '<a href="/w/' + slug + "/dashboards/project/" in html and ">Project Ship" in html
    assert f'<a href="/w/{slug}/dashboards/person/{ada.pk}/">Your own dashboard</a>' in html
    assert "style=" not in html.split("<main", 1)[1]  # the CSP allows no inline styles
    assert ">Dashboards</a>" in html or 'aria-current="page">Dashboards' in html
    charts = json.loads(
        html.split('id="dashboard-charts" type="application/json">')[1].split("<")[0]
    )
    assert charts[0]["rows"][-1][1] == {"value": 2.0, "url": link.replace("&amp;", "&")}
    items = client.get(link.replace("&amp;", "&")).content.decode()
    assert "Ship &lt;b&gt;pricing&lt;/b&gt;" in items


def test_a_name_in_the_charts_data_cannot_end_its_script_element(client, ada):
    team_create(acting=ada, name="</script><script>alert(1)</script> & co")
    html = page(client, ada).content.decode()
    data = html.split('<script id="dashboard-charts" type="application/json">')[1]
    data = data.split("</script>")[0]
    assert "<" not in data and ">" not in data and "&" not in data
    table = next(c for c in json.loads(data) if c["slug"] == "teams")
    assert table["rows"][0][0]["value"] == "</script><script>alert(1)</script> & co"


def test_weeks_without_facts_are_no_data_and_a_mean_over_nothing_is_no_data(client, ada):
    nps = custom_metric_create(
        acting=ada, key="nps", label="NPS", definition="Score", aggregation="mean"
    )
    value_push(acting=ada, metric=nps, at=NOW - timedelta(hours=2), value=40)
    value_push(acting=ada, metric=nps, at=NOW - timedelta(hours=1), value=20)
    html = page(client, ada).content.decode()
    table = html.split('id="chart-nps"')[1].split("</figure>")[0]
    assert table.count(">no data<") == 11 and ">30</a>" in table
    assert '<p class="no-data">No data in these weeks.</p>' in html  # e.g. overdue tasks


def test_a_team_dashboard_shows_the_team_goals_with_target_and_forecast(
    client, ada, bo, team, signups
):
    goal = a_goal(ada, "Grow <i>fast</i>", team_id=team.pk)
    a_key_result(ada, goal, subject="team", subject_id=team.pk)
    for i in range(5):
        value_push(
            acting=bo,
            metric=signups,
            at=NOW - timedelta(days=4 - i),
            value=10,
            subject="team",
            subject_id=team.pk,
        )
    html = page(client, bo, f"team/{team.pk}/").content.decode()
    assert "Dashboard: Team Design &lt;b&gt;crew&lt;/b&gt;" in html
    assert "Grow &lt;i&gt;fast&lt;/i&gt;: Sign-ups" in html and "On track" in html
    assert "At the current pace 300 of 300 by 30 November." in html
    charts = json.loads(html.split('type="application/json">')[1].split("</script>")[0])
    kr = next(c for c in charts if c["kind"] == "key_result")
    assert kr["target"] == 300 and kr["columns"][3:] == [
        "Forecast low",
        "Forecast",
        "Forecast high",
    ]
    assert kr["rows"][-1][0]["value"] == "2026-11-30" and kr["rows"][-1][4]["value"] == 300
    # The line: a point a week from the start and the latest day; then the weekly forecast.
    days = [r[0]["value"] for r in kr["rows"]]
    assert days[:3] == ["2026-11-01", "2026-11-05", "2026-11-12"]
    today = kr["rows"][1]
    assert today[1]["value"] == 50 and today[1]["url"].endswith(
        f"signups/?first=2026-11-01&last=2026-11-05&subject=team&subject_id={team.pk}"
    )
    # Bo is no lead of the team: no link to choose its metrics.
    assert "Choose this dashboard" not in html
    assert "Choose this dashboard" in page(client, ada, f"team/{team.pk}/").content.decode()


def test_the_workspace_dashboard_puts_the_teams_side_by_side(client, ada, bo, team, signups):
    other = team_create(acting=ada, name="=cmd|' /C calc'!A0")
    value_push(acting=bo, metric=signups, at=NOW, value=7, subject="team", subject_id=team.pk)
    html = page(client, ada).content.decode()
    assert '<table class="sparklines">' in html
    assert (
        f'<a href="/w/{ada.workspace.slug}/dashboards/team/{team.pk}/">Design &lt;b&gt;crew' in html
    )
    assert "Side by side, one scale: Tasks completed" in html
    assert f'data-chart="team{team.pk}-tasks_completed"' not in html  # no data: no chart drawn
    assert f'id="chart-team{other.pk}-tasks_completed"' in html
    out = page(client, ada, "data/teams.csv")
    assert out["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(out.content.decode())))
    assert rows[0][0] == "Team" and "Sign-ups" in rows[0]
    assert rows[1][0] == "'=cmd|' /C calc'!A0"  # a spreadsheet reads it as text, never a formula
    assert rows[2][0] == "Design <b>crew</b>" and rows[2][rows[0].index("Sign-ups")] == "7.0"


def test_every_chart_exports_csv_and_json_and_an_unknown_one_is_a_404(
    client, ada, django_capture_on_commit_callbacks
):
    where = complete(ada, ["One"], django_capture_on_commit_callbacks)
    out = page(client, ada, f"project/{where.pk}/data/tasks_completed.json")
    assert out.status_code == 200 and "attachment" in out["Content-Disposition"]
    data = out.json()
    assert data["dashboard"] == "Project Project One" and data["rows"][-1][1]["value"] == 1
    assert f"subject=project&subject_id={where.pk}" in data["rows"][-1][1]["url"]
    text = page(client, ada, f"project/{where.pk}/data/tasks_completed.csv").content.decode()
    assert text.splitlines()[0] == "Week,tasks" and text.splitlines()[-1].endswith(",1.0")
    assert page(client, ada, "data/nope.csv").status_code == 404
    assert page(client, ada, "data/tasks_completed.xml").status_code == 404
    assert page(client, ada, f"galaxy/{where.pk}/data/tasks_completed.csv").status_code == 404


def test_another_workspaces_team_project_or_person_is_a_404(client, ada, outsider):
    theirs = team_create(acting=outsider, name="Zeta")
    where = project(outsider, name="Zeta project")
    for path in (f"team/{theirs.pk}/", f"project/{where.pk}/", f"person/{outsider.pk}/"):
        assert page(client, ada, path).status_code == 404
        assert page(client, ada, f"{path}data/tasks_completed.json").status_code == 404
    assert page(client, ada, f"team/{theirs.pk}/customize/").status_code == 404


def test_a_person_dashboard_keeps_activity_figures_to_the_person(client, ada, bo):
    personal = registry.MetricDefinition(
        key="hours_tracked",
        label="Hours tracked",
        definition="Time tracked",
        formula="Σ hours",
        unit="hours",
        sources="Time entries",
        aggregation="sum",
        source_kind="time_entry",
        facts=lambda ws, ids: [],
        visible=lambda viewer, subject, subject_id: subject_id == viewer.pk,
    )
    with registry.replaced(registry.METRICS, [*registry.items(registry.METRICS), personal]):
        own = page(client, bo, f"person/{bo.pk}/").content.decode()
        other = page(client, ada, f"person/{bo.pk}/").content.decode()
    assert "Dashboard: Bo" in own and 'id="chart-hours_tracked"' in own
    assert 'id="chart-hours_tracked"' not in other
    assert "keeps this person's activity figures to them: Hours tracked" in other
    assert 'id="chart-tasks_completed"' in other  # outputs stay visible to everyone


def test_a_lead_chooses_the_team_dashboards_metrics_and_order(client, ada, bo, team, signups):
    assert page(client, bo, f"team/{team.pk}/customize/").status_code == 403
    a_goal(bo, "Bo leads", team_id=team.pk)  # owning a team goal makes Bo one of its leads
    client.force_login(bo.user)
    url = f"/w/{bo.workspace.slug}/dashboards/team/{team.pk}/customize/"
    form = client.get(url).content.decode()
    assert 'id="id_show_signups"' in form and "Position of Sign-ups" in form
    bad = client.post(url, {"position_signups": "1", "position_tasks_completed": "2"})
    assert bad.status_code == 422 and "Choose at least one metric." in bad.content.decode()
    positions = {f"position_{k}": "9" for k in ("cycle_time", "open_tasks", "overdue_tasks")}
    data = {
        **positions,
        "show_signups": "on",
        "position_signups": "1",
        "show_tasks_completed": "on",
        "position_tasks_completed": "2",
    }
    assert client.post(url, data).status_code == 302
    assert TeamDashboard.objects.get(team=team).metrics == ["signups", "tasks_completed"]
    html = page(client, ada, f"team/{team.pk}/").content.decode()
    assert html.index('id="chart-signups"') < html.index('id="chart-tasks_completed"')
    assert 'id="chart-cycle_time"' not in html and "The team chose the metrics" in html


# A warm answer: the sign-in's (the session or token with the membership) and the version.
WARM = 3


def count_queries(client, member, path):
    headers = None
    if path.startswith("/api/"):  # a fresh token each time: its first use is written down
        url, headers = path, bearer(member)
    else:
        client.force_login(member.user)
        url = f"/w/{member.workspace.slug}/dashboards/{path}"
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url, headers=headers or {}).status_code == 200
    return len(queries)


def test_a_dashboard_reads_a_constant_number_of_queries_however_much_data(
    client, ada, bo, team, signups, django_capture_on_commit_callbacks
):
    goal = a_goal(ada, team_id=team.pk)
    a_key_result(ada, goal, subject="team", subject_id=team.pk)
    push_daily(ada, signups, 3, days=1)  # the first fact fixes the workspace's metric zone
    # The workspace page, a team's page and the same team through the API: 1 team, 1 key
    # result, 1 day of values; made afresh (the answer cache's first request after a write,
    # its version read included), then warm (sign-in and the version: nothing of the data).
    expected = {"": 12, f"team/{team.pk}/": 8, f"/api/v1/dashboards/team/{team.pk}": 8}
    warm = dict.fromkeys(expected, WARM)
    assert {path: count_queries(client, ada, path) for path in expected} == expected
    assert {path: count_queries(client, ada, path) for path in expected} == warm
    for n in range(4):
        team_create(acting=ada, name=f"Team {n}")
        other = a_goal(ada, f"Goal {n}", team_id=team.pk)
        a_key_result(ada, other, subject="team", subject_id=team.pk, title=f"KR {n}")
    complete(ada, [f"Task {n}" for n in range(6)], django_capture_on_commit_callbacks)
    push_daily(ada, signups, 3, days=30)
    # 5 teams, 5 key results, 30 days of values and tasks completed: the same counts.
    assert {path: count_queries(client, ada, path) for path in expected} == expected
    assert {path: count_queries(client, ada, path) for path in expected} == warm


def test_anonymous_visitors_are_sent_to_sign_in(client, ada):
    out = client.get(f"/w/{ada.workspace.slug}/dashboards/")
    assert out.status_code == 302 and "login" in out["Location"]


def test_the_teams_table_sums_each_week_as_the_team_dashboard_does(
    ada, bo, team, signups, django_capture_on_commit_callbacks
):
    from meridian.dashboards.selectors import dashboard_for

    for days_ago, value in ((0, 4), (1, 2), (9, 7), (30, 1), (200, 5)):
        value_push(
            acting=ada,
            metric=signups,
            at=NOW - timedelta(days=days_ago),
            value=value,
            subject="team",
            subject_id=team.pk,
        )
    complete(ada, ["One", "Two"], django_capture_on_commit_callbacks)
    board = dashboard_for(ada, "workspace")
    mine = dashboard_for(ada, "team", team.pk)
    assert board.table is not None
    columns = board.table.columns
    [row] = [r for r in board.table.rows if r[0].value == team.name]
    compared = 0
    for chart in mine.charts:
        if chart.kind != "series" or chart.title not in columns:
            continue
        cell = row[columns.index(chart.title)]
        assert list(cell.spark) == [r[1].value for r in chart.rows], chart.slug
        compared += 1
    assert compared >= 3  # sign-ups (a sum), open and overdue tasks (levels) among them


def test_a_team_dashboard_carries_a_level_from_before_its_weeks_and_shows_a_new_value_next(
    client, ada, team
):
    headcount = custom_metric_create(
        acting=ada, key="headcount", label="Headcount", definition="People", aggregation="level"
    )
    for days_ago, change in ((200, 5), (3, 2)):
        value_push(
            acting=ada,
            metric=headcount,
            at=NOW - timedelta(days=days_ago),
            value=change,
            subject="team",
            subject_id=team.pk,
        )
    url = f"/api/v1/dashboards/team/{team.pk}"
    [chart] = [
        c for c in client.get(url, headers=bearer(ada)).json()["charts"] if c["slug"] == "headcount"
    ]
    weeks = [row[1]["value"] for row in chart["rows"]]
    assert weeks[0] == 5.0 and weeks[-1] == 7.0  # 5 from 200 days ago, then 2 more
    value_push(
        acting=ada,
        metric=headcount,
        at=NOW - timedelta(hours=1),
        value=-4,
        subject="team",
        subject_id=team.pk,
    )
    [chart] = [
        c for c in client.get(url, headers=bearer(ada)).json()["charts"] if c["slug"] == "headcount"
    ]
    assert [row[1]["value"] for row in chart["rows"]][-1] == 3.0


def test_a_key_result_on_a_percentile_metric_follows_the_mean_of_its_facts(client, ada, team):
    """Cycle time keeps no rollup rows: a key result on it (a mean) reads each day's count and
    total from its day histogram rows, alike on the team's dashboard and on its goal."""
    goal = a_goal(ada, team_id=team.pk)
    kr = a_key_result(
        ada,
        goal,
        title="Cycle time",
        metric="cycle_time",
        subject="team",
        subject_id=team.pk,
        baseline=20.0,
        target=5.0,
    )
    # (days before 5 November, value): several on one day, in different buckets.
    written = [(4, 3.0), (4, 41.5), (4, 3.0), (2, 7.25), (0, 12.0)]
    facts_write(
        workspace_id=ada.workspace_id,
        metric="cycle_time",
        existing=[],
        wanted=[
            MetricFact(
                workspace_id=ada.workspace_id,
                metric="cycle_time",
                fact_key=f"t:{n}",
                member_id=ada.pk,
                team_id=team.pk,
                occurred_at=NOW - timedelta(days=back),
                day=NOW.date() - timedelta(days=back),
                value=value,
            )
            for n, (back, value) in enumerate(written)
        ],
    )
    series = goals.series_of(kr, NOW.date())
    assert [day.day for day, _ in series] == [1, 2, 3, 4, 5]
    assert series[-1][1] == pytest.approx(sum(v for _, v in written) / len(written))
    assert series[2][1] == pytest.approx((3.0 + 41.5 + 3.0 + 7.25) / 4)
    html = page(client, ada, f"team/{team.pk}/").content.decode()
    charts = json.loads(html.split('type="application/json">')[1].split("</script>")[0])
    chart = next(c for c in charts if c["kind"] == "key_result")
    drawn = {row[0]["value"]: row[1]["value"] for row in chart["rows"] if row[1]["value"]}
    assert drawn == {day.isoformat(): value for day, value in series if day.day in (1, 5)}
