"""Goals' writes and statuses: refusals write nothing and name the problem; the status reads
the rollups, says "no data" without facts, and explains itself in words."""

import pytest

from meridian.core.errors import NotFound, PermissionDenied, ValidationFailed
from meridian.goals.models import Goal, GoalNote, KeyResult
from meridian.goals.selectors import goal_list_for, status_of
from meridian.goals.services import GoalFields, goal_update, note_add
from meridian.workspaces.services import team_create
from tests.goals.conftest import DUE, a_goal, a_key_result, push_daily

pytestmark = pytest.mark.django_db


def test_a_parent_that_closes_a_loop_is_refused_naming_the_cycle(ada):
    top = a_goal(ada, "Top")
    mid = a_goal(ada, "Mid", parent_id=top.pk)
    low = a_goal(ada, "Low", parent_id=mid.pk)
    with pytest.raises(ValidationFailed) as caught:
        goal_update(acting=ada, goal=top, fields=GoalFields(title="Top", due=DUE, parent_id=low.pk))
    assert caught.value.errors["parent"] == [
        "That parent makes a cycle: “Top” → “Low” → “Mid” → “Top”."
    ]
    top.refresh_from_db()
    assert top.parent_id is None
    assert [(g.title, d) for g, d in goal_list_for(ada)] == [("Top", 0), ("Mid", 1), ("Low", 2)]


def test_a_goal_cannot_support_itself(ada):
    goal = a_goal(ada)
    with pytest.raises(ValidationFailed):
        goal_update(acting=ada, goal=goal, fields=GoalFields(title="G", due=DUE, parent_id=goal.pk))


def test_another_workspaces_parent_or_team_is_not_found(ada, outsider):
    theirs = a_goal(outsider, "Theirs")
    team = team_create(acting=outsider, name="Zeta team")
    with pytest.raises(NotFound):
        a_goal(ada, parent_id=theirs.pk)
    with pytest.raises(NotFound):
        a_goal(ada, team_id=team.pk)
    assert Goal.objects.filter(workspace=ada.workspace).count() == 0


@pytest.mark.parametrize(
    ("over", "field", "words"),
    [
        ({"metric": "nope"}, "metric", "No metric “nope”"),
        ({"target": 0.0}, "target", "equals the baseline"),
        ({"due": DUE.replace(day=1), "start": DUE}, "due", "on or after the start"),
        ({"title": " "}, "title", "needs a title"),
    ],
)
def test_a_bad_key_result_is_a_field_error_and_nothing_is_written(ada, signups, over, field, words):
    goal = a_goal(ada)
    with pytest.raises(ValidationFailed) as caught:
        a_key_result(ada, goal, **over)
    assert words in caught.value.errors[field][0]
    assert KeyResult.objects.count() == 0


def test_a_subject_in_another_workspace_is_not_found(ada, outsider, signups):
    goal = a_goal(ada)
    team = team_create(acting=outsider, name="Zeta team")
    with pytest.raises(NotFound):
        a_key_result(ada, goal, subject="team", subject_id=team.pk)
    with pytest.raises(NotFound):
        a_key_result(ada, goal, subject="member", subject_id=outsider.pk)
    assert KeyResult.objects.count() == 0


def test_without_facts_the_status_is_no_data_never_zero(ada, signups):
    status = status_of(a_key_result(ada, a_goal(ada)))
    assert status.forecast.status == "no_data" and status.forecast.current is None
    assert status.label == "No data" and status.percent is None
    assert status.sentence.startswith("No data yet")


def test_the_needed_pace_is_on_track_and_explained_in_words(ada, signups):
    kr = a_key_result(ada, a_goal(ada))
    push_daily(ada, signups, 10)  # 1 to 5 November: 10 a day, 300 needs 10 a day for 30 days
    status = status_of(kr)
    assert status.forecast.status == "on_track"
    assert status.forecast.current == 50
    assert status.sentence == "At the current pace 300 of 300 by 30 November."
    assert status.percent == 17


def test_a_slower_pace_is_at_risk_then_off_track(ada, signups):
    kr = a_key_result(ada, a_goal(ada), target=330.0)  # 300 / 330 = 91 %: at risk
    push_daily(ada, signups, 10)
    assert status_of(kr).forecast.status == "at_risk"
    kr.target = 600.0
    kr.save()
    assert status_of(kr).forecast.status == "off_track"
    assert status_of(kr).sentence == "At the current pace 300 of 600 by 30 November."


def test_a_target_below_the_baseline_counts_the_way_down(ada, signups):
    kr = a_key_result(ada, a_goal(ada), baseline=400.0, target=100.0)
    push_daily(ada, signups, 10)
    assert status_of(kr).forecast.status == "off_track"  # going up, not down


def test_only_the_owner_or_an_admin_writes_notes(ada, bo):
    goal = a_goal(bo)
    note_add(acting=bo, goal=goal, body="On *track*")
    note_add(acting=ada, goal=goal, body="Seen")
    other = a_goal(ada)
    with pytest.raises(PermissionDenied):
        note_add(acting=bo, goal=other, body="Not mine")
    with pytest.raises(ValidationFailed):
        note_add(acting=bo, goal=goal, body="  ")
    assert GoalNote.objects.count() == 2


def test_a_mean_metric_reads_the_running_mean_and_a_level_its_running_total(ada):
    from datetime import timedelta

    from meridian.metrics.services import custom_metric_create, value_push
    from tests.goals.conftest import NOW

    nps = custom_metric_create(
        acting=ada, key="nps", label="NPS", definition="S", aggregation="mean"
    )
    seats = custom_metric_create(
        acting=ada, key="seats", label="Seats", definition="S", aggregation="level"
    )
    # Seats before the start count towards the level; a mean only averages since the start.
    value_push(acting=ada, metric=seats, at=NOW - timedelta(days=20), value=100)
    value_push(acting=ada, metric=nps, at=NOW - timedelta(days=20), value=-50)
    push_daily(ada, nps, 40)
    push_daily(ada, seats, 1)
    goal = a_goal(ada)
    mean = status_of(a_key_result(ada, goal, metric="nps", baseline=0.0, target=40.0))
    level = status_of(a_key_result(ada, goal, metric="seats", baseline=100.0, target=130.0))
    assert mean.key_result.aggregation == "mean" and mean.forecast.current == 40
    assert mean.forecast.status == "on_track"
    assert level.key_result.aggregation == "latest" and level.forecast.current == 105
    assert level.sentence == "At the current pace 130 of 130 by 30 November."
