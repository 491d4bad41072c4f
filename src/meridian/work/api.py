"""The work API: projects, tasks with their timeline, dependencies, thread, links and files."""

from collections.abc import Callable
from typing import Any

from django.core.files.storage import default_storage
from django.db.models import QuerySet
from django.http import FileResponse
from ninja import Field, File, Query, Router, Schema, Status
from ninja.decorators import decorate_view
from ninja.files import UploadedFile
from ninja.pagination import paginate

from meridian.briefs import files
from meridian.core.errors import NotFound, ValidationFailed
from meridian.core.pagination import CursorPagination
from meridian.core.schemas import Problem
from meridian.work import services
from meridian.work.access import project_get_for, task_get_for
from meridian.work.models import Project, Task, TaskComment, TaskEvent, TaskFile
from meridian.work.schemas import (
    ProjectIn,
    ProjectOut,
    ProjectPatch,
    TaskAnswerIn,
    TaskCommentIn,
    TaskCommentOut,
    TaskConflictOut,
    TaskDependencyIn,
    TaskDependencyOut,
    TaskEventOut,
    TaskFileOut,
    TaskFollowOut,
    TaskIn,
    TaskLinkIn,
    TaskLinkOut,
    TaskOut,
    TaskPatch,
    TaskSummaryOut,
    owner_left,
)
from meridian.work.selectors import (
    TaskDetail,
    TaskFilters,
    comment_get_for,
    comments_for,
    dependency_get_for,
    file_get_for,
    link_get_for,
    links_titled,
    project_list_for,
    task_detail,
    task_list_for,
    timeline_for,
)
from meridian.workspaces.access import ApiRequest, requires
from meridian.workspaces.models import Membership, Role

router = Router(tags=["work"])

ERRORS: dict[int, Any] = {403: Problem, 404: Problem, 409: Problem}
DOWNLOAD = {
    "responses": {
        "200": {
            "description": "The file, always as a download (Content-Disposition: attachment).",
            "content": {
                "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}
            },
        }
    }
}


class TaskQuery(Schema):
    owner: str = ""
    status: str = ""
    tag: str = ""
    due: str = ""
    blocked: bool | None = None
    project: int | None = Field(None, ge=1, le=2**63 - 1)
    done: bool | None = None
    q: str = ""


def _referenced[T](field: str, lookup: Callable[[], T]) -> T:
    """An object named in the body: one the viewer cannot reach is a 422 on that field."""
    try:
        return lookup()
    except NotFound as exc:
        raise ValidationFailed.field(field, exc.detail) from None


def _member(request: ApiRequest, field: str, member_id: int | None) -> Membership | None:
    if member_id is None:
        return None
    found = (
        Membership.objects.select_related("profile", "user", "workspace")
        .filter(workspace_id=request.membership.workspace_id, pk=member_id, is_active=True)
        .first()
    )
    if found is None:
        raise ValidationFailed.field(
            field, f"There is no active member #{member_id} in this workspace."
        )
    return found


def _task_ref(task: Task) -> dict[str, Any]:
    return {
        "id": task.pk,
        "title": task.title,
        "status": task.status,
        "is_done": task.is_done,
        "owner": task.owner,
        "owner_left": owner_left(task),
    }


def _task_out(detail: TaskDetail) -> dict[str, Any]:
    task = detail.task
    handover = detail.handover
    return {
        **{
            f: getattr(task, f)
            for f in TaskSummaryOut.model_fields
            if f not in {"status_label", "tags", "is_blocked", "owner_left"}
        },
        "owner_left": owner_left(task),
        "status_label": TaskSummaryOut.resolve_status_label(task),
        "tags": detail.tags,
        "is_blocked": detail.is_blocked,
        "description": task.description,
        "description_html": task.description_html,
        "criteria": task.criteria,
        "followers": detail.followers,
        "blockers": [{"id": r.dependency.pk, "task": _task_ref(r.task)} for r in detail.blockers],
        "blocking": [{"id": r.dependency.pk, "task": _task_ref(r.task)} for r in detail.blocking],
        "subtasks": [_task_ref(t) for t in detail.subtasks],
        "links": [_link_out(row) for row in detail.links],
        "files": detail.files,
        "open_question_ids": [c.pk for c in detail.open_questions],
        "handover": (
            {
                "id": handover.pk,
                "giver": handover.giver,
                "receiver": handover.receiver,
                "created_at": handover.created_at,
            }
            if handover is not None
            else None
        ),
    }


def _link_out(row: Any) -> dict[str, Any]:
    return {
        "id": row.link.pk,
        "kind": row.link.kind,
        "target_id": row.link.target_id,
        "title": row.title,
        "url": row.url,
        "note": row.link.note,
        "created_at": row.link.created_at,
    }


def _detail(request: ApiRequest, task_id: int) -> dict[str, Any]:
    viewer = request.membership
    return _task_out(task_detail(viewer, task_get_for(viewer, task_id)))


def _conflict(request: ApiRequest, exc: services.EditConflict) -> Status[dict[str, Any]]:
    current = exc.current
    return Status(
        409,
        {
            "detail": exc.detail,
            "errors": {"version": [exc.detail]},
            "current": _detail(request, current.pk) if isinstance(current, Task) else None,
            "changes": exc.changes,
        },
    )


def _project(request: ApiRequest, project_id: int) -> Project:
    found = project_get_for(request.membership, project_id)
    return (
        project_list_for(viewer=request.membership).get(pk=found.pk)
        if found.archived_at is None
        else found
    )


# --- Projects ----------------------------------------------------------------------------------


@router.get("/projects", response=list[ProjectOut], summary="List projects")
@requires(Role.GUEST)
@paginate(CursorPagination, key="id")
def projects(request: ApiRequest) -> QuerySet[Project]:
    """The workspace's projects that are not archived, with their lead, members and workflow."""
    return project_list_for(viewer=request.membership)


@router.post("/projects", response={201: ProjectOut, 403: Problem}, summary="Create a project")
@requires(Role.MEMBER)
def project_new(request: ApiRequest, payload: ProjectIn) -> Status[Project]:
    """Start a project (the default workflow unless ``workflow`` is given)."""
    lead = _member(request, "lead_id", payload.lead_id)
    project = services.project_create(
        actor=request.membership,
        name=payload.name,
        description=payload.description,
        lead=lead,
        member_ids=payload.member_ids,
        workflow=[s.dict() for s in payload.workflow] if payload.workflow is not None else None,
    )
    return Status(201, _project(request, project.pk))


@router.get(
    "/projects/{project_id}", response={200: ProjectOut, 404: Problem}, summary="Get a project"
)
@requires(Role.GUEST)
def project(request: ApiRequest, project_id: int) -> Project:
    """One project with its lead, members and workflow."""
    return _project(request, project_id)


@router.patch(
    "/projects/{project_id}", response={200: ProjectOut, **ERRORS}, summary="Change a project"
)
@requires(Role.MEMBER)
def project_edit(request: ApiRequest, project_id: int, payload: ProjectPatch) -> Project:
    """Change the fields sent; a stale ``version`` is 409, and a workflow dropping a status
    that tasks still have is 422 naming it."""
    found = project_get_for(request.membership, project_id)
    sent = payload.model_fields_set - {"version"}
    changes: dict[str, Any] = {}
    for field in sent & {"name", "description", "member_ids"}:
        changes[field] = getattr(payload, field)
    if "lead_id" in sent:
        changes["lead"] = _member(request, "lead_id", payload.lead_id)
    if "workflow" in sent and payload.workflow is not None:
        changes["workflow"] = [s.dict() for s in payload.workflow]
    services.project_update(
        actor=request.membership, project=found, version=payload.version, changes=changes
    )
    return _project(request, project_id)


# --- Tasks -------------------------------------------------------------------------------------


@router.get("/tasks", response=list[TaskSummaryOut], summary="List tasks")
@requires(Role.GUEST)
@paginate(CursorPagination, key="-created_at")
def tasks(request: ApiRequest, filters: Query[TaskQuery]) -> QuerySet[Task]:
    """Tasks of the workspace, newest first. ``owner`` is a member id, ``me`` or ``none``;
    ``due`` is ``overdue``, ``week`` or ``none``; ``blocked`` keeps tasks waiting for a
    blocker that is not done (true) or not (false)."""
    return task_list_for(viewer=request.membership, filters=TaskFilters(**filters.dict()))


@router.post("/tasks", response={201: TaskOut, 403: Problem}, summary="Create a task")
@requires(Role.MEMBER)
def task_new(request: ApiRequest, payload: TaskIn) -> Status[dict[str, Any]]:
    """Write a task; its owner is told (and has it in their inbox when it has a due date). A
    status not in the project's workflow is 422 naming the allowed ones. Send an
    Idempotency-Key: a retried create makes one task."""
    viewer = request.membership
    in_project = _referenced("project_id", lambda: project_get_for(viewer, payload.project_id))
    parent_id = payload.parent_id
    parent = (
        _referenced("parent_id", lambda: task_get_for(viewer, parent_id))
        if parent_id is not None
        else None
    )
    task = services.task_create(
        actor=viewer,
        project=in_project,
        title=payload.title,
        description=payload.description,
        criteria=[c.dict() for c in payload.criteria],
        owner=_member(request, "owner_id", payload.owner_id),
        follower_ids=payload.follower_ids,
        status=payload.status,
        due=payload.due(),
        estimate_minutes=payload.estimate_minutes,
        tags=payload.tags,
        parent=parent,
    )
    return Status(201, _detail(request, task.pk))


@router.get("/tasks/{task_id}", response={200: TaskOut, 404: Problem}, summary="Get a task")
@requires(Role.GUEST)
def task(request: ApiRequest, task_id: int) -> dict[str, Any]:
    """One task with its criteria, blockers (their owners and done state), subtasks, links,
    files, followers, open questions, pending handover and ``version``."""
    return _detail(request, task_id)


@router.patch(
    "/tasks/{task_id}",
    response={200: TaskOut, 403: Problem, 404: Problem, 409: TaskConflictOut},
    summary="Change a task",
)
@requires(Role.MEMBER)
def task_edit(request: ApiRequest, task_id: int, payload: TaskPatch) -> Any:
    """Change the fields sent, naming the ``version`` you read. If someone saved since, the
    answer is 409 with the task as it is now (``current``) and their change (``changes``);
    nothing of yours is written."""
    viewer = request.membership
    found = task_get_for(viewer, task_id)
    sent = payload.model_fields_set - {"version"}
    changes: dict[str, Any] = {}
    for field in sent & {
        "title",
        "description",
        "follower_ids",
        "status",
        "estimate_minutes",
        "tags",
    }:
        changes[field] = getattr(payload, field)
    if "criteria" in sent and payload.criteria is not None:
        changes["criteria"] = [c.dict() for c in payload.criteria]
    if "owner_id" in sent:
        changes["owner"] = _member(request, "owner_id", payload.owner_id)
    if "parent_id" in sent:
        parent_id = payload.parent_id
        changes["parent"] = (
            _referenced("parent_id", lambda: task_get_for(viewer, parent_id))
            if parent_id is not None
            else None
        )
    if sent & {"due_kind", "due_at", "due_date", "due_working_minutes"}:
        changes["due"] = payload.due()
    try:
        services.task_update(actor=viewer, task=found, version=payload.version, changes=changes)
    except services.EditConflict as exc:
        return _conflict(request, exc)
    return _detail(request, task_id)


@router.get(
    "/tasks/{task_id}/timeline",
    response={200: list[TaskEventOut], 404: Problem},
    summary="A task's timeline",
)
@requires(Role.GUEST)
@paginate(CursorPagination, key="-created_at")
def timeline(request: ApiRequest, task_id: int) -> QuerySet[TaskEvent]:
    """Every change of the task, newest first: field, old → new (as a person reads them), who, when."""
    return timeline_for(viewer=request.membership, task=task_get_for(request.membership, task_id))


# --- Dependencies ------------------------------------------------------------------------------


@router.post(
    "/tasks/{task_id}/dependencies",
    response={201: TaskDependencyOut, **ERRORS},
    summary="Add a blocker",
)
@requires(Role.MEMBER)
def dependency_new(
    request: ApiRequest, task_id: int, payload: TaskDependencyIn
) -> Status[dict[str, Any]]:
    """``blocker_id`` must be done before this task (any project of the workspace). A cycle is
    422 naming it (“A → B → C → A”); the same dependency twice is 409."""
    viewer = request.membership
    blocked = task_get_for(viewer, task_id)
    blocker = _referenced("blocker_id", lambda: task_get_for(viewer, payload.blocker_id))
    dependency = services.dependency_add(actor=viewer, blocker=blocker, blocked=blocked)
    return Status(201, {"id": dependency.pk, "task": _task_ref(blocker)})


@router.delete(
    "/tasks/{task_id}/dependencies/{dependency_id}",
    response={204: None, **ERRORS},
    summary="Remove a dependency",
)
@requires(Role.MEMBER)
def dependency_delete(request: ApiRequest, task_id: int, dependency_id: int) -> Status[None]:
    """Remove a dependency in which this task blocks or is blocked."""
    viewer = request.membership
    found = task_get_for(viewer, task_id)
    services.dependency_remove(
        actor=viewer, dependency=dependency_get_for(viewer, found, dependency_id)
    )
    return Status(204, None)


# --- The thread --------------------------------------------------------------------------------


@router.get(
    "/tasks/{task_id}/comments",
    response={200: list[TaskCommentOut], 404: Problem},
    summary="A task's thread",
)
@requires(Role.GUEST)
@paginate(CursorPagination, key="id")
def comments(request: ApiRequest, task_id: int) -> QuerySet[TaskComment]:
    """The task's thread in the order it was written (replies carry their ``parent_id``)."""
    return comments_for(viewer=request.membership, task=task_get_for(request.membership, task_id))


@router.post(
    "/tasks/{task_id}/comments", response={201: TaskCommentOut, **ERRORS}, summary="Comment or ask"
)
@requires(Role.MEMBER)
def comment_new(request: ApiRequest, task_id: int, payload: TaskCommentIn) -> Status[TaskComment]:
    """Comment, reply (``parent_id``) or ask a question (``is_question``: it awaits the owner
    in their inbox until answered). ``@handle`` mentions a member."""
    viewer = request.membership
    found = task_get_for(viewer, task_id)
    parent_id = payload.parent_id
    parent = (
        _referenced("parent_id", lambda: comment_get_for(viewer, found, parent_id))
        if parent_id is not None
        else None
    )
    comment = services.comment_add(
        actor=viewer, task=found, body=payload.body, parent=parent, is_question=payload.is_question
    )
    return Status(201, comment_get_for(viewer, found, comment.pk))


@router.post(
    "/tasks/{task_id}/comments/{comment_id}/answer",
    response={200: TaskCommentOut, 422: Problem, **ERRORS},
    summary="Answer a question",
)
@requires(Role.MEMBER)
def answer_new(
    request: ApiRequest, task_id: int, comment_id: int, payload: TaskAnswerIn
) -> TaskComment:
    """Answer a question with a reply; the question (returned) is marked answered (409 if it was)."""
    viewer = request.membership
    found = task_get_for(viewer, task_id)
    question = comment_get_for(viewer, found, comment_id)
    services.question_answer(actor=viewer, comment=question, body=payload.body)
    return comment_get_for(viewer, found, comment_id)


# --- Links, files, following -------------------------------------------------------------------


@router.post(
    "/tasks/{task_id}/links",
    response={201: TaskLinkOut, **ERRORS},
    summary="Link a brief, decision or task",
)
@requires(Role.MEMBER)
def link_new(request: ApiRequest, task_id: int, payload: TaskLinkIn) -> Status[dict[str, Any]]:
    """Link something of this workspace through the link registry (``kind``: task, brief,
    decision); an id that is not one of the workspace's is 422 on ``target_id``."""
    viewer = request.membership
    found = task_get_for(viewer, task_id)
    link = services.task_link_add(
        actor=viewer, task=found, kind=payload.kind, target_id=payload.target_id, note=payload.note
    )
    return Status(
        201, _link_out(links_titled(viewer.workspace_id, viewer.workspace.slug, [link])[0])
    )


@router.delete(
    "/tasks/{task_id}/links/{link_id}", response={204: None, **ERRORS}, summary="Remove a link"
)
@requires(Role.MEMBER)
def link_delete(request: ApiRequest, task_id: int, link_id: int) -> Status[None]:
    """Take a link off the task."""
    viewer = request.membership
    found = task_get_for(viewer, task_id)
    services.task_link_remove(actor=viewer, link=link_get_for(viewer, found, link_id))
    return Status(204, None)


@router.post(
    "/tasks/{task_id}/files",
    response={201: TaskFileOut, 413: Problem, **ERRORS},
    summary="Attach a file",
)
@decorate_view(files.refuse_large_bodies)
@requires(Role.MEMBER)
def file_new(request: ApiRequest, task_id: int, file: File[UploadedFile]) -> Status[TaskFile]:
    """Attach a file (multipart field ``file``); over MERIDIAN_ATTACHMENT_MAX_BYTES it is 413
    naming the limit, and nothing is stored."""
    viewer = request.membership
    found = task_get_for(viewer, task_id)
    row = services.task_file_add(actor=viewer, task=found, upload=file)
    return Status(201, file_get_for(viewer, found, row.pk))


@router.get(
    "/tasks/{task_id}/files/{file_id}",
    response={404: Problem},
    openapi_extra=DOWNLOAD,
    summary="Download a file",
)
@requires(Role.GUEST)
def file_download(request: ApiRequest, task_id: int, file_id: int) -> FileResponse:
    """The attached file, always as a download under an inert type."""
    viewer = request.membership
    row = file_get_for(viewer, task_get_for(viewer, task_id), file_id)
    try:
        handle = default_storage.open(str(row.file.name), "rb")
    except FileNotFoundError:
        raise NotFound("This file is no longer stored.") from None
    response = FileResponse(handle, content_type=files.served_type(row.content_type))
    response["Content-Disposition"] = files.attachment_disposition(row.filename)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-cache"
    return response


@router.delete(
    "/tasks/{task_id}/files/{file_id}", response={204: None, **ERRORS}, summary="Remove a file"
)
@requires(Role.MEMBER)
def file_delete(request: ApiRequest, task_id: int, file_id: int) -> Status[None]:
    """Remove an attached file (whoever attached it, the task's owner or an admin)."""
    viewer = request.membership
    found = task_get_for(viewer, task_id)
    services.task_file_remove(actor=viewer, file=file_get_for(viewer, found, file_id))
    return Status(204, None)


@router.post(
    "/tasks/{task_id}/follow", response={200: TaskFollowOut, **ERRORS}, summary="Follow a task"
)
@requires(Role.MEMBER)
def follow(request: ApiRequest, task_id: int) -> dict[str, bool]:
    """Follow the task: its thread reaches you (following twice is harmless)."""
    services.task_follow(actor=request.membership, task=task_get_for(request.membership, task_id))
    return {"following": True}


@router.delete(
    "/tasks/{task_id}/follow", response={200: TaskFollowOut, **ERRORS}, summary="Unfollow a task"
)
@requires(Role.MEMBER)
def unfollow(request: ApiRequest, task_id: int) -> dict[str, bool]:
    """Stop following the task."""
    services.task_unfollow(actor=request.membership, task=task_get_for(request.membership, task_id))
    return {"following": False}
