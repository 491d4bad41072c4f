"""404-alike access to roles: a role of another workspace does not exist for the viewer."""

from meridian.core.errors import NotFound
from meridian.roles.models import Duty, Role
from meridian.workspaces.models import Membership


def role_get_for(viewer: Membership, role_id: int) -> Role:
    """A role of the viewer's workspace (archived ones too); 404 alike for missing and foreign."""
    role = (
        Role.objects.select_related("workspace")
        .filter(workspace_id=viewer.workspace_id, pk=role_id)
        .first()
    )
    if role is None:
        raise NotFound("No such role in this workspace.")
    return role


def duty_get_for(viewer: Membership, role: Role, duty_id: int) -> Duty:
    """A duty of that role; 404 for a duty of another role or workspace."""
    duty = Duty.objects.filter(
        workspace_id=viewer.workspace_id, role_id=role.pk, pk=duty_id
    ).first()
    if duty is None:
        raise NotFound("No such duty on this role.")
    return duty
