"""The handovers API's shapes."""

from datetime import datetime
from typing import Any

from ninja import Field, Schema

from meridian.asks.schemas import PersonRef


class HandoverIn(Schema):
    kind: str = Field(
        ..., description='The registered kind of the item: "task", "project", "role".'
    )
    object_id: int = Field(..., description="The item's id in its area.", ge=1, le=2**53)
    receiver_id: int = Field(..., description="The member who takes it over.", ge=1, le=2**53)
    note: str = Field("", description="Markdown: what matters now, what is half-done.")
    giver_id: int | None = Field(
        None,
        description="Admins: which holder hands it over (default: you, else the first).",
        ge=1,
        le=2**53,
    )


class HandoverOut(Schema):
    id: int
    kind: str
    object_id: int
    object_label: str = Field(..., description="The item's name when it was handed over.")
    giver: PersonRef
    receiver: PersonRef
    state: str = Field(..., description="pending, acknowledged or cancelled.")
    note: str
    note_html: str = Field(..., description="The note rendered and sanitized.")
    batch_id: int | None
    created_at: datetime
    acknowledged_at: datetime | None
    cancelled_at: datetime | None
    open_questions: int = 0

    @staticmethod
    def resolve_open_questions(obj: Any) -> int:
        return int(getattr(obj, "open_questions", 0) or 0)


class PacketEntryOut(Schema):
    text: str
    url: str
    detail: str
    html: str = Field(..., description="Sanitized HTML of Markdown the area stored, or empty.")
    at: datetime | None
    person: str
    done: bool | None = Field(..., description="A checklist item's state; null otherwise.")


class PacketSectionOut(Schema):
    key: str
    title: str
    entries: list[PacketEntryOut]
    empty: str


class PacketOut(Schema):
    kind: str
    object_id: int
    title: str
    url: str
    status: str
    sections: list[PacketSectionOut]


class HandoverCommentOut(Schema):
    id: int
    author: PersonRef
    parent_id: int | None
    body: str
    body_html: str
    is_question: bool
    answered_at: datetime | None
    created_at: datetime


class HandoverDetailOut(HandoverOut):
    packet: PacketOut | None = Field(..., description="Assembled now; null if the item is gone.")
    comments: list[HandoverCommentOut]


class HandoverQuestionIn(Schema):
    body: str = Field(..., description="Markdown.")


class HandoverAnswerIn(Schema):
    body: str = Field(..., description="Markdown.")


class HandoverBulkItemIn(Schema):
    kind: str
    object_id: int = Field(..., ge=1, le=2**53)
    receiver_id: int | None = Field(
        None, description="This item's receiver; default: in turn.", ge=1, le=2**53
    )


class HandoverBulkIn(Schema):
    member_id: int | None = Field(
        None, description="Whose items (admins); default: yours.", ge=1, le=2**53
    )
    receiver_ids: list[int] = Field(
        default_factory=list, description="Receivers taking the items in turn (round-robin)."
    )
    items: list[HandoverBulkItemIn] | None = Field(
        None, description="Which items; default: everything the member holds and can hand over."
    )
    note: str = ""


class HandoverOwnedItemOut(Schema):
    kind: str
    object_id: int
    label: str
    url: str
    receiver_id: int | None
    in_handover: bool
    packet: PacketOut | None = Field(..., description="Previewed for the first 100 items only.")


class HandoverBulkPreviewOut(Schema):
    member: PersonRef
    items: list[HandoverOwnedItemOut]


class HandoverBatchOut(Schema):
    id: int
    state: str = Field(..., description="running, done or failed.")
    total: int
    done: int
    skipped: int
    percent: int
    created_at: datetime
    finished_at: datetime | None


class ReadinessCheckOut(Schema):
    key: str
    label: str
    ok: bool
    weight: int
    missing: str


class ReadinessOut(Schema):
    kind: str
    object_id: int
    title: str
    url: str
    score: int
    bus_factor_one: bool
    contributors_90d: int
    holder_ids: list[int]
    group: str
    checks: list[ReadinessCheckOut]


class MemberReadinessOut(Schema):
    member: PersonRef
    held: int
    at_risk: list[ReadinessOut]


class GroupReadinessOut(Schema):
    name: str
    url: str
    at_risk: list[ReadinessOut]


class ReadinessReportOut(Schema):
    threshold: int = Field(..., description="Below this score a bus-factor-1 item is at risk.")
    members: list[MemberReadinessOut]
    groups: list[GroupReadinessOut]
    departed: list[MemberReadinessOut] = Field(
        default_factory=list,
        description="Admins only: per member who left, every item they still hold "
        "(whatever its score), to be handed over.",
    )
