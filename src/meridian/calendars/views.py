"""The secret ICS feed (no sign-in), and the member's own action of making or rotating its address."""

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.safestring import SafeString
from django.views.decorators.http import require_POST, require_safe

from meridian.calendars.ics import calendar_bytes
from meridian.calendars.selectors import calendar_entries_for, feed_member, feed_of
from meridian.calendars.services import calendar_feed_rotate, feed_secret
from meridian.core.errors import NotFound
from meridian.workspaces.access import WorkspaceRequest, requires
from meridian.workspaces.models import Membership, Role


def feed_url(secret: str) -> str:
    """The absolute address of a feed, for calendar apps to subscribe to."""
    return settings.BASE_URL + reverse("calendar_feed", kwargs={"token": secret})


@require_safe
def feed(request: HttpRequest, token: str) -> HttpResponse:
    """The member's deadlines as text/calendar; any unknown or rotated address answers 404."""
    try:
        member = feed_member(token)
    except NotFound:
        raise Http404 from None
    body = calendar_bytes(
        name=f"Meridian deadlines — {member.workspace.name}",
        entries=calendar_entries_for(member=member),
        now=timezone.now(),
    )
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="meridian.ics"'
    response["X-Robots-Tag"] = "noindex"
    add_never_cache_headers(response)
    return response


@require_POST
@requires(Role.GUEST)
def rotate(request: WorkspaceRequest, workspace: str) -> HttpResponse:
    """Make the member's feed address, or replace it (the old one stops working)."""
    had_one = feed_of(viewer=request.membership) is not None
    calendar_feed_rotate(acting=request.membership)
    messages.success(
        request,
        "New calendar address made; the old one no longer works."
        if had_one
        else "Your calendar address is ready.",
    )
    return redirect(reverse("profile", kwargs={"workspace": workspace}) + "#calendar-heading")


def profile_panel(request: HttpRequest, member: Membership) -> SafeString:
    """The calendar section of the member's profile page: the address and a rotate button."""
    existing = feed_of(viewer=member)
    context = {
        "feed": existing,
        "url": feed_url(feed_secret(existing)) if existing else "",
        "workspace": member.workspace,
    }
    return SafeString(render_to_string("calendars/_profile_panel.html", context, request=request))
