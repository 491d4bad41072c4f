"""The JSON API at /api/v1/: one NinjaAPI, one router per area, one error format.

Errors always look like ``{"detail": "...", "errors": {"field": ["..."]}}`` with a 4xx status
that says what was wrong. Authentication is a personal bearer token, fixed to the token's
workspace, or the browser session (CSRF-checked on unsafe methods), which acts in the workspace
named by the ``X-Meridian-Workspace`` header or ``?workspace=`` parameter, else in the member's
first workspace.
"""

import functools
import hashlib
import logging
from collections.abc import Callable
from typing import Any, NoReturn, cast

from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.core.files.uploadedfile import UploadedFile
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import render
from django.urls import URLPattern, URLResolver, reverse
from ninja import NinjaAPI, Router
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.openapi.docs import DocsBase
from ninja.openapi.schema import OpenAPISchema
from ninja.security import APIKeyCookie, HttpBearer
from ninja.types import DictStrAny
from ninja.utils import check_csrf

from meridian.accounts.models import User
from meridian.accounts.services import token_authenticate
from meridian.briefs import files
from meridian.core.errors import MeridianError, NotFound, PermissionDenied, Unauthenticated
from meridian.core.idempotency import (
    SECRET_ANSWER,
    Earlier,
    fingerprint,
    holds_secret,
    idempotency_claim,
    idempotency_complete,
    idempotency_release,
    key_is_valid,
)
from meridian.core.inputs import ApiParser
from meridian.core.schemas import Problem
from meridian.workspaces.access import membership_for
from meridian.workspaces.models import Membership

server_log = logging.getLogger("django.request")
WORKSPACE_HEADER = "X-Meridian-Workspace"
NO_CREDENTIALS = "Authentication required: send “Authorization: Bearer <token>” or sign in."


def _requested_workspace(request: HttpRequest) -> str:
    """The workspace slug the request asks to act in, if it names one."""
    return (request.headers.get(WORKSPACE_HEADER) or request.GET.get("workspace") or "").strip()


class TokenAuth(HttpBearer):
    """A personal API token: its membership acts, in the token's workspace and no other."""

    def __call__(self, request: HttpRequest) -> Membership | None:
        header = request.headers.get(self.header, "")
        if not header:
            return None
        # A request that presents a token is judged by that token alone, never by a session.
        scheme, _, raw = header.partition(" ")
        if scheme.lower() != "bearer" or not raw.strip():
            raise Unauthenticated("The Authorization header must read “Bearer <token>”.")
        return self.authenticate(request, raw.strip())

    def authenticate(self, request: HttpRequest, token: str) -> Membership:
        api_token = token_authenticate(token)
        membership = api_token.membership
        asked = _requested_workspace(request)
        if asked and asked != membership.workspace.slug:
            raise NotFound(
                f"This token belongs to workspace “{membership.workspace.slug}”; "
                f"it cannot act in “{asked}”."
            )
        request.membership = membership  # type: ignore[attr-defined]
        request.api_token = api_token  # type: ignore[attr-defined]
        request.user = membership.user
        return membership


class SessionAuth(APIKeyCookie):
    """The browser session, with CSRF on unsafe methods; the workspace comes from the request."""

    def __init__(self) -> None:
        self.param_name = settings.SESSION_COOKIE_NAME
        super().__init__(csrf=True)

    def __call__(self, request: HttpRequest) -> Any:
        if not request.COOKIES.get(self.param_name) or not request.user.is_authenticated:
            return None
        csrf_applies = self.csrf and not getattr(request, "_ninja_csrf_exempt", False)
        if csrf_applies and check_csrf(request) is not None:
            raise PermissionDenied(
                "CSRF check failed: a signed-in browser must send the CSRF token "
                "in the X-CSRFToken header with every POST, PUT, PATCH or DELETE."
            )
        return self.authenticate(request, request.COOKIES[self.param_name])

    def authenticate(self, request: HttpRequest, key: str | None) -> User:
        user = cast(User, request.user)  # __call__ lets only signed-in people this far
        asked = _requested_workspace(request)
        if asked:
            try:
                membership: Membership | None = membership_for(user, asked)
            except NotFound:
                raise NotFound(f"You are not a member of a workspace “{asked}”.") from None
        else:
            membership = (
                Membership.objects.select_related("workspace", "user", "profile")
                .filter(user=user, is_active=True)
                .order_by("joined_at", "id")
                .first()
            )
        # None lets workspace-free operations (listing or creating workspaces) run.
        request.membership = membership  # type: ignore[attr-defined]
        return user


class MeridianAPI(NinjaAPI):
    """The NinjaAPI whose every answer, even "method not allowed", is JSON, and whose schema says so."""

    def _get_urls(self) -> list[URLPattern | URLResolver]:
        urls = super()._get_urls()
        for pattern in urls:
            if isinstance(pattern, URLPattern):
                pattern.callback = _idempotent(_json_not_allowed(pattern.callback))
        return urls

    def get_openapi_schema(
        self, *, path_prefix: str | None = None, path_params: DictStrAny | None = None
    ) -> OpenAPISchema:
        # Building the document walks every operation's models (0.5–1 s); the routes are fixed
        # once the process has started, so it is built once per prefix and kept.
        if path_prefix is None:
            path_prefix = self.get_root_path(path_params or {})
        cached = self._openapi_cache.get(path_prefix)
        if cached is None:
            cached = self._openapi_cache[path_prefix] = self._build_openapi_schema(path_prefix)
        return cached

    def _build_openapi_schema(self, path_prefix: str) -> OpenAPISchema:
        schema = super().get_openapi_schema(path_prefix=path_prefix)
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        components.setdefault("Problem", Problem.model_json_schema())
        for item in schema["paths"].values():
            for method, operation in item.items():
                _one_key_per_status(operation)
                _document_errors(operation)
                if method in ("post", "patch"):
                    _document_idempotency(operation)
        return schema

    @functools.cached_property
    def _openapi_cache(self) -> dict[str, OpenAPISchema]:
        return {}


def _one_key_per_status(operation: dict[str, Any]) -> None:
    """Key responses by the status as a string, as OpenAPI says, merging any given both ways.

    Ninja keys an operation's own responses by int while ``openapi_extra`` and the generic
    problems below use strings; serialised, the two become the same key twice, which YAML
    parsers (Swagger UI's among them) refuse as a duplicated mapping key.
    """
    responses = operation.get("responses", {})
    merged: dict[str, Any] = {str(k): v for k, v in responses.items() if not isinstance(k, str)}
    for status, response in responses.items():
        if isinstance(status, str):
            # The string-keyed entry is the one written by hand (openapi_extra): it wins.
            merged[status] = {**merged.get(status, {}), **response}
    operation["responses"] = merged


def _problem_ref(description: str) -> dict[str, Any]:
    ref = {"$ref": "#/components/schemas/Problem"}
    return {"description": description, "content": {"application/json": {"schema": ref}}}


def _document_errors(operation: dict[str, Any]) -> None:
    """Declare the problems any operation can answer with, beside its own responses."""
    responses = operation.setdefault("responses", {})
    if operation.get("security"):
        responses.setdefault("401", _problem_ref("No, unknown or revoked credentials."))
        # Any authenticated operation: the caller's role may fall short (or a browser session
        # sent no CSRF token), and a token asked to act in another workspace finds nothing.
        responses.setdefault("403", _problem_ref("Your role may not do this (or no CSRF token)."))
        responses.setdefault("404", _problem_ref("Not found in this workspace."))
    if operation.get("parameters") or "requestBody" in operation:
        responses.setdefault("422", _problem_ref("Invalid input; `errors` names each field."))
    if "requestBody" in operation:
        responses.setdefault("400", _problem_ref("The body is not valid JSON."))
        responses.setdefault("413", _problem_ref("The body is larger than the server accepts."))


def _document_idempotency(operation: dict[str, Any]) -> None:
    """Every POST and PATCH takes an Idempotency-Key; say so, and what its refusals mean."""
    operation.setdefault("parameters", []).append(
        {
            "name": IDEMPOTENCY_HEADER,
            "in": "header",
            "required": False,
            "description": (
                "A unique key (1–255 printable ASCII characters) that makes a retry safe: the "
                "same key with the same request within 24 hours returns the first answer "
                "again (marked `Idempotent-Replayed: true`) instead of creating twice."
            ),
            "schema": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[!-~]+$"},
        }
    )
    responses = operation.setdefault("responses", {})
    responses.setdefault("409", _problem_ref("A request with this Idempotency-Key is running."))
    responses.setdefault("422", _problem_ref("Invalid input; `errors` names each field."))
    responses.setdefault("400", _problem_ref("The Idempotency-Key header is malformed."))


class SwaggerFromNpm(DocsBase):
    """The docs page: Swagger UI from the npm package swagger-ui-dist, as our own static files.

    Ninja's renderer serves its bundled copy of Swagger UI, outside package-lock.json; this one
    loads ``vendor/swagger-ui/`` and starts it from ``meridian/api-docs.js``, which reads the
    document's URL from a data attribute, so the page needs no inline script.
    """

    template = "api_docs.html"

    def render_page(self, request: HttpRequest, api: NinjaAPI, **kwargs: Any) -> HttpResponse:
        context = {"api": api, "openapi_url": self.get_openapi_url(api, kwargs)}
        return render(request, self.template, context)


api = MeridianAPI(
    title="Meridian API",
    version="1",
    description=(
        "Everything Meridian does in pages, as JSON. Authenticate with a personal API token "
        "(`Authorization: Bearer <token>`, fixed to the token's workspace) or a browser session "
        "(with the CSRF token in `X-CSRFToken` on unsafe methods; choose the workspace with the "
        "`X-Meridian-Workspace` header). Lists are cursor-paginated: pass `next` back as "
        '`cursor`. Every error is `{"detail": "...", "errors": {"field": ["..."]}}`.'
    ),
    auth=[TokenAuth(), SessionAuth()],
    parser=ApiParser(),
    urls_namespace="api",
    docs_url="/docs",
    docs=SwaggerFromNpm(),
)


def _problem(
    request: HttpRequest,
    status: int,
    detail: str,
    errors: dict[str, list[str]] | None = None,
) -> HttpResponse:
    response = api.create_response(
        request, {"detail": detail, "errors": errors or {}}, status=status
    )
    if status == 401:
        response["WWW-Authenticate"] = 'Bearer realm="meridian"'
    return response


def _json_not_allowed(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Turn Ninja's plain-text 405 into a problem that lists the allowed methods."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = view(request, *args, **kwargs)
        if not isinstance(response, HttpResponseNotAllowed):
            return response
        allowed = response["Allow"]
        problem = _problem(request, 405, f"{request.method} is not allowed here; use {allowed}.")
        problem["Allow"] = allowed
        return problem

    return wrapper


IDEMPOTENCY_HEADER = "Idempotency-Key"
IDEMPOTENT_METHODS = frozenset({"POST", "PATCH"})
SECRET_HEADER = "Meridian-Secret-Answer"  # stored in place of an answer that held a secret
# Headers of a stored answer worth replaying; cookies and per-request headers are not.
REPLAYED_HEADERS = ("Content-Type", "Location", "Upload-Offset", "Upload-Length", "Cache-Control")


def _idempotency_scope(request: HttpRequest) -> str | None:
    """Whose keys these are: the token, or the signed-in person in the workspace asked for.

    None when the request carries no valid credentials: the operation itself then answers 401
    or 403, and no key is claimed (or replayed) for someone who may not act.
    """
    header = request.headers.get("Authorization", "")
    try:
        if header:
            scheme, _, raw = header.partition(" ")
            if scheme.lower() != "bearer" or not raw.strip():
                return None
            return f"token:{token_authenticate(raw.strip()).pk}"
    except MeridianError:
        return None
    if not request.user.is_authenticated or check_csrf(request) is not None:
        return None
    return f"user:{request.user.pk}:{_requested_workspace(request)}"


def _request_fingerprint(request: HttpRequest) -> str | None:
    """What the request asks for, read in full: the claim on its key comes after the body.

    A multipart body is parsed here (files to disk, never memory) and its fields and file
    contents digested; each send has its own boundary, so the raw bytes would never repeat.
    None when its announced size is over any upload limit: the operation refuses it (413)
    without reading it, and stores nothing.
    """
    content_type = request.content_type or ""
    if content_type == "multipart/form-data":
        if files.body_too_large(request):
            return None
        files.stream_uploads_to_disk(request)
        parts: list[bytes | str] = [request.method or "", request.get_full_path(), content_type]
        for name, values in sorted(request.POST.lists()):
            parts += [name, *values]
        for name, uploads in sorted(request.FILES.lists()):
            for upload in uploads:
                parts += [name, upload.name or "", _upload_digest(upload)]
        return fingerprint(*parts)
    try:
        body = request.body
    except RequestDataTooBig:
        body = (request.META.get("CONTENT_LENGTH") or "").encode()
    return fingerprint(request.method or "", request.get_full_path(), content_type, body)


def _upload_digest(upload: UploadedFile) -> str:
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)  # the operation reads it again
    return digest.hexdigest()


def _idempotent(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Honour the Idempotency-Key header on POST and PATCH (IETF draft-ietf-httpapi-idempotency-key-header).

    The first request with a key runs and its successful answer is stored for 24 hours; the
    same key with the same request gets that answer again, the same key with another request
    a 422, and a repeat while the first still runs a 409 (retry shortly). A failed first
    request stores nothing, so the key may be retried with a corrected request.
    """

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        raw_key = request.headers.get(IDEMPOTENCY_HEADER)
        if raw_key is None or request.method not in IDEMPOTENT_METHODS:
            return view(request, *args, **kwargs)
        scope = _idempotency_scope(request)
        if scope is None:
            return view(request, *args, **kwargs)
        # The draft sends the key as a structured-field string: "…"; a bare key is taken too.
        key = raw_key.strip()
        if len(key) >= 2 and key[0] == key[-1] == '"':
            key = key[1:-1]
        if not key_is_valid(key):
            message = (
                f"The {IDEMPOTENCY_HEADER} header must be 1 to 255 printable ASCII characters "
                "without spaces, e.g. a UUID."
            )
            return _problem(request, 400, message, {IDEMPOTENCY_HEADER: [message]})
        try:
            print_ = _request_fingerprint(request)
        except Exception as exc:  # a malformed body: answered as the operation would answer it
            return api.on_exception(request, exc)
        if print_ is None:
            return view(request, *args, **kwargs)
        claim = idempotency_claim(scope=scope, key=key, fingerprint=print_)
        if isinstance(claim, Earlier):
            return _answer_repeat(request, claim, print_)
        try:
            response = view(request, *args, **kwargs)
        except BaseException:
            idempotency_release(claim)
            raise
        if 200 <= response.status_code < 300 and not response.streaming:
            headers = {h: response[h] for h in REPLAYED_HEADERS if h in response}
            body = response.content.decode("utf-8", errors="replace")
            if holds_secret(request):
                # A secret is never stored in plain text, not even for a day of replays.
                headers, body = {SECRET_HEADER: "1"}, ""
            idempotency_complete(claim, status=response.status_code, headers=headers, body=body)
        else:
            idempotency_release(claim)
        return response

    return wrapper


def _answer_repeat(request: HttpRequest, earlier: Earlier, print_: str) -> HttpResponse:
    if earlier.fingerprint != print_:
        message = (
            f"This {IDEMPOTENCY_HEADER} was already used for a different request; "
            "use a new key for a new request."
        )
        return _problem(request, 422, message, {IDEMPOTENCY_HEADER: [message]})
    if earlier.status is None:
        problem = _problem(
            request,
            409,
            f"A request with this {IDEMPOTENCY_HEADER} is still running; retry in a moment.",
        )
        problem["Retry-After"] = "1"
        return problem
    if earlier.headers.get(SECRET_HEADER):
        return _problem(request, 409, SECRET_ANSWER)
    response = HttpResponse(earlier.body, status=earlier.status)
    for header, value in earlier.headers.items():
        response[header] = value
    response["Idempotent-Replayed"] = "true"
    return response


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


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    cause = exc.__cause__
    if isinstance(cause, MeridianError):
        # ApiParser refused the body (a NUL, a number out of range, not an object).
        return _problem(request, cause.status_code, cause.detail, cause.errors)
    if exc.status_code == 400 and isinstance(cause, ValueError):
        # Ninja's body parser failed: json.JSONDecodeError or a body that is not UTF-8.
        message = f"The request body is not valid JSON: {cause}."
        return _problem(request, 400, message, {"body": [message]})
    return _problem(request, exc.status_code, str(exc))


@api.exception_handler(AuthenticationError)
def _auth_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return _problem(request, 401, NO_CREDENTIALS)


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    if getattr(request, "membership", False) is None:
        # A signed-in person with no workspace reached an operation that needs one.
        return _problem(
            request,
            404,
            "You are not a member of any workspace; create one or accept an invitation.",
        )
    return _problem(request, 404, NotFound().detail)


@api.exception_handler(Exception)
def _server_error(request: HttpRequest, exc: Exception) -> HttpResponse:
    """A bug: logged with its traceback like any 500, answered in the API's JSON shape."""
    server_log.error(
        "Internal Server Error: %s",
        request.path,
        exc_info=exc,
        extra={"status_code": 500, "request": request},
    )
    response = _problem(request, 500, "Something went wrong on the server; it has been logged.")
    response._has_been_logged = True  # type: ignore[attr-defined]  # Django would log it again
    return response


@api.exception_handler(DjangoPermissionDenied)
def _django_forbidden(request: HttpRequest, exc: DjangoPermissionDenied) -> HttpResponse:
    return _problem(request, 403, str(exc) or "You may not do this.")


@api.exception_handler(SuspiciousOperation)
def _suspicious(request: HttpRequest, exc: SuspiciousOperation) -> HttpResponse:
    # Too many form fields or files, a malformed multipart body: the request, not the server.
    return _problem(request, 400, f"The request was refused: {exc}")


@api.exception_handler(RequestDataTooBig)
def _too_big(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    message = f"The request body is larger than the limit of {limit} bytes."
    return _problem(request, 413, message, {"body": [message]})


fallback = Router(auth=None)
EVERY_METHOD = ["GET", "POST", "PUT", "PATCH", "DELETE"]


def _no_endpoint(path: str) -> NoReturn:
    index = reverse("api:openapi-json")
    raise NotFound(f"The API has no endpoint /{path}; {index} lists those it has.")


@fallback.api_operation(EVERY_METHOD, "/", include_in_schema=False)
def api_root(request: HttpRequest) -> NoReturn:
    """The bare API prefix: a JSON 404 that points to the OpenAPI document."""
    _no_endpoint("")


@fallback.api_operation(EVERY_METHOD, "/{path:rest}", include_in_schema=False)
def unknown_path(request: HttpRequest, rest: str) -> NoReturn:
    """Any path the API does not have: a JSON 404, not the site's HTML page."""
    _no_endpoint(rest)


def register_routers() -> None:
    """Mount every area's router (imported here so areas never import the API root)."""
    from meridian.accounts.api import router as accounts_router
    from meridian.briefs.api import router as briefs_router
    from meridian.checkins.api import router as checkins_router
    from meridian.dashboards.api import router as dashboards_router
    from meridian.decisions.api import router as decisions_router
    from meridian.delivery.api import router as delivery_router
    from meridian.goals.api import router as goals_router
    from meridian.handovers.api import router as handovers_router
    from meridian.metrics.api import router as metrics_router
    from meridian.notifications.api import router as notifications_router
    from meridian.recordings.api import router as recordings_router
    from meridian.roles.api import router as roles_router
    from meridian.search.api import router as search_router
    from meridian.tracking.api import router as tracking_router
    from meridian.webhooks.api import router as webhooks_router
    from meridian.work.api import router as work_router
    from meridian.workspaces.api import audit_router
    from meridian.workspaces.api import router as workspaces_router

    api.add_router("/", accounts_router)
    api.add_router("/", workspaces_router)
    api.add_router("/", briefs_router)
    api.add_router("/", audit_router)
    api.add_router("/", recordings_router)
    api.add_router("/", decisions_router)
    api.add_router("/", search_router)
    api.add_router("/", notifications_router)
    api.add_router("/", webhooks_router)
    api.add_router("/", delivery_router)
    api.add_router("/", work_router)
    api.add_router("/", roles_router)
    api.add_router("/", checkins_router)
    api.add_router("/", handovers_router)
    api.add_router("/", tracking_router)
    api.add_router("/", metrics_router)
    api.add_router("/", goals_router)
    api.add_router("/", dashboards_router)
    api.add_router("/", fallback)


register_routers()
