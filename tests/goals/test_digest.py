"""The weekly goal status in members' digests: their teams' goals and the workspace's, once a
week (the first digest sent in it), written by the goals area through the registry."""

from datetime import date, timedelta

import pytest

from meridian.delivery.emails import digest_message
from meridian.delivery.models import Digest
from meridian.workspaces.services import team_add_member, team_create
from tests.goals.conftest import NOW, a_goal, a_key_result, push_daily

pytestmark = pytest.mark.django_db

THURSDAY = NOW.date()


def body(digest):
    message = digest_message(digest, [])
    return message.body, message.alternatives[0][0]


def test_the_first_digest_of_the_week_tells_each_team_goals_status(ada, bo, signups):
    design = team_create(acting=ada, name="Design")
    other = team_create(acting=ada, name="Sales")
    team_add_member(acting=ada, team=design, member=bo)
    goal = a_goal(ada, title="Grow <fast>", team_id=design.pk)
    a_key_result(ada, goal)
    a_key_result(ada, goal, title="Nothing yet", target=5.0)
    push_daily(ada, signups, 10)
    a_goal(ada, title="Sell more", team_id=other.pk)
    a_goal(ada, title="Be kind")
    digest = Digest.objects.create(workspace=ada.workspace, recipient=bo, local_date=THURSDAY)
    text, html = body(digest)
    assert "Goals this week — Team Design" in text
    assert "Grow <fast> (due 30 November 2026): " in text
    assert "Goals this week — The whole workspace" in text
    assert "Be kind (due 30 November 2026): no key results yet" in text
    assert "Sell more" not in text  # not Bo's team
    assert "Grow &lt;fast&gt;" in html and "<fast>" not in html
    assert f"/goals/{goal.pk}/" in html


def test_later_digests_of_the_same_week_carry_no_goal_status(ada, bo, signups):
    a_goal(ada, title="Be kind")
    monday = THURSDAY - timedelta(days=THURSDAY.weekday())
    Digest.objects.create(
        workspace=ada.workspace, recipient=bo, local_date=monday, emailed_at=NOW - timedelta(3)
    )
    digest = Digest.objects.create(workspace=ada.workspace, recipient=bo, local_date=THURSDAY)
    assert "Goals this week" not in body(digest)[0]
    next_monday = Digest.objects.create(
        workspace=ada.workspace, recipient=bo, local_date=monday + timedelta(days=7)
    )
    assert "Goals this week" in body(next_monday)[0]


def test_a_workspace_without_goals_adds_nothing(ada, bo):
    digest = Digest.objects.create(
        workspace=ada.workspace, recipient=bo, local_date=date(2026, 11, 5)
    )
    assert "Goals" not in body(digest)[0]


def test_a_batch_of_digests_reads_the_goals_once_whatever_its_size(ada, bo, signups):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from meridian.delivery.emails import weekly_sections
    from tests.briefs.factories import person

    design = team_create(acting=ada, name="Design")
    people = [bo] + [person(ada.workspace, display_name=f"P{n}") for n in range(3)]
    for member in people:
        team_add_member(acting=ada, team=design, member=member)
    a_key_result(ada, a_goal(ada, title="Grow", team_id=design.pk))
    digests = [
        Digest.objects.create(workspace=ada.workspace, recipient=m, local_date=THURSDAY)
        for m in people
    ]
    with CaptureQueriesContext(connection) as one:
        alone = weekly_sections(digests[:1])
    with CaptureQueriesContext(connection) as three:
        batch = weekly_sections(digests[1:])
    assert len(three) == len(one)
    assert alone[digests[0].pk][0].title == "Goals this week — Team Design"
    assert all(batch[d.pk][0].lines[0].text.startswith("Grow") for d in digests[1:])
