"""Reads of outgoing webhooks, for admins: endpoints, the allow-list and the delivery log."""

from django.db.models import Count, Q, QuerySet

from meridian.webhooks.models import AllowedHost, DeliveryStatus, WebhookDelivery, WebhookEndpoint
from meridian.workspaces.access import require_role
from meridian.workspaces.models import Membership, Role


def endpoint_list_for(*, viewer: Membership) -> QuerySet[WebhookEndpoint]:
    """The workspace's endpoints, oldest first, with how many deliveries failed or wait."""
    require_role(viewer, Role.ADMIN)
    return WebhookEndpoint.objects.filter(workspace_id=viewer.workspace_id).annotate(
        failed_count=Count("deliveries", filter=Q(deliveries__status=DeliveryStatus.FAILED)),
        pending_count=Count("deliveries", filter=Q(deliveries__status=DeliveryStatus.PENDING)),
    )


def delivery_list_for(
    *, viewer: Membership, endpoint: WebhookEndpoint
) -> QuerySet[WebhookDelivery]:
    """One endpoint's delivery log, newest first."""
    require_role(viewer, Role.ADMIN)
    return WebhookDelivery.objects.filter(
        workspace_id=viewer.workspace_id, endpoint_id=endpoint.pk
    ).order_by("-created_at", "-id")


def allowed_host_list_for(*, viewer: Membership) -> QuerySet[AllowedHost]:
    """The hosts allowed to resolve to private addresses, by name."""
    require_role(viewer, Role.ADMIN)
    return AllowedHost.objects.filter(workspace_id=viewer.workspace_id).order_by("host")
