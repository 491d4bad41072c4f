"""The notification preferences page, under the member's profile."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import SafeString

from meridian.core.errors import MeridianError
from meridian.core.forms import add_service_errors
from meridian.delivery.forms import PreferencesForm, UrgentPolicyForm
from meridian.delivery.selectors import preferences_for, urgent_budget_for
from meridian.delivery.services import (
    delivery_preferences_update,
    urgent_budget,
    urgent_policy_set,
)
from meridian.workspaces.access import WorkspaceRequest, requires
from meridian.workspaces.models import Membership, Role


@requires(Role.GUEST)
def preferences(request: WorkspaceRequest, workspace: str) -> HttpResponse:
    """Choose, per kind of notification, inbox only, daily digest or at once; quiet hours."""
    me = request.membership
    form = PreferencesForm(request.POST or None, preferences=preferences_for(viewer=me))
    if request.method == "POST" and form.is_valid():
        try:
            delivery_preferences_update(
                acting=me,
                channels=form.channels(),
                quiet_hours=form.cleaned_data["quiet_hours"],
                digest_time=form.cleaned_data["digest_time"],
            )
        except MeridianError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "Notification preferences saved.")
            return redirect("delivery_preferences", workspace=workspace)
    return render(
        request,
        "delivery/preferences.html",
        {"form": form, "urgent": urgent_budget_for(viewer=me, now=timezone.now())},
        status=422 if form.errors else 200,
    )


@requires(Role.ADMIN)
def urgent_policy(request: WorkspaceRequest, workspace: str) -> HttpResponse:
    """Workspace settings (admins): how many urgent notifications each member may send a week."""
    me = request.membership
    form = UrgentPolicyForm(
        request.POST or None, initial={"weekly_budget": urgent_budget(me.workspace_id)}
    )
    if request.method == "POST" and form.is_valid():
        try:
            urgent_policy_set(acting=me, weekly_budget=form.cleaned_data["weekly_budget"])
        except MeridianError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "Urgent budget saved.")
            return redirect("urgent_policy", workspace=workspace)
    return render(
        request,
        "delivery/urgent_policy.html",
        {"form": form},
        status=422 if form.errors else 200,
    )


def profile_panel(request: HttpRequest, member: Membership) -> SafeString:
    """The notifications section of the member's profile page: a link to their preferences."""
    context = {"workspace": member.workspace}
    return SafeString(render_to_string("delivery/_profile_panel.html", context, request=request))
