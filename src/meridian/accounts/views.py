"""Pages of the accounts area: personal API tokens."""

from typing import Any

from allauth.account.views import LoginView as AllauthLoginView
from django.contrib import messages
from django.core.exceptions import NON_FIELD_ERRORS
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.cache import add_never_cache_headers
from django.views.decorators.http import require_POST

from meridian.accounts.forms import TokenForm
from meridian.accounts.selectors import token_get_for, token_list_for
from meridian.accounts.services import token_create, token_revoke
from meridian.core.errors import MeridianError
from meridian.core.forms import add_service_errors
from meridian.core.submission import once_per_submission, submitted
from meridian.workspaces.access import WorkspaceRequest, requires
from meridian.workspaces.models import Role


@requires(Role.MEMBER)
@once_per_submission
def tokens(request: WorkspaceRequest, workspace: str) -> HttpResponse:
    """Your API tokens; a new token's secret is shown on this page once."""
    me = request.membership
    form = TokenForm(request.POST or None)
    created = None
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            try:
                token, raw = token_create(acting=me, name=form.cleaned_data["name"])
            except MeridianError as exc:
                add_service_errors(form, exc)
            else:
                created = {"token": token, "raw": raw}
                # A resend must not make a second token; it lands on this page without the secret.
                submitted(request, request.path)
                form, status = TokenForm(), 200
    response = render(
        request,
        "accounts/tokens.html",
        {"form": form, "tokens": token_list_for(viewer=me), "created": created},
        status=status,
    )
    # The page may hold a secret: keep it out of every cache, including the back button's.
    add_never_cache_headers(response)
    return response


@require_POST
@requires(Role.MEMBER)
def token_revoke_view(request: WorkspaceRequest, workspace: str, token_id: int) -> HttpResponse:
    """Revoke one of your tokens."""
    me = request.membership
    token = token_get_for(me, token_id)
    try:
        token_revoke(acting=me, token=token)
        messages.success(request, f"Token “{token.name}” revoked.")
    except MeridianError as exc:
        messages.error(request, exc.detail)
    return redirect("tokens", workspace=workspace)


class LoginView(AllauthLoginView):
    """allauth's sign-in page, answering 429 (not 200) once failed attempts are throttled.

    A script or a monitoring probe can then tell "slow down" from "wrong password".
    """

    def form_invalid(self, form: Any) -> HttpResponse:
        response: HttpResponse = super().form_invalid(form)
        refusals = form.errors.as_data().get(NON_FIELD_ERRORS, [])
        if any(error.code == "too_many_login_attempts" for error in refusals):
            response.status_code = 429
        return response
