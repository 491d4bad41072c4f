"""The goals pages: the tree, a goal's key results with status, sentence, progress with a text
alternative and a link to the metric's items; notes rendered as escaped Markdown."""

import pytest

from meridian.goals.models import Goal, KeyResult
from tests.goals.conftest import a_goal, a_key_result, push_daily

pytestmark = pytest.mark.django_db


def page(client, member, path=""):
    client.force_login(member.user)
    return client.get(f"/w/{member.workspace.slug}/goals/{path}")


def test_the_list_shows_the_tree_and_the_nav_entry(client, ada):
    top = a_goal(ada, "Top <i>goal</i>")
    a_goal(ada, "Child", parent_id=top.pk)
    html = page(client, ada).content.decode()
    assert "Top &lt;i&gt;goal&lt;/i&gt;" in html and "Child" in html
    assert html.index("Top &lt;i&gt;") < html.index("Child")
    assert html.count('<ul class="goal-tree">') == 2  # the child is nested under its parent
    assert "style=" not in html.split("<main", 1)[1]  # the CSP allows no inline styles
    assert ">Goals</a>" in html or 'aria-current="page">Goals' in html


def test_a_goal_page_explains_each_key_result(client, ada, signups):
    goal = a_goal(ada, description="**Why** <script>x</script>")
    a_key_result(ada, goal)
    a_key_result(ada, goal, title="Empty one", target=10.0)
    push_daily(ada, signups, 10)
    html = page(client, ada, f"{goal.pk}/").content.decode()
    assert "<strong>Why</strong>" in html and "<script>x" not in html
    assert "At the current pace 300 of 300 by 30 November." in html and "On track" in html
    assert 'aria-label="Sign-ups: 17 % of the way from baseline to target"' in html
    link = f"/w/{ada.workspace.slug}/metrics/signups/?first=2026-11-01&amp;last=2026-11-05"
    assert f'href="{link}"' in html
    items = client.get(link.replace("&amp;", "&")).content.decode()
    assert "5 facts" in items and "<dt>5 days (" in items


def test_a_key_result_without_facts_reads_no_data(client, ada):
    from meridian.metrics.services import custom_metric_create

    custom_metric_create(acting=ada, key="signups", label="Sign-ups", definition="New")
    goal = a_goal(ada)
    a_key_result(ada, goal)
    html = page(client, ada, f"{goal.pk}/").content.decode()
    assert "No data" in html and "no data" in html and "<progress" not in html


def test_the_owner_adds_a_note_and_others_cannot(client, ada, bo, outsider):
    goal = a_goal(bo)
    client.force_login(bo.user)
    url = f"/w/{bo.workspace.slug}/goals/{goal.pk}/notes/"
    assert client.post(url, {"body": "Week 1: <b>fine</b>"}).status_code == 302
    html = page(client, bo, f"{goal.pk}/").content.decode()
    assert "Week 1: &lt;b&gt;fine&lt;/b&gt;" in html
    assert page(client, outsider, f"{goal.pk}/").status_code == 404


def test_a_goal_is_created_and_a_cycle_is_an_error_beside_the_parent_field(client, ada):
    client.force_login(ada.user)
    base = f"/w/{ada.workspace.slug}/goals/"
    blank = client.post(f"{base}new/", {"title": "", "due": "2026-12-31", "owner": ada.pk})
    assert blank.status_code == 422 and Goal.objects.count() == 0
    out = client.post(f"{base}new/", {"title": "Top", "due": "2026-12-31", "owner": ada.pk})
    assert out.status_code == 302
    top = Goal.objects.get()
    child = a_goal(ada, "Child", parent_id=top.pk)
    edit = client.post(
        f"{base}{top.pk}/edit/",
        {"title": "Top", "due": "2026-12-31", "owner": ada.pk, "parent": child.pk},
    )
    assert edit.status_code == 422
    assert "That parent makes a cycle: “Top” → “Child” → “Top”." in edit.content.decode()
    top.refresh_from_db()
    assert top.parent_id is None


def test_a_key_result_form_names_a_target_equal_to_the_baseline(client, ada, signups):
    goal = a_goal(ada)
    client.force_login(ada.user)
    url = f"/w/{ada.workspace.slug}/goals/{goal.pk}/key-results/new/"
    assert "The whole workspace" in client.get(url).content.decode()
    body = {
        "title": "Sign-ups",
        "metric": "signups",
        "measured_on": "workspace:0",
        "baseline": "5",
        "target": "5",
        "start": "2026-11-01",
        "due": "2026-11-30",
    }
    bad = client.post(url, body)
    assert bad.status_code == 422 and "equals the baseline" in bad.content.decode()
    assert not KeyResult.objects.exists()
    assert client.post(url, {**body, "target": "300"}).status_code == 302
    assert KeyResult.objects.get().aggregation == "sum"


def test_the_list_costs_one_query_per_key_result_and_no_more(client, ada, signups):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    a_key_result(ada, a_goal(ada, "One"))
    client.force_login(ada.user)
    url = f"/w/{ada.workspace.slug}/goals/"
    client.get(url)
    with CaptureQueriesContext(connection) as one:
        client.get(url)
    for title in ("Two", "Three"):
        a_key_result(ada, a_goal(ada, title))
    with CaptureQueriesContext(connection) as three:
        html = client.get(url).content.decode()
    assert "Three" in html
    assert len(three) - len(one) == 2  # each further key result reads its rollups once


def test_a_key_result_can_be_measured_on_a_project(client, ada, signups):
    from tests.work.factories import project

    site = project(ada, name="Website")
    goal = a_goal(ada)
    client.force_login(ada.user)
    url = f"/w/{ada.workspace.slug}/goals/{goal.pk}/key-results/new/"
    assert f'value="project:{site.pk}"' in client.get(url).content.decode()


def test_a_team_key_result_links_to_that_teams_items(client, ada):
    from meridian.workspaces.services import team_create

    team = team_create(acting=ada, name="Design")
    goal = a_goal(ada)
    a_key_result(ada, goal, metric="tasks_completed", subject="team", subject_id=team.pk)
    html = page(client, ada, f"{goal.pk}/").content.decode()
    query = f"first=2026-11-01&amp;last=2026-11-05&amp;subject=team&amp;subject_id={team.pk}"
    assert f"/metrics/tasks_completed/?{query}" in html
    items = client.get(
        f"/w/{ada.workspace.slug}/metrics/tasks_completed/?{query}".replace("&amp;", "&")
    )
    assert "<dt>Measured on</dt><dd>Team Design</dd>" in items.content.decode()


def test_the_owner_edits_and_deletes_a_key_result_from_the_goal_page(client, ada, bo, signups):
    goal = a_goal(ada)
    kr = a_key_result(ada, goal)
    html = page(client, ada, f"{goal.pk}/").content.decode()
    edit = f"/w/{ada.workspace.slug}/goals/{goal.pk}/key-results/{kr.pk}/edit/"
    assert f'href="{edit}"' in html and "Delete<span" in html
    assert 'value="Sign-ups"' in client.get(edit).content.decode()
    data = {
        "title": "More sign-ups",
        "metric": "signups",
        "measured_on": "workspace:0",
        "baseline": "0",
        "target": "0",
        "start": "2026-11-01",
        "due": "2026-11-30",
    }
    same = client.post(edit, data)
    assert same.status_code == 422 and "target equals the baseline" in same.content.decode()
    assert client.post(edit, {**data, "target": "500"}).status_code == 302
    kr.refresh_from_db()
    assert (kr.title, kr.target) == ("More sign-ups", 500)
    assert "Edit<span" not in page(client, bo, f"{goal.pk}/").content.decode()
    client.force_login(bo.user)
    assert client.post(edit.replace("edit/", "delete/")).status_code == 302  # refused, told why
    assert KeyResult.objects.filter(pk=kr.pk).exists()
    client.force_login(ada.user)
    out = client.post(edit.replace("edit/", "delete/"), follow=True)
    assert "Key result “More sign-ups” deleted." in out.content.decode()
    assert not KeyResult.objects.filter(pk=kr.pk).exists()


def test_another_goals_key_result_is_a_404(client, ada, signups):
    one, two = a_goal(ada, "One"), a_goal(ada, "Two")
    kr = a_key_result(ada, one)
    client.force_login(ada.user)
    url = f"/w/{ada.workspace.slug}/goals/{two.pk}/key-results/{kr.pk}/edit/"
    assert client.get(url).status_code == 404
    assert client.post(url.replace("edit/", "delete/")).status_code == 404
