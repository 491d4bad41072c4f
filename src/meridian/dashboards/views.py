"""The dashboards pages: the workspace's, a team's, a project's and a person's, each chart's
CSV and JSON, and a team's choice of metrics. Thin: access helper, selector or service, render."""

import csv
import io

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe
from django.views.decorators.http import require_http_methods, require_safe

from meridian.core.errors import MeridianError, NotFound
from meridian.core.forms import add_service_errors
from meridian.dashboards import access, answers, selectors, services
from meridian.dashboards.forms import LayoutForm
from meridian.metrics.selectors import metric_list_for
from meridian.workspaces.access import WorkspaceRequest, requires
from meridian.workspaces.models import Role

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _board(request: WorkspaceRequest, kind: str, subject_id: int | None) -> selectors.Dashboard:
    if kind not in selectors.KINDS or (kind == "workspace") != (subject_id is None):
        raise Http404
    try:
        return selectors.dashboard_for(request.membership, kind, subject_id)
    except NotFound:
        raise Http404 from None


def _export_base(slug: str, kind: str, subject_id: int | None) -> str:
    return (
        reverse("dashboard_export", kwargs={"workspace": slug, "chart": "C", "fmt": "F"})
        if subject_id is None
        else reverse(
            "dashboard_subject_export",
            kwargs={
                "workspace": slug,
                "kind": kind,
                "subject_id": subject_id,
                "chart": "C",
                "fmt": "F",
            },
        )
    ).removesuffix("C.F")


def _parts(board: selectors.Dashboard, export_base: str) -> tuple[str, SafeString, SafeString]:
    """The dashboard's title and its page's head and body, as every reader sees them."""
    context = {
        "board": board,
        "key_results": list(zip(board.key_results, board.statuses, strict=True)),
        "export_base": export_base,
        "charts_json": [c.as_json() for c in board.all_charts()],
    }
    head = render_to_string("dashboards/_board.html#head", context)
    body = render_to_string("dashboards/_board.html#body", context)
    return board.title, mark_safe(head), mark_safe(body)  # noqa: S308 - rendered by the template


def _page(request: WorkspaceRequest, kind: str, subject_id: int | None) -> HttpResponse:
    """The page around the dashboard's stored head and body (answers): the reader's own
    links and whether they may choose the team's metrics are rendered on each request."""
    if kind not in selectors.KINDS or (kind == "workspace") != (subject_id is None):
        raise Http404
    viewer = request.membership
    version = answers.current(viewer)
    export_base = _export_base(viewer.workspace.slug, kind, subject_id)
    try:
        title, head, body = answers.dashboard_answer(
            viewer,
            version=version,
            fmt="page",
            kind=kind,
            subject_id=subject_id,
            query=request.GET.urlencode(),
            make=lambda board: _parts(board, export_base),
        )
    except NotFound:
        raise Http404 from None
    may = kind == "team" and answers.may_customize_cached(viewer, subject_id or 0, version)
    return render(
        request,
        "dashboards/dashboard.html",
        {
            "title": title,
            "board_head": head,
            "board_body": body,
            "may_customize": may,
            "subject_id": subject_id,
        },
    )


@require_safe
@requires(Role.GUEST)
def workspace_dashboard(request: WorkspaceRequest, workspace: str) -> HttpResponse:
    """The workspace's metrics week by week, its key results, and every team side by side."""
    return _page(request, "workspace", None)


@require_safe
@requires(Role.GUEST)
def team_dashboard(request: WorkspaceRequest, workspace: str, team_id: int) -> HttpResponse:
    return _page(request, "team", team_id)


@require_safe
@requires(Role.GUEST)
def project_dashboard(request: WorkspaceRequest, workspace: str, project_id: int) -> HttpResponse:
    return _page(request, "project", project_id)


@require_safe
@requires(Role.GUEST)
def person_dashboard(request: WorkspaceRequest, workspace: str, member_id: int) -> HttpResponse:
    """A person's figures; their activity figures only as the tracking policy allows."""
    return _page(request, "person", member_id)


def _cell(value: object) -> object:
    """A CSV cell; text that a spreadsheet would run as a formula is quoted as text."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _export(
    request: WorkspaceRequest, kind: str, subject_id: int | None, chart: str, fmt: str
) -> HttpResponse:
    board = _board(request, kind, subject_id)
    found = board.chart(chart)
    if found is None or fmt not in ("csv", "json"):
        raise Http404
    name = f"{kind}{'-' + str(subject_id) if subject_id else ''}-{found.slug}-{board.today}"
    if fmt == "json":
        response: HttpResponse = JsonResponse(
            {"dashboard": board.title, "today": board.today.isoformat(), **found.as_json()},
            json_dumps_params={"ensure_ascii": False},
        )
    else:
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(found.columns)
        for row in found.rows:
            writer.writerow([_cell(c.value) for c in row])
        response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    return response


@require_safe
@requires(Role.GUEST)
def workspace_export(request: WorkspaceRequest, workspace: str, chart: str, fmt: str):  # type: ignore[no-untyped-def]
    """One chart or table of the workspace's dashboard as CSV or JSON."""
    return _export(request, "workspace", None, chart, fmt)


@require_safe
@requires(Role.GUEST)
def subject_export(  # type: ignore[no-untyped-def]
    request: WorkspaceRequest, workspace: str, kind: str, subject_id: int, chart: str, fmt: str
):
    """One chart or table of a team's, project's or person's dashboard as CSV or JSON."""
    return _export(request, kind, subject_id, chart, fmt)


@require_http_methods(["GET", "POST"])
@requires(Role.MEMBER)
def team_customize(request: WorkspaceRequest, workspace: str, team_id: int) -> HttpResponse:
    """An admin or one of the team's leads chooses the dashboard's metrics and their order."""
    viewer = request.membership
    try:
        team = access.team_get_for(viewer, team_id)
    except NotFound:
        raise Http404 from None
    if not access.may_customize(viewer, team.pk):
        raise PermissionDenied("Only an admin or one of the team's leads may change its dashboard.")
    metrics = metric_list_for(viewer)
    chosen, custom = selectors.layout_for(viewer, "team", team.pk)
    form = LayoutForm(
        request.POST or None,
        metrics=metrics,
        chosen=chosen if custom else [m.key for m in metrics],
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.team_dashboard_save(acting=viewer, team=team, metrics=form.chosen())
        except MeridianError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"Dashboard of {team.name} saved.")
            return redirect("dashboard_team", workspace=workspace, team_id=team.pk)
    status = 422 if request.method == "POST" else 200
    return render(request, "dashboards/customize.html", {"team": team, "form": form}, status=status)
