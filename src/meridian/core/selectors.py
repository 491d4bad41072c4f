"""Reads shared by every area: the audit log as admins see it."""

from dataclasses import dataclass
from datetime import date

from django.db.models import QuerySet

from meridian.core.models import AuditEntry
from meridian.core.moments import day_bounds
from meridian.workspaces.models import Membership


@dataclass(frozen=True)
class AuditFilters:
    """The audit log filters shared by the page and the API."""

    action: str = ""
    actor: str = ""
    object_type: str = ""
    since: date | None = None
    until: date | None = None


def audit_list_for(*, viewer: Membership, filters: AuditFilters) -> QuerySet[AuditEntry]:
    """The workspace's audit entries, newest first, narrowed by the filters."""
    qs = AuditEntry.objects.filter(workspace_id=viewer.workspace_id)
    if filters.action:
        qs = qs.filter(action__startswith=filters.action)
    if filters.actor:
        qs = qs.filter(actor_label__icontains=filters.actor)
    if filters.object_type:
        qs = qs.filter(object_type=filters.object_type)
    # The days are the viewer's, as the page dates the entries.
    start, end = day_bounds(filters.since, filters.until, viewer.profile.time_zone)
    if start is not None:
        qs = qs.filter(created_at__gte=start)
    if end is not None:
        qs = qs.filter(created_at__lt=end)
    return qs.order_by("-created_at", "-id")


def audit_actions_for(*, viewer: Membership) -> list[str]:
    """The distinct actions recorded in the workspace, for the filter menu."""
    return list(
        AuditEntry.objects.filter(workspace_id=viewer.workspace_id)
        .order_by("action")
        .values_list("action", flat=True)
        .distinct()
    )
