"""The search page: one box over every area, ranked hits with the matches marked, live with htmx."""

from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.vary import vary_on_headers

from meridian.core.errors import ValidationFailed
from meridian.search.query import MAX_QUERY
from meridian.search.selectors import search_for, search_kinds_for
from meridian.workspaces.access import WorkspaceRequest, requires
from meridian.workspaces.models import Role

HITS_PER_PAGE = 20


@vary_on_headers("HX-Request")
@requires(Role.GUEST)
def search(request: WorkspaceRequest, workspace: str) -> HttpResponse:
    """Search the workspace's briefs, comments and decisions; the page works without JavaScript."""
    viewer = request.membership
    q = request.GET.get("q", "").strip()[:MAX_QUERY]
    kinds = search_kinds_for(viewer=viewer)
    kind = request.GET.get("kind", "")
    kind = kind if kind in kinds else ""
    try:
        results = search_for(
            viewer=viewer,
            q=q,
            kinds=[kind] if kind else None,
            limit=HITS_PER_PAGE,
            cursor=request.GET.get("cursor") or None,
        )
    except ValidationFailed:
        # A cursor from an old link: start from the first page again.
        results = search_for(viewer=viewer, q=q, kinds=[kind] if kind else None)
    context = {
        "q": q,
        "kind": kind,
        "kinds": kinds,
        "kind_plural": kinds.get(kind, ""),
        "results": results,
        "continued": bool(request.GET.get("cursor")),
    }
    template = "search/search.html"
    if request.htmx and not request.htmx.history_restore_request:
        template += "#search-results"
    return render(request, template, context)
