"""The workspace events tasks emit (meridian.core.events), for webhooks and other listeners.

Payloads carry ids, titles, the status, absolute URLs and members' names; never a task's
description or its thread, so what leaves the workspace is what any member sees in a list.
"""

from typing import Any

from django.conf import settings

from meridian.core.events import event_emit
from meridian.work.models import Task
from meridian.work.services.common import project_url_for, task_url_for
from meridian.workspaces.models import Membership


def _member(member: Membership | None) -> dict[str, Any] | None:
    if member is None:
        return None
    return {"id": member.pk, "name": member.profile.display_name}


def _task(task: Task) -> dict[str, Any]:
    slug = task.workspace.slug
    status = task.project.status(task.status)
    return {
        "id": task.pk,
        "title": task.title,
        "url": settings.BASE_URL + task_url_for(slug, task.pk),
        "status": task.status,
        "status_label": status["label"] if status else task.status,
        "done": task.is_done,
        "project": {
            "id": task.project_id,
            "name": task.project.name,
            "url": settings.BASE_URL + project_url_for(slug, task.project_id),
        },
        "owner": _member(task.owner),
        "completed_at": task.completed_at.isoformat() if task.completed_at else None,
    }


def task_created(task: Task, actor: Membership) -> None:
    """``task.created``: a task was written in a project."""
    event_emit(
        workspace_id=task.workspace_id,
        kind="task.created",
        payload={"task": _task(task), "actor": _member(actor)},
    )


def task_completed(task: Task, actor: Membership | None) -> None:
    """``task.completed``: it moved into a done status (an edit or the board)."""
    event_emit(
        workspace_id=task.workspace_id,
        kind="task.completed",
        payload={"task": _task(task), "actor": _member(actor)},
    )


def task_reassigned(task: Task, previous: Membership | None, actor: Membership | None) -> None:
    """``task.reassigned``: it got another owner, by an edit or an acknowledged handover."""
    event_emit(
        workspace_id=task.workspace_id,
        kind="task.reassigned",
        payload={"task": _task(task), "previous_owner": _member(previous), "actor": _member(actor)},
    )
