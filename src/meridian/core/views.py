"""Pages of the core area: the home redirect, health, and the admins' audit log."""

from datetime import date

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET
from django.views.decorators.vary import vary_on_headers

from meridian.core.selectors import AuditFilters, audit_actions_for, audit_list_for
from meridian.workspaces.access import WorkspaceRequest, requires
from meridian.workspaces.models import Role
from meridian.workspaces.selectors import workspace_list_for


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Land in the member's inbox, or offer to create or pick a workspace."""
    workspaces = list(workspace_list_for(user=request.user))
    if len(workspaces) == 1:
        return redirect("inbox", workspace=workspaces[0].slug)
    return render(request, "core/home.html", {"workspaces": workspaces})


@require_GET
def health(request: HttpRequest) -> JsonResponse:
    """Liveness for load balancers: the database answers."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


@require_GET
def ping(request: HttpRequest) -> JsonResponse:
    """A bare JSON answer with no database work: the benchmarks' reference for the server itself."""
    return JsonResponse({"pong": True})


def _parse_date(raw: str | None) -> date | None:
    try:
        return date.fromisoformat(raw) if raw else None
    except ValueError:
        return None


@vary_on_headers("HX-Request")
@requires(Role.ADMIN)
def audit_log(request: WorkspaceRequest, workspace: str) -> HttpResponse:
    """Admins read who changed what, filtered by action, person, object type and dates."""
    filters = AuditFilters(
        action=request.GET.get("action", ""),
        actor=request.GET.get("actor", "").strip(),
        object_type=request.GET.get("object_type", ""),
        since=_parse_date(request.GET.get("since")),
        until=_parse_date(request.GET.get("until")),
    )
    page = Paginator(audit_list_for(viewer=request.membership, filters=filters), 50).get_page(
        request.GET.get("page")
    )
    template = "core/audit.html"
    if request.htmx and not request.htmx.history_restore_request:
        template += "#audit-table"
    return render(
        request,
        template,
        {
            "page": page,
            "filters": filters,
            "actions": audit_actions_for(viewer=request.membership),
        },
    )


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """Django's 400 handler; a body over the size limit answers 413 saying the limit."""
    from django.conf import settings
    from django.core.exceptions import RequestDataTooBig
    from django.template.defaultfilters import filesizeformat

    if isinstance(exception, RequestDataTooBig):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        reason = (
            f"What you sent is larger than the limit of {filesizeformat(limit)} ({limit} bytes); "
            "nothing was saved."
        )
        return render(request, "error.html", {"reason": reason}, status=413)
    return render(request, "400.html", status=400)
