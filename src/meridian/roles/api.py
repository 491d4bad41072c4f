"""The roles API: roles with their duties, holders and history; assigning, ticking, rotas."""

from typing import Any

from django.db.models import QuerySet
from ninja import Query, Router, Schema, Status
from ninja.pagination import paginate

from meridian.core.errors import NotFound, ValidationFailed
from meridian.core.pagination import CursorPagination
from meridian.core.schemas import Problem
from meridian.roles.access import duty_get_for, role_get_for
from meridian.roles.models import Role, RoleHolding
from meridian.roles.schemas import (
    AssignIn,
    DutyOut,
    HolderOut,
    PersonOut,
    RoleCreateIn,
    RoleOut,
    RolePatch,
    RoleSummaryOut,
    RotaIn,
    RotaOut,
    TickIn,
)
from meridian.roles.selectors import (
    RoleDetail,
    role_detail_for,
    role_list_for,
)
from meridian.roles.services import (
    DutyIn,
    duty_tick,
    holder_assign,
    holder_release,
    role_create,
    role_update,
    rota_remove,
    rota_set,
)
from meridian.workspaces.access import ApiRequest, member_get_for, requires
from meridian.workspaces.models import Membership
from meridian.workspaces.models import Role as MemberRole

router = Router(tags=["roles"])


class RoleQuery(Schema):
    archived: bool = False


def _person(member: Membership | None) -> dict[str, Any] | None:
    if member is None:
        return None
    return {"id": member.pk, "name": member.profile.display_name}


def _holder(h: RoleHolding) -> dict[str, Any]:
    return {"member": _person(h.membership), "started_at": h.started_at, "how": h.how}


def _rota(detail: RoleDetail) -> dict[str, Any] | None:
    rota = detail.rota
    if rota is None:
        return None
    return {
        "member_ids": rota.member_ids,
        "period": rota.period,
        "every_days": rota.every_days,
        "weekday": rota.weekday,
        "at": rota.at,
        "zone": rota.zone,
        "starts_on": rota.starts_on,
        "note": rota.note,
        "upcoming": [
            {
                "turn": p.turn.n,
                "starts_at": p.turn.starts_at,
                "ends_at": p.turn.ends_at,
                "first_day": p.turn.first_day,
                "last_day": p.turn.last_day,
                "member": _person(p.member),
                "kept": p.turn.kept,
            }
            for p in detail.upcoming
        ],
    }


def _detail(viewer: Membership, role: Role) -> dict[str, Any]:
    detail = role_detail_for(viewer=viewer, role=role)
    duties = [
        DutyOut(
            id=line.duty.pk,
            text=line.duty.text,
            cadence=line.duty.cadence,
            done=line.done,
            period_start=line.duty.current_period,  # type: ignore[attr-defined]
            done_by=PersonOut(**person)
            if line.check and (person := _person(line.check.checked_by))
            else None,
            done_at=line.check.checked_at if line.check else None,
        )
        for line in detail.duties
    ]
    return {
        "id": role.pk,
        "name": role.name,
        "version": role.version,
        "archived": role.is_archived,
        "responsibilities": role.responsibilities,
        "responsibilities_html": role.responsibilities_html,
        "duties": duties,
        "holders": [_holder(h) for h in detail.holdings],
        "history": [
            {
                **_holder(h),
                "ended_at": h.ended_at,
                "started_by": _person(h.started_by),
                "ended_by": _person(h.ended_by),
                "ended_how": h.ended_how,
            }
            for h in detail.history
        ],
        "rota": _rota(detail),
        "in_handover": detail.handover is not None,
        "created_at": role.created_at,
        "updated_at": role.updated_at,
    }


def _fresh(viewer: Membership, role_id: int) -> dict[str, Any]:
    return _detail(viewer, role_get_for(viewer, role_id))


@router.get("/roles", response=list[RoleSummaryOut])
@requires(MemberRole.GUEST)
@paginate(CursorPagination, key="name")
def roles(request: ApiRequest, filters: Query[RoleQuery]) -> QuerySet[Role]:
    """The workspace's roles by name, with current holders and duties done this period (in your
    zone); ``archived=true`` lists the archived ones."""
    return role_list_for(viewer=request.membership, archived=filters.archived)


@router.post("/roles", response={201: RoleOut, 403: Problem, 422: Problem})
@requires(MemberRole.MEMBER)
def role_new(request: ApiRequest, payload: RoleCreateIn) -> Status[dict[str, Any]]:
    """Describe a new role: name, responsibilities (Markdown) and recurring duties."""
    role = role_create(
        acting=request.membership,
        name=payload.name,
        responsibilities=payload.responsibilities,
        duties=[DutyIn(d.text, d.cadence) for d in payload.duties],
    )
    return Status(201, _fresh(request.membership, role.pk))


@router.get("/roles/{role_id}", response={200: RoleOut, 404: Problem})
@requires(MemberRole.GUEST)
def role(request: ApiRequest, role_id: int) -> dict[str, Any]:
    """One role: responsibilities, this period's duties, holders, history and rota."""
    return _fresh(request.membership, role_id)


@router.patch(
    "/roles/{role_id}",
    response={200: RoleOut, 403: Problem, 404: Problem, 409: Problem, 422: Problem},
)
@requires(MemberRole.MEMBER)
def role_patch(request: ApiRequest, role_id: int, payload: RolePatch) -> dict[str, Any]:
    """Change a role from the ``version`` you read; if someone saved since, 409 names what they
    changed and nothing is written."""
    role = role_get_for(request.membership, role_id)
    role_update(
        acting=request.membership,
        role=role,
        version=payload.version,
        name=payload.name,
        responsibilities=payload.responsibilities,
        duties=None
        if payload.duties is None
        else [DutyIn(d.text, d.cadence) for d in payload.duties],
        archived=payload.archived,
    )
    return _fresh(request.membership, role_id)


@router.post(
    "/roles/{role_id}/holders",
    response={201: HolderOut, 403: Problem, 404: Problem, 409: Problem, 422: Problem},
)
@requires(MemberRole.MEMBER)
def holder_new(request: ApiRequest, role_id: int, payload: AssignIn) -> Status[dict[str, Any]]:
    """Make a member a holder of the role from now."""
    viewer = request.membership
    role = role_get_for(viewer, role_id)
    try:
        member = member_get_for(viewer, payload.member_id)
    except NotFound:
        raise ValidationFailed.field(
            "member_id", "That person is not a member of this workspace."
        ) from None
    holding = holder_assign(acting=viewer, role=role, member=member)
    return Status(201, _holder(holding))


@router.delete(
    "/roles/{role_id}/holders/{member_id}", response={204: None, 403: Problem, 404: Problem}
)
@requires(MemberRole.MEMBER)
def holder_end(request: ApiRequest, role_id: int, member_id: int) -> Status[None]:
    """End a member's holding of the role now (it stays in the history)."""
    viewer = request.membership
    role = role_get_for(viewer, role_id)
    holder_release(acting=viewer, role=role, member=member_get_for(viewer, member_id))
    return Status(204, None)


@router.post(
    "/roles/{role_id}/duties/{duty_id}/tick",
    response={200: DutyOut, 403: Problem, 404: Problem, 422: Problem},
)
@requires(MemberRole.GUEST)
def duty_tick_api(request: ApiRequest, role_id: int, duty_id: int, payload: TickIn) -> DutyOut:
    """Tick (``done: true``) or untick a duty for its current period; current holders and
    admins only."""
    viewer = request.membership
    role = role_get_for(viewer, role_id)
    duty = duty_get_for(viewer, role, duty_id)
    duty_tick(acting=viewer, duty=duty, done=payload.done)
    detail = _detail(viewer, role)
    return next(d for d in detail["duties"] if d.id == duty.pk)


@router.get("/roles/{role_id}/rota", response={200: RotaOut, 404: Problem})
@requires(MemberRole.GUEST)
def rota(request: ApiRequest, role_id: int) -> dict[str, Any]:
    """The role's rota with its next turns computed (time off included); 404 when it has none."""
    detail = _detail(request.membership, role_get_for(request.membership, role_id))
    if detail["rota"] is None:
        raise NotFound("The role has no rota.")
    return detail["rota"]


@router.put(
    "/roles/{role_id}/rota", response={200: RotaOut, 403: Problem, 404: Problem, 422: Problem}
)
@requires(MemberRole.MEMBER)
def rota_put(request: ApiRequest, role_id: int, payload: RotaIn) -> dict[str, Any]:
    """Set or replace the rota: members in turn order, and when turns change."""
    viewer = request.membership
    role = role_get_for(viewer, role_id)
    rota_set(acting=viewer, role=role, **payload.dict())
    return _fresh(viewer, role_id)["rota"]


@router.delete("/roles/{role_id}/rota", response={204: None, 403: Problem, 404: Problem})
@requires(MemberRole.MEMBER)
def rota_delete(request: ApiRequest, role_id: int) -> Status[None]:
    """Take the role off its rota; its holders keep it."""
    role = role_get_for(request.membership, role_id)
    rota_remove(acting=request.membership, role=role)
    return Status(204, None)
