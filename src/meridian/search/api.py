"""The search API: one ranked search over every area the caller's workspace has."""

from typing import Any

from ninja import Query, Router

from meridian.search.schemas import SearchPageOut, SearchQuery
from meridian.search.selectors import search_for
from meridian.workspaces.access import ApiRequest, requires
from meridian.workspaces.models import Role

router = Router(tags=["search"])


@router.get("/search", response=SearchPageOut)
@requires(Role.GUEST)
def search(request: ApiRequest, filters: Query[SearchQuery]) -> dict[str, Any]:
    """Briefs, comments, decision records… of the workspace that match ``q``, best first, with the
    matches marked; only what the caller may see (blind content stays hidden until allowed)."""
    results = search_for(
        viewer=request.membership,
        q=filters.q,
        kinds=filters.kind or None,
        limit=filters.limit,
        cursor=filters.cursor,
    )
    return {"items": results.hits, "next": results.next}
