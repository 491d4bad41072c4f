"""Who may do what with a dashboard: 404 alike for a subject that is missing or another
workspace's, and who counts as a team's lead."""

from meridian.core.errors import NotFound
from meridian.goals.models import Goal
from meridian.workspaces.models import Membership, Role, Team


def team_get_for(viewer: Membership, team_id: int) -> Team:
    """A team of the viewer's workspace; 404 when missing or another workspace's."""
    team = Team.objects.filter(workspace_id=viewer.workspace_id, pk=team_id).first()
    if team is None:
        raise NotFound("No such team in this workspace.")
    return team


def may_customize(viewer: Membership, team_id: int) -> bool:
    """Admins, and the team's leads — whoever owns one of the team's goals (a lead is a role
    someone inhabits by setting the team's goals, not a rank) — choose its dashboard."""
    if viewer.has_role(Role.ADMIN):
        return True
    if not viewer.has_role(Role.MEMBER):
        return False
    return Goal.objects.filter(
        workspace_id=viewer.workspace_id, team_id=team_id, owner_id=viewer.pk
    ).exists()
