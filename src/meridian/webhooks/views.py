"""Pages for outgoing webhooks (admins): endpoints and the allow-list, one endpoint and its log."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.cache import add_never_cache_headers
from django.views.decorators.http import require_POST

from meridian.core.errors import MeridianError
from meridian.core.forms import add_service_errors
from meridian.core.submission import once_per_submission, submitted
from meridian.webhooks.access import allowed_host_get_for, endpoint_get_for
from meridian.webhooks.forms import AllowedHostForm, EndpointForm
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
from meridian.workspaces.access import WorkspaceRequest, requires
from meridian.workspaces.models import Role


def _secret_page(response: HttpResponse) -> HttpResponse:
    # The page may show a signing secret: keep it out of every cache.
    add_never_cache_headers(response)
    return response


@requires(Role.ADMIN)
@once_per_submission
def webhooks(request: WorkspaceRequest, workspace: str) -> HttpResponse:
    """The workspace's webhook endpoints and allowed hosts, with a form to add an endpoint."""
    me = request.membership
    form = EndpointForm(request.POST or None, initial={"active": True})
    created = None
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            data = form.cleaned_data
            try:
                endpoint, secret = endpoint_create(
                    acting=me,
                    url=data["url"],
                    events=data["events"],
                    description=data["description"],
                    active=data["active"],
                )
            except MeridianError as exc:
                add_service_errors(form, exc)
            else:
                created = {"endpoint": endpoint, "secret": secret}
                submitted(request, request.path)
                form, status = EndpointForm(initial={"active": True}), 200
    context = {
        "form": form,
        "host_form": AllowedHostForm(),
        "created": created,
        "endpoints": endpoint_list_for(viewer=me),
        "hosts": allowed_host_list_for(viewer=me),
    }
    return _secret_page(render(request, "webhooks/webhooks.html", context, status=status))


@require_POST
@requires(Role.ADMIN)
def host_add(request: WorkspaceRequest, workspace: str) -> HttpResponse:
    """Allow a host to resolve to a private address."""
    me = request.membership
    form = AllowedHostForm(request.POST)
    if form.is_valid():
        try:
            allowed = allowed_host_add(acting=me, host=form.cleaned_data["host"])
        except MeridianError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"{allowed.host} may now receive webhooks.")
            return redirect("webhooks", workspace=workspace)
    context = {
        "form": EndpointForm(initial={"active": True}),
        "host_form": form,
        "created": None,
        "endpoints": endpoint_list_for(viewer=me),
        "hosts": allowed_host_list_for(viewer=me),
    }
    return _secret_page(render(request, "webhooks/webhooks.html", context, status=422))


@require_POST
@requires(Role.ADMIN)
def host_remove(request: WorkspaceRequest, workspace: str, host_id: int) -> HttpResponse:
    """Withdraw a host from the allow-list."""
    allowed = allowed_host_get_for(request.membership, host_id)
    allowed_host_remove(acting=request.membership, allowed=allowed)
    messages.success(request, f"{allowed.host} is no longer allowed.")
    return redirect("webhooks", workspace=workspace)


@requires(Role.ADMIN)
def endpoint(request: WorkspaceRequest, workspace: str, endpoint_id: int) -> HttpResponse:
    """One endpoint: change it, rotate its secret, and read its delivery log."""
    me = request.membership
    found = endpoint_get_for(me, endpoint_id)
    initial = {
        "url": found.url,
        "events": found.events,
        "description": found.description,
        "active": found.active,
    }
    form = EndpointForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            data = form.cleaned_data
            try:
                endpoint_update(
                    acting=me,
                    endpoint=found,
                    url=data["url"],
                    events=data["events"],
                    description=data["description"],
                    active=data["active"],
                )
            except MeridianError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, "Endpoint saved.")
                return redirect("webhook", workspace=workspace, endpoint_id=found.pk)
    page = Paginator(delivery_list_for(viewer=me, endpoint=found), 50).get_page(
        request.GET.get("page")
    )
    context = {"endpoint": found, "form": form, "page": page, "rotated": None}
    return _secret_page(render(request, "webhooks/endpoint.html", context, status=status))


@require_POST
@requires(Role.ADMIN)
def endpoint_rotate(request: WorkspaceRequest, workspace: str, endpoint_id: int) -> HttpResponse:
    """Replace the endpoint's signing secret and show the new one once."""
    me = request.membership
    found, secret = endpoint_secret_rotate(acting=me, endpoint=endpoint_get_for(me, endpoint_id))
    initial = {
        "url": found.url,
        "events": found.events,
        "description": found.description,
        "active": found.active,
    }
    page = Paginator(delivery_list_for(viewer=me, endpoint=found), 50).get_page(1)
    context = {
        "endpoint": found,
        "form": EndpointForm(initial=initial),
        "page": page,
        "rotated": secret,
    }
    return _secret_page(render(request, "webhooks/endpoint.html", context))


@require_POST
@requires(Role.ADMIN)
def endpoint_remove(request: WorkspaceRequest, workspace: str, endpoint_id: int) -> HttpResponse:
    """Delete an endpoint and its delivery log."""
    found = endpoint_get_for(request.membership, endpoint_id)
    endpoint_delete(acting=request.membership, endpoint=found)
    messages.success(request, f"Endpoint {found.url} deleted.")
    return redirect("webhooks", workspace=workspace)
