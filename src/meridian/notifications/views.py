"""Pages of the inbox: everything awaiting the member, done, snooze, undo, and the nav's count."""

import contextlib
from datetime import date

from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST, require_safe
from django.views.decorators.vary import vary_on_headers

from meridian.core.errors import MeridianError
from meridian.core.moments import local_date
from meridian.notifications import snooze
from meridian.notifications.access import inbox_item_get_for
from meridian.notifications.models import InboxItem
from meridian.notifications.selectors import (
    VIEWS,
    inbox_count_for,
    inbox_counts_for,
    inbox_entries_for,
    inbox_items_in_order,
    inbox_list_for,
)
from meridian.notifications.services import inbox_done, inbox_snooze, inbox_undo, snooze_until
from meridian.workspaces.access import WorkspaceRequest, requires
from meridian.workspaces.models import Role

ITEMS_PER_PAGE = 25
# The event an htmx answer sends so the nav's count refreshes at once.
CHANGED = "inbox-changed"


def _inbox_url(workspace: str, **query: str) -> str:
    url = reverse("inbox", kwargs={"workspace": workspace})
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def _today(request: WorkspaceRequest) -> str:
    """The member's own date, the earliest a snooze date can be."""
    return local_date(timezone.now(), request.membership.profile.time_zone).isoformat()


def _context(request: WorkspaceRequest, view: str) -> dict[str, object]:
    viewer = request.membership
    now = timezone.now()
    # Done items are counted only on their own tab (they pile up; the other tabs don't need it).
    counts = inbox_counts_for(viewer=viewer, now=now, done=view == "done")
    ids = inbox_list_for(viewer=viewer, view=view, now=now).values_list("pk", flat=True)
    paginator = Paginator(ids, ITEMS_PER_PAGE)
    paginator.count = counts[view] or 0  # counted already, with the others
    page = paginator.get_page(request.GET.get("page"))
    items = inbox_items_in_order(viewer=viewer, ids=page.object_list)
    return {
        "page": page,
        "entries": inbox_entries_for(viewer=viewer, items=items, now=now),
        "item_base": _inbox_url(viewer.workspace.slug),
        "view": view,
        "views": VIEWS,
        "counts": counts,
        "moments": snooze.MOMENTS,
        "today": _today(request),
        # The nav's badge is the open count just made: no second request counts it again.
        "nav_badges": {"inbox": _badge_html(request, counts["open"] or 0)},
    }


def _badge_html(request: WorkspaceRequest, count: int) -> str:
    return render_to_string(
        "notifications/inbox.html#inbox-badge", {"count": count}, request=request
    )


@vary_on_headers("HX-Request")
@require_safe
@requires(Role.GUEST)
def inbox(request: WorkspaceRequest, workspace: str) -> HttpResponse:
    """What awaits the member, by their own deadline, with done, snooze and undo."""
    view = request.GET.get("view", "open")
    context = _context(request, view if view in VIEWS else "open")
    undo_id = request.GET.get("undo", "")
    if undo_id.isdigit() and len(undo_id) < 18:
        with contextlib.suppress(MeridianError):
            context["undo"] = inbox_item_get_for(request.membership, int(undo_id))
    template = "notifications/inbox.html"
    if request.htmx and not request.htmx.history_restore_request:
        template += "#inbox-list"
    return render(request, template, context)


@require_safe
@requires(Role.GUEST)
def inbox_badge(request: WorkspaceRequest, workspace: str) -> HttpResponse:
    """The nav's count of items waiting now (an htmx fragment, refreshed while the tab shows)."""
    response = render(
        request,
        "notifications/inbox.html#inbox-badge",
        {"count": inbox_count_for(viewer=request.membership)},
    )
    response["Cache-Control"] = "no-store"
    return response


def _after(request: WorkspaceRequest, item: InboxItem, done: str) -> HttpResponse:
    """htmx: the item's row becomes a message with an Undo button; else back to the inbox."""
    if request.htmx:
        response = render(
            request, "notifications/inbox.html#inbox-undo", {"undo": item, "done": done}
        )
        response["HX-Trigger"] = CHANGED
        return response
    return redirect(_inbox_url(request.membership.workspace.slug, undo=str(item.pk)))


@require_POST
@requires(Role.GUEST)
def inbox_done_view(request: WorkspaceRequest, workspace: str, item_id: int) -> HttpResponse:
    """The member marks an item done."""
    item = inbox_done(
        acting=request.membership, item=inbox_item_get_for(request.membership, item_id)
    )
    return _after(request, item, "done")


def _snooze_choice(request: WorkspaceRequest) -> tuple[str, date | None]:
    moment = request.POST.get("moment", "").strip()
    raw_day = request.POST.get("date", "").strip()
    if moment or not raw_day:
        return moment, None
    try:
        return "", date.fromisoformat(raw_day)
    except ValueError:
        raise MeridianError.field(
            "date", f"“{raw_day[:20]}” is not a date; use YYYY-MM-DD."
        ) from None


@require_POST
@requires(Role.GUEST)
def inbox_snooze_view(request: WorkspaceRequest, workspace: str, item_id: int) -> HttpResponse:
    """The member snoozes an item to a working-time moment or the morning of a date."""
    viewer = request.membership
    item = inbox_item_get_for(viewer, item_id)
    try:
        moment, day = _snooze_choice(request)
        until = snooze_until(acting=viewer, moment=moment, day=day)
        item = inbox_snooze(acting=viewer, item=item, until=until)
    except MeridianError as error:
        problem = next((m for messages in error.errors.values() for m in messages), error.detail)
        if request.htmx:
            # htmx swaps only successful answers: the item comes back with the problem named.
            entry = inbox_entries_for(viewer=viewer, items=[item])[0]
            context = {"entry": entry, "error": problem, "moments": snooze.MOMENTS,
                       "today": _today(request), "view": "open",
                       "item_base": _inbox_url(workspace)}  # fmt: skip
            return render(request, "notifications/inbox.html#inbox-item", context)
        context = _context(request, "open")
        context["error"] = problem
        context["error_item"] = item.pk
        return render(request, "notifications/inbox.html", context, status=422)
    return _after(request, item, "snoozed")


@require_POST
@requires(Role.GUEST)
def inbox_undo_view(request: WorkspaceRequest, workspace: str, item_id: int) -> HttpResponse:
    """Take back done or snooze: the item is in the inbox again."""
    viewer = request.membership
    item = inbox_undo(acting=viewer, item=inbox_item_get_for(viewer, item_id))
    if request.htmx:
        entry = inbox_entries_for(viewer=viewer, items=[item])[0]
        context = {"entry": entry, "moments": snooze.MOMENTS,
                   "today": _today(request), "view": "open",
                   "item_base": _inbox_url(workspace)}  # fmt: skip
        response = render(request, "notifications/inbox.html#inbox-item", context)
        response["HX-Trigger"] = CHANGED
        return response
    return redirect(_inbox_url(workspace))
