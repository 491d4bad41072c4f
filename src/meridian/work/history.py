"""A task's timeline: every change recorded as field, old → new, who, when.

Services call ``task_changed`` inside their transaction for each field they change (with the
values as a person reads them), and ``version_bump`` once per save, so a concurrent save naming
the old version is refused (meridian.work.services raise ``EditConflict``).
"""

from collections.abc import Iterable

from django.db.models import F

from meridian.core.facts import facts_stale
from meridian.work.models import Task, TaskEvent
from meridian.workspaces.models import Membership


def task_changed(
    task: Task, actor: Membership | None, field: str, old: object, new: object
) -> TaskEvent:
    """Record one change of a task (values as text a person reads; None as "")."""
    # Whatever is derived from the task (its metric facts) is redone after commit.
    facts_stale(workspace_id=task.workspace_id, source_kind="task", ids=[task.pk])
    return TaskEvent.objects.create(
        workspace_id=task.workspace_id,
        task=task,
        actor=actor,
        field=field,
        old="" if old is None else str(old),
        new="" if new is None else str(new),
        version=task.version,
    )


def tasks_changed(
    changes: Iterable[tuple[Task, str, object, object]], actor: Membership | None
) -> list[TaskEvent]:
    """Record many changes at once (bulk handover, a rota): one insert."""
    changes = list(changes)
    by_workspace: dict[int, set[int]] = {}
    for task, *_ in changes:
        by_workspace.setdefault(task.workspace_id, set()).add(task.pk)
    for workspace_id, ids in by_workspace.items():
        facts_stale(workspace_id=workspace_id, source_kind="task", ids=ids)
    rows = [
        TaskEvent(
            workspace_id=task.workspace_id,
            task=task,
            actor=actor,
            field=field,
            old="" if old is None else str(old),
            new="" if new is None else str(new),
            version=task.version,
        )
        for task, field, old, new in changes
    ]
    return TaskEvent.objects.bulk_create(rows)


def version_bump(task: Task, expected: int) -> bool:
    """Move the task from version ``expected`` to the next, atomically; False when it had moved.

    The caller holds a transaction; on False nothing was written and the caller raises the
    conflict with the current task and what changed since ``expected``.
    """
    moved = Task.objects.filter(pk=task.pk, version=expected).update(version=F("version") + 1)
    if moved:
        task.version = expected + 1
    return bool(moved)
