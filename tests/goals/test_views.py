"""The goals pages: the tree, a goal's key results with status, sentence, progress with a text
alternative and a link to the metric's items; notes rendered as escaped Markdown."""

import pytest

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
    assert f"/w/{ada.workspace.slug}/metrics/signups/" in html


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
