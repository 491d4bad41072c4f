"""The goals' part of ``meridian demo``: goals whose key results already have months of data
(the metrics' demo history), so that each shows a status and a forecast on first run."""

from datetime import timedelta

from django.utils import timezone

from meridian.core.moments import local_date
from meridian.goals.services import GoalFields, KeyResultFields, goal_create, key_result_add
from meridian.metrics.services import zone_fixed
from meridian.workspaces.models import Membership, Role, Team, Workspace


def demo_goals(workspace: Workspace, members: dict[str, Membership]) -> None:
    """A workspace goal with a team goal under it, each with key results on live metrics."""
    admin = next(m for m in members.values() if m.role == Role.ADMIN)
    today = local_date(timezone.now(), zone_fixed(workspace.pk))
    start, due = today - timedelta(days=75), today + timedelta(days=45)
    teams = {t.name: t for t in Team.objects.filter(workspace=workspace)}
    grow = goal_create(
        acting=admin,
        fields=GoalFields(
            title="Grow to 3,000 new accounts this quarter",
            due=due,
            description="Sign-ups from the website, and keeping the people who came.",
        ),
    )
    key_result_add(
        acting=admin,
        goal=grow,
        fields=KeyResultFields(
            title="Sign-ups since the start of the quarter",
            metric="signups",
            baseline=0,
            target=3000,
            start=start,
            due=due,
        ),
    )
    key_result_add(
        acting=admin,
        goal=grow,
        fields=KeyResultFields(
            title="Customer satisfaction at 8 or more",
            metric="satisfaction",
            baseline=7.0,
            target=8.0,
            start=start,
            due=due,
        ),
    )
    # Each team's goal under the workspace's, with one key result on a metric the team moves.
    team_goals = (
        ("Customers", "Answer every customer within a working day", "Tickets closed by the "
         "Customers team", "tickets_closed", 700),
        ("Platform", "Ship the worker rewrite", "Tasks completed by the Platform team",
         "tasks_completed", 120),
    )  # fmt: skip
    for team_name, title, kr_title, metric, target in team_goals:
        team = teams.get(team_name)
        if team is None:
            continue
        goal = goal_create(
            acting=admin,
            fields=GoalFields(title=title, due=due, team_id=team.pk, parent_id=grow.pk),
        )
        key_result_add(
            acting=admin,
            goal=goal,
            fields=KeyResultFields(
                title=kr_title,
                metric=metric,
                baseline=0,
                target=target,
                start=start,
                due=due,
                subject="team",
                subject_id=team.pk,
            ),
        )
