"""Writes shared by every area: the audit trail."""

from typing import Any, Protocol

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import models

from meridian.core.models import AuditEntry


class ActingMember(Protocol):
    """What the audit reads of an acting membership: the person, and the workspace they act in.

    Core imports no area, so it names the workspaces area's ``Membership`` by its shape.
    """

    @property
    def user(self) -> Any: ...

    @property
    def workspace(self) -> Any: ...


def audit_record(
    *,
    actor: ActingMember | AbstractBaseUser | None,
    action: str,
    obj: models.Model | None = None,
    workspace: models.Model | None = None,
    data: dict[str, Any] | None = None,
) -> AuditEntry:
    """Append who did what to which object; every service write calls this inside its transaction."""
    user: Any
    if isinstance(actor, AbstractBaseUser):
        user = actor
    elif actor is not None:
        user = actor.user
        workspace = workspace or actor.workspace
    else:
        user = None
    label = user.email if user is not None else "system"
    if workspace is None and obj is not None:
        workspace = getattr(obj, "workspace", None)
    return AuditEntry.objects.create(
        workspace_id=workspace.pk if workspace is not None else None,
        actor=user,
        actor_label=label,
        action=action,
        object_type=obj._meta.label_lower if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        object_label=str(obj)[:300] if obj is not None else "",
        data=data or {},
    )
