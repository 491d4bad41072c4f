"""The tenancy test's victim goals: a goal (with marker words) carrying a key result and a note."""

from datetime import timedelta

from django.utils import timezone

from meridian.goals.services import (
    GoalFields,
    KeyResultFields,
    goal_create,
    key_result_add,
    note_add,
)
from meridian.workspaces.models import Membership, Team


def victim_goals(admin: Membership, team: Team) -> dict[str, int]:
    today = timezone.now().date()
    goal = goal_create(
        acting=admin,
        fields=GoalFields(
            title="Zeta Secret Works goal", due=today + timedelta(days=60), team_id=team.pk
        ),
    )
    kr = key_result_add(
        acting=admin,
        goal=goal,
        fields=KeyResultFields(
            title="Zeta Secret Works tasks",
            metric="tasks_completed",
            baseline=0,
            target=10,
            start=today,
            due=today + timedelta(days=30),
            subject="team",
            subject_id=team.pk,
        ),
    )
    note_add(acting=admin, goal=goal, body="Zeta Secret Works check-in")
    return {"goal_id": goal.pk, "kr_id": kr.pk}
