"""The webhooks API (admins): endpoints, their secrets and delivery logs, and allowed hosts."""

from django.db.models import QuerySet
from ninja import Router, Status
from ninja.pagination import paginate

from meridian.core import registry
from meridian.core.idempotency import answer_holds_secret
from meridian.core.pagination import CursorPagination
from meridian.core.schemas import Problem
from meridian.webhooks.access import allowed_host_get_for, endpoint_get_for
from meridian.webhooks.models import AllowedHost, WebhookDelivery, WebhookEndpoint
from meridian.webhooks.schemas import (
    AllowedHostIn,
    AllowedHostOut,
    DeliveryOut,
    EndpointCreatedOut,
    EndpointIn,
    EndpointOut,
    EndpointPatch,
    EventKindOut,
)
from meridian.webhooks.selectors import (
    allowed_host_list_for,
    delivery_list_for,
    endpoint_list_for,
)
from meridian.webhooks.services import (
    allowed_host_add,
    allowed_host_remove,
    endpoint_create,
    endpoint_delete,
    endpoint_secret_rotate,
    endpoint_update,
)
from meridian.workspaces.access import ApiRequest, requires
from meridian.workspaces.models import Role

router = Router(tags=["webhooks"])


@router.get("/webhook-events", response={200: list[EventKindOut], 403: Problem})
@requires(Role.ADMIN)
def event_kinds(request: ApiRequest) -> list[EventKindOut]:
    """The kinds of event an endpoint may subscribe to, as the areas declare them."""
    return [
        EventKindOut(event=e.name, label=e.label, data=list(e.data))
        for e in registry.webhook_events().values()
    ]


@router.get("/webhooks", response={200: list[EndpointOut], 403: Problem})
@requires(Role.ADMIN)
@paginate(CursorPagination, key="created_at")
def endpoints(request: ApiRequest) -> QuerySet[WebhookEndpoint]:
    """The workspace's webhook endpoints, oldest first (never their secrets)."""
    return endpoint_list_for(viewer=request.membership)


@router.post("/webhooks", response={201: EndpointCreatedOut, 403: Problem, 422: Problem})
@requires(Role.ADMIN)
def endpoint_new(request: ApiRequest, payload: EndpointIn) -> Status[EndpointCreatedOut]:
    """Add an endpoint; 422 names the reason when its address is refused (e.g. a private address)."""
    endpoint, secret = endpoint_create(acting=request.membership, **payload.dict())
    answer_holds_secret(request)
    return Status(201, EndpointCreatedOut.with_secret(endpoint, secret))


@router.get("/webhooks/{endpoint_id}", response={200: EndpointOut, 403: Problem, 404: Problem})
@requires(Role.ADMIN)
def endpoint_read(request: ApiRequest, endpoint_id: int) -> WebhookEndpoint:
    """One endpoint."""
    return endpoint_get_for(request.membership, endpoint_id)


@router.patch(
    "/webhooks/{endpoint_id}",
    response={200: EndpointOut, 403: Problem, 404: Problem, 422: Problem},
)
@requires(Role.ADMIN)
def endpoint_edit(request: ApiRequest, endpoint_id: int, payload: EndpointPatch) -> WebhookEndpoint:
    """Change the fields you send; if any is invalid, nothing changes."""
    endpoint = endpoint_get_for(request.membership, endpoint_id)
    return endpoint_update(
        acting=request.membership, endpoint=endpoint, **payload.dict(exclude_unset=True)
    )


@router.delete("/webhooks/{endpoint_id}", response={204: None, 403: Problem, 404: Problem})
@requires(Role.ADMIN)
def endpoint_remove(request: ApiRequest, endpoint_id: int) -> Status[None]:
    """Delete an endpoint and its delivery log."""
    endpoint = endpoint_get_for(request.membership, endpoint_id)
    endpoint_delete(acting=request.membership, endpoint=endpoint)
    return Status(204, None)


@router.post(
    "/webhooks/{endpoint_id}/rotate-secret",
    response={200: EndpointCreatedOut, 403: Problem, 404: Problem},
)
@requires(Role.ADMIN)
def endpoint_rotate(request: ApiRequest, endpoint_id: int) -> EndpointCreatedOut:
    """Replace the signing secret; the new one is in this answer only, the old one stops at once."""
    endpoint = endpoint_get_for(request.membership, endpoint_id)
    endpoint, secret = endpoint_secret_rotate(acting=request.membership, endpoint=endpoint)
    answer_holds_secret(request)
    return EndpointCreatedOut.with_secret(endpoint, secret)


@router.get(
    "/webhooks/{endpoint_id}/deliveries",
    response={200: list[DeliveryOut], 403: Problem, 404: Problem},
)
@requires(Role.ADMIN)
@paginate(CursorPagination, key="-created_at")
def deliveries(request: ApiRequest, endpoint_id: int) -> QuerySet[WebhookDelivery]:
    """The endpoint's delivery log, newest first: status, response code, attempts, next try."""
    endpoint = endpoint_get_for(request.membership, endpoint_id)
    return delivery_list_for(viewer=request.membership, endpoint=endpoint)


@router.get("/webhook-hosts", response={200: list[AllowedHostOut], 403: Problem})
@requires(Role.ADMIN)
@paginate(CursorPagination, key="host")
def hosts(request: ApiRequest) -> QuerySet[AllowedHost]:
    """Hosts allowed to receive webhooks although they resolve to private addresses."""
    return allowed_host_list_for(viewer=request.membership)


@router.post(
    "/webhook-hosts", response={201: AllowedHostOut, 403: Problem, 409: Problem, 422: Problem}
)
@requires(Role.ADMIN)
def host_new(request: ApiRequest, payload: AllowedHostIn) -> Status[AllowedHost]:
    """Allow a host to resolve to a private (loopback, link-local…) address."""
    return Status(201, allowed_host_add(acting=request.membership, host=payload.host))


@router.delete("/webhook-hosts/{host_id}", response={204: None, 403: Problem, 404: Problem})
@requires(Role.ADMIN)
def host_remove(request: ApiRequest, host_id: int) -> Status[None]:
    """Withdraw a host from the allow-list."""
    allowed = allowed_host_get_for(request.membership, host_id)
    allowed_host_remove(acting=request.membership, allowed=allowed)
    return Status(204, None)
