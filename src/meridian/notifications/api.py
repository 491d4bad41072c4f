"""The inbox API: list (open, snoozed, done), done, snooze, undo and counts, your own items only.

Someone else's item, or one in another workspace, is a 404; snoozing into the past is a 422
naming the moment. POSTs take an Idempotency-Key like every other POST.
"""

from typing import Any, Literal

from ninja import Field, Query, Router, Schema

from meridian.core.errors import ValidationFailed
from meridian.core.schemas import Problem
from meridian.notifications.access import inbox_item_get_for
from meridian.notifications.models import InboxItem
from meridian.notifications.schemas import InboxCountsOut, InboxItemOut, InboxPageOut, SnoozeIn
from meridian.notifications.selectors import (
    InboxEntry,
    inbox_counts_for,
    inbox_entries_for,
    inbox_items_in_order,
    inbox_list_for,
)
from meridian.notifications.services import inbox_done, inbox_snooze, inbox_undo, snooze_until
from meridian.workspaces.access import ApiRequest, requires
from meridian.workspaces.models import Role

router = Router(tags=["inbox"])

ERRORS: dict[int, Any] = {404: Problem, 409: Problem}


class InboxQuery(Schema):
    view: Literal["open", "snoozed", "done"] = Field(
        "open", description="open: waiting now; snoozed; done."
    )
    limit: int = Field(50, ge=1, le=200, description="Items per page, 1 to 200.")
    offset: int = Field(0, ge=0, le=1_000_000, description="Items to skip.")


def _out(entry: InboxEntry) -> dict[str, Any]:
    item = entry.item
    return {
        "id": item.pk,
        "kind": item.kind,
        "cause": item.cause,
        "title": item.title,
        "why": entry.why,
        "url": item.url,
        "actor": str(item.actor.profile.display_name) if item.actor is not None else None,
        "due_at": item.due_at,
        "overdue": entry.overdue,
        "state": item.state,
        "snoozed_until": item.snoozed_until,
        "done_at": item.done_at,
        "created_at": item.created_at,
        "updated_at": item.updated_at,
    }


def _one(request: ApiRequest, item: InboxItem) -> dict[str, Any]:
    return _out(inbox_entries_for(viewer=request.membership, items=[item])[0])


@router.get("/inbox", response={200: InboxPageOut})
@requires(Role.GUEST)
def inbox_list(request: ApiRequest, filters: Query[InboxQuery]) -> dict[str, Any]:
    """Your inbox: open items by your own deadline (those without one after, newest first),
    snoozed ones by when they return, done ones most recent first."""
    viewer = request.membership
    ids = inbox_list_for(viewer=viewer, view=filters.view).values_list("pk", flat=True)
    count = ids.count()
    page = inbox_items_in_order(
        viewer=viewer, ids=ids[filters.offset : filters.offset + filters.limit]
    )
    end = filters.offset + len(page)
    return {
        "items": [_out(e) for e in inbox_entries_for(viewer=request.membership, items=page)],
        "count": count,
        "next_offset": end if end < count else None,
    }


@router.get("/inbox/counts", response={200: InboxCountsOut})
@requires(Role.GUEST)
def inbox_counts(request: ApiRequest) -> dict[str, int]:
    """How many of your items are waiting now, snoozed and done."""
    counts = inbox_counts_for(viewer=request.membership)
    return {view: count or 0 for view, count in counts.items()}


@router.post("/inbox/{item_id}/done", response={200: InboxItemOut, **ERRORS})
@requires(Role.GUEST)
def inbox_item_done(request: ApiRequest, item_id: int) -> dict[str, Any]:
    """Mark one of your items done (undo brings it back); a gone item is a 409."""
    item = inbox_done(
        acting=request.membership, item=inbox_item_get_for(request.membership, item_id)
    )
    return _one(request, item)


@router.post("/inbox/{item_id}/snooze", response={200: InboxItemOut, 422: Problem, **ERRORS})
@requires(Role.GUEST)
def inbox_item_snooze(request: ApiRequest, item_id: int, payload: SnoozeIn) -> dict[str, Any]:
    """Snooze one of your items until ``until`` or a ``moment`` of your working time; it comes
    back by itself then. A moment in the past is a 422 naming it."""
    item = inbox_item_get_for(request.membership, item_id)
    if payload.until is None and payload.moment is None:
        raise ValidationFailed.field("until", "Give `until` or `moment`.")
    if payload.until is not None and payload.moment is not None:
        raise ValidationFailed.field("moment", "Give `until` or `moment`, not both.")
    until = snooze_until(
        acting=request.membership, moment=payload.moment or "", until=payload.until
    )
    return _one(request, inbox_snooze(acting=request.membership, item=item, until=until))


@router.post("/inbox/{item_id}/undo", response={200: InboxItemOut, **ERRORS})
@requires(Role.GUEST)
def inbox_item_undo(request: ApiRequest, item_id: int) -> dict[str, Any]:
    """Take back marking one of your items done or snoozing it."""
    item = inbox_undo(
        acting=request.membership, item=inbox_item_get_for(request.membership, item_id)
    )
    return _one(request, item)
