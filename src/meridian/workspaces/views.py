"""Pages of the workspaces area: the landing page, create, members, teams, profile, invitations, audit log."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.safestring import SafeString
from django.views.decorators.http import require_POST
from django.views.decorators.vary import vary_on_headers

from meridian.accounts.services import user_create
from meridian.core import registry
from meridian.core.errors import MeridianError
from meridian.core.forms import add_service_errors
from meridian.core.moments import local_date
from meridian.core.submission import once_per_submission, saved, submitted
from meridian.core.workingtime import WorkingHoursError, is_working, working_week
from meridian.workspaces.access import (
    WorkspaceRequest,
    invitation_get_for,
    member_get_for,
    requires,
    team_get_for,
    time_off_get_for,
)
from meridian.workspaces.forms import (
    WEEKDAYS,
    AcceptInvitationForm,
    InvitationForm,
    ProfileForm,
    TeamForm,
    TimeOffForm,
    WorkspaceForm,
    zone_options,
)
from meridian.workspaces.models import Membership, Profile, Role
from meridian.workspaces.selectors import (
    AuditFilters,
    MemberFilters,
    audit_actions_for,
    audit_list_for,
    invitation_list_for,
    member_choices_for,
    member_list_for,
    team_list_for,
    team_members_for,
    time_off_list_for,
    workspace_list_for,
)
from meridian.workspaces.services import (
    invitation_accept,
    invitation_create,
    invitation_lookup,
    invitation_revoke,
    member_deactivate,
    member_set_role,
    profile_update,
    team_add_member,
    team_create,
    team_remove_member,
    team_update,
    time_off_add,
    time_off_remove,
    workspace_create,
)

# Sections other areas add to the member's profile page (the calendar feed address): each item
# is a callable taking the request and the member, returning the section's HTML.
PROFILE_PANELS = "profile_panels"


def _status(request: HttpRequest) -> int:
    """A form that comes back to the person after a POST had problems: 422, else 200."""
    return 422 if request.method == "POST" else 200


@dataclass(frozen=True)
class LocalClock:
    """What a member's clock shows now, and whether that is inside their working hours."""

    now: datetime  # aware, in the member's zone
    zone: str
    working: bool | None  # None: the profile's hours could not be read

    @property
    def time(self) -> str:
        return self.now.strftime("%H:%M")

    @property
    def weekday(self) -> str:
        return self.now.strftime("%a")

    @property
    def weekday_long(self) -> str:
        """The weekday on the member's own clock (a template's |date would use UTC's)."""
        return self.now.strftime("%A")

    @property
    def offset(self) -> str:
        """The zone's offset from UTC now, e.g. "UTC+05:45" (Kathmandu) or "UTC−03:00"."""
        minutes = int(self.now.utcoffset().total_seconds() // 60)  # type: ignore[union-attr]
        sign = "+" if minutes >= 0 else "\u2212"
        return f"UTC{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"

    @property
    def zone_label(self) -> str:
        return self.zone.replace("_", " ")


def local_clock(profile: Profile, now: datetime) -> LocalClock:
    """The member's wall-clock time now, computed here so every viewer sees the same thing."""
    try:
        week = working_week(
            profile.time_zone, {int(day): hours for day, hours in profile.working_hours.items()}
        )
    except (WorkingHoursError, ValueError, TypeError):
        return LocalClock(now=now.astimezone(ZoneInfo("UTC")), zone="UTC", working=None)
    return LocalClock(
        now=now.astimezone(week.zone), zone=profile.time_zone, working=is_working(week, now)
    )


def _with_clocks(members: list[Membership]) -> list[tuple[Membership, LocalClock]]:
    now = timezone.now()
    return [(m, local_clock(m.profile, now)) for m in members]


@login_required
@once_per_submission
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
            return saved(request, redirect("members", workspace=ws.slug))
    return render(request, "workspaces/create.html", {"form": form}, status=_status(request))


MEMBERS_PER_PAGE = 50


@vary_on_headers("HX-Request")
@requires(Role.GUEST)
def members(request: WorkspaceRequest, workspace: str) -> HttpResponse:
    """Everyone in the workspace, searchable, with their local time now and their teams."""
    filters = MemberFilters(
        q=request.GET.get("q", "").strip(),
        role=request.GET.get("role", ""),
        team=request.GET.get("team", ""),
    )
    viewer = request.membership
    # A page of people at a time: 1,000 rows are slow to render and to read (docs/benchmarks.md).
    page = Paginator(member_list_for(viewer=viewer, filters=filters), MEMBERS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    context = {
        "page": page,
        "rows": _with_clocks(list(page)),
        "filters": filters,
        "teams": team_list_for(viewer=viewer),
        "roles": Role.choices,
        "invitations": invitation_list_for(viewer=viewer) if viewer.is_admin else [],
        "now": timezone.now(),
    }
    template = "workspaces/members.html"
    if request.htmx and not request.htmx.history_restore_request:
        template += "#member-table"
    return render(request, template, context)


@requires(Role.ADMIN)
@once_per_submission
def invite(request: WorkspaceRequest, workspace: str) -> HttpResponse:
    """An admin invites someone; the link is emailed and shown once here."""
    form = InvitationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            invitation, token = invitation_create(acting=request.membership, **form.cleaned_data)
        except MeridianError as exc:
            add_service_errors(form, exc)
        else:
            link = request.build_absolute_uri(reverse("invitation_accept", kwargs={"token": token}))
            # A resend must not show the secret link again: it goes to the members page.
            submitted(request, reverse("members", kwargs={"workspace": workspace}))
            response = render(
                request, "workspaces/invited.html", {"invitation": invitation, "link": link}
            )
            add_never_cache_headers(response)  # the link is a secret shown once
            return response
    return render(request, "workspaces/invite.html", {"form": form}, status=_status(request))


@require_POST
@requires(Role.ADMIN)
def member_role(request: WorkspaceRequest, workspace: str, member_id: int) -> HttpResponse:
    """An admin changes someone's role from the members page."""
    target = member_get_for(request.membership, member_id)
    try:
        member_set_role(acting=request.membership, member=target, role=request.POST.get("role", ""))
    except MeridianError as exc:
        messages.error(request, exc.detail)
    else:
        messages.success(
            request, f"{target.profile.display_name} is now {target.get_role_display().lower()}."
        )
    return redirect("members", workspace=workspace)


class _FormInvalid(Exception):
    pass


def invitation_accept_view(request: HttpRequest, token: str) -> HttpResponse:
    """Join a workspace from an invitation link: sign up if new, or just accept if signed in."""
    try:
        invitation = invitation_lookup(token)
    except MeridianError as exc:
        return _invitation_refused(request, exc)
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
                membership = invitation_accept(token=token, user=user, display_name=display_name)
        except _FormInvalid:
            pass
        except MeridianError as exc:
            if form is None:
                return _invitation_refused(request, exc)
            add_service_errors(form, exc)
        else:
            if not request.user.is_authenticated:
                login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            name = membership.workspace.name
            # "Meridian Demo Co." already ends the sentence; a second full stop reads as a typo.
            stop = "" if name.endswith((".", "!", "?")) else "."
            messages.success(
                request,
                f"You joined {name}{stop} Set your time zone and working hours "
                "so colleagues know when you are around.",
            )
            return redirect("profile", workspace=membership.workspace.slug)
    login_url = reverse("account_login") + "?next=" + request.path
    return render(
        request,
        "workspaces/accept.html",
        {"invitation": invitation, "form": form, "login_url": login_url},
        status=_status(request),
    )


def _invitation_refused(request: HttpRequest, exc: MeridianError) -> HttpResponse:
    return render(
        request,
        "workspaces/invitation_invalid.html",
        {"reason": exc.detail},
        status=exc.status_code,
    )


@requires(Role.GUEST)
def profile(request: WorkspaceRequest, workspace: str) -> HttpResponse:
    """Edit your name, time zone, weekly working hours, focus blocks and digest time."""
    me = request.membership
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
    return render(
        request,
        "workspaces/profile.html",
        {
            "form": form,
            "days": days,
            "zone_options": zone_options(),
            "clock": local_clock(me.profile, timezone.now()),
            "panels": [panel(request, me) for panel in registry.items(PROFILE_PANELS)],
        },
        status=_status(request),
    )


@requires(Role.GUEST)
@once_per_submission
def teams(request: WorkspaceRequest, workspace: str) -> HttpResponse:
    """The workspace's teams, and a form to start one."""
    viewer = request.membership
    form = TeamForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            team = team_create(acting=viewer, **form.cleaned_data)
        except MeridianError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"Team “{team.name}” created. Add its members here.")
            return saved(request, redirect("team", workspace=workspace, team=team.slug))
    return render(
        request,
        "workspaces/teams.html",
        {"teams": team_list_for(viewer=viewer), "form": form},
        status=_status(request),
    )


@requires(Role.GUEST)
def team(request: WorkspaceRequest, workspace: str, team: str) -> HttpResponse:
    """One team: its members and their local time; add or remove people, rename the team."""
    viewer = request.membership
    the_team = team_get_for(viewer, team)
    action = request.POST.get("action", "")
    form = TeamForm(
        request.POST if action == "update" else None,
        initial={"name": the_team.name, "description": the_team.description},
    )
    if request.method == "POST" and action == "update":
        if form.is_valid():
            try:
                team_update(acting=viewer, team=the_team, **form.cleaned_data)
            except MeridianError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, "Team saved.")
                return redirect("team", workspace=workspace, team=the_team.slug)
    elif request.method == "POST":
        try:
            target = member_get_for(viewer, int(request.POST.get("member", "") or 0))
            if action == "remove":
                team_remove_member(acting=viewer, team=the_team, member=target)
                messages.success(request, f"{target.profile.display_name} left {the_team.name}.")
            else:
                team_add_member(acting=viewer, team=the_team, member=target)
                messages.success(request, f"{target.profile.display_name} joined {the_team.name}.")
        except MeridianError as exc:
            messages.error(request, exc.detail)
        except ValueError:
            messages.error(request, "Choose a member.")
        return redirect("team", workspace=workspace, team=the_team.slug)
    team_members = list(team_members_for(viewer=viewer, team=the_team))
    in_team = {m.pk for m in team_members}
    others = [m for m in member_choices_for(viewer=viewer) if m.pk not in in_team]
    return render(
        request,
        "workspaces/team.html",
        {
            "team": the_team,
            "rows": _with_clocks(team_members),
            "others": others,
            "form": form,
        },
        status=_status(request),
    )


@require_POST
@requires(Role.ADMIN)
def invitation_withdraw(
    request: WorkspaceRequest, workspace: str, invitation_id: int
) -> HttpResponse:
    """An admin withdraws an unused invitation from the members page."""
    invitation = invitation_get_for(request.membership, invitation_id)
    try:
        invitation_revoke(acting=request.membership, invitation=invitation)
    except MeridianError as exc:
        messages.error(request, exc.detail)
    else:
        messages.success(request, f"The invitation to {invitation.email} was withdrawn.")
    return redirect("members", workspace=workspace)


@require_POST
@requires(Role.ADMIN)
def member_remove(request: WorkspaceRequest, workspace: str, member_id: int) -> HttpResponse:
    """An admin removes someone's access; their history stays, their tokens stop working."""
    target = member_get_for(request.membership, member_id)
    try:
        member_deactivate(acting=request.membership, member=target)
    except MeridianError as exc:
        messages.error(request, exc.detail)
    else:
        messages.success(request, f"{target.profile.display_name} no longer has access.")
    return redirect("members", workspace=workspace)


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Land in the member's inbox, or offer to create or pick a workspace."""
    workspaces = list(workspace_list_for(user=request.user))
    if len(workspaces) == 1:
        return redirect("inbox", workspace=workspaces[0].slug)
    return render(request, "workspaces/home.html", {"workspaces": workspaces})


def _parse_date(raw: str | None) -> date | None:
    try:
        return date.fromisoformat(raw) if raw else None
    except ValueError:
        return None


@vary_on_headers("HX-Request")
@requires(Role.ADMIN)
def audit_log(request: WorkspaceRequest, workspace: str) -> HttpResponse:
    """Admins read who changed what, filtered by action, person, object type and dates."""
    filters = AuditFilters(
        action=request.GET.get("action", ""),
        actor=request.GET.get("actor", "").strip(),
        object_type=request.GET.get("object_type", ""),
        since=_parse_date(request.GET.get("since")),
        until=_parse_date(request.GET.get("until")),
    )
    page = Paginator(audit_list_for(viewer=request.membership, filters=filters), 50).get_page(
        request.GET.get("page")
    )
    template = "workspaces/audit.html"
    if request.htmx and not request.htmx.history_restore_request:
        template += "#audit-table"
    return render(
        request,
        template,
        {
            "page": page,
            "filters": filters,
            "actions": audit_actions_for(viewer=request.membership),
        },
    )


# --- Time off: a section of the profile page ----------------------------------------------------


def _time_off_context(request: WorkspaceRequest, form: TimeOffForm) -> dict[str, object]:
    me = request.membership
    today = local_date(timezone.now(), me.profile.time_zone)
    # One query: what is ahead, and the last year's for "Recent time off".
    entries = list(
        time_off_list_for(viewer=me, member=me).filter(
            membership_id=me.pk, last_day__gte=today - timedelta(days=365)
        )
    )
    return {
        "workspace": me.workspace,
        "time_off_form": form,
        "time_off": [e for e in entries if e.last_day >= today],
        "time_off_past": [e for e in reversed(entries) if e.last_day < today][:5],
        "today": today,
    }


def time_off_panel(request: HttpRequest, member: Membership) -> SafeString:
    """The member's time off on their profile page: what is entered, and a form to add more."""
    context = _time_off_context(request, TimeOffForm())  # type: ignore[arg-type]
    return SafeString(render_to_string("workspaces/_time_off_panel.html", context, request=request))


@requires(Role.GUEST)
@once_per_submission
def time_off_add_view(request: WorkspaceRequest, workspace: str) -> HttpResponse:
    """Add days away to your own calendar; a form with problems comes back on its own page."""
    if request.method != "POST":
        return redirect(reverse("profile", kwargs={"workspace": workspace}) + "#time-off")
    form = TimeOffForm(request.POST)
    if form.is_valid():
        try:
            time_off_add(acting=request.membership, member=request.membership, **form.cleaned_data)
        except MeridianError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "Time off added.")
            return redirect(reverse("profile", kwargs={"workspace": workspace}) + "#time-off")
    return render(request, "workspaces/time_off.html", _time_off_context(request, form), status=422)


@requires(Role.GUEST)
@require_POST
def time_off_remove_view(
    request: WorkspaceRequest, workspace: str, time_off_id: int
) -> HttpResponse:
    """Take back an entry of your time off."""
    entry = time_off_get_for(request.membership, time_off_id)
    time_off_remove(acting=request.membership, entry=entry)
    messages.success(request, "Time off removed.")
    return redirect(reverse("profile", kwargs={"workspace": workspace}) + "#time-off")
