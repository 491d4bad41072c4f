"""What the work services share: limits, addresses, names, due dates and the checks on who acts."""

from dataclasses import dataclass
from datetime import date as Day
from datetime import datetime, timedelta
from typing import Any

from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from meridian.asks.deadlines import deadline_problem, local_deadline, week_of
from meridian.asks.people import member_weeks
from meridian.core.errors import Conflict, FieldErrors, NotFound, PermissionDenied, ValidationFailed
from meridian.core.moments import moment_text
from meridian.core.workingtime import WorkingHoursError, add_working_time
from meridian.work.models import DueKind, Project, Task, TaskEvent
from meridian.workspaces.models import Membership, Role

MAX_NAME = 200
MAX_TITLE = 200
MAX_DESCRIPTION = 50_000
MAX_COMMENT = 20_000
MAX_CRITERIA = 100
MAX_CRITERION = 500
MAX_TAGS = 20
MAX_TAG = 50
MAX_NOTE = 500
MAX_STATUSES = 20
MAX_ESTIMATE_MINUTES = 10_000 * 60
MAX_WORKING_MINUTES = 2_000 * 60


class EditConflict(Conflict):
    """Someone else saved the task since the version the editor read (HTTP 409).

    ``current`` is the task as it is now; ``changes`` the timeline entries written since the
    editor's version, oldest first, so the page and the API can show the other change.
    """

    def __init__(self, detail: str, *, current: Task | Project, changes: list[TaskEvent]) -> None:
        super().__init__(detail)
        self.current = current
        self.changes = changes


@dataclass(frozen=True)
class Due:
    """When a task is due: ``kind`` is a DueKind; ``at`` for an instant, ``date`` for the end of
    a day in the owner's zone, ``working_minutes`` for working time of the owner from now."""

    kind: str = DueKind.NONE
    at: datetime | None = None
    date: Day | None = None
    working_minutes: int | None = None


def name(member: Membership | None) -> str:
    return str(member.profile.display_name) if member is not None else ""


def _reverse(url_name: str, fallback: str, **kwargs: Any) -> str:
    try:
        return reverse(url_name, kwargs=kwargs)
    except NoReverseMatch:  # the pages are wired by their own module; the address stays right
        return fallback


def task_url(task: Task) -> str:
    """The site-relative address of a task's page."""
    slug = task.workspace.slug
    return _reverse(
        "task_detail", f"/w/{slug}/work/tasks/{task.pk}/", workspace=slug, task_id=task.pk
    )


def project_url(project: Project) -> str:
    """The site-relative address of a project's page."""
    slug = project.workspace.slug
    return _reverse(
        "project_detail",
        f"/w/{slug}/work/projects/{project.pk}/",
        workspace=slug,
        project_id=project.pk,
    )


def task_cause(task: Task | int) -> str:
    """The inbox cause of owning an open task with a due date (one item, the owner's)."""
    return f"work.task:{task if isinstance(task, int) else task.pk}"


def require_writer(actor: Membership, workspace_id: int, what: str = "tasks") -> None:
    """Members and admins of the workspace write; guests read only; others find nothing."""
    if actor.workspace_id != workspace_id:
        raise NotFound("Not found in this workspace.")
    if not actor.has_role(Role.MEMBER):
        raise PermissionDenied(f"Guests can read {what} but not change them.")


def clean_text(
    field: str, text: str, limit: int, problems: FieldErrors, what: str, *, required: bool = False
) -> str:
    text = (text or "").strip()
    if required and not text:
        problems.add(field, f"{what} cannot be empty.")
    if len(text) > limit:
        problems.add(field, f"{what} has at most {limit:,} characters, not {len(text):,}.")
    return text


def member_of(
    workspace_id: int, member: Membership | None, field: str, problems: FieldErrors
) -> Membership | None:
    """The member, if an active one of the workspace; else a field error."""
    if member is None:
        return None
    if member.workspace_id != workspace_id or not member.is_active:
        problems.add(field, "Choose an active member of this workspace.")
        return None
    return member


def members_of(workspace_id: int, ids: Any, field: str, problems: FieldErrors) -> list[Membership]:
    """The active members with these ids, in the order given; unknown ids are a field error."""
    wanted = list(dict.fromkeys(int(i) for i in ids or ()))
    if not wanted:
        return []
    found = {
        m.pk: m
        for m in Membership.objects.select_related("profile", "user", "workspace").filter(
            workspace_id=workspace_id, is_active=True, pk__in=wanted
        )
    }
    missing = [i for i in wanted if i not in found]
    if missing:
        listed = ", ".join(f"#{i}" for i in missing)
        problems.add(field, f"There is no active member {listed} in this workspace.")
    return [found[i] for i in wanted if i in found]


def status_check(project: Project, status: str) -> dict[str, str]:
    """The project's status with this key; any other is a 422 naming the allowed ones."""
    found = project.status(status)
    if found is None:
        allowed = ", ".join(f"{s['label']} ({s['key']})" for s in project.statuses())
        raise ValidationFailed.field(
            "status",
            f"“{str(status)[:40]}” is not a status of {project.name}; use one of: {allowed}.",
        )
    return found


def first_open_status(project: Project) -> dict[str, str]:
    statuses = project.statuses()
    return next((s for s in statuses if s["category"] == "open"), statuses[0])


def due_check(due: Due | None, problems: FieldErrors, now: datetime) -> Due:
    """The due date as it will be stored; a field error for one that does not fit its kind."""
    if due is None:
        return Due()
    if due.kind not in DueKind.values:
        problems.add(
            "due_kind", f"Unknown due kind “{str(due.kind)[:30]}”; use {', '.join(DueKind.values)}."
        )
        return Due()
    if due.kind == DueKind.NONE:
        return Due()
    if due.kind == DueKind.INSTANT:
        if due.at is None or due.at.tzinfo is None or due.at.utcoffset() is None:
            problems.add(
                "due_at", "Give the due moment with its UTC offset, e.g. 2026-12-10T17:00:00+01:00."
            )
            return Due()
        problem = deadline_problem(at=due.at, now=now)
        if problem is not None:
            problems.add("due_at", problem[1])
            return Due()
        return Due(DueKind.INSTANT, at=due.at)
    if due.kind == DueKind.LOCAL_DAY:
        if due.date is None:
            problems.add("due_date", "Give the day the task is due.")
            return Due()
        problem = deadline_problem(day=due.date, now=now)
        if problem is not None:
            problems.add("due_date", problem[1])
            return Due()
        return Due(DueKind.LOCAL_DAY, date=due.date)
    minutes = due.working_minutes
    if minutes is None or not 1 <= minutes <= MAX_WORKING_MINUTES:
        problems.add(
            "due_working_minutes",
            f"Give the working time in minutes, from 1 to {MAX_WORKING_MINUTES:,}.",
        )
        return Due()
    return Due(DueKind.WORKING_TIME, working_minutes=minutes)


def due_by_for(task: Task, owner: Membership | None, now: datetime) -> datetime | None:
    """When the task falls due for its owner: the instant, the end of their day (the day-off
    rule of meridian.asks.deadlines, their time off included), or their working time counted
    from ``now`` (days away do not count)."""
    if task.due_kind == DueKind.INSTANT:
        return task.due_at
    if task.due_kind == DueKind.NONE:
        return None
    week = week_of("UTC", {}) if owner is None else member_weeks([owner], now=now)[owner.pk]
    if task.due_kind == DueKind.LOCAL_DAY:
        return local_deadline(week, deadline_at=None, deadline_date=task.due_date)
    if task.due_kind == DueKind.WORKING_TIME and task.due_working_minutes:
        amount = timedelta(minutes=task.due_working_minutes)
        try:
            return add_working_time(week, now, amount)
        except WorkingHoursError:  # no working hours at all: the clock's time
            return now + amount
    return None


def due_text(task: Task) -> str:
    """The due date as a person reads it in the timeline (kept as it was then)."""
    if task.due_kind == DueKind.INSTANT and task.due_at is not None:
        return moment_text(task.due_at, "UTC", "stamp")
    if task.due_kind == DueKind.LOCAL_DAY and task.due_date is not None:
        return f"End of {task.due_date.isoformat()}, in the owner's zone"
    if task.due_kind == DueKind.WORKING_TIME and task.due_working_minutes:
        return f"{minutes_text(task.due_working_minutes)} of the owner's working time"
    return ""


def minutes_text(minutes: int | None) -> str:
    """90 → "1 h 30 min"; None → ""."""
    if minutes is None:
        return ""
    hours, rest = divmod(int(minutes), 60)
    if hours and rest:
        return f"{hours} h {rest} min"
    return f"{hours} h" if hours else f"{rest} min"


def now() -> datetime:
    return timezone.now()


def task_url_for(workspace_slug: str, task_id: int) -> str:
    """A task's page from its workspace's slug and its id (for the link registry)."""
    return _reverse(
        "task_detail",
        f"/w/{workspace_slug}/work/tasks/{task_id}/",
        workspace=workspace_slug,
        task_id=task_id,
    )


def project_url_for(workspace_slug: str, project_id: int) -> str:
    """A project's page from its workspace's slug and its id."""
    return _reverse(
        "project_detail",
        f"/w/{workspace_slug}/work/projects/{project_id}/",
        workspace=workspace_slug,
        project_id=project_id,
    )
