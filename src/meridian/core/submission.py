"""One-time submission keys for create forms: a form sent twice creates once.

Every create form renders ``{% submission_key %}``, a hidden field with a fresh random key.
A create view wrapped in :func:`once_per_submission` claims the key before it runs; when the
view says it succeeded (it calls :func:`submitted` with the page of what it made, or returns
its redirect through :func:`saved`), the key remembers that page. Anything else, a redirect
that carries an error message included, gives the key back, so the corrected form saves. The same form sent again, even in parallel, is sent to that page
instead of creating a second object (and a second set of emails).
"""

import functools
import time
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render

from meridian.core.idempotency import (
    Earlier,
    fingerprint,
    idempotency_claim,
    idempotency_complete,
    idempotency_earlier,
    idempotency_release,
    key_is_valid,
)

FIELD = "submission_key"
# A repeat waits this long for the first submission to finish before saying it is still busy.
WAIT_SECONDS = 15.0
POLL_SECONDS = 0.1
REPEATED = "You sent this form more than once; it was saved once, and this is the result."

View = Callable[..., HttpResponse]


def submitted(request: HttpRequest, url: str) -> None:
    """Tell the wrapping once_per_submission that this request created what ``url`` shows."""
    request._submitted_url = url  # type: ignore[attr-defined]


def saved(request: HttpRequest, response: HttpResponseRedirect) -> HttpResponseRedirect:
    """The redirect of a create that succeeded: repeats of this submission go where it goes."""
    submitted(request, response["Location"])
    return response


def once_per_submission(view: View) -> View:
    """Run a create view at most once per submission key; repeats go to the first result."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        key = request.POST.get(FIELD, "") if request.method == "POST" else ""
        if not key or not request.user.is_authenticated:
            # Old pages and scripts without a key keep working, unprotected.
            return view(request, *args, **kwargs)
        if not key_is_valid(key):
            return _refuse(
                request, 400, "This form's submission key is malformed; reload the page."
            )
        membership = getattr(request, "membership", None)
        workspace_id = membership.workspace_id if membership is not None else 0
        scope = f"page:{request.user.pk}:{workspace_id}"
        # A key belongs to the form it was rendered in: the same key on another form is no repeat.
        print_ = fingerprint(request.path)
        deadline = time.monotonic() + WAIT_SECONDS
        claim = idempotency_claim(scope=scope, key=key, fingerprint=print_)
        while isinstance(claim, Earlier):
            if claim.fingerprint != print_:
                return _refuse(
                    request, 422, "This form's submission key was used by another form; reload it."
                )
            if claim.status is not None:
                return _to_first_result(request, claim.body)
            if time.monotonic() > deadline:
                return _refuse(
                    request, 409, "This form is still being saved from your first click; wait."
                )
            time.sleep(POLL_SECONDS)
            earlier = idempotency_earlier(scope=scope, key=key)
            # Gone: the first submission failed, so this one runs (and shows the same errors).
            claim = earlier or idempotency_claim(scope=scope, key=key, fingerprint=print_)
        try:
            response = view(request, *args, **kwargs)
        except BaseException:
            idempotency_release(claim)
            raise
        # Only a view that says it saved completes the key: some views redirect on failure too.
        url = getattr(request, "_submitted_url", None)
        if url is None:
            idempotency_release(claim)  # nothing saved: the corrected form may use the key
        else:
            idempotency_complete(claim, status=303, headers={}, body=url)
        return response

    return wrapper


def _to_first_result(request: HttpRequest, url: str) -> HttpResponse:
    messages.info(request, REPEATED)
    if getattr(request, "htmx", False):
        # htmx would follow a redirect inside the page's fragment; have it load the page instead.
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return HttpResponseRedirect(url, status=303)


def _refuse(request: HttpRequest, status: int, reason: str) -> HttpResponse:
    return render(request, "error.html", {"reason": reason}, status=status)
