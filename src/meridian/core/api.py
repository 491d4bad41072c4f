"""The core API: the audit log for admins."""

from datetime import date

from django.db.models import QuerySet
from ninja import Query, Router, Schema
from ninja.pagination import paginate

from meridian.core.models import AuditEntry
from meridian.core.pagination import CursorPagination
from meridian.core.schemas import ApiRequest, AuditEntryOut, Problem
from meridian.core.selectors import AuditFilters, audit_list_for
from meridian.workspaces.access import requires
from meridian.workspaces.models import Role

router = Router(tags=["audit"])


class AuditQuery(Schema):
    action: str = ""
    actor: str = ""
    object_type: str = ""
    since: date | None = None
    until: date | None = None


@router.get("/audit", response={200: list[AuditEntryOut], 403: Problem})
@requires(Role.ADMIN)
@paginate(CursorPagination, key="-created_at")
def audit_list(request: ApiRequest, filters: Query[AuditQuery]) -> QuerySet[AuditEntry]:
    """The workspace's audit log, newest first (admins only)."""
    return audit_list_for(viewer=request.membership, filters=AuditFilters(**filters.dict()))
