"""404-alike access to webhook objects: missing and another workspace's answer the same."""

from meridian.core.errors import NotFound
from meridian.webhooks.models import AllowedHost, WebhookEndpoint
from meridian.workspaces.access import require_role
from meridian.workspaces.models import Membership, Role


def endpoint_get_for(viewer: Membership, endpoint_id: int) -> WebhookEndpoint:
    """An endpoint of the viewer's workspace (admins only); 404 alike for missing and foreign."""
    endpoint = WebhookEndpoint.objects.filter(
        workspace_id=viewer.workspace_id, pk=endpoint_id
    ).first()
    if endpoint is None:
        raise NotFound("No such webhook endpoint in this workspace.")
    require_role(viewer, Role.ADMIN)
    return endpoint


def allowed_host_get_for(viewer: Membership, host_id: int) -> AllowedHost:
    """An allowed host of the viewer's workspace (admins only); 404 alike for missing and foreign."""
    allowed = AllowedHost.objects.filter(workspace_id=viewer.workspace_id, pk=host_id).first()
    if allowed is None:
        raise NotFound("No such allowed host in this workspace.")
    require_role(viewer, Role.ADMIN)
    return allowed
