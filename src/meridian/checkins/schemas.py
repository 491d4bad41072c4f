"""Shapes of the check-ins API."""

from datetime import date, datetime

from ninja import Field, Schema

from meridian.checkins.models import BLOCKER_MAX, NAME_MAX
from meridian.core.schemas import LocalTime


class CheckinIn(Schema):
    team: str = Field(..., description="The team's slug")
    name: str = Field(..., max_length=NAME_MAX)
    questions: list[str] = Field(default_factory=list, description="At least one")
    weekdays: list[int] = Field(default_factory=list, description="0 = Monday … 6 = Sunday")
    ask_time: LocalTime = Field(..., description="Local time in each member's zone, e.g. 09:30")
    ask_mood: bool = False


class CheckinPatch(Schema):
    """What to change of a check-in; fields left out keep their value."""

    name: str | None = Field(None, max_length=NAME_MAX)
    questions: list[str] | None = Field(None, description="At least one")
    weekdays: list[int] | None = Field(None, description="0 = Monday … 6 = Sunday")
    ask_time: LocalTime | None = Field(None, description="Local time in each member's zone")
    ask_mood: bool | None = None
    archived: bool | None = Field(None, description="Stop asking (true) or ask again (false)")


class ShiftOut(Schema):
    member_id: int
    weekday: int
    asked_at: datetime
    message: str


class CheckinOut(Schema):
    id: int
    team: str
    name: str
    questions: list[str]
    weekdays: list[int]
    ask_time: LocalTime
    ask_mood: bool
    archived: bool
    warnings: list[ShiftOut] = Field(
        default_factory=list,
        description="Members for whom the time is outside working hours, and when they are asked",
    )


class BlockerIn(Schema):
    text: str = Field(..., max_length=BLOCKER_MAX)
    task_id: int | None = None
    person_id: int | None = None


class CheckinAnswerIn(Schema):
    answers: list[str] = Field(..., description="One Markdown answer per question, in order")
    mood: int | None = Field(None, description="1–5, when the check-in asks for it")
    mood_shared: bool = False
    blocker: BlockerIn | None = None


class CheckinPersonOut(Schema):
    id: int
    name: str


class PromptOut(Schema):
    id: int
    checkin_id: int
    member: CheckinPersonOut
    local_date: date
    asked_at: datetime
    answerable_until: datetime | None
    answered_at: datetime | None
    answers: list[str]
    mood: int | None = Field(None, description="Only your own, or one its member shared")


class BlockerOut(Schema):
    id: int
    checkin_id: int
    raised_by: CheckinPersonOut
    text: str
    task_id: int | None
    person: CheckinPersonOut | None
    seen: int = Field(..., description="How many check-ins mentioned it")
    opened_at: datetime
    resolved_at: datetime | None
    open_working_hours: float


class MoodOut(Schema):
    average: float | None = Field(None, description="Only when at least k people gave one")
    count: int
    k: int


class TeamDayOut(Schema):
    day: date
    answers: list[PromptOut]
    not_answered_yet: list[CheckinPersonOut]
    open_blockers: list[BlockerOut]
    mood: MoodOut | None
