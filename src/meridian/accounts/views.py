"""Pages of the accounts area: personal API tokens."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from meridian.accounts.forms import TokenForm
from meridian.accounts.selectors import token_get_for, token_list_for
from meridian.accounts.services import token_create, token_revoke
from meridian.core.errors import MeridianError
from meridian.core.forms import add_service_errors
from meridian.workspaces.access import requires
from meridian.workspaces.models import Role


@requires(Role.MEMBER)
def tokens(request: HttpRequest, workspace: str) -> HttpResponse:
    """Your API tokens; a new token's secret is shown on this page once."""
    me = request.membership  # type: ignore[attr-defined]
    form = TokenForm(request.POST or None)
    created = None
    if request.method == "POST" and form.is_valid():
        try:
            token, raw = token_create(acting=me, name=form.cleaned_data["name"])
        except MeridianError as exc:
            add_service_errors(form, exc)
        else:
            created = {"token": token, "raw": raw}
            form = TokenForm()
    return render(
        request,
        "accounts/tokens.html",
        {"form": form, "tokens": token_list_for(viewer=me), "created": created},
    )


@require_POST
@requires(Role.MEMBER)
def token_revoke_view(request: HttpRequest, workspace: str, token_id: int) -> HttpResponse:
    """Revoke one of your tokens."""
    me = request.membership  # type: ignore[attr-defined]
    token = token_get_for(me, token_id)
    try:
        token_revoke(acting=me, token=token)
        messages.success(request, f"Token “{token.name}” revoked.")
    except MeridianError as exc:
        messages.error(request, exc.detail)
    return redirect("tokens", workspace=workspace)
