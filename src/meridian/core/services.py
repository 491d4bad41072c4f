"""Writes shared by every area: the audit trail."""

from typing import TYPE_CHECKING, Any

from django.db import models

from meridian.core.models import AuditEntry

if TYPE_CHECKING:
    from meridian.accounts.models import User
    from meridian.workspaces.models import Membership, Workspace


def audit_record(
    *,
    actor: "Membership | User | None",
    action: str,
    obj: models.Model | None = None,
    workspace: "Workspace | None" = None,
    data: dict[str, Any] | None = None,
) -> AuditEntry:
    """Append who did what to which object; every service write calls this inside its transaction."""
    from meridian.accounts.models import User
    from meridian.workspaces.models import Membership

    user: User | None
    if isinstance(actor, Membership):
        user = actor.user
        workspace = workspace or actor.workspace
        label = user.email
    elif isinstance(actor, User):
        user = actor
        label = actor.email
    else:
        user, label = None, "system"
    if workspace is None and obj is not None:
        workspace = getattr(obj, "workspace", None)
    return AuditEntry.objects.create(
        workspace=workspace,
        actor=user,
        actor_label=label,
        action=action,
        object_type=obj._meta.label_lower if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        object_label=str(obj)[:300] if obj is not None else "",
        data=data or {},
    )
