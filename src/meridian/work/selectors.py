"""Reads of the work area for a task's and a project's own pages and the API.

(The pages' lists, board and "my work" live in ``selectors_views``.) Every read takes the
viewer, keeps to their workspace, and runs a constant number of queries, whatever the number of
rows: the tests assert it.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone

from meridian.core import registry
from meridian.core.errors import ValidationFailed
from meridian.handovers.models import Handover
from meridian.handovers.selectors import pending_handovers
from meridian.work.models import (
    Dependency,
    Project,
    ProjectMember,
    Task,
    TaskComment,
    TaskEvent,
    TaskFile,
    TaskFollower,
    TaskLink,
)
from meridian.workspaces.models import Membership

EVENTS_SHOWN = 50


def blocked_ids(task_ids: Iterable[int]) -> set[int]:
    """Those of the tasks that wait for a blocker not done yet (one query)."""
    ids = list(task_ids)
    if not ids:
        return set()
    rows = Dependency.objects.filter(blocked_id__in=ids, blocker__is_done=False)
    return set(rows.values_list("blocked_id", flat=True).distinct())


def _blocked_expr() -> Exists:
    return Exists(Dependency.objects.filter(blocked=OuterRef("pk"), blocker__is_done=False))


# --- Lists -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TaskFilters:
    """The task list's filters, shared by the API list (and available to the pages).

    ``owner`` is a member id, ``"me"`` or ``"none"``; ``due`` is ``overdue``, ``week`` (due in
    the next seven days) or ``none``; ``blocked`` keeps tasks waiting for a blocker (True) or
    not (False); ``done`` keeps done (True) or open (False) tasks.
    """

    owner: str = ""
    status: str = ""
    tag: str = ""
    due: str = ""
    blocked: bool | None = None
    project: int | None = None
    done: bool | None = None
    q: str = ""


DUE_CHOICES = ("overdue", "week", "none")


def task_list_for(*, viewer: Membership, filters: TaskFilters) -> QuerySet[Task]:
    """The workspace's tasks matching the filters, with what a list row shows (constant queries)."""
    rows = (
        Task.objects.filter(workspace_id=viewer.workspace_id)
        .select_related("project", "owner__profile")
        .prefetch_related("tags")
        .annotate(is_blocked=_blocked_expr())
    )
    for name in ("owner", "status", "tag", "due", "q"):
        if "\x00" in getattr(filters, name):
            raise ValidationFailed.field(name, "A filter cannot contain a NUL character.")
    owner = filters.owner.strip()
    if owner == "me":
        rows = rows.filter(owner=viewer)
    elif owner == "none":
        rows = rows.filter(owner__isnull=True)
    elif owner:
        if not owner.isascii() or not owner.isdigit() or not 0 < int(owner) < 2**63:
            raise ValidationFailed.field("owner", "Give a member id, “me” or “none”.")
        rows = rows.filter(owner_id=int(owner))
    if filters.status:
        rows = rows.filter(status=filters.status)
    if filters.tag:
        rows = rows.filter(tags__name=filters.tag.strip().lower())
    if filters.due:
        now = timezone.now()
        if filters.due == "overdue":
            rows = rows.filter(is_done=False, due_by__lt=now)
        elif filters.due == "week":
            rows = rows.filter(is_done=False, due_by__gte=now, due_by__lt=now + timedelta(days=7))
        elif filters.due == "none":
            rows = rows.filter(due_by__isnull=True)
        else:
            raise ValidationFailed.field("due", f"Choose one of: {', '.join(DUE_CHOICES)}.")
    if filters.blocked is not None:
        rows = rows.filter(is_blocked=filters.blocked)
    if filters.project is not None:
        rows = rows.filter(project_id=filters.project)
    if filters.done is not None:
        rows = rows.filter(is_done=filters.done)
    if filters.q.strip():
        rows = rows.filter(title__icontains=filters.q.strip())
    return rows


def project_list_for(*, viewer: Membership, archived: bool = False) -> QuerySet[Project]:
    """The workspace's projects by name, with their lead (constant queries)."""
    return (
        Project.objects.filter(workspace_id=viewer.workspace_id, archived_at__isnull=not archived)
        .select_related("lead__profile")
        .prefetch_related(
            Prefetch(
                "memberships",
                queryset=ProjectMember.objects.select_related("membership__profile"),
            )
        )
    )


def timeline_for(*, viewer: Membership, task: Task) -> QuerySet[TaskEvent]:
    """A task's timeline, newest first, with who made each change."""
    return TaskEvent.objects.filter(
        workspace_id=viewer.workspace_id, task_id=task.pk
    ).select_related("actor__profile")


def comments_for(*, viewer: Membership, task: Task) -> QuerySet[TaskComment]:
    """A task's thread in the order it was written (replies carry their parent)."""
    return TaskComment.objects.filter(
        workspace_id=viewer.workspace_id, task_id=task.pk
    ).select_related("author__profile", "answered_by__profile")


# --- One task ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class DependencyRow:
    """One dependency seen from a task: the other task, its owner and whether it is done."""

    dependency: Dependency
    task: Task

    @property
    def is_done(self) -> bool:
        return self.task.is_done

    @property
    def owner(self) -> Membership | None:
        return self.task.owner


@dataclass(frozen=True)
class LinkRow:
    """A task's link with what it points at: the kind's noun, the target's title and page."""

    link: TaskLink
    noun: str
    title: str
    url: str

    @property
    def exists(self) -> bool:
        return bool(self.title)


@dataclass
class Thread:
    """A comment at the top of the thread and its replies, in order."""

    comment: TaskComment
    replies: list[TaskComment] = field(default_factory=list)


@dataclass
class TaskDetail:
    """Everything a task's page shows, read at once."""

    task: Task
    blockers: list[DependencyRow]
    blocking: list[DependencyRow]
    subtasks: list[Task]
    links: list[LinkRow]
    files: list[TaskFile]
    comments: list[TaskComment]
    threads: list[Thread]
    open_questions: list[TaskComment]
    followers: list[Membership]
    events: list[TaskEvent]
    tags: list[str]
    handover: Handover | None
    viewer_follows: bool

    @property
    def is_blocked(self) -> bool:
        return any(not row.is_done for row in self.blockers)

    @property
    def open_blockers(self) -> list[DependencyRow]:
        return [row for row in self.blockers if not row.is_done]


def links_titled(workspace_id: int, slug: str, rows: list[TaskLink]) -> list[LinkRow]:
    """Each link with its target's title and page, one query per kind of link present."""
    kinds = registry.link_kinds()
    by_kind: dict[str, list[int]] = {}
    for row in rows:
        by_kind.setdefault(row.kind, []).append(row.target_id)
    titles: dict[str, dict[int, str]] = {}
    for kind, ids in by_kind.items():
        registered = kinds.get(kind)
        titles[kind] = registered.titles(workspace_id, ids) if registered else {}
    out = []
    for row in rows:
        registered = kinds.get(row.kind)
        title = titles.get(row.kind, {}).get(row.target_id, "")
        url = registered.url(slug, row.target_id) if registered and registered.url and title else ""
        out.append(
            LinkRow(
                link=row, noun=registered.noun if registered else row.kind, title=title, url=url
            )
        )
    return out


def _threads(comments: list[TaskComment]) -> list[Thread]:
    roots: dict[int, Thread] = {}
    for comment in comments:
        if comment.parent_id is None:
            roots[comment.pk] = Thread(comment)
    for comment in comments:
        if comment.parent_id is not None and comment.parent_id in roots:
            roots[comment.parent_id].replies.append(comment)
    return list(roots.values())


def task_detail(viewer: Membership, task: Task) -> TaskDetail:
    """A task with its blockers and blocked tasks (owners, done state), subtasks, links with
    titles, files, thread and unanswered questions, followers, last 50 changes and any pending
    handover (a constant number of queries)."""
    owner_related = ("owner__profile", "project")
    deps = list(
        Dependency.objects.filter(Q(blocked=task) | Q(blocker=task))
        .select_related(
            *(f"blocker__{r}" for r in owner_related), *(f"blocked__{r}" for r in owner_related)
        )
        .order_by("created_at", "id")
    )
    blockers = [DependencyRow(d, d.blocker) for d in deps if d.blocked_id == task.pk]
    blocking = [DependencyRow(d, d.blocked) for d in deps if d.blocker_id == task.pk]
    subtasks = list(task.subtasks.select_related("owner__profile").order_by("position", "id"))
    links = links_titled(task.workspace_id, viewer.workspace.slug, list(task.links.all()))
    files = list(task.files.select_related("uploaded_by__profile"))
    comments = list(comments_for(viewer=viewer, task=task))
    followers = list(
        Membership.objects.filter(
            pk__in=TaskFollower.objects.filter(task=task).values("membership_id")
        ).select_related("profile")
    )
    events = list(timeline_for(viewer=viewer, task=task)[:EVENTS_SHOWN])
    tags = sorted(task.tags.values_list("name", flat=True))
    handover = pending_handovers(task.workspace_id, "task", [task.pk]).get(task.pk)
    return TaskDetail(
        task=task,
        blockers=blockers,
        blocking=blocking,
        subtasks=subtasks,
        links=links,
        files=files,
        comments=comments,
        threads=_threads(comments),
        open_questions=[c for c in comments if c.is_question and c.answered_at is None],
        followers=sorted(followers, key=lambda m: (str(m.profile.display_name).lower(), m.pk)),
        events=events,
        tags=tags,
        handover=handover,
        viewer_follows=any(m.pk == viewer.pk for m in followers),
    )


def project_detail_for(*, viewer: Membership, project: Project) -> dict[str, Any]:
    """A project's members and its tasks counted per status (two queries)."""
    from django.db.models import Count

    members = [
        row.membership
        for row in ProjectMember.objects.filter(project=project).select_related(
            "membership__profile"
        )
    ]
    counts = dict(
        Task.objects.filter(project=project)
        .values_list("status")
        .annotate(n=Count("id"))
        .values_list("status", "n")
    )
    return {"members": members, "counts": counts}


def recent_tasks(workspace_id: int, limit: int) -> list[tuple[int, str]]:
    """The workspace's latest tasks, newest first, for a "link a task" menu."""
    rows = Task.objects.filter(workspace_id=workspace_id).order_by("-updated_at", "-id")
    return [(pk, title) for pk, title in rows.values_list("pk", "title")[:limit]]


def task_titles(workspace_id: int, ids: list[int]) -> dict[int, str]:
    """Titles of those of the ids that are tasks of the workspace (one query)."""
    return dict(
        Task.objects.filter(workspace_id=workspace_id, pk__in=ids).values_list("pk", "title")
    )


def recent_projects(workspace_id: int, limit: int) -> list[tuple[int, str]]:
    """The workspace's latest projects, newest first, for a "link a project" menu."""
    rows = Project.objects.filter(workspace_id=workspace_id).order_by("-id")
    return [(pk, name) for pk, name in rows.values_list("pk", "name")[:limit]]


def project_titles(workspace_id: int, ids: list[int]) -> dict[int, str]:
    """Names of those of the ids that are projects of the workspace (one query): what metrics,
    goals and dashboards call a project they measure."""
    return dict(
        Project.objects.filter(workspace_id=workspace_id, pk__in=ids).values_list("pk", "name")
    )


def task_summaries(workspace_id: int, ids: list[int]) -> dict[int, str]:
    """A line per task for a handover packet: its status and owner."""
    rows = Task.objects.filter(workspace_id=workspace_id, pk__in=ids).select_related(
        "project", "owner__profile"
    )
    out = {}
    for task in rows:
        status = task.project.status(task.status)
        owner = task.owner.profile.display_name if task.owner else "nobody"
        out[task.pk] = f"{status['label'] if status else task.status}, owned by {owner}"
    return out


# --- Objects of one task (404 alike for missing and not of this task) ----------------------------


def comment_get_for(viewer: Membership, task: Task, comment_id: int) -> TaskComment:
    from meridian.core.errors import NotFound

    found = comments_for(viewer=viewer, task=task).filter(pk=comment_id).first()
    if found is None:
        raise NotFound("No such comment on this task.")
    return found


def link_get_for(viewer: Membership, task: Task, link_id: int) -> TaskLink:
    from meridian.core.errors import NotFound

    found = TaskLink.objects.filter(workspace_id=viewer.workspace_id, task=task, pk=link_id).first()
    if found is None:
        raise NotFound("No such link on this task.")
    return found


def file_get_for(viewer: Membership, task: Task, file_id: int) -> TaskFile:
    from meridian.core.errors import NotFound

    found = (
        TaskFile.objects.filter(workspace_id=viewer.workspace_id, task=task, pk=file_id)
        .select_related("uploaded_by__profile", "task")
        .first()
    )
    if found is None:
        raise NotFound("No such file on this task.")
    return found


def dependency_get_for(viewer: Membership, task: Task, dependency_id: int) -> Dependency:
    """A dependency in which the task blocks or is blocked."""
    from meridian.core.errors import NotFound

    found = (
        Dependency.objects.filter(workspace_id=viewer.workspace_id, pk=dependency_id)
        .filter(Q(blocked=task) | Q(blocker=task))
        .first()
    )
    if found is None:
        raise NotFound("No such dependency of this task.")
    return found
