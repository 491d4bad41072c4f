"""The workspaces API: workspaces, members, teams, profiles, invitations."""

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Schema
from ninja.pagination import paginate

from meridian.core.pagination import CursorPagination
from meridian.core.schemas import Problem
from meridian.workspaces.access import member_get_for, requires, team_get_for
from meridian.workspaces.models import Role
from meridian.workspaces.schemas import (
    InvitationIn,
    InvitationOut,
    MemberOut,
    ProfileIn,
    ProfileOut,
    RoleIn,
    TeamIn,
    TeamMemberIn,
    TeamOut,
    WorkspaceIn,
    WorkspaceOut,
)
from meridian.workspaces.selectors import (
    MemberFilters,
    member_list_for,
    team_list_for,
    team_members_for,
    workspace_list_for,
)
from meridian.workspaces.services import (
    invitation_create,
    member_set_role,
    profile_update,
    team_add_member,
    team_create,
    team_remove_member,
    team_update,
    workspace_create,
)

router = Router(tags=["workspaces"])


class MemberQuery(Schema):
    q: str = ""
    role: str = ""
    team: str = ""


def _profile_out(member: Any) -> dict[str, Any]:
    p = member.profile
    return {
        "membership_id": member.pk,
        "display_name": p.display_name,
        "title": p.title,
        "time_zone": p.time_zone,
        "working_hours": p.working_hours,
        "focus_blocks": p.focus_blocks,
        "digest_time": p.digest_time,
        "locale": p.locale,
    }


@router.get("/workspaces", response=list[WorkspaceOut])
@requires(Role.GUEST)
def workspaces(request: HttpRequest) -> Any:
    """The workspaces you belong to (a token sees only its own)."""
    if getattr(request, "auth", None) is not None and request.headers.get("Authorization"):
        return [request.membership.workspace]  # type: ignore[attr-defined]
    return workspace_list_for(user=request.user)


@router.post("/workspaces", response={201: WorkspaceOut, 422: Problem})
@requires(Role.GUEST)
def workspace_new(request: HttpRequest, payload: WorkspaceIn) -> Any:
    """Create a workspace; you become its admin."""
    return 201, workspace_create(user=request.user, name=payload.name, slug=payload.slug)  # type: ignore[arg-type]


@router.get("/members", response=list[MemberOut])
@requires(Role.GUEST)
@paginate(CursorPagination, key="id")
def members(request: HttpRequest, filters: Query[MemberQuery]) -> Any:
    """Members of the workspace, filterable by text, role and team."""
    return member_list_for(viewer=request.membership, filters=MemberFilters(**filters.dict()))  # type: ignore[attr-defined]


@router.get("/members/{member_id}", response={200: MemberOut, 404: Problem})
@requires(Role.GUEST)
def member(request: HttpRequest, member_id: int) -> Any:
    """One member of the workspace."""
    return member_get_for(request.membership, member_id)  # type: ignore[attr-defined]


@router.put(
    "/members/{member_id}/role",
    response={200: MemberOut, 403: Problem, 404: Problem, 409: Problem, 422: Problem},
)
@requires(Role.ADMIN)
def member_role(request: HttpRequest, member_id: int, payload: RoleIn) -> Any:
    """Change a member's role (admins)."""
    target = member_get_for(request.membership, member_id)  # type: ignore[attr-defined]
    return member_set_role(acting=request.membership, member=target, role=payload.role)  # type: ignore[attr-defined]


@router.get("/profile", response=ProfileOut)
@requires(Role.GUEST)
def profile(request: HttpRequest) -> Any:
    """Your profile in this workspace: zone, working hours, focus blocks, digest time."""
    return _profile_out(request.membership)  # type: ignore[attr-defined]


@router.patch("/profile", response={200: ProfileOut, 422: Problem})
@requires(Role.GUEST)
def profile_edit(request: HttpRequest, payload: ProfileIn) -> Any:
    """Change your profile; an invalid field changes nothing."""
    me = request.membership  # type: ignore[attr-defined]
    data = payload.dict(exclude_unset=True)
    profile_update(acting=me, member=me, **data)
    me.profile.refresh_from_db()
    return _profile_out(me)


@router.get("/teams", response=list[TeamOut])
@requires(Role.GUEST)
def teams(request: HttpRequest) -> Any:
    """Teams of the workspace with member counts."""
    return team_list_for(viewer=request.membership)  # type: ignore[attr-defined]


@router.post("/teams", response={201: TeamOut, 403: Problem, 422: Problem})
@requires(Role.MEMBER)
def team_new(request: HttpRequest, payload: TeamIn) -> Any:
    """Create a team."""
    return 201, team_create(
        acting=request.membership, name=payload.name, description=payload.description
    )  # type: ignore[attr-defined]


@router.get("/teams/{team_slug}/members", response={200: list[MemberOut], 404: Problem})
@requires(Role.GUEST)
def team_members(request: HttpRequest, team_slug: str) -> Any:
    """Members of one team."""
    team = team_get_for(request.membership, team_slug)  # type: ignore[attr-defined]
    return team_members_for(viewer=request.membership, team=team).prefetch_related(  # type: ignore[attr-defined]
        "team_memberships__team"
    )


@router.patch("/teams/{team_slug}", response={200: TeamOut, 404: Problem, 422: Problem})
@requires(Role.MEMBER)
def team_edit(request: HttpRequest, team_slug: str, payload: TeamIn) -> Any:
    """Rename a team or change its description."""
    team = team_get_for(request.membership, team_slug)  # type: ignore[attr-defined]
    return team_update(
        acting=request.membership, team=team, name=payload.name, description=payload.description
    )  # type: ignore[attr-defined]


@router.post(
    "/teams/{team_slug}/members",
    response={201: MemberOut, 404: Problem, 409: Problem, 422: Problem},
)
@requires(Role.MEMBER)
def team_member_add(request: HttpRequest, team_slug: str, payload: TeamMemberIn) -> Any:
    """Add a member to a team."""
    team = team_get_for(request.membership, team_slug)  # type: ignore[attr-defined]
    target = member_get_for(request.membership, payload.membership_id)  # type: ignore[attr-defined]
    team_add_member(acting=request.membership, team=team, member=target)  # type: ignore[attr-defined]
    return 201, member_get_for(request.membership, target.pk)  # type: ignore[attr-defined]


@router.delete("/teams/{team_slug}/members/{member_id}", response={204: None, 404: Problem})
@requires(Role.MEMBER)
def team_member_remove(request: HttpRequest, team_slug: str, member_id: int) -> Any:
    """Take a member out of a team."""
    team = team_get_for(request.membership, team_slug)  # type: ignore[attr-defined]
    target = member_get_for(request.membership, member_id)  # type: ignore[attr-defined]
    team_remove_member(acting=request.membership, team=team, member=target)  # type: ignore[attr-defined]
    return 204, None


@router.post("/invitations", response={201: InvitationOut, 403: Problem, 422: Problem})
@requires(Role.ADMIN)
def invitation_new(request: HttpRequest, payload: InvitationIn) -> Any:
    """Invite a person by email (admins); the link goes to them by email."""
    invitation, _ = invitation_create(
        acting=request.membership, email=payload.email, role=payload.role
    )  # type: ignore[attr-defined]
    return 201, invitation
