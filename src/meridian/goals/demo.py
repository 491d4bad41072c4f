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
    customers = teams.get("Customers")
    if customers is not None:
        support = goal_create(
            acting=admin,
            fields=GoalFields(
                title="Answer every customer within a working day",
                due=due,
                team_id=customers.pk,
                parent_id=grow.pk,
            ),
        )
        key_result_add(
            acting=admin,
            goal=support,
            fields=KeyResultFields(
                title="Tickets closed by the Customers team",
                metric="tickets_closed",
                baseline=0,
                target=700,
                start=start,
                due=due,
                subject="team",
                subject_id=customers.pk,
            ),
        )
    platform = teams.get("Platform")
    if platform is not None:
        ship = goal_create(
            acting=admin,
            fields=GoalFields(
                title="Ship the worker rewrite", due=due, team_id=platform.pk, parent_id=grow.pk
            ),
        )
        key_result_add(
            acting=admin,
            goal=ship,
            fields=KeyResultFields(
                title="Tasks completed by the Platform team",
                metric="tasks_completed",
                baseline=0,
                target=120,
                start=start,
                due=due,
                subject="team",
                subject_id=platform.pk,
            ),
        )
