"""Shapes of the work API."""

from datetime import date, datetime
from typing import Any

from ninja import Field, Schema
from pydantic import model_validator

from meridian.asks.schemas import PersonRef
from meridian.work.models import DueKind, StatusCategory
from meridian.work.services import Due

# --- Projects ----------------------------------------------------------------------------------


class WorkflowStatusIn(Schema):
    key: str = Field(..., description="1–30 lowercase letters, digits, - or _; unique.")
    label: str = ""
    category: StatusCategory


class WorkflowStatusOut(Schema):
    key: str
    label: str
    category: str


class ProjectIn(Schema):
    name: str
    description: str = Field("", description="Markdown.")
    lead_id: int | None = None
    member_ids: list[int] = Field(default_factory=list)
    workflow: list[WorkflowStatusIn] | None = Field(
        None,
        description="The project's statuses in order; the default is to do → doing → in review "
        "→ done, plus blocked.",
    )


class ProjectPatch(Schema):
    """Only the fields you send change; ``version`` is the one you read (409 if it moved)."""

    version: int
    name: str | None = None
    description: str | None = None
    lead_id: int | None = None
    member_ids: list[int] | None = None
    workflow: list[WorkflowStatusIn] | None = None


class ProjectOut(Schema):
    id: int
    name: str
    description: str
    description_html: str
    lead: PersonRef | None
    member_ids: list[int]
    workflow: list[WorkflowStatusOut]
    version: int
    created_at: datetime
    updated_at: datetime
    archived_at: datetime | None

    @staticmethod
    def resolve_member_ids(obj: Any) -> list[int]:
        return sorted(row.membership_id for row in obj.memberships.all())

    @staticmethod
    def resolve_workflow(obj: Any) -> list[dict[str, str]]:
        return list(obj.statuses())


# --- Tasks -------------------------------------------------------------------------------------


class TaskCriterion(Schema):
    text: str
    done: bool = False


class TaskDueFields(Schema):
    due_kind: DueKind | None = Field(
        None,
        description="none, instant (`due_at`), local_day (`due_date`: the end of that day in the "
        "owner's zone) or working_time (`due_working_minutes` of the owner's working hours from "
        "now). Inferred from the field given when omitted.",
    )
    due_at: datetime | None = Field(None, description="With a UTC offset.")
    due_date: date | None = None
    due_working_minutes: int | None = None

    def due(self) -> Due:
        kind = self.due_kind
        if kind is None:
            if self.due_at is not None:
                kind = DueKind.INSTANT
            elif self.due_date is not None:
                kind = DueKind.LOCAL_DAY
            elif self.due_working_minutes is not None:
                kind = DueKind.WORKING_TIME
            else:
                kind = DueKind.NONE
        return Due(
            kind=kind,
            at=self.due_at,
            date=self.due_date,
            working_minutes=self.due_working_minutes,
        )


class TaskIn(TaskDueFields):
    project_id: int
    title: str
    description: str = Field("", description="Markdown.")
    criteria: list[TaskCriterion] = Field(default_factory=list, description="Acceptance criteria.")
    owner_id: int | None = None
    follower_ids: list[int] = Field(default_factory=list)
    status: str | None = Field(None, description="A key of the project's workflow.")
    estimate_minutes: int | None = Field(None, ge=0)
    tags: list[str] = Field(default_factory=list)
    parent_id: int | None = None


class TaskPatch(TaskDueFields):
    """Only the fields you send change; ``version`` is the one you read (409 with the other
    change if someone saved since). Send ``due_kind: "none"`` to remove the due date."""

    version: int
    title: str | None = None
    description: str | None = None
    criteria: list[TaskCriterion] | None = None
    owner_id: int | None = None
    follower_ids: list[int] | None = None
    status: str | None = None
    estimate_minutes: int | None = Field(None, ge=0)
    tags: list[str] | None = None
    parent_id: int | None = None

    @model_validator(mode="after")
    def _nulls(self) -> "TaskPatch":
        for field in ("title", "status", "criteria", "follower_ids", "tags"):
            if field in self.model_fields_set and getattr(self, field) is None:
                raise ValueError(f"{field} cannot be null")
        return self


class ProjectRef(Schema):
    id: int
    name: str


def owner_left(task: Any) -> bool:
    """Whether the task's owner has left the workspace (their membership is inactive)."""
    return task.owner is not None and not task.owner.is_active


class TaskRef(Schema):
    id: int
    title: str
    status: str
    is_done: bool
    owner: PersonRef | None
    owner_left: bool = Field(
        False,
        description=(
            'The owner has left the workspace (pages mark it "Left the workspace"); the '
            "task stays theirs until someone takes it over."
        ),
    )


class TaskFields(Schema):
    id: int
    project: ProjectRef
    title: str
    status: str
    status_label: str
    is_done: bool
    owner: PersonRef | None
    owner_left: bool = Field(
        False,
        description=(
            'The owner has left the workspace (pages mark it "Left the workspace"); the '
            "task stays theirs until someone takes it over."
        ),
    )
    due_kind: str
    due_at: datetime | None
    due_date: date | None
    due_working_minutes: int | None
    due_by: datetime | None = Field(None, description="When it falls due for its owner.")
    estimate_minutes: int | None
    tags: list[str]
    parent_id: int | None
    version: int
    is_blocked: bool = Field(False, description="Waits for a blocker that is not done.")
    created_at: datetime
    updated_at: datetime


class TaskSummaryOut(TaskFields):
    @staticmethod
    def resolve_status_label(obj: Any) -> str:
        status = obj.project.status(obj.status)
        return str(status["label"]) if status else str(obj.status)

    @staticmethod
    def resolve_tags(obj: Any) -> list[str]:
        return sorted(tag.name for tag in obj.tags.all())

    @staticmethod
    def resolve_is_blocked(obj: Any) -> bool:
        return bool(getattr(obj, "is_blocked", False))

    @staticmethod
    def resolve_owner_left(obj: Any) -> bool:
        return owner_left(obj)


class TaskDependencyOut(Schema):
    id: int
    task: TaskRef = Field(..., description="The other task (the blocker, or the blocked one).")


class TaskLinkIn(Schema):
    kind: str = Field(..., description="A registered link kind: task, brief, decision.")
    target_id: int = Field(..., ge=1)
    note: str = ""


class TaskLinkOut(Schema):
    id: int
    kind: str
    target_id: int
    title: str = Field(..., description="Empty when the target no longer exists.")
    url: str
    note: str
    created_at: datetime


class TaskFileOut(Schema):
    id: int
    filename: str
    file_size: int
    content_type: str
    uploaded_by: PersonRef | None
    created_at: datetime


class TaskHandoverRef(Schema):
    id: int
    giver: PersonRef
    receiver: PersonRef
    created_at: datetime


class TaskOut(TaskFields):
    description: str
    description_html: str
    criteria: list[TaskCriterion]
    followers: list[PersonRef]
    blockers: list[TaskDependencyOut]
    blocking: list[TaskDependencyOut]
    subtasks: list[TaskRef]
    links: list[TaskLinkOut]
    files: list[TaskFileOut]
    open_question_ids: list[int]
    handover: TaskHandoverRef | None = Field(None, description="The pending handover, if any.")


class TaskEventOut(Schema):
    id: int
    field: str = Field(..., description="The field changed, or the action (created, handover…).")
    old: str
    new: str
    actor: PersonRef | None
    version: int
    created_at: datetime


class TaskConflictOut(Schema):
    detail: str
    errors: dict[str, list[str]]
    current: TaskOut | None = Field(None, description="The task as it is now.")
    changes: list[TaskEventOut] = Field(
        default_factory=list, description="What changed since the version you sent."
    )


class TaskDependencyIn(Schema):
    blocker_id: int = Field(..., description="The task that must be done before this one.")


class TaskCommentIn(Schema):
    body: str = Field(..., description="Markdown; @handle mentions a member.")
    parent_id: int | None = None
    is_question: bool = False


class TaskAnswerIn(Schema):
    body: str


class TaskCommentOut(Schema):
    id: int
    author: PersonRef
    parent_id: int | None
    body: str
    body_html: str
    is_question: bool
    answered_at: datetime | None
    answered_by: PersonRef | None
    created_at: datetime


class TaskFollowOut(Schema):
    following: bool
