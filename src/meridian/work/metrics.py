"""The work area's built-in metrics: the facts each task gives (meridian.core.registry.METRICS).

Every fact is about the task's owner (its member) and its project. A task gives:

* ``tasks_completed``: 1 when it was done (at ``completed_at``);
* ``cycle_time``: once done, the hours from its creation to its completion that fall in the
  owner's working hours (their zone and weekly hours; time off is not subtracted yet), or
  the elapsed hours when the task has no owner or the owner has no working hours;
* ``open_tasks`` (a level): +1 when created, -1 when done;
* ``overdue_tasks`` (a level): +1 at its due moment (``due_by``) when it was not done by then,
  -1 when it was done after it;
* ``time_blocked``: per stretch the task spent in a status of its project's "blocked" category
  (from its timeline's status changes; a task created blocked from its creation), once the
  stretch ends, the hours of it in the owner's working hours (elapsed hours without an owner
  or working hours). A stretch still going on counts when it ends.
"""

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from meridian.core.registry import FactIn
from meridian.core.workingtime import WorkingHoursError, working_time_between, working_week
from meridian.work.models import DEFAULT_WORKFLOW, StatusCategory, Task, TaskEvent

HOUR = 3600.0
_FIELDS = (
    "pk",
    "owner_id",
    "project_id",
    "created_at",
    "completed_at",
    "is_done",
    "due_by",
    "owner__profile__time_zone",
    "owner__profile__working_hours",
)


def _rows(workspace_id: int, ids: list[int] | None) -> Iterator[tuple[Any, ...]]:
    tasks = Task.objects.filter(workspace_id=workspace_id)
    if ids is not None:
        tasks = tasks.filter(pk__in=ids)
    yield from tasks.order_by("pk").values_list(*_FIELDS).iterator(chunk_size=2000)


def _done(row: tuple[Any, ...]) -> datetime | None:
    return row[4] if row[5] and row[4] is not None else None


def completed_facts(workspace_id: int, ids: list[int] | None) -> Iterator[FactIn]:
    for row in _rows(workspace_id, ids):
        if done := _done(row):
            yield FactIn(row[0], done, 1, member_id=row[1], project_id=row[2], part="done")


def _working_hours(zone: str | None, hours: Any, start: datetime, end: datetime) -> float:
    try:
        days = {int(d): [(int(a), int(b)) for a, b in spans] for d, spans in (hours or {}).items()}
        week = working_week(zone or "UTC", days)
    except (WorkingHoursError, TypeError, ValueError, AttributeError):
        week = None
    if week is None or not week.has_hours:
        return max((end - start).total_seconds(), 0.0) / HOUR
    return working_time_between(week, start, end).total_seconds() / HOUR


def cycle_time_facts(workspace_id: int, ids: list[int] | None) -> Iterator[FactIn]:
    for row in _rows(workspace_id, ids):
        if done := _done(row):
            hours = _working_hours(row[7], row[8], row[3], done)
            yield FactIn(row[0], done, hours, member_id=row[1], project_id=row[2], part="cycle")


def open_facts(workspace_id: int, ids: list[int] | None) -> Iterator[FactIn]:
    for row in _rows(workspace_id, ids):
        yield FactIn(row[0], row[3], 1, member_id=row[1], project_id=row[2], part="opened")
        if done := _done(row):
            yield FactIn(row[0], done, -1, member_id=row[1], project_id=row[2], part="done")


def overdue_facts(workspace_id: int, ids: list[int] | None) -> Iterator[FactIn]:
    for row in _rows(workspace_id, ids):
        due, done = row[6], _done(row)
        if due is None or (done is not None and done <= due):
            continue
        yield FactIn(row[0], due, 1, member_id=row[1], project_id=row[2], part="late")
        if done is not None:
            yield FactIn(row[0], done, -1, member_id=row[1], project_id=row[2], part="done")


def _blocked_names(workflow: Any) -> set[str]:
    """The keys and labels of a workflow's statuses in the "blocked" category (the timeline
    keeps labels; a status no longer in the workflow counts by its key)."""
    names: set[str] = set()
    for status in workflow or DEFAULT_WORKFLOW:
        if status.get("category") == StatusCategory.BLOCKED:
            names.update({status.get("key", ""), status.get("label", "")})
    return names - {""}


def blocked_facts(workspace_id: int, ids: list[int] | None) -> Iterator[FactIn]:
    tasks = Task.objects.filter(workspace_id=workspace_id)
    events = TaskEvent.objects.filter(workspace_id=workspace_id, field="status")
    if ids is not None:
        tasks = tasks.filter(pk__in=ids)
        events = events.filter(task_id__in=ids)
    changes: dict[int, list[tuple[int, str, str, datetime]]] = {}
    for task_id, pk, old, new, at in events.order_by("task_id", "created_at", "pk").values_list(
        "task_id", "pk", "old", "new", "created_at"
    ):
        changes.setdefault(task_id, []).append((pk, old, new, at))
    if not changes:
        return
    rows = tasks.filter(pk__in=list(changes)).values_list(
        "pk",
        "owner_id",
        "project_id",
        "created_at",
        "project__workflow",
        "owner__profile__time_zone",
        "owner__profile__working_hours",
    )
    for pk, owner, project, created, workflow, zone, hours in rows.iterator(chunk_size=2000):
        blocked = _blocked_names(workflow)
        steps = changes[pk]
        since: tuple[str, datetime] | None = None
        if steps[0][1] in blocked:  # created in a blocked status
            since = ("created", created)
        for event_id, _old, new, at in steps:
            if new in blocked:
                if since is None:
                    since = (str(event_id), at)
                continue
            if since is not None:
                value = _working_hours(zone, hours, since[1], at)
                yield FactIn(
                    pk, at, value, member_id=owner, project_id=project, part=f"blocked:{since[0]}"
                )
                since = None
