"""The workspace events briefs emit (meridian.core.events), for webhooks and other listeners.

Payloads carry ids, titles, absolute URLs and the acting member's name; never a comment's
text, so what leaves the workspace is only what any member could see in a list.
"""

from typing import Any

from django.conf import settings
from django.urls import reverse

from meridian.briefs.models import Brief, Comment
from meridian.core.events import event_emit
from meridian.workspaces.models import Membership


def _brief(brief: Brief) -> dict[str, Any]:
    path = reverse("brief_detail", kwargs={"workspace": brief.workspace.slug, "brief_id": brief.pk})
    return {
        "id": brief.pk,
        "title": brief.title,
        "url": settings.BASE_URL + path,
        "status": brief.status,
        "ask": brief.ask_kind,
        "respond_by": brief.respond_by.isoformat() if brief.respond_by else None,
    }


def _actor(member: Membership | None) -> dict[str, Any] | None:
    if member is None:
        return None
    return {"id": member.pk, "name": member.profile.display_name}


def brief_created(brief: Brief, actor: Membership) -> None:
    """``brief.created``: a brief was written and its participants asked."""
    event_emit(
        workspace_id=brief.workspace_id,
        kind="brief.created",
        payload={"brief": _brief(brief), "actor": _actor(actor)},
    )


def brief_closed(brief: Brief, actor: Membership) -> None:
    """``brief.closed``: its author closed it with a summary."""
    event_emit(
        workspace_id=brief.workspace_id,
        kind="brief.closed",
        payload={"brief": _brief(brief), "actor": _actor(actor)},
    )


def comment_added(comment: Comment, brief: Brief, actor: Membership) -> None:
    """``comment.added`` on a brief: a comment, a question or a participant's response."""
    data = _brief(brief)
    event_emit(
        workspace_id=brief.workspace_id,
        kind="comment.added",
        payload={
            "comment": {
                "id": comment.pk,
                "on": "brief",
                "url": f"{data['url']}#comment-{comment.pk}",
                "is_question": comment.is_question,
                "is_response": comment.is_response,
                "is_reply": comment.parent_id is not None,
            },
            "brief": data,
            "actor": _actor(actor),
        },
    )
