"""Who may reach what: the acting membership, role requirements, and 404-alike access helpers."""

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar, cast

from django.conf import settings
from django.contrib.auth import (
    BACKEND_SESSION_KEY,
    HASH_SESSION_KEY,
    SESSION_KEY,
    get_user_model,
    load_backend,
)
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest
from django.utils.crypto import constant_time_compare
from django_htmx.middleware import HtmxDetails

from meridian.core.errors import NotFound, PermissionDenied
from meridian.workspaces.models import Invitation, Membership, Role, Team, TimeOff

if TYPE_CHECKING:
    from meridian.accounts.models import ApiToken, User

F = TypeVar("F", bound=Callable[..., Any])


class WorkspaceRequest(HttpRequest):
    """A request acting in a workspace: the access layer has resolved the acting member.

    Annotate views and API handlers decorated with ``requires`` with this type.
    """

    membership: Membership
    htmx: HtmxDetails


class ApiRequest(WorkspaceRequest):
    """A request that passed API authentication: who acts, and through which credential."""

    # Authentication lets only a signed-in person or a live token's owner through.
    user: "User"
    # Set only when a bearer token authenticated the request; absent for the browser session.
    api_token: "ApiToken"


def membership_for(user: Any, workspace_slug: str) -> Membership:
    """The signed-in user's active membership in the workspace; 404 when missing or not theirs."""
    if user is None or not user.is_authenticated:
        raise NotFound()
    # Every page asks this once: get() on the (workspace, user) unique pair needs no ORDER BY,
    # and the user, already read by the authentication middleware, is not joined in again.
    try:
        membership = Membership.objects.select_related("workspace", "profile").get(
            workspace__slug=workspace_slug, user_id=user.pk, is_active=True
        )
    except Membership.DoesNotExist:
        raise NotFound() from None
    membership.user = user
    return membership


def membership_signing_in(request: HttpRequest, workspace_slug: str) -> Membership | None:
    """The session's user and their membership of the workspace, read in one query.

    Every page of a workspace needs both; Django's authentication reads the user on its own
    first. Only the common case is answered here, with the checks ``django.contrib.auth.get_user``
    makes: a session signed in through a backend that reads users as ``ModelBackend`` does, an
    active user, and a session hash that matches the user's current one. Anything else — no
    session, a hash made with a fallback secret, not a member — returns None, and the request
    goes through Django's own ``get_user`` and ``membership_for`` as before.
    """
    if hasattr(request, "_cached_user"):  # the user was read already
        return None
    session = request.session
    try:
        user_id = get_user_model()._meta.pk.to_python(session[SESSION_KEY])
        backend_path = session[BACKEND_SESSION_KEY]
        session_hash = session[HASH_SESSION_KEY]
    except (KeyError, ValidationError):
        return None
    if backend_path not in settings.AUTHENTICATION_BACKENDS:
        return None
    backend = load_backend(backend_path)
    if not isinstance(backend, ModelBackend) or type(backend).get_user is not ModelBackend.get_user:
        return None
    try:
        membership = Membership.objects.select_related("workspace", "profile", "user").get(
            workspace__slug=workspace_slug, user_id=user_id, is_active=True
        )
    except Membership.DoesNotExist:
        return None
    user = membership.user
    if not backend.user_can_authenticate(user) or not constant_time_compare(
        session_hash, user.get_session_auth_hash()
    ):
        return None
    request._cached_user = user  # type: ignore[attr-defined]  # what AuthenticationMiddleware reads
    return membership


def require_role(membership: Membership, role: Role) -> None:
    """Refuse when the member's role is below the one the operation declares."""
    if not membership.has_role(role):
        raise PermissionDenied(
            f"This needs the {role.label.lower()} role in {membership.workspace}."
        )


def require_same_workspace(acting: Membership, *objects: Any) -> None:
    """Refuse, as "not found", any object from outside the acting member's workspace.

    Services call this on every object they are handed, so tenancy does not depend on the
    caller having used an access helper first.
    """
    for obj in objects:
        if obj.workspace_id != acting.workspace_id:
            raise NotFound()


def requires(role: Role = Role.MEMBER) -> Callable[[F], F]:
    """Declare the role an operation needs; views and API routes share it.

    Pages resolve the membership from the ``workspace`` URL argument; the API has already
    resolved it from the token or the session and put it on ``request.membership``.
    """

    def decorator(func: F) -> F:
        @functools.wraps(func)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
            membership = getattr(request, "membership", None)
            if membership is None:
                slug = kwargs.get("workspace")
                if slug is None:
                    raise Http404
                # The user and the membership in one query when the session allows it.
                membership = membership_signing_in(request, slug)
                if membership is None:
                    if not request.user.is_authenticated:
                        return redirect_to_login(request.get_full_path())
                    try:
                        membership = membership_for(request.user, slug)
                    except NotFound:
                        raise Http404 from None
                request.membership = membership  # type: ignore[attr-defined]
            require_role(membership, role)
            return func(request, *args, **kwargs)

        wrapper.required_role = role  # type: ignore[attr-defined]
        return cast(F, wrapper)

    return decorator


def member_get_for(viewer: Membership, membership_id: int) -> Membership:
    """A member of the viewer's workspace; 404 alike for missing and foreign."""
    member = (
        Membership.objects.select_related("user", "profile", "workspace")
        .filter(workspace_id=viewer.workspace_id, pk=membership_id)
        .first()
    )
    if member is None:
        raise NotFound("No such member in this workspace.")
    return member


def team_get_for(viewer: Membership, team_slug: str) -> Team:
    """A team of the viewer's workspace; 404 alike for missing and foreign."""
    team = Team.objects.filter(workspace_id=viewer.workspace_id, slug=team_slug).first()
    if team is None:
        raise NotFound("No such team in this workspace.")
    return team


def invitation_get_for(viewer: Membership, invitation_id: int) -> Invitation:
    """An invitation of the viewer's workspace; 404 alike for missing and foreign."""
    invitation = Invitation.objects.filter(
        workspace_id=viewer.workspace_id, pk=invitation_id
    ).first()
    if invitation is None:
        raise NotFound("No such invitation in this workspace.")
    return invitation


def time_off_get_for(viewer: Membership, time_off_id: int) -> TimeOff:
    """An entry of time off the viewer may change: their own, or anyone's for an admin.

    404 alike for missing, foreign and someone else's (members do not manage others' days)."""
    entry = TimeOff.objects.filter(workspace_id=viewer.workspace_id, pk=time_off_id).first()
    if entry is None or (entry.membership_id != viewer.pk and not viewer.is_admin):
        raise NotFound("No such time off.")
    return entry
