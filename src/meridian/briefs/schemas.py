"""Shapes of the briefs API."""

from datetime import date, datetime
from typing import Any

from django.urls import reverse
from ninja import Field, Schema

from meridian.asks.schemas import ParticipantIn, PersonRef
from meridian.briefs.models import AskKind, LinkRelation, LinkTarget
from meridian.briefs.services import Deadline, Meeting


class BriefFields(Schema):
    """Fields shared by creating and changing a brief."""

    deadline_at: datetime | None = Field(
        None,
        description=(
            "Respond by this instant (with a UTC offset), at most five years ahead. "
            "Excludes deadline_date."
        ),
    )
    deadline_date: date | None = Field(
        None,
        description=(
            "Follow-the-sun: respond by the end of this day's working hours in each "
            "participant's own time zone, or of their next working day if it is a day off for "
            "them (participants[].local_deadline says when). At most five years ahead. "
            "Excludes deadline_at."
        ),
    )
    meeting_people: int | None = Field(None, description="People in the meeting this replaces.")
    meeting_minutes: int | None = Field(None, description="Length of that meeting in minutes.")

    def deadline(self) -> Deadline:
        return Deadline(at=self.deadline_at, day=self.deadline_date)

    def meeting(self) -> Meeting:
        return Meeting(people=self.meeting_people, minutes=self.meeting_minutes)


class BriefIn(BriefFields):
    title: str
    body: str = Field("", description="Markdown.")
    ask_kind: AskKind = AskKind.FEEDBACK
    questions: list[str] = Field(default_factory=list, description="The questions to answer.")
    participants: list[ParticipantIn] = Field(..., description="Members and teams asked.")
    urgent: bool = Field(
        False,
        description=(
            "Tell them at once, even outside their working hours; spends one of the author's "
            "weekly urgent notifications. Over budget: 429 saying when it refills, nothing written."
        ),
    )
    draft: bool = Field(
        False,
        description=(
            "Keep it a draft that only you can see and nobody is told about (record its "
            "walkthrough first), then POST /briefs/{id}/send."
        ),
    )


class BriefPatch(BriefFields):
    """Only the fields you send change. Send both deadline fields as null to remove the deadline."""

    title: str | None = None
    body: str | None = None
    ask_kind: AskKind | None = None
    questions: list[str] | None = None
    participants: list[ParticipantIn] | None = Field(
        None, description="The new list; it replaces the old one (people who responded stay)."
    )


class BriefSummaryOut(Schema):
    """A brief as lists show it."""

    id: int
    title: str
    author: PersonRef
    ask_kind: str
    status: str
    is_overdue: bool
    deadline_kind: str
    deadline_at: datetime | None
    deadline_date: date | None
    respond_by: datetime | None = Field(..., description="The last participant's local deadline.")
    required_count: int
    responded_count: int
    comment_count: int
    created_at: datetime
    closed_at: datetime | None


class BriefParticipantOut(Schema):
    member: PersonRef
    kind: str
    via_team: str | None
    state: str = Field(..., description="not_seen, seen or responded.")
    watched: float | None = Field(..., description="Share of the recording watched, 0 to 1.")
    first_seen_at: datetime | None
    responded_at: datetime | None
    local_deadline: datetime | None = Field(..., description="The deadline in their own zone.")
    overdue: bool
    held: str = Field(
        "",
        description=(
            "For the brief's author, while it is open: until when this participant's email "
            "about it is held (their working hours), in your zone, e.g. 'email held until "
            "Mon 29 Mar, 08:00 Europe/Lisbon (your time)'; else empty, as on the page."
        ),
    )


class CommentOut(Schema):
    id: int
    author: PersonRef
    parent_id: int | None
    body: str
    body_html: str = Field(..., description="The body rendered and sanitized.")
    at_seconds: float | None
    is_question: bool
    is_response: bool
    answered_at: datetime | None
    answered_by_id: int | None
    answer_id: int | None
    created_at: datetime
    edited_at: datetime | None


class LinkOut(Schema):
    id: int
    relation: str
    target: str = Field(..., description="brief, url, task, decision or file.")
    target_brief_id: int | None
    url: str
    target_id: int | None
    target_title: str | None = Field(
        ...,
        description=(
            "What the link points at as a person reads it: a brief's title, a decision record's "
            'label such as "ADR-0007 Use PostgreSQL". Null for web addresses and files, and for '
            "a decision record that cannot be found."
        ),
    )
    filename: str | None = Field(..., description="An attached file's name (file links only).")
    file_size: int | None = Field(..., description="An attached file's size in bytes.")
    content_type: str | None = Field(
        ..., description="What the attached file was found to be, e.g. application/pdf."
    )
    download_url: str | None = Field(
        ..., description="Where the attached file is downloaded (file links only)."
    )
    note: str
    created_at: datetime

    @staticmethod
    def resolve_filename(obj: Any) -> str | None:
        return str(obj.filename) if obj.target == LinkTarget.FILE else None

    @staticmethod
    def resolve_content_type(obj: Any) -> str | None:
        return str(obj.content_type) if obj.target == LinkTarget.FILE else None

    @staticmethod
    def resolve_download_url(obj: Any) -> str | None:
        if obj.target != LinkTarget.FILE:
            return None
        return reverse("api:briefs_link_file", kwargs={"brief_id": obj.brief_id, "link_id": obj.pk})


class CompletenessOut(Schema):
    responded: int
    required: int
    seen: int
    total: int


class BriefOut(Schema):
    """One brief with everything about it except its comments (see /comments)."""

    id: int
    title: str
    author: PersonRef
    body: str
    body_html: str
    ask_kind: str
    questions: list[str]
    status: str = Field(..., description="draft (only its author sees it), open or closed.")
    send_requested_at: datetime | None = Field(
        ...,
        description=(
            "A draft sent while its recording was processing: it goes out when the recording "
            "is ready."
        ),
    )
    is_overdue: bool
    deadline_kind: str
    deadline_at: datetime | None
    deadline_date: date | None
    respond_by: datetime | None
    meeting_people: int | None
    meeting_minutes: int | None
    created_at: datetime
    closed_at: datetime | None
    summary: str
    summary_html: str
    completeness: CompletenessOut
    participants: list[BriefParticipantOut]
    open_question_ids: list[int]
    links: list[LinkOut]


class CommentIn(Schema):
    body: str = Field(..., description="Markdown; @handle mentions a member.")
    parent_id: int | None = Field(None, description="Reply to this comment.")
    at_seconds: float | None = Field(None, description="Pin to this moment of the recording.")
    is_question: bool = False
    answers_parent: bool = Field(False, description="This reply answers its parent question.")
    urgent: bool = Field(
        False,
        description=(
            "A question only: tell the brief's author at once, even outside their working hours; "
            "spends one of your weekly urgent notifications. Over budget: 429 saying when it "
            "refills, nothing written."
        ),
    )


class CommentPatch(Schema):
    body: str


class ResponseIn(Schema):
    body: str = Field(..., description="Your response to the ask (Markdown).")
    at_seconds: float | None = None


class AnswerIn(Schema):
    answer_id: int | None = Field(None, description="The reply that answers the question.")


class LinkIn(Schema):
    relation: LinkRelation = LinkRelation.CONTEXT
    target: LinkTarget | None = Field(
        None,
        description=(
            "brief, url, decision or task; inferred from target_brief_id or url if omitted. "
            'A decision record is linked with {"target": "decision", "target_id": <record id>}, '
            'a task with {"target": "task", "target_id": <task id>} (422 on target_id if it is '
            "not one of the workspace's). "
            "Files are attached with POST /briefs/{brief_id}/files."
        ),
    )
    target_brief_id: int | None = None
    url: str = ""
    target_id: int | None = Field(
        None,
        description=(
            "With target decision: the id of a decision record of this workspace "
            "(422 on target_id otherwise)."
        ),
    )
    note: str = ""


class CloseIn(Schema):
    summary: str = Field(..., description="What was learned or agreed (Markdown).")


class RevisionOut(Schema):
    id: int
    body: str
    written_at: datetime
    replaced_at: datetime


class SeenOut(Schema):
    participant: bool
    first_seen_at: datetime | None
