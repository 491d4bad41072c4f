"""Pages of the core layer that belong to no area: health, ping, and the 400 handler.

The landing page and the admins' audit log are the workspaces area's (workspaces/views.py).
"""

from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET


@require_GET
def health(request: HttpRequest) -> JsonResponse:
    """Liveness for load balancers: the database answers."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


@require_GET
def ping(request: HttpRequest) -> JsonResponse:
    """A bare JSON answer with no database work: the benchmarks' reference for the server itself."""
    return JsonResponse({"pong": True})


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """Django's 400 handler; a body over the size limit answers 413 saying the limit."""
    from django.conf import settings
    from django.core.exceptions import RequestDataTooBig
    from django.template.defaultfilters import filesizeformat

    if isinstance(exception, RequestDataTooBig):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        reason = (
            f"What you sent is larger than the limit of {filesizeformat(limit)} ({limit} bytes); "
            "nothing was saved."
        )
        return render(request, "error.html", {"reason": reason}, status=413)
    return render(request, "400.html", status=400)
