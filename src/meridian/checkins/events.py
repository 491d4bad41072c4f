"""The workspace events check-ins emit (meridian.core.events), for webhooks and other listeners.

A blocker is announced with its page, its check-in and what it names (a task, a person); never
its text nor the answers around it, which stay inside the workspace.
"""

from typing import Any

from django.conf import settings
from django.urls import reverse

from meridian.checkins.models import Blocker, Checkin
from meridian.core import registry
from meridian.core.events import event_emit
from meridian.workspaces.models import Membership


def _member(member: Membership | None) -> dict[str, Any] | None:
    if member is None:
        return None
    return {"id": member.pk, "name": member.profile.display_name}


def _task(workspace_id: int, slug: str, task_id: int | None) -> dict[str, Any] | None:
    kind = registry.link_kinds().get("task")
    if not task_id or kind is None:
        return None
    title = kind.titles(workspace_id, [task_id]).get(task_id)
    url = settings.BASE_URL + kind.url(slug, task_id) if kind.url else None
    return {"id": task_id, "title": title, "url": url}


def blocker_raised(blocker: Blocker, checkin: Checkin, slug: str, actor: Membership) -> None:
    """``checkin.blocker_raised``: a member answering a check-in is blocked, for the first time
    on this (a blocker carried over to a later check-in is not raised again)."""
    path = reverse("checkin_blocker", kwargs={"workspace": slug, "blocker_id": blocker.pk})
    event_emit(
        workspace_id=blocker.workspace_id,
        kind="checkin.blocker_raised",
        payload={
            "blocker": {
                "id": blocker.pk,
                "url": settings.BASE_URL + path,
                "task": _task(blocker.workspace_id, slug, blocker.task_id),
                "person": _member(blocker.person),
                "opened_at": blocker.opened_at.isoformat(),
            },
            "checkin": {"id": checkin.pk, "name": checkin.name, "team": checkin.team.name},
            "actor": _member(actor),
        },
    )
