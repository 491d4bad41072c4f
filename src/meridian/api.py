"""The JSON API at /api/v1/: one NinjaAPI, one router per area, one error format.

Errors always look like ``{"detail": "...", "errors": {"field": ["..."]}}`` with a 4xx status
that says what was wrong. Authentication is a personal bearer token (scoped to the token's
workspace) or the browser session (the workspace named by the ``X-Meridian-Workspace``
header or ``?workspace=`` parameter, else the member's first workspace).
"""

from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, ValidationError
from ninja.security import APIKeyCookie, HttpBearer

from meridian.accounts.services import token_authenticate
from meridian.core.errors import MeridianError, NotFound
from meridian.workspaces.models import Membership


class TokenAuth(HttpBearer):
    """A personal API token: the membership it belongs to acts."""

    def authenticate(self, request: HttpRequest, token: str) -> Membership | None:
        api_token = token_authenticate(token)
        if api_token is None:
            return None
        request.membership = api_token.membership  # type: ignore[attr-defined]
        request.user = api_token.membership.user
        return api_token.membership


class SessionAuth(APIKeyCookie):
    """The browser session, with CSRF on unsafe methods; the workspace comes from the request."""

    param_name = "sessionid"

    def __init__(self) -> None:
        from django.conf import settings

        self.param_name = settings.SESSION_COOKIE_NAME
        super().__init__(csrf=True)

    def authenticate(self, request: HttpRequest, key: str | None) -> Membership | None:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        slug = request.headers.get("X-Meridian-Workspace") or request.GET.get("workspace")
        memberships = Membership.objects.select_related("workspace", "user", "profile").filter(
            user=user, is_active=True
        )
        membership = (
            memberships.filter(workspace__slug=slug).first()
            if slug
            else memberships.order_by("joined_at", "id").first()
        )
        if membership is None:
            return None
        request.membership = membership  # type: ignore[attr-defined]
        return membership


api = NinjaAPI(
    title="Meridian API",
    version="1",
    description="Everything Meridian does in pages, as JSON.",
    auth=[TokenAuth(), SessionAuth()],
    urls_namespace="api",
    docs_url="/docs",
)


def _problem(
    request: HttpRequest, status: int, detail: str, errors: dict[str, Any] | None = None
) -> HttpResponse:
    return api.create_response(request, {"detail": detail, "errors": errors or {}}, status=status)


@api.exception_handler(MeridianError)
def _meridian_error(request: HttpRequest, exc: MeridianError) -> HttpResponse:
    return _problem(request, exc.status_code, exc.detail, exc.errors)


@api.exception_handler(ValidationError)
def _validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    errors: dict[str, list[str]] = {}
    for err in exc.errors:
        loc = [str(p) for p in err.get("loc", []) if p not in ("body", "payload", "query", "path")]
        field = ".".join(loc) or "body"
        errors.setdefault(field, []).append(str(err.get("msg", "Invalid value.")))
    first_field, first_msgs = next(iter(errors.items()), ("body", ["Invalid input."]))
    detail = f"{first_field}: {first_msgs[0]}" if first_field != "body" else first_msgs[0]
    return _problem(request, 422, detail, errors)


@api.exception_handler(AuthenticationError)
def _auth_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return _problem(
        request, 401, "Authentication required: send a valid, unrevoked bearer token or sign in."
    )


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return _problem(request, 404, NotFound().detail)


@api.exception_handler(RequestDataTooBig)
def _too_big(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
    from django.conf import settings

    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    return _problem(request, 413, f"The request body is larger than the limit of {limit} bytes.")


def register_routers() -> None:
    """Mount every area's router (imported here so areas never import the API root)."""
    from meridian.accounts.api import router as accounts_router
    from meridian.core.api import router as core_router
    from meridian.workspaces.api import router as workspaces_router

    api.add_router("/", accounts_router)
    api.add_router("/", workspaces_router)
    api.add_router("/", core_router)


register_routers()
