"""The workspace events handovers emit (meridian.core.events), for webhooks and other listeners.

Payloads carry the handover's id and page, the item's kind, id and name, and who gives and
who receives it; never the handover's note nor its questions.
"""

from typing import Any

from django.conf import settings
from django.urls import reverse

from meridian.core.events import event_emit
from meridian.handovers.models import Handover
from meridian.workspaces.models import Membership


def _member(member: Membership | None) -> dict[str, Any] | None:
    if member is None:
        return None
    return {"id": member.pk, "name": member.profile.display_name}


def _handover(handover: Handover, slug: str) -> dict[str, Any]:
    path = reverse("handover_detail", kwargs={"workspace": slug, "handover_id": handover.pk})
    return {
        "id": handover.pk,
        "url": settings.BASE_URL + path,
        "state": handover.state,
        "item": {"kind": handover.kind, "id": handover.object_id, "title": handover.object_label},
        "giver": _member(handover.giver),
        "receiver": _member(handover.receiver),
    }


def handover_started(handover: Handover, slug: str, actor: Membership) -> None:
    """``handover.started``: an item was handed to a member, who has yet to acknowledge it."""
    event_emit(
        workspace_id=handover.workspace_id,
        kind="handover.started",
        payload={"handover": _handover(handover, slug), "actor": _member(actor)},
    )


def handover_acknowledged(handover: Handover, slug: str, actor: Membership) -> None:
    """``handover.acknowledged``: the receiver took the item over."""
    event_emit(
        workspace_id=handover.workspace_id,
        kind="handover.acknowledged",
        payload={"handover": _handover(handover, slug), "actor": _member(actor)},
    )
