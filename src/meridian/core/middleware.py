"""Pages' side of the one error hierarchy: a MeridianError that escapes a view becomes an HTTP page.

Views turn the errors they expect into form errors; anything else that escapes (most often an
access helper's NotFound) must answer 404 or 403 like Django's own exceptions, never a 500. The
API has its own handler in meridian.api and never reaches this.
"""

from collections.abc import Callable

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from meridian.core.errors import MeridianError, NotFound, PermissionDenied


class MeridianErrorMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, NotFound):
            raise Http404(exception.detail) from exception
        if isinstance(exception, PermissionDenied):
            raise DjangoPermissionDenied(exception.detail) from exception
        if isinstance(exception, MeridianError):
            return render(
                request, "error.html", {"reason": exception.detail}, status=exception.status_code
            )
        return None
