"""Pages of the workspaces area: create, members, teams, profile, invitations."""

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from meridian.accounts.services import user_create
from meridian.core.errors import MeridianError
from meridian.core.forms import add_service_errors
from meridian.workspaces.access import member_get_for, requires, team_get_for
from meridian.workspaces.forms import (
    WEEKDAYS,
    AcceptInvitationForm,
    InvitationForm,
    ProfileForm,
    TeamForm,
    WorkspaceForm,
    zone_choices,
)
from meridian.workspaces.models import Role
from meridian.workspaces.selectors import (
    MemberFilters,
    invitation_list_for,
    member_list_for,
    team_list_for,
    team_members_for,
)
from meridian.workspaces.services import (
    invitation_accept,
    invitation_create,
    invitation_lookup,
    member_set_role,
    profile_update,
    team_add_member,
    team_create,
    team_remove_member,
    workspace_create,
)


@login_required
def workspace_create_view(request: HttpRequest) -> HttpResponse:
    """Start a new workspace; its creator becomes its admin."""
    form = WorkspaceForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            ws = workspace_create(user=request.user, **form.cleaned_data)  # type: ignore[arg-type]
        except MeridianError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"Welcome to {ws.name}. Invite your colleagues next.")
            return redirect("members", workspace=ws.slug)
    return render(request, "workspaces/create.html", {"form": form})


@requires(Role.GUEST)
def members(request: HttpRequest, workspace: str) -> HttpResponse:
    """Everyone in the workspace, searchable, with local time and teams."""
    filters = MemberFilters(
        q=request.GET.get("q", "").strip(),
        role=request.GET.get("role", ""),
        team=request.GET.get("team", ""),
    )
    viewer = request.membership  # type: ignore[attr-defined]
    context = {
        "members": member_list_for(viewer=viewer, filters=filters),
        "filters": filters,
        "teams": team_list_for(viewer=viewer),
        "roles": Role.choices,
        "invite_form": InvitationForm() if viewer.is_admin else None,
        "invitations": invitation_list_for(viewer=viewer) if viewer.is_admin else [],
    }
    template = "workspaces/members.html"
    if request.htmx:  # type: ignore[attr-defined]
        template += "#member-table"
    return render(request, template, context)


@requires(Role.ADMIN)
def invite(request: HttpRequest, workspace: str) -> HttpResponse:
    """An admin invites someone; the link is emailed and shown once here."""
    form = InvitationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            invitation, token = invitation_create(acting=request.membership, **form.cleaned_data)  # type: ignore[attr-defined]
        except MeridianError as exc:
            add_service_errors(form, exc)
        else:
            from django.urls import reverse

            link = request.build_absolute_uri(reverse("invitation_accept", kwargs={"token": token}))
            return render(
                request, "workspaces/invited.html", {"invitation": invitation, "link": link}
            )
    return render(
        request,
        "workspaces/invite.html",
        {"form": form},
        status=422 if request.method == "POST" else 200,
    )


@requires(Role.ADMIN)
def member_role(request: HttpRequest, workspace: str, member_id: int) -> HttpResponse:
    """An admin changes someone's role from the members page."""
    target = member_get_for(request.membership, member_id)  # type: ignore[attr-defined]
    if request.method == "POST":
        try:
            member_set_role(
                acting=request.membership, member=target, role=request.POST.get("role", "")
            )  # type: ignore[attr-defined]
            messages.success(
                request,
                f"{target.profile.display_name} is now {target.get_role_display().lower()}.",
            )
        except MeridianError as exc:
            messages.error(request, exc.detail)
    return redirect("members", workspace=workspace)


def invitation_accept_view(request: HttpRequest, token: str) -> HttpResponse:
    """Join a workspace from an invitation link: sign up if new, or just accept if signed in."""
    try:
        invitation = invitation_lookup(token)
    except MeridianError as exc:
        return render(
            request,
            "workspaces/invitation_invalid.html",
            {"reason": exc.detail},
            status=exc.status_code,
        )
    user = request.user if request.user.is_authenticated else None
    form = AcceptInvitationForm(request.POST or None) if user is None else None
    if request.method == "POST":
        try:
            with transaction.atomic():
                if user is None:
                    assert form is not None
                    if not form.is_valid():
                        raise _FormInvalid
                    user = user_create(
                        email=invitation.email,
                        password=form.cleaned_data["password"],
                        name=form.cleaned_data["display_name"],
                    )
                    display_name = form.cleaned_data["display_name"]
                else:
                    display_name = ""
                membership = invitation_accept(token=token, user=user, display_name=display_name)  # type: ignore[arg-type]
        except _FormInvalid:
            pass
        except MeridianError as exc:
            if form is not None:
                add_service_errors(form, exc)
            else:
                return render(
                    request,
                    "workspaces/invitation_invalid.html",
                    {"reason": exc.detail},
                    status=exc.status_code,
                )
        else:
            if not request.user.is_authenticated:
                login(request, user, backend="django.contrib.auth.backends.ModelBackend")  # type: ignore[arg-type]
            messages.success(request, f"You joined {membership.workspace.name}.")
            return redirect("profile", workspace=membership.workspace.slug)
    return render(request, "workspaces/accept.html", {"invitation": invitation, "form": form})


class _FormInvalid(Exception):
    pass


@requires(Role.GUEST)
def profile(request: HttpRequest, workspace: str) -> HttpResponse:
    """Edit your name, time zone, weekly working hours, focus blocks and digest time."""
    me = request.membership  # type: ignore[attr-defined]
    form = ProfileForm(request.POST or None, initial=ProfileForm.initial_for(me.profile))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            profile_update(
                acting=me,
                member=me,
                display_name=data["display_name"],
                title=data["title"],
                time_zone=data["time_zone"],
                working_hours=data["working_hours"],
                focus_blocks=data["focus_blocks"],
                digest_time=data["digest_time"],
            )
        except MeridianError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "Profile saved.")
            return redirect("profile", workspace=workspace)
    days = [(WEEKDAYS[i], form[f"hours_{i}"], form[f"focus_{i}"]) for i in range(7)]
    status = 422 if request.method == "POST" else 200
    return render(
        request,
        "workspaces/profile.html",
        {"form": form, "days": days, "zones": zone_choices()},
        status=status,
    )


@requires(Role.GUEST)
def teams(request: HttpRequest, workspace: str) -> HttpResponse:
    """The workspace's teams, and a form to start one."""
    viewer = request.membership  # type: ignore[attr-defined]
    form = TeamForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            team = team_create(acting=viewer, **form.cleaned_data)
        except MeridianError as exc:
            add_service_errors(form, exc)
        else:
            return redirect("team", workspace=workspace, team=team.slug)
    return render(
        request, "workspaces/teams.html", {"teams": team_list_for(viewer=viewer), "form": form}
    )


@requires(Role.GUEST)
def team(request: HttpRequest, workspace: str, team: str) -> HttpResponse:
    """One team: its members, and adding or removing people."""
    viewer = request.membership  # type: ignore[attr-defined]
    the_team = team_get_for(viewer, team)
    if request.method == "POST":
        try:
            target = member_get_for(viewer, int(request.POST.get("member", "0") or 0))
            if request.POST.get("action") == "remove":
                team_remove_member(acting=viewer, team=the_team, member=target)
            else:
                team_add_member(acting=viewer, team=the_team, member=target)
        except (MeridianError, ValueError) as exc:
            messages.error(request, getattr(exc, "detail", "Choose a member."))
        return redirect("team", workspace=workspace, team=the_team.slug)
    team_members = list(team_members_for(viewer=viewer, team=the_team))
    in_team = {m.pk for m in team_members}
    others = [
        m for m in member_list_for(viewer=viewer, filters=MemberFilters()) if m.pk not in in_team
    ]
    return render(
        request,
        "workspaces/team.html",
        {"team": the_team, "team_members": team_members, "others": others},
    )
