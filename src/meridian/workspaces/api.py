"""The workspaces API: workspaces, members, teams, profiles, invitations, and the audit log."""

from datetime import date

from django.db.models import QuerySet
from django.utils import timezone
from ninja import Query, Router, Schema, Status
from ninja.pagination import paginate

from meridian.core.errors import PermissionDenied
from meridian.core.models import AuditEntry
from meridian.core.moments import local_date
from meridian.core.pagination import CursorPagination
from meridian.core.schemas import Problem
from meridian.workspaces.access import (
    ApiRequest,
    invitation_get_for,
    member_get_for,
    requires,
    team_get_for,
    time_off_get_for,
)
from meridian.workspaces.models import (
    Invitation,
    Membership,
    Profile,
    Role,
    Team,
    TimeOff,
    Workspace,
)
from meridian.workspaces.schemas import (
    AuditEntryOut,
    InvitationIn,
    InvitationOut,
    MemberOut,
    ProfileIn,
    ProfileOut,
    RoleIn,
    TeamIn,
    TeamMemberIn,
    TeamOut,
    TimeOffIn,
    TimeOffOut,
    WorkspaceIn,
    WorkspaceOut,
)
from meridian.workspaces.selectors import (
    AuditFilters,
    MemberFilters,
    audit_list_for,
    invitation_list_for,
    member_list_for,
    team_list_for,
    team_members_for,
    time_off_list_for,
    workspace_list_for,
)
from meridian.workspaces.services import (
    invitation_create,
    invitation_revoke,
    member_deactivate,
    member_set_role,
    profile_update,
    team_add_member,
    team_create,
    team_remove_member,
    team_update,
    time_off_add,
    time_off_remove,
    workspace_create,
)

router = Router(tags=["workspaces"])
# The audit log keeps a section of its own in the API documentation.
audit_router = Router(tags=["audit"])


class MemberQuery(Schema):
    q: str = ""
    role: str = ""
    team: str = ""


@router.get("/workspaces", response=list[WorkspaceOut])
@paginate(CursorPagination, key="name")
def workspaces(request: ApiRequest) -> QuerySet[Workspace]:
    """The workspaces you belong to, by name (a token sees only its own)."""
    mine = workspace_list_for(user=request.user)
    if hasattr(request, "api_token"):
        return mine.filter(pk=request.membership.workspace_id)
    return mine


@router.post("/workspaces", response={201: WorkspaceOut, 403: Problem})
def workspace_new(request: ApiRequest, payload: WorkspaceIn) -> Status[Workspace]:
    """Create a workspace (signed-in session only); you become its admin."""
    if hasattr(request, "api_token"):
        # A token is scoped to one workspace; it must not reach beyond it.
        raise PermissionDenied("A token is scoped to its workspace; sign in to create a workspace.")
    return Status(201, workspace_create(user=request.user, name=payload.name, slug=payload.slug))


@router.get("/members", response=list[MemberOut])
@requires(Role.GUEST)
@paginate(CursorPagination, key="profile__display_name")
def members(request: ApiRequest, filters: Query[MemberQuery]) -> QuerySet[Membership]:
    """Active members of the workspace by display name, filterable by text, role and team."""
    return member_list_for(viewer=request.membership, filters=MemberFilters(**filters.dict()))


@router.get("/members/{member_id}", response={200: MemberOut, 404: Problem})
@requires(Role.GUEST)
def member(request: ApiRequest, member_id: int) -> Membership:
    """One member of the workspace."""
    return member_get_for(request.membership, member_id)


@router.put(
    "/members/{member_id}/role", response={200: MemberOut, 403: Problem, 404: Problem, 409: Problem}
)
@requires(Role.ADMIN)
def member_role(request: ApiRequest, member_id: int, payload: RoleIn) -> Membership:
    """Change a member's role (admins only); the last admin cannot step down."""
    target = member_get_for(request.membership, member_id)
    return member_set_role(acting=request.membership, member=target, role=payload.role)


@router.get("/profile", response=ProfileOut)
@requires(Role.GUEST)
def profile(request: ApiRequest) -> Profile:
    """Your profile in this workspace: zone, working hours, focus blocks, digest time."""
    return request.membership.profile


@router.patch("/profile", response=ProfileOut)
@requires(Role.GUEST)
def profile_edit(request: ApiRequest, payload: ProfileIn) -> Profile:
    """Change the fields you send; if any is invalid, nothing changes and each problem is named."""
    me = request.membership
    return profile_update(acting=me, member=me, **payload.dict(exclude_unset=True))


@router.get("/teams", response=list[TeamOut])
@requires(Role.GUEST)
@paginate(CursorPagination, key="name")
def teams(request: ApiRequest) -> QuerySet[Team]:
    """Teams of the workspace by name, with their member counts."""
    return team_list_for(viewer=request.membership)


@router.post("/teams", response={201: TeamOut, 403: Problem})
@requires(Role.MEMBER)
def team_new(request: ApiRequest, payload: TeamIn) -> Status[Team]:
    """Create a team (members and admins; guests only read)."""
    team = team_create(
        acting=request.membership, name=payload.name, description=payload.description
    )
    return Status(201, team_list_for(viewer=request.membership).get(pk=team.pk))


@router.patch("/teams/{team_slug}", response={200: TeamOut, 403: Problem, 404: Problem})
@requires(Role.MEMBER)
def team_edit(request: ApiRequest, team_slug: str, payload: TeamIn) -> Team:
    """Rename a team or change its description."""
    team = team_get_for(request.membership, team_slug)
    team_update(
        acting=request.membership, team=team, name=payload.name, description=payload.description
    )
    return team_list_for(viewer=request.membership).get(pk=team.pk)


@router.get("/teams/{team_slug}/members", response={200: list[MemberOut], 404: Problem})
@requires(Role.GUEST)
@paginate(CursorPagination, key="profile__display_name")
def team_members(request: ApiRequest, team_slug: str) -> QuerySet[Membership]:
    """Active members of one team, by display name."""
    team = team_get_for(request.membership, team_slug)
    return team_members_for(viewer=request.membership, team=team)


@router.post(
    "/teams/{team_slug}/members",
    response={201: MemberOut, 403: Problem, 404: Problem, 409: Problem},
)
@requires(Role.MEMBER)
def team_member_add(
    request: ApiRequest, team_slug: str, payload: TeamMemberIn
) -> Status[Membership]:
    """Add a member of the workspace to a team."""
    team = team_get_for(request.membership, team_slug)
    target = member_get_for(request.membership, payload.membership_id)
    team_add_member(acting=request.membership, team=team, member=target)
    return Status(201, member_get_for(request.membership, target.pk))


@router.delete(
    "/teams/{team_slug}/members/{member_id}", response={204: None, 403: Problem, 404: Problem}
)
@requires(Role.MEMBER)
def team_member_remove(request: ApiRequest, team_slug: str, member_id: int) -> Status[None]:
    """Take a member out of a team."""
    team = team_get_for(request.membership, team_slug)
    target = member_get_for(request.membership, member_id)
    team_remove_member(acting=request.membership, team=team, member=target)
    return Status(204, None)


@router.post("/invitations", response={201: InvitationOut, 403: Problem})
@requires(Role.ADMIN)
def invitation_new(request: ApiRequest, payload: InvitationIn) -> Status[Invitation]:
    """Invite a person by email (admins only); the one-time link goes to them by email."""
    invitation, _ = invitation_create(
        acting=request.membership, email=payload.email, role=payload.role
    )
    return Status(201, invitation)


@router.get("/invitations", response=list[InvitationOut])
@requires(Role.ADMIN)
@paginate(CursorPagination, key="-created_at")
def invitations(request: ApiRequest) -> QuerySet[Invitation]:
    """Open invitations of the workspace, newest first (admins only)."""
    return invitation_list_for(viewer=request.membership)


@router.delete(
    "/invitations/{invitation_id}", response={204: None, 403: Problem, 404: Problem, 409: Problem}
)
@requires(Role.ADMIN)
def invitation_delete(request: ApiRequest, invitation_id: int) -> Status[None]:
    """Withdraw an unused invitation; its link stops working at once (admins only)."""
    invitation = invitation_get_for(request.membership, invitation_id)
    invitation_revoke(acting=request.membership, invitation=invitation)
    return Status(204, None)


@router.delete(
    "/members/{member_id}", response={204: None, 403: Problem, 404: Problem, 409: Problem}
)
@requires(Role.ADMIN)
def member_remove(request: ApiRequest, member_id: int) -> Status[None]:
    """Remove a member's access (admins only); their history stays and their tokens are revoked."""
    target = member_get_for(request.membership, member_id)
    member_deactivate(acting=request.membership, member=target)
    return Status(204, None)


class AuditQuery(Schema):
    action: str = ""
    actor: str = ""
    object_type: str = ""
    since: date | None = None
    until: date | None = None


@audit_router.get("/audit", response={200: list[AuditEntryOut], 403: Problem})
@requires(Role.ADMIN)
@paginate(CursorPagination, key="-created_at")
def audit_list(request: ApiRequest, filters: Query[AuditQuery]) -> QuerySet[AuditEntry]:
    """The workspace's audit log, newest first (admins only)."""
    return audit_list_for(viewer=request.membership, filters=AuditFilters(**filters.dict()))


# --- Time off ---------------------------------------------------------------------------------


class TimeOffQuery(Schema):
    member_id: int | None = None
    upcoming: bool = False


@router.get("/time-off", response={200: list[TimeOffOut], 404: Problem})
@requires(Role.GUEST)
@paginate(CursorPagination, key="first_day")
def time_off(request: ApiRequest, filters: Query[TimeOffQuery]) -> QuerySet[TimeOff]:
    """Your time off by first day (admins: anyone's, or one member's with ``member_id``);
    ``upcoming=true`` leaves out what has ended."""
    viewer = request.membership
    member = member_get_for(viewer, filters.member_id) if filters.member_id else None
    today = local_date(timezone.now(), viewer.profile.time_zone) if filters.upcoming else None
    return time_off_list_for(viewer=viewer, member=member, upcoming_from=today)


@router.post("/time-off", response={201: TimeOffOut, 403: Problem, 404: Problem, 422: Problem})
@requires(Role.GUEST)
def time_off_new(request: ApiRequest, payload: TimeOffIn) -> Status[TimeOff]:
    """Enter days away (your own; admins may name another member with ``member_id``)."""
    viewer = request.membership
    member = member_get_for(viewer, payload.member_id) if payload.member_id else viewer
    entry = time_off_add(
        acting=viewer,
        member=member,
        first_day=payload.first_day,
        last_day=payload.last_day,
        note=payload.note,
    )
    return Status(201, time_off_list_for(viewer=viewer).get(pk=entry.pk))


@router.delete("/time-off/{time_off_id}", response={204: None, 404: Problem})
@requires(Role.GUEST)
def time_off_delete(request: ApiRequest, time_off_id: int) -> Status[None]:
    """Take back time off (your own; admins anyone's)."""
    entry = time_off_get_for(request.membership, time_off_id)
    time_off_remove(acting=request.membership, entry=entry)
    return Status(204, None)
