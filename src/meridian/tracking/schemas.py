"""The shapes of the tracking API (time entries, timer, timesheet, policy, sync, reports)."""

import uuid
from datetime import date, datetime
from typing import Any, Literal

from ninja import Field, Schema
from pydantic import ValidationInfo, field_validator

from meridian.tracking.rules import SLOT_SECONDS


class TimeEntryIn(Schema):
    start: datetime = Field(..., description="When the work began (an instant with an offset).")
    end: datetime | None = Field(None, description="When it ended; or give `duration_minutes`.")
    duration_minutes: int | None = Field(None, ge=1, le=10080, description="Instead of `end`.")
    note: str = Field("", max_length=500)
    tags: list[str] = Field(default_factory=list, max_length=20)
    link_kind: str = Field("", max_length=30, description="A link kind: task, project, brief…")
    link_id: int | None = Field(None, ge=1, description="The id of the linked object.")


class TimeEntryPatch(Schema):
    start: datetime | None = None
    end: datetime | None = None
    note: str | None = Field(None, max_length=500)
    tags: list[str] | None = Field(None, max_length=20)
    link_kind: str | None = Field(None, max_length=30, description='"" removes the link.')
    link_id: int | None = Field(None, ge=1)


class TimerStartIn(Schema):
    note: str = Field("", max_length=500)
    tags: list[str] = Field(default_factory=list, max_length=20)
    link_kind: str = Field("", max_length=30)
    link_id: int | None = Field(None, ge=1)


class TimeEntryOut(Schema):
    id: int
    start: datetime
    end: datetime | None = Field(..., description="None while the timer runs.")
    running: bool
    seconds: int = Field(..., description="Duration so far.")
    note: str
    tags: list[str]
    link_kind: str | None
    link_id: int | None
    link_title: str | None = Field(..., description="What the link points at, if it exists.")


class TimerStateOut(Schema):
    running: TimeEntryOut | None


class TimeEntryRevisionOut(Schema):
    at: datetime
    editor: str | None
    before: dict[str, object]


class TimesheetDayOut(Schema):
    day: date
    seconds: int


class TimesheetOut(Schema):
    zone: str = Field(..., description="The member's own zone, in which days are counted.")
    days: list[TimesheetDayOut]
    total_seconds: int
    entries: list[TimeEntryOut]


class PolicyCategoryRuleOut(Schema):
    category: str
    field: Literal["app", "title"]
    pattern: str = Field(..., description="A Python regular expression, searched ignoring case.")


class TrackingPolicyOut(Schema):
    detail_levels: list[Literal["categories", "apps", "titles"]] = Field(
        ..., description="What a sync may carry; categories always."
    )
    allow_apps: bool
    allow_titles: bool
    retention_days: int = Field(..., description="Raw slots are kept this many days.")
    min_group_size: int = Field(..., description="k: smaller groups are never reported.")
    individual_visibility: Literal["self", "admins", "everyone"]
    max_slots_per_sync: int
    slot_seconds: int
    category_rules: list[PolicyCategoryRuleOut] = Field(
        ...,
        description="The workspace's category rules in order (the first match wins, after the "
        "person's own relabels); empty: the agent's built-in rules apply.",
    )


class CategoryRuleOut(Schema):
    id: int
    position: int = Field(..., description="1 is tried first.")
    field: Literal["app", "title"]
    pattern: str
    category: str


class FocusCategories(Schema):
    names: list[str] = Field(
        ...,
        description="The categories of synced activity counted as focus time (at most 50, "
        "each 1 to 100 characters; an empty list: none).",
    )


class CategoryRuleIn(Schema):
    field: Literal["app", "title"] = Field(..., description="Searched in the app name or title.")
    pattern: str = Field(
        ..., description="A Python regular expression (at most 200 characters), ignoring case."
    )
    category: str = Field(..., description="1 to 100 characters.")
    position: int | None = Field(None, ge=1, description="Where to insert it (default: last).")


class CategoryRulePatch(Schema):
    field: Literal["app", "title"] | None = None
    pattern: str | None = None
    category: str | None = None
    position: int | None = Field(None, ge=1, description="Move it here (1 = tried first).")


class TrackingPolicyIn(Schema):
    allow_apps: bool = False
    allow_titles: bool = False
    retention_days: int = Field(30, ge=1, le=3650)
    min_group_size: int = Field(5, ge=2, le=1000)
    individual_visibility: Literal["self", "admins", "everyone"] = "self"


class ActivitySlotIn(Schema):
    start: datetime = Field(..., description="UTC instant aligned to 15 minutes.")
    category: str = Field(..., min_length=1, max_length=100)
    active_seconds: int = Field(..., ge=0, le=SLOT_SECONDS)
    afk_seconds: int = Field(..., ge=0, le=SLOT_SECONDS)
    app: str | None = Field(None, max_length=200)
    title: str | None = Field(None, max_length=500)

    @field_validator("start")
    @classmethod
    def _aligned(cls, value: datetime) -> datetime:
        if value.tzinfo is None:
            raise ValueError("must carry a UTC offset, e.g. 2026-12-05T09:15:00Z")
        if value.timestamp() % SLOT_SECONDS:
            raise ValueError("must be aligned to 15 minutes (hh:00, :15, :30 or :45, 0 seconds)")
        return value

    @field_validator("afk_seconds")
    @classmethod
    def _fits(cls, value: int, info: ValidationInfo) -> int:
        active = info.data.get("active_seconds")
        if active is not None and active + value > SLOT_SECONDS:
            raise ValueError(f"active_seconds + afk_seconds must be at most {SLOT_SECONDS}")
        return value


class ActivitySyncIn(Schema):
    agent_id: uuid.UUID
    slots: list[ActivitySlotIn]


class ActivitySyncRawIn(Schema):
    """What the handler reads: slots are checked one by one (rules.parse_slot), for speed."""

    agent_id: uuid.UUID
    slots: list[Any]


class ActivitySyncOut(Schema):
    accepted: int = Field(..., description="Slots new to the server.")
    replaced: int = Field(..., description="Slots sent before, whose figures were replaced.")
    dropped_detail: int = Field(..., description="Slots whose app or title the policy refused.")
    expired: int = Field(..., description="Slots older than the retention period, ignored.")
    policy: TrackingPolicyOut


class ReportRowOut(Schema):
    label: str
    seconds: int
    people: int | None = None


class PersonalReportOut(Schema):
    member_id: int
    first: date
    last: date
    zone: str
    by_project: list[ReportRowOut]
    by_task: list[ReportRowOut]
    by_category: list[ReportRowOut]
    by_day: list[ReportRowOut]
    tracked_seconds: int
    outside_working_hours_seconds: int | None = Field(..., description="Only in your own report.")


class TeamReportOut(Schema):
    group: str
    first: date
    last: date
    size: int
    k: int
    by_category: list[ReportRowOut]
    by_project: list[ReportRowOut]
    suppressed: int = Field(..., description="Rows left out: fewer than k people in them.")


class TrackingAccessOut(Schema):
    viewer: str
    at: datetime
    what: str


class TrackingDeleteIn(Schema):
    confirmation: str = Field(..., description="Exactly: delete my tracking data")


class TrackingDeleteOut(Schema):
    deleted: dict[str, int]
