"""Shapes of the roles API."""

from datetime import date, datetime, time
from typing import Any

from ninja import Field, Schema

from meridian.roles.models import (
    DUTIES_MAX,
    DUTY_MAX,
    NAME_MAX,
    RESPONSIBILITIES_MAX,
    ROTA_MEMBERS_MAX,
    Role,
)
from meridian.roles.selectors import duties_done


class DutyIn(Schema):
    text: str = Field(..., min_length=1, max_length=DUTY_MAX)
    cadence: str = Field("weekly", description="daily, weekly or monthly")


class RoleCreateIn(Schema):
    name: str = Field(..., min_length=1, max_length=NAME_MAX)
    responsibilities: str = Field("", max_length=RESPONSIBILITIES_MAX, description="Markdown")
    duties: list[DutyIn] = Field(default_factory=list, max_length=DUTIES_MAX)


class RolePatch(Schema):
    version: int = Field(..., description="The version you read; a stale one gets 409")
    name: str | None = Field(None, min_length=1, max_length=NAME_MAX)
    responsibilities: str | None = Field(None, max_length=RESPONSIBILITIES_MAX)
    duties: list[DutyIn] | None = Field(None, max_length=DUTIES_MAX)
    archived: bool | None = None


class PersonOut(Schema):
    id: int
    name: str


class HolderOut(Schema):
    member: PersonOut
    started_at: datetime
    how: str


class HoldingOut(Schema):
    member: PersonOut
    started_at: datetime
    ended_at: datetime | None
    how: str
    started_by: PersonOut | None
    ended_by: PersonOut | None
    ended_how: str = Field("", description='"left" when the holder left the workspace')


class DutyOut(Schema):
    id: int
    text: str
    cadence: str
    done: bool = Field(..., description="Done for the current period, in your zone")
    period_start: date
    done_by: PersonOut | None
    done_at: datetime | None


class RoleSummaryOut(Schema):
    """A row of the list, read from ``role_list_for`` (holdings and duties prefetched)."""

    id: int
    name: str
    version: int
    archived: bool
    holders: list[HolderOut]
    duties_done: int
    duties_total: int
    updated_at: datetime

    @staticmethod
    def resolve_archived(obj: Role) -> bool:
        return obj.is_archived

    @staticmethod
    def resolve_holders(obj: Role) -> list[dict[str, Any]]:
        current = sorted(getattr(obj, "current_holdings", []), key=lambda h: (h.started_at, h.pk))
        return [
            {
                "member": {"id": h.membership_id, "name": h.membership.profile.display_name},
                "started_at": h.started_at,
                "how": h.how,
            }
            for h in current
        ]

    @staticmethod
    def resolve_duties_done(obj: Role) -> int:
        return duties_done(obj)[0]

    @staticmethod
    def resolve_duties_total(obj: Role) -> int:
        return duties_done(obj)[1]


class TurnOut(Schema):
    turn: int
    starts_at: datetime
    ends_at: datetime
    first_day: date
    last_day: date
    member: PersonOut | None
    kept: bool = Field(..., description="Everyone else is away: the holder keeps the role")


class RotaOut(Schema):
    member_ids: list[int]
    period: str
    every_days: int
    weekday: int
    at: time
    zone: str
    starts_on: date
    note: str
    upcoming: list[TurnOut]


class RoleOut(Schema):
    id: int
    name: str
    version: int
    archived: bool
    responsibilities: str
    responsibilities_html: str
    duties: list[DutyOut]
    holders: list[HolderOut]
    history: list[HoldingOut]
    rota: RotaOut | None
    in_handover: bool
    created_at: datetime
    updated_at: datetime


class AssignIn(Schema):
    member_id: int


class TickIn(Schema):
    done: bool = True


class RotaIn(Schema):
    member_ids: list[int] = Field(..., max_length=ROTA_MEMBERS_MAX)
    period: str = Field("weekly", description="weekly or days")
    every_days: int = 7
    weekday: int = Field(0, description="0 = Monday (weekly rotas)")
    at: time
    zone: str = Field(..., max_length=64)
    starts_on: date
