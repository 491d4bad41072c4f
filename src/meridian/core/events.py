"""Workspace events: what happened, told after commit to whoever listens (webhooks, later metrics).

An area emits an event from its service, inside the service's transaction::

    event_emit(workspace_id=brief.workspace_id, kind="brief.closed",
               payload={"id": brief.pk, "title": brief.title, "url": brief_url(brief)})

Listeners are registered at ``registry.EVENT_LISTENERS`` from an area's ``hooks.py``; each
is called with an :class:`Event` once the transaction commits, so a rolled-back write tells
nobody. The payload must hold only what every member of the workspace may see: blind and
anonymous content never goes into an event.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from meridian.core import registry


@dataclass(frozen=True)
class Event:
    """One thing that happened in a workspace, as listeners receive it."""

    workspace_id: int
    kind: str
    payload: dict[str, Any]
    occurred_at: datetime


def event_emit(*, workspace_id: int, kind: str, payload: dict[str, Any]) -> None:
    """Tell every listener about ``kind`` once the current transaction commits."""
    event = Event(
        workspace_id=workspace_id, kind=kind, payload=dict(payload), occurred_at=timezone.now()
    )

    def deliver() -> None:
        for listener in registry.items(registry.EVENT_LISTENERS):
            listener(event)

    transaction.on_commit(deliver)
