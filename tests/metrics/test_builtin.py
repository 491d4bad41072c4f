"""The built-in metrics other areas register: briefs and decisions (async communication),
tracking (time, under the tracking policy), and the team each member's facts count for."""

from datetime import timedelta

import pytest

from meridian.briefs.services import Meeting, question_answer, respond
from meridian.metrics import selectors
from meridian.metrics.models import MetricFact, MetricRollup
from meridian.tracking.services import policy_update
from meridian.work.services import task_update
from meridian.workspaces.services import team_add_member, team_create
from tests.briefs.factories import brief, comment, person
from tests.decisions.factories import decided, proposal, vote
from tests.metrics.conftest import NOW
from tests.support import IMMEDIATE_TASKS
from tests.tracking.factories import entry, slots, sync
from tests.work.factories import project, task

pytestmark = pytest.mark.django_db


@pytest.fixture
def commits(django_capture_on_commit_callbacks):
    def run(call, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return call(*args, **kwargs)

    return run


def value(viewer, key, subject="workspace", subject_id=None, days=7):
    metric = selectors.metric_get_for(viewer, key)
    period = selectors.last_days(days, viewer.workspace_id)
    return selectors.values_for(viewer, [metric], period, subject=subject, subject_id=subject_id)[
        key
    ]


def facts(metric):
    return sorted(MetricFact.objects.filter(metric=metric).values_list("value", "member_id"))


def test_the_catalogue_lists_the_async_and_time_metrics_with_their_definitions(ada):
    listed = {m.key: m for m in selectors.metric_list_for(ada)}
    for key in (
        "brief_response_time",
        "brief_completeness",
        "brief_questions_open",
        "sync_hours_saved",
        "decision_lead_time",
        "decision_participation",
        "time_tracked",
        "time_outside_hours",
        "activity_hours",
        "focus_hours",
        "time_blocked",
        "checkin_open_blockers",
    ):
        assert listed[key].definition and listed[key].formula and listed[key].unit


def test_a_response_gives_its_time_in_the_participants_working_hours_and_completeness(
    ada, bo, clock, commits
):
    cy = person(ada.workspace, "UTC", display_name="Cy")
    # Thursday 15:00 UTC = 16:00 in Berlin; Ada works 9 to 5 there.
    item = commits(brief, bo, [ada, cy], meeting=Meeting(people=4, minutes=45))
    clock.move_to(NOW + timedelta(days=1, hours=-4))  # Friday 12:00 in Berlin
    commits(respond, acting=ada, brief=item, body="Fine by me.")
    # Thursday 16:00-17:00 and Friday 9:00-12:00 in Berlin.
    assert facts("brief_response_time") == [(4.0, ada.pk)]
    assert value(ada, "brief_response_time").number == 4.0
    assert facts("brief_completeness") == [(0.0, cy.pk), (100.0, ada.pk)]
    assert value(ada, "brief_completeness").number == 50.0
    assert value(ada, "brief_completeness", "member", cy.pk).number == 0.0
    assert value(ada, "sync_hours_saved").number == 3.0  # 4 people × 45 minutes
    assert value(ada, "sync_hours_saved", "member", bo.pk).number == 3.0


def test_a_brief_that_names_no_meeting_saves_no_hours_rather_than_zero(ada, bo, commits):
    commits(brief, bo, [ada])
    assert value(ada, "sync_hours_saved").number is None


def test_questions_stay_open_for_the_author_until_answered(ada, bo, clock, commits):
    item = commits(brief, ada, [bo])
    question = commits(comment, item, bo, body="Which plan?", is_question=True)
    commits(comment, item, bo, body="And when?", is_question=True)
    clock.move_to(NOW + timedelta(hours=1))
    assert value(ada, "brief_questions_open").number == 2
    assert value(ada, "brief_questions_open", "member", ada.pk).number == 2
    commits(question_answer, acting=ada, question=question)
    clock.move_to(NOW + timedelta(hours=2))
    assert value(ada, "brief_questions_open").number == 1


def test_a_decision_gives_its_lead_time_and_who_took_part(ada, bo, clock, commits):
    cy = person(ada.workspace, "UTC", display_name="Cy")
    item = commits(proposal, ada, [bo, cy])  # Thursday 16:00 in Berlin
    commits(vote, bo, item, position="agree")
    clock.move_to(NOW + timedelta(days=1, hours=-5))  # Friday 11:00 in Berlin
    commits(decided, item)
    assert facts("decision_lead_time") == [(3.0, ada.pk)]
    participation = value(ada, "decision_participation")
    # Ada (the owner, asked too), Bo took part; Cy did not.
    took = dict(
        MetricFact.objects.filter(metric="decision_participation").values_list("member_id", "value")
    )
    assert took[bo.pk] == 100.0 and took[cy.pk] == 0.0
    assert participation.number == pytest.approx(
        100 * sum(v > 0 for v in took.values()) / len(took)
    )


def test_tracked_time_counts_its_hours_and_those_outside_working_hours(ada, commits):
    # Wednesday 15:00-18:00 UTC = 16:00-19:00 in Berlin: one hour in, two outside.
    commits(entry, ada, NOW - timedelta(days=1), minutes=180)
    assert facts("time_tracked") == [(3.0, ada.pk)]
    assert facts("time_outside_hours") == [(2.0, ada.pk)]
    assert value(ada, "time_outside_hours", "member", ada.pk).number == 2.0


def test_a_persons_time_is_theirs_and_a_team_shows_only_with_k_members(ada, bo, commits):
    commits(entry, bo, NOW - timedelta(hours=2), minutes=60)
    assert value(bo, "time_tracked", "member", bo.pk).number == 1.0
    assert value(ada, "time_tracked", "member", bo.pk).number is None  # the policy: self only
    team = team_create(acting=ada, name="Small")
    team_add_member(acting=ada, team=team, member=bo)
    commits(entry, bo, NOW - timedelta(hours=4), minutes=60)  # written with Bo in the team
    assert value(bo, "time_tracked", "team", team.pk).number is None  # 1 member < k = 5
    items, total = selectors.items_for(
        ada, selectors.metric_get_for(ada, "time_tracked"), selectors.last_days(7, ada.workspace_id)
    )
    assert (items, total) == ([], 0)  # under k people: not even the workspace's
    policy_update(
        acting=ada,
        allow_apps=False,
        allow_titles=False,
        retention_days=30,
        min_group_size=2,
        individual_visibility="everyone",
    )
    assert value(ada, "time_tracked", "member", bo.pk).number == 2.0


def test_reading_another_persons_time_metrics_goes_to_their_access_log(ada, bo, commits):
    from meridian.tracking.models import TrackingAccess

    commits(entry, bo, NOW - timedelta(hours=2), minutes=60)
    value(bo, "time_tracked", "member", bo.pk)  # one's own figures: not logged
    value(ada, "time_tracked", "member", bo.pk)  # refused by the policy: nothing read
    value(ada, "tasks_completed", "member", bo.pk)  # not a time metric
    assert not TrackingAccess.objects.exists()
    policy_update(
        acting=ada,
        allow_apps=False,
        allow_titles=False,
        retention_days=30,
        min_group_size=2,
        individual_visibility="everyone",
    )
    assert value(ada, "time_tracked", "member", bo.pk).number == 1.0
    logged = TrackingAccess.objects.get()
    assert (logged.subject_id, logged.viewer_id) == (bo.pk, ada.pk)
    assert "Hours tracked" in logged.what
    value(ada, "time_tracked", "workspace")  # the workspace's: nobody's own figures
    assert TrackingAccess.objects.count() == 1
    # Bo's dashboard, which shows his time charts to Ada now, is a read too.
    from meridian.dashboards.selectors import dashboard_for

    dashboard_for(ada, "person", bo.pk)
    assert TrackingAccess.objects.filter(subject=bo, what__contains="person dashboard").exists()


def test_synced_activity_gives_hours_active_and_in_focus_categories_once_some_are_set(
    ada, commits, settings
):
    from meridian.tracking.services import focus_categories_set

    settings.TASKS = IMMEDIATE_TASKS  # a sync's facts are redone by a background task

    start = NOW - timedelta(days=1, hours=6)  # Wednesday 9:00 UTC
    commits(sync, ada, slots(start, 6, category="Coding", active=600))  # 1 hour
    commits(sync, ada, slots(start + timedelta(hours=2), 3, category="Meetings", active=900))
    assert sorted(
        MetricFact.objects.filter(metric="activity_hours").values_list("note", "value")
    ) == [
        ("Coding", 1.0),
        ("Meetings", 0.75),
    ]
    assert value(ada, "activity_hours", "member", ada.pk).number == 1.75
    # No category is focus yet: no data, not 0.
    assert value(ada, "focus_hours", "member", ada.pk).number is None
    commits(focus_categories_set, acting=ada, names=["Coding", " ", "coding"])
    assert value(ada, "focus_hours", "member", ada.pk).number == 1.0
    # Meetings too: the facts of the days in the categories that changed are redone.
    commits(focus_categories_set, acting=ada, names=["Meetings"])
    assert value(ada, "focus_hours", "member", ada.pk).number == 0.75


def test_only_admins_set_focus_categories_and_long_names_are_refused(ada, bo):
    from meridian.core.errors import PermissionDenied, ValidationFailed
    from meridian.tracking.models import FocusCategory
    from meridian.tracking.services import focus_categories_set

    with pytest.raises(PermissionDenied):
        focus_categories_set(acting=bo, names=["Coding"])
    with pytest.raises(ValidationFailed) as refused:
        focus_categories_set(acting=ada, names=["x" * 101])
    assert "100 characters" in str(refused.value.errors["names"])
    assert not FocusCategory.objects.exists()


def test_a_members_facts_count_for_their_first_team(ada, bo, commits):
    first = team_create(acting=ada, name="Design")
    later = team_create(acting=ada, name="Guild")
    team_add_member(acting=ada, team=first, member=bo)
    team_add_member(acting=ada, team=later, member=bo)
    item = commits(task, ada, project(ada), owner=bo)
    commits(task_update, actor=bo, task=item, version=item.version, changes={"status": "done"})
    assert value(ada, "tasks_completed", "team", first.pk).number == 1
    assert value(ada, "tasks_completed", "team", later.pk).number is None
    assert MetricRollup.objects.filter(
        metric="tasks_completed", subject="team", subject_id=first.pk
    ).exists()


def test_a_goal_cannot_show_everyone_a_persons_tracked_time(ada, bo):
    from datetime import date

    from meridian.core.errors import ValidationFailed
    from meridian.goals.services import GoalFields, KeyResultFields, goal_create, key_result_add

    goal = goal_create(acting=ada, fields=GoalFields(title="Rest", due=date(2026, 12, 31)))
    fields = KeyResultFields(
        title="Bo's hours",
        metric="time_tracked",
        baseline=0,
        target=10,
        start=date(2026, 11, 1),
        due=date(2026, 12, 31),
        subject="member",
        subject_id=bo.pk,
    )
    with pytest.raises(ValidationFailed) as refused:
        key_result_add(acting=ada, goal=goal, fields=fields)
    assert "people's own time" in str(refused.value.errors["subject"])
    assert not goal.key_results.exists()
