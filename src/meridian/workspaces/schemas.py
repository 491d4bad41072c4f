"""Shapes of the workspaces API."""

from datetime import date, datetime
from typing import Any

from ninja import Field, Schema

from meridian.core.schemas import LocalTime
from meridian.workspaces.models import TEAM_DESCRIPTION_MAX, TIME_OFF_NOTE_MAX, Role


class WorkspaceOut(Schema):
    id: int
    name: str
    slug: str
    created_at: datetime


class WorkspaceIn(Schema):
    name: str = Field(..., min_length=1, max_length=100)
    slug: str = ""


class TeamRef(Schema):
    slug: str
    name: str


class MemberOut(Schema):
    id: int
    email: str
    display_name: str
    title: str
    role: str
    time_zone: str
    is_active: bool
    teams: list[TeamRef]

    @staticmethod
    def resolve_email(obj: Any) -> str:
        return str(obj.user.email)

    @staticmethod
    def resolve_display_name(obj: Any) -> str:
        return str(obj.profile.display_name)

    @staticmethod
    def resolve_title(obj: Any) -> str:
        return str(obj.profile.title)

    @staticmethod
    def resolve_time_zone(obj: Any) -> str:
        return str(obj.profile.time_zone)

    @staticmethod
    def resolve_teams(obj: Any) -> list[dict[str, str]]:
        return [{"slug": tm.team.slug, "name": tm.team.name} for tm in obj.team_memberships.all()]


class RoleIn(Schema):
    role: Role


Week = dict[str, list[tuple[int, int]]]


class ProfileOut(Schema):
    membership_id: int
    display_name: str
    title: str
    time_zone: str
    working_hours: dict[str, list[list[int]]]
    focus_blocks: dict[str, list[list[int]]]
    digest_time: LocalTime | None
    locale: str


class ProfileIn(Schema):
    """Only the fields you send change; all of them or none."""

    display_name: str | None = None
    title: str | None = None
    time_zone: str | None = None
    working_hours: Week | None = Field(
        None, description='Weekday (0 = Monday) → [start, end] minutes, e.g. {"0": [[540, 720]]}'
    )
    focus_blocks: Week | None = None
    digest_time: LocalTime | None = None
    locale: str | None = None


class TeamOut(Schema):
    id: int
    name: str
    slug: str
    description: str
    member_count: int = Field(..., description="Active members of the team.")


class TeamIn(Schema):
    name: str = Field(..., min_length=1, max_length=100)
    description: str = Field("", max_length=TEAM_DESCRIPTION_MAX)


class TeamMemberIn(Schema):
    membership_id: int


class InvitationIn(Schema):
    email: str
    role: Role = Role.MEMBER


class InvitationOut(Schema):
    id: int
    email: str
    role: str
    created_at: datetime
    expires_at: datetime


class AuditEntryOut(Schema):
    id: int
    action: str
    actor: str
    object_type: str
    object_id: str
    object_label: str
    data: dict[str, Any]
    created_at: datetime

    @staticmethod
    def resolve_actor(obj: Any) -> str:
        return str(obj.actor_label)


class TimeOffIn(Schema):
    first_day: date
    last_day: date
    note: str = Field("", max_length=TIME_OFF_NOTE_MAX)
    # Admins may enter time off for another member; everyone else only for themselves.
    member_id: int | None = None


class TimeOffOut(Schema):
    id: int
    member_id: int = Field(..., alias="membership_id")
    member_name: str = Field(..., alias="membership.profile.display_name")
    first_day: date
    last_day: date
    days: int
    note: str
    created_at: datetime
