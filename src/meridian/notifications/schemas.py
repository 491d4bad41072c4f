"""Shapes of the inbox API."""

from datetime import datetime
from typing import Literal

from ninja import Field, Schema


class InboxItemOut(Schema):
    id: int
    kind: str
    cause: str = Field(..., description="What the item is about, e.g. `briefs.asked:42`.")
    title: str
    why: str = Field(..., description="Why it is there, with your deadline in your own zone.")
    url: str
    actor: str | None
    due_at: datetime | None = Field(..., description="Your own deadline, if there is one.")
    overdue: bool = Field(..., description="Your deadline has passed.")
    state: Literal["open", "done", "gone"]
    snoozed_until: datetime | None
    done_at: datetime | None
    created_at: datetime
    updated_at: datetime


class SnoozeIn(Schema):
    until: datetime | None = Field(
        None, description="When the item comes back, with its UTC offset (ISO 8601)."
    )
    moment: Literal["next_working_morning", "in_2_working_hours"] | None = Field(
        None, description="A moment in your own working time, instead of `until`."
    )


class InboxCountsOut(Schema):
    open: int = Field(..., description="Waiting for you now (the nav's count).")
    snoozed: int
    done: int


class InboxPageOut(Schema):
    items: list[InboxItemOut]
    count: int = Field(..., description="Items in this view in all.")
    next_offset: int | None = Field(..., description="Pass as `offset` for the next page.")
