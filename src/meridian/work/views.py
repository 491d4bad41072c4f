"""Pages of the work area: my work, waiting on others, the task list, tasks, projects, boards.

Thin views: parse the form, find the object through work.access (404 alike for missing and
another workspace's), call a work service, render. The board's moves answer JSON to
static/meridian/board.js and redirect a plain form (the board works without JavaScript).
"""

from datetime import datetime, timedelta
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import FileResponse, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST, require_safe
from django.views.decorators.vary import vary_on_headers

from meridian.asks.deadlines import week_of
from meridian.core import registry
from meridian.core.errors import MeridianError, NotFound, ValidationFailed
from meridian.core.forms import add_service_errors
from meridian.core.submission import once_per_submission, saved, submitted
from meridian.core.workingtime import WorkingHoursError, working_time_between
from meridian.work import selectors_views as board_limits
from meridian.work import services
from meridian.work.access import project_get_for, saved_filter_get_for, task_get_for
from meridian.work.forms import (
    CATEGORY_CHOICES,
    AnswerForm,
    CommentForm,
    DependencyForm,
    FileForm,
    LinkForm,
    MoveForm,
    ProjectForm,
    SavedFilterForm,
    TaskForm,
    task_initial,
    workflow_rows,
)
from meridian.work.models import Project, Task
from meridian.work.selectors import task_detail
from meridian.work.selectors_views import (
    DUE_CHOICES,
    STATE_CHOICES,
    TaskFilters,
    board_for,
    filter_choices_for,
    mark_blocked,
    my_work_rows,
    project_list_for,
    project_tasks_for,
    saved_filters_for,
    task_list_for,
    waiting_for,
)
from meridian.work.services.board import task_move
from meridian.work.services.common import minutes_text
from meridian.work.services.filters import saved_filter_delete, saved_filter_save
from meridian.workspaces.access import WorkspaceRequest, requires
from meridian.workspaces.models import Role
from meridian.workspaces.selectors import member_choices_for

TASKS_PER_PAGE = 50
# "My work" shows the first fifty open tasks by deadline, a project page its first hundred;
# the task list has them all.
MY_WORK_SHOWN = 50
PROJECT_TASKS_SHOWN = 100
WORKING_LEFT_WITHIN = timedelta(days=14)
# Service argument → form field, where the names differ.
TASK_FIELDS = {
    "due_working_minutes": "due_hours",
    "estimate_minutes": "estimate_hours",
    "follower_ids": "followers",
    "parent_id": "parent",
}


def _task_page(task: Task, anchor: str = "") -> str:
    url = reverse("task_detail", kwargs={"workspace": task.workspace.slug, "task_id": task.pk})
    return f"{url}#{anchor}" if anchor else url


def _project_page(project: Project, name: str = "project_detail") -> str:
    return reverse(name, kwargs={"workspace": project.workspace.slug, "project_id": project.pk})


def _task_base(request: WorkspaceRequest) -> str:
    """A task page's address without its number: lists write ``{{ task_base }}{{ pk }}/``."""
    return reverse(
        "task_detail", kwargs={"workspace": request.membership.workspace.slug, "task_id": 0}
    )[:-2]


def _working_left(week: Any, now: datetime, due_by: datetime | None) -> str:
    """ "5 h 30 min" of working time until ``due_by``, for deadlines within two weeks."""
    if due_by is None or due_by <= now or due_by - now > WORKING_LEFT_WITHIN:
        return ""
    try:
        left = working_time_between(week, now, due_by)
    except WorkingHoursError:
        return ""
    return minutes_text(int(left.total_seconds() // 60)) or "0 min"


def _zone(request: WorkspaceRequest) -> str:
    return str(request.membership.profile.time_zone)


# --- My work and waiting on others -------------------------------------------------------------


@require_safe
@requires(Role.GUEST)
def my_work(request: WorkspaceRequest, workspace: str) -> HttpResponse:
    """My open tasks, by my own deadlines: overdue first, then due soonest, then undated."""
    viewer = request.membership
    rows = my_work_rows(viewer=viewer, limit=MY_WORK_SHOWN + 1)
    more = len(rows) > MY_WORK_SHOWN
    rows = rows[:MY_WORK_SHOWN]
    now = timezone.now()
    week = week_of(viewer.profile.time_zone, viewer.profile.working_hours or {})
    # Deadlines are often shared (end of a day, of a sprint): each is worked out once.
    left: dict[datetime | None, str] = {}
    for row in rows:
        if row.due_by not in left:
            left[row.due_by] = _working_left(week, now, row.due_by)
        row.working_left = left[row.due_by]
    overdue = [r for r in rows if r.due_by is not None and r.due_by < now]
    dated = [r for r in rows if r.due_by is not None and r.due_by >= now]
    undated = [r for r in rows if r.due_by is None]
    context = {
        "now": now,
        "more": more,
        "shown": MY_WORK_SHOWN,
        "task_base": _task_base(request),
        "sections": [
            ("overdue", "Overdue", overdue, "Nothing overdue."),
            ("dated", "Coming up", dated, "Nothing with a due date ahead."),
            ("undated", "No due date", undated, "Every open task of yours has a due date."),
        ],
    }
    return render(request, "work/my_work.html", context)


@require_safe
@requires(Role.GUEST)
def waiting(request: WorkspaceRequest, workspace: str) -> HttpResponse:
    """What I wait for from others: blockers they own, my questions nobody answered yet."""
    return render(request, "work/waiting.html", {"waiting": waiting_for(viewer=request.membership)})


# --- The task list -----------------------------------------------------------------------------


def _filters(request: WorkspaceRequest) -> TaskFilters:
    return TaskFilters.from_params({key: request.GET.get(key, "") for key in request.GET})


@vary_on_headers("HX-Request")
@require_safe
@requires(Role.GUEST)
def task_list(request: WorkspaceRequest, workspace: str) -> HttpResponse:
    """Every task of the workspace, filtered by owner, status, tag, due, blocked and project."""
    return _render_list(request, _filters(request))


def _render_list(
    request: WorkspaceRequest,
    filters: TaskFilters,
    filter_form: SavedFilterForm | None = None,
    status: int = 200,
) -> HttpResponse:
    viewer = request.membership
    tasks = task_list_for(viewer=viewer, filters=filters)
    page = Paginator(tasks, TASKS_PER_PAGE).get_page(request.GET.get("page"))
    mark_blocked(page)
    labels: dict[int, dict[str, str]] = {}
    for t in page:
        if t.project_id not in labels:
            labels[t.project_id] = {s["key"]: s["label"] for s in t.project.statuses()}
        t.status_label = labels[t.project_id].get(t.status, t.status)  # type: ignore[attr-defined]
    context = {
        "task_base": _task_base(request),
        "page": page,
        "filters": filters,
        "choices": filter_choices_for(viewer=viewer),
        "members": list(member_choices_for(viewer=viewer)),
        "due_choices": DUE_CHOICES,
        "state_choices": STATE_CHOICES,
        "saved_filters": list(saved_filters_for(viewer=viewer)),
        "filter_form": filter_form or SavedFilterForm(auto_id="sf-%s"),
        "now": timezone.now(),
    }
    template = "work/task_list.html"
    if request.htmx and not request.htmx.history_restore_request and status == 200:
        template += "#task-list"
    return render(request, template, context, status=status)


@require_POST
@requires(Role.GUEST)
def filter_save(request: WorkspaceRequest, workspace: str) -> HttpResponse:
    """Keep the list's current filters under a name (the form carries them as hidden fields)."""
    filters = TaskFilters.from_params({key: request.POST.get(key, "") for key in request.POST})
    form = SavedFilterForm(request.POST, auto_id="sf-%s")
    if form.is_valid():
        try:
            saved_filter_save(
                actor=request.membership, name=form.cleaned_data["name"], query=filters.as_params()
            )
        except ValidationFailed as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"Filter “{form.cleaned_data['name']}” saved.")
            url = reverse("task_list", kwargs={"workspace": workspace})
            query = "&".join(f"{k}={v}" for k, v in filters.as_params().items())
            return redirect(f"{url}?{query}" if query else url)
    return _render_list(request, filters, filter_form=form, status=422)


@require_POST
@requires(Role.GUEST)
def filter_delete(request: WorkspaceRequest, workspace: str, filter_id: int) -> HttpResponse:
    """Forget one of my saved filters."""
    saved = saved_filter_get_for(request.membership, filter_id)
    saved_filter_delete(actor=request.membership, saved=saved)
    messages.success(request, f"Filter “{saved.name}” deleted.")
    return redirect("task_list", workspace=workspace)


# --- Creating and editing a task ---------------------------------------------------------------


def _projects(request: WorkspaceRequest) -> list[Project]:
    return list(project_list_for(viewer=request.membership))


def _task_form(
    request: WorkspaceRequest,
    project: Project | None,
    data: Any = None,
    initial: Any = None,
    creating: bool = False,
) -> TaskForm:
    projects = _projects(request)
    statuses = project.statuses() if project is not None else []
    return TaskForm(
        data,
        initial=initial,
        projects=projects,
        members=list(member_choices_for(viewer=request.membership)),
        statuses=statuses,
        zone=_zone(request),
        creating=creating,
    )


def _chosen_project(request: WorkspaceRequest, value: str) -> Project | None:
    projects = _projects(request)
    if value.isdigit():
        chosen = next((p for p in projects if p.pk == int(value)), None)
        if chosen is not None:
            return chosen
    return projects[0] if projects else None


def _owner(request: WorkspaceRequest, owner_id: int | None) -> Any:
    if owner_id is None:
        return None
    members = member_choices_for(viewer=request.membership)
    return members.filter(pk=owner_id).first()


def _parent(request: WorkspaceRequest, parent_id: int | None) -> Task | None:
    if parent_id is None:
        return None
    try:
        return task_get_for(request.membership, parent_id)
    except NotFound:
        raise ValidationFailed.field(
            "parent", f"There is no task #{parent_id} in this workspace."
        ) from None


@requires(Role.MEMBER)
@once_per_submission
def task_create_view(request: WorkspaceRequest, workspace: str) -> HttpResponse:
    """Write a task into a project: what, why, by when, who; double-submitting makes one."""
    source = request.POST if request.method == "POST" else request.GET
    project = _chosen_project(request, source.get("project", ""))
    if project is None:
        messages.info(request, "Tasks live in projects: start a project first.")
        return redirect("project_create", workspace=workspace)
    initial: dict[str, Any] = {"project": project.pk, "status": ""}
    if request.GET.get("parent", "").isdigit():
        initial["parent"] = int(request.GET["parent"])
    form = _task_form(request, project, request.POST or None, initial=initial, creating=True)
    # Choosing another project brings that project's statuses into the status menu (htmx; the
    # service names the allowed ones if a status of another project is sent without it).
    form.fields["project"].widget.attrs.update(
        {
            "hx-get": reverse("task_create", kwargs={"workspace": workspace}),
            "hx-trigger": "change",
            "hx-target": "#id_status",
            "hx-select": "#id_status",
            "hx-swap": "outerHTML",
            "hx-include": "this",
        }
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            task = services.task_create(
                actor=request.membership,
                project=project,
                owner=_owner(request, data["owner"]),
                parent=_parent(request, data["parent"]),
                **form.values(),
            )
        except MeridianError as exc:
            if exc.status_code not in (400, 422):
                raise
            add_service_errors(form, exc, fields=TASK_FIELDS)
        else:
            messages.success(request, "Task created.")
            return saved(request, redirect(_task_page(task)))
    context = {"form": form, "task": None, "project": project}
    return render(request, "work/task_form.html", context, status=_status(request))


def _status(request: WorkspaceRequest) -> int:
    return 422 if request.method == "POST" else 200


@requires(Role.MEMBER)
def task_edit(request: WorkspaceRequest, workspace: str, task_id: int) -> HttpResponse:
    """Change a task. A save over someone else's newer save is refused (409) with their change
    shown and what you typed kept, so you decide; nothing is silently overwritten."""
    task = task_get_for(request.membership, task_id)
    form = _task_form(
        request, task.project, request.POST or None, initial=task_initial(task, _zone(request))
    )
    del form.fields["project"]  # moving a task between projects is not an edit of this form
    conflict = None
    status = _status(request)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            changes = form.values()
            changes["owner"] = _owner(request, data["owner"])
            changes["parent"] = _parent(request, data["parent"])
            services.task_update(
                actor=request.membership,
                task=task,
                version=data["version"] or task.version,
                changes=changes,
            )
        except services.EditConflict as exc:
            conflict = exc
            status = 409
            # What they typed stays; saving again now knowingly replaces the other change.
            typed = request.POST.copy()
            typed["version"] = str(exc.current.version)
            form.data = typed
        except MeridianError as exc:
            if exc.status_code not in (400, 422):
                raise
            add_service_errors(form, exc, fields=TASK_FIELDS)
        else:
            messages.success(request, "Task saved.")
            return redirect(_task_page(task))
    context = {"form": form, "task": task, "project": task.project, "conflict": conflict}
    return render(request, "work/task_form.html", context, status=status)


# --- The task page -----------------------------------------------------------------------------


def _link_kinds() -> list[tuple[str, str]]:
    return [(kind.kind, kind.noun.capitalize()) for kind in registry.link_kinds().values()]


def _render_task(
    request: WorkspaceRequest,
    task: Task,
    *,
    status: int = 200,
    template: str = "work/task_detail.html",
    **forms: Any,
) -> HttpResponse:
    viewer = request.membership
    detail = task_detail(viewer, task)
    reply = request.GET.get("reply", "")
    now = timezone.now()
    working_left = ""
    if task.owner_id == viewer.pk and not task.is_done:
        week = week_of(viewer.profile.time_zone, viewer.profile.working_hours or {})
        working_left = _working_left(week, now, task.due_by)
    context = {
        "working_left": working_left,
        "estimate": minutes_text(task.estimate_minutes),
        "task": task,
        "project": task.project,
        "detail": detail,
        "now": now,
        "can_write": viewer.has_role(Role.MEMBER),
        "is_owner": task.owner_id == viewer.pk,
        "comment_form": forms.get("comment_form") or CommentForm(auto_id="c-%s"),
        "answer_form": forms.get("answer_form"),
        "answer_to": forms.get("answer_to"),
        "dependency_form": forms.get("dependency_form") or DependencyForm(auto_id="d-%s"),
        "link_form": forms.get("link_form") or LinkForm(auto_id="l-%s", kinds=_link_kinds()),
        "file_form": forms.get("file_form") or FileForm(auto_id="f-%s"),
        "reply_to": int(reply) if reply.isdigit() else None,
        "statuses": task.project.statuses(),
    }
    return render(request, template, context, status=status)


@require_safe
@requires(Role.GUEST)
def task_detail_view(request: WorkspaceRequest, workspace: str, task_id: int) -> HttpResponse:
    """The task with everything someone picking it up needs: criteria, blockers, thread, history."""
    return _render_task(request, task_get_for(request.membership, task_id))


@require_POST
@requires(Role.MEMBER)
def criteria_tick(request: WorkspaceRequest, workspace: str, task_id: int) -> HttpResponse:
    """Tick (or untick) acceptance criteria: the checked boxes are the ones met."""
    task = task_get_for(request.membership, task_id)
    ticked = {int(i) for i in request.POST.getlist("done") if i.isdigit()}
    criteria = [
        {"text": item.get("text", ""), "done": index in ticked}
        for index, item in enumerate(task.criteria or [])
    ]
    version = request.POST.get("version", "")
    try:
        services.task_update(
            actor=request.membership,
            task=task,
            version=int(version) if version.isdigit() else task.version,
            changes={"criteria": criteria},
        )
    except services.EditConflict as exc:
        messages.error(request, f"{exc.detail} Tick the criteria again.")
    except ValidationFailed as exc:
        messages.error(request, exc.detail)
    else:
        messages.success(request, "Acceptance criteria saved.")
    return redirect(_task_page(task, "criteria"))


@require_POST
@requires(Role.MEMBER)
def follow(request: WorkspaceRequest, workspace: str, task_id: int) -> HttpResponse:
    """Follow the task (its changes and thread reach your inbox), or stop following it."""
    task = task_get_for(request.membership, task_id)
    if request.POST.get("action") == "unfollow":
        services.task_unfollow(actor=request.membership, task=task)
        messages.success(request, "You no longer follow this task.")
    else:
        services.task_follow(actor=request.membership, task=task)
        messages.success(request, "You follow this task.")
    return redirect(_task_page(task))


@require_POST
@requires(Role.MEMBER)
@once_per_submission
def dependency_new(request: WorkspaceRequest, workspace: str, task_id: int) -> HttpResponse:
    """This task is blocked by another, or blocks it; a cycle is refused and named."""
    viewer = request.membership
    task = task_get_for(viewer, task_id)
    form = DependencyForm(request.POST, auto_id="d-%s")
    if form.is_valid():
        other_id = form.cleaned_data["other"]
        try:
            try:
                other = task_get_for(viewer, other_id)
            except NotFound:
                raise ValidationFailed.field(
                    "other", f"There is no task #{other_id} in this workspace."
                ) from None
            blocks = form.cleaned_data["direction"] == "blocks"
            services.dependency_add(
                actor=viewer,
                blocker=task if blocks else other,
                blocked=other if blocks else task,
            )
        except MeridianError as exc:
            if exc.status_code not in (400, 409, 422):
                raise
            add_service_errors(form, exc, fields={"blocker": "other", "blocked": "other"})
        else:
            messages.success(request, "Dependency added.")
            return saved(request, redirect(_task_page(task, "dependencies")))
    return _render_task(request, task, dependency_form=form, status=422)


@require_POST
@requires(Role.MEMBER)
def dependency_delete(
    request: WorkspaceRequest, workspace: str, task_id: int, dependency_id: int
) -> HttpResponse:
    """Drop a dependency of this task (either side)."""
    viewer = request.membership
    task = task_get_for(viewer, task_id)
    dependency = _dependency_of(task, dependency_id)
    services.dependency_remove(actor=viewer, dependency=dependency)
    messages.success(request, "Dependency removed.")
    return redirect(_task_page(task, "dependencies"))


def _dependency_of(task: Task, dependency_id: int) -> Any:
    from django.db.models import Q

    from meridian.work.models import Dependency

    dependency = (
        Dependency.objects.filter(pk=dependency_id, workspace_id=task.workspace_id)
        .filter(Q(blocker=task) | Q(blocked=task))
        .select_related("blocker", "blocked")
        .first()
    )
    if dependency is None:
        raise NotFound("No such dependency on this task.")
    return dependency


@require_POST
@requires(Role.GUEST)
@once_per_submission
def comment_new(request: WorkspaceRequest, workspace: str, task_id: int) -> HttpResponse:
    """Add to the task's thread: a comment, a question or a reply; mentions notify people."""
    viewer = request.membership
    task = task_get_for(viewer, task_id)
    form = CommentForm(request.POST, auto_id="c-%s")
    if form.is_valid():
        data = form.cleaned_data
        try:
            parent = _comment_of(task, data["parent"]) if data["parent"] else None
            comment = services.comment_add(
                actor=viewer,
                task=task,
                body=data["body"],
                parent=parent,
                is_question=data["is_question"],
            )
        except MeridianError as exc:
            if exc.status_code not in (400, 403, 422):
                raise
            add_service_errors(form, exc)
        else:
            if request.htmx:
                submitted(request, _task_page(task, f"comment-{comment.pk}"))
                return _render_task(request, task, template="work/task_detail.html#thread")
            return saved(request, redirect(_task_page(task, f"comment-{comment.pk}")))
    if request.htmx:
        # htmx swaps only successful answers: the thread comes back with the form's errors.
        return _render_task(
            request, task, comment_form=form, template="work/task_detail.html#thread"
        )
    return _render_task(request, task, comment_form=form, status=422)


def _comment_of(task: Task, comment_id: int) -> Any:
    from meridian.work.models import TaskComment

    comment = TaskComment.objects.filter(task=task, pk=comment_id).first()
    if comment is None:
        raise NotFound("No such comment on this task.")
    return comment


@require_POST
@requires(Role.GUEST)
@once_per_submission
def answer_new(
    request: WorkspaceRequest, workspace: str, task_id: int, comment_id: int
) -> HttpResponse:
    """Answer a question of the thread (it is then no longer unanswered)."""
    viewer = request.membership
    task = task_get_for(viewer, task_id)
    question = _comment_of(task, comment_id)
    form = AnswerForm(request.POST, auto_id=f"a{comment_id}-%s")
    if form.is_valid():
        try:
            services.question_answer(actor=viewer, comment=question, body=form.cleaned_data["body"])
        except MeridianError as exc:
            if exc.status_code not in (400, 403, 409, 422):
                raise
            add_service_errors(form, exc)
        else:
            messages.success(request, "Answer posted.")
            return saved(request, redirect(_task_page(task, f"comment-{question.pk}")))
    return _render_task(request, task, answer_form=form, answer_to=question.pk, status=422)


@require_POST
@requires(Role.MEMBER)
@once_per_submission
def link_new(request: WorkspaceRequest, workspace: str, task_id: int) -> HttpResponse:
    """Link a brief, a decision or another task to this one."""
    viewer = request.membership
    task = task_get_for(viewer, task_id)
    form = LinkForm(request.POST, auto_id="l-%s", kinds=_link_kinds())
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.task_link_add(
                actor=viewer,
                task=task,
                kind=data["kind"],
                target_id=data["target_id"],
                note=data["note"],
            )
        except MeridianError as exc:
            if exc.status_code not in (400, 404, 409, 422):
                raise
            add_service_errors(form, exc)
        else:
            messages.success(request, "Link added.")
            return saved(request, redirect(_task_page(task, "links")))
    return _render_task(request, task, link_form=form, status=422)


@require_POST
@requires(Role.MEMBER)
def link_delete(
    request: WorkspaceRequest, workspace: str, task_id: int, link_id: int
) -> HttpResponse:
    viewer = request.membership
    task = task_get_for(viewer, task_id)
    link = task.links.filter(pk=link_id).first()
    if link is None:
        raise NotFound("No such link on this task.")
    services.task_link_remove(actor=viewer, link=link)
    messages.success(request, "Link removed.")
    return redirect(_task_page(task, "links"))


@require_POST
@requires(Role.MEMBER)
@once_per_submission
def file_new(request: WorkspaceRequest, workspace: str, task_id: int) -> HttpResponse:
    """Attach a file to the task."""
    viewer = request.membership
    task = task_get_for(viewer, task_id)
    form = FileForm(request.POST, request.FILES, auto_id="f-%s")
    status = 422
    if form.is_valid():
        try:
            services.task_file_add(actor=viewer, task=task, upload=form.cleaned_data["file"])
        except MeridianError as exc:
            if exc.status_code not in (400, 413, 422):
                raise
            status = exc.status_code
            add_service_errors(form, exc)
        else:
            messages.success(request, "File attached.")
            return saved(request, redirect(_task_page(task, "files")))
    return _render_task(request, task, file_form=form, status=status)


def _file_of(task: Task, file_id: int) -> Any:
    attached = task.files.filter(pk=file_id).first()
    if attached is None:
        raise NotFound("No such file on this task.")
    return attached


@require_safe
@requires(Role.GUEST)
def file_download(
    request: WorkspaceRequest, workspace: str, task_id: int, file_id: int
) -> FileResponse:
    """The attached file, as a download, to members of the workspace only."""
    from meridian.briefs.files import attachment_disposition, served_type

    attached = _file_of(task_get_for(request.membership, task_id), file_id)
    try:
        handle = attached.file.open("rb")
    except FileNotFoundError:
        raise NotFound("This file is no longer stored.") from None
    response = FileResponse(handle, content_type=served_type(attached.content_type))
    response["Content-Disposition"] = attachment_disposition(attached.filename)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-cache"
    return response


@require_POST
@requires(Role.MEMBER)
def file_delete(
    request: WorkspaceRequest, workspace: str, task_id: int, file_id: int
) -> HttpResponse:
    task = task_get_for(request.membership, task_id)
    services.task_file_remove(actor=request.membership, file=_file_of(task, file_id))
    messages.success(request, "File removed.")
    return redirect(_task_page(task, "files"))


# --- The board ---------------------------------------------------------------------------------


@require_safe
@requires(Role.GUEST)
def project_board(request: WorkspaceRequest, workspace: str, project_id: int) -> HttpResponse:
    """The project's tasks as cards in one column per workflow status, movable by drag and drop,
    by keyboard, or by a plain form per card."""
    project = project_get_for(request.membership, project_id)
    shown = _cards_shown(request.GET.get("cards", ""))
    board = board_for(viewer=request.membership, project=project, shown=shown)
    more = min(board.shown + board_limits.COLUMN_SHOWN, board_limits.COLUMN_MOST)
    context = {
        "project": project,
        "board": board,
        "more": more if more > board.shown else None,
        "can_write": request.membership.has_role(Role.MEMBER),
        "now": timezone.now(),
    }
    return render(request, "work/board.html", context)


def _cards_shown(value: str) -> int | None:
    """The ``cards`` of a board address: how many cards an open column shows ("Show more");
    None for the board's own number."""
    if not value:
        return None
    least, most = board_limits.COLUMN_SHOWN, board_limits.COLUMN_MOST
    if not value.isdigit() or not least <= int(value) <= most:
        raise ValidationFailed(
            f"cards: a whole number from {least} to {most} (cards shown per column)."
        )
    return int(value)


def _wants_json(request: WorkspaceRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


@require_POST
@requires(Role.GUEST)
def task_move_view(request: WorkspaceRequest, workspace: str, task_id: int) -> HttpResponse:
    """Move a card (status, between which cards, at which version); JSON for the board's script,
    a redirect back to the board for the plain form."""
    task = task_get_for(request.membership, task_id)
    form = MoveForm(request.POST)
    board_url = _project_page(task.project, "project_board")
    if not form.is_valid():
        problem = "; ".join(f"{k}: {' '.join(str(e) for e in v)}" for k, v in form.errors.items())
        return _move_answer(request, task, 422, f"This move is incomplete ({problem}).", board_url)
    data = form.cleaned_data
    before, after = data["before"], data["after"]
    if data["place"] == "top" and before is None and after is None:
        after = _column_edge(task, data["status"], top=True)
    try:
        moved = task_move(
            actor=request.membership,
            task=task,
            version=data["version"],
            status=data["status"],
            before_id=before,
            after_id=after,
        )
    except services.EditConflict as exc:
        current = exc.current
        assert isinstance(current, Task)
        return _move_answer(request, current, 409, _move_refused(current, exc), board_url)
    except MeridianError as exc:
        if exc.status_code == 404:
            raise
        return _move_answer(request, task, exc.status_code, exc.detail, board_url)
    label = (moved.project.status(moved.status) or {}).get("label", moved.status)
    return _move_answer(request, moved, 200, f"“{moved.title}” moved to {label}.", board_url)


def _move_refused(current: Task, exc: Any) -> str:
    """Why a card went back: who changed the task since the board was loaded, and where it is."""
    who = sorted(
        {str(e.actor.profile.display_name) for e in exc.changes if e.actor is not None}
    ) or ["Someone"]
    label = (current.project.status(current.status) or {}).get("label", current.status)
    return (
        f"{' and '.join(who)} changed “{current.title}” since the board was loaded (it is now in "
        f"{label}); the card is back in its place. Reload the board to see it as it is now."
    )


def _column_edge(task: Task, status: str, *, top: bool) -> int | None:
    """The first card of the column (the plain form's "top")."""
    cards: QuerySet[Task] = Task.objects.filter(project_id=task.project_id, status=status).exclude(
        pk=task.pk
    )
    first = cards.order_by("position", "id").values_list("pk", flat=True).first()
    return first if top else None


def _move_answer(
    request: WorkspaceRequest, task: Task, status: int, message: str, board_url: str
) -> HttpResponse:
    if _wants_json(request):
        body = {
            "ok": status == 200,
            "message": message,
            "id": task.pk,
            "status": task.status,
            "version": task.version,
        }
        return JsonResponse(body, status=status)
    (messages.success if status == 200 else messages.error)(request, message)
    return redirect(f"{board_url}#card-{task.pk}")


# --- Projects ----------------------------------------------------------------------------------


@require_safe
@requires(Role.GUEST)
def project_list(request: WorkspaceRequest, workspace: str) -> HttpResponse:
    """The workspace's projects with their leads and open tasks."""
    return render(
        request, "work/project_list.html", {"projects": project_list_for(viewer=request.membership)}
    )


def _project_form(request: WorkspaceRequest, data: Any = None, initial: Any = None) -> ProjectForm:
    return ProjectForm(
        data, initial=initial, members=list(member_choices_for(viewer=request.membership))
    )


@requires(Role.MEMBER)
@once_per_submission
def project_create_view(request: WorkspaceRequest, workspace: str) -> HttpResponse:
    """Start a project: its description, lead, members, and its own workflow of statuses."""
    form = _project_form(request, request.POST or None)
    from meridian.work.models import default_workflow

    workflow = workflow_rows(request.POST or None, default_workflow())
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            project = services.project_create(
                actor=request.membership,
                name=data["name"],
                description=data["description"],
                lead=_owner(request, data["lead"]),
                member_ids=data["members"],
                workflow=workflow,
            )
        except MeridianError as exc:
            if exc.status_code not in (400, 422):
                raise
            add_service_errors(form, exc, fields={"member_ids": "members"})
        else:
            messages.success(request, "Project created.")
            return saved(request, redirect(_project_page(project)))
    context = {
        "form": form,
        "project": None,
        "workflow": workflow,
        "categories": CATEGORY_CHOICES,
    }
    return render(request, "work/project_form.html", context, status=_status(request))


@require_safe
@requires(Role.GUEST)
def project_detail(request: WorkspaceRequest, workspace: str, project_id: int) -> HttpResponse:
    """The project: description, lead and members, its workflow, and its open tasks."""
    viewer = request.membership
    project = project_get_for(viewer, project_id)
    tasks = list(project_tasks_for(viewer=viewer, project=project)[: PROJECT_TASKS_SHOWN + 1])
    more = len(tasks) > PROJECT_TASKS_SHOWN
    tasks = tasks[:PROJECT_TASKS_SHOWN]
    mark_blocked(tasks)
    members = list(project.members.select_related("profile").order_by("profile__display_name"))
    context = {
        "project": project,
        "tasks": tasks,
        "more": more,
        "members": members,
        "lead": project.lead,
        "can_write": viewer.has_role(Role.MEMBER),
        "now": timezone.now(),
    }
    return render(request, "work/project_detail.html", context)


@requires(Role.MEMBER)
def project_edit(request: WorkspaceRequest, workspace: str, project_id: int) -> HttpResponse:
    """Change a project; the workflow editor adds, renames, reorders and recategorises
    statuses, and a status still used by tasks cannot be dropped (the message names it)."""
    viewer = request.membership
    project = project_get_for(viewer, project_id)
    initial = {
        "name": project.name,
        "description": project.description,
        "lead": project.lead_id,
        "members": list(project.members.values_list("pk", flat=True)),
        "version": project.version,
    }
    form = _project_form(request, request.POST or None, initial=initial)
    workflow = workflow_rows(request.POST or None, project.statuses())
    status = _status(request)
    conflict = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.project_update(
                actor=viewer,
                project=project,
                version=data["version"] or project.version,
                changes={
                    "name": data["name"],
                    "description": data["description"],
                    "lead": _owner(request, data["lead"]),
                    "member_ids": data["members"],
                    "workflow": workflow,
                },
            )
        except services.EditConflict as exc:
            conflict, status = exc, 409
            typed = request.POST.copy()
            typed["version"] = str(exc.current.version)
            form.data = typed
            form.add_error(None, exc.detail)
        except MeridianError as exc:
            if exc.status_code not in (400, 422):
                raise
            add_service_errors(form, exc, fields={"member_ids": "members"})
        else:
            messages.success(request, "Project saved.")
            return redirect(_project_page(project))
    context = {
        "form": form,
        "project": project,
        "workflow": workflow,
        "categories": CATEGORY_CHOICES,
        "conflict": conflict,
    }
    return render(request, "work/project_form.html", context, status=status)
