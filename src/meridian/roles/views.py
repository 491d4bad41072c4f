"""Pages of the roles area: the list, a role's page (checklist, holders, history, rota), edits."""

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from meridian.core.errors import MeridianError
from meridian.core.forms import add_service_errors
from meridian.core.moments import local_date
from meridian.core.submission import once_per_submission
from meridian.roles.access import duty_get_for, role_get_for
from meridian.roles.forms import AssignForm, RoleForm, RotaForm, duties_text
from meridian.roles.models import ROTA_MEMBERS_MAX, Role
from meridian.roles.selectors import duties_done, holders, role_detail_for, role_list_for
from meridian.roles.services import (
    duty_tick,
    holder_assign,
    holder_release,
    role_create,
    role_update,
    rota_remove,
    rota_set,
)
from meridian.workspaces.access import WorkspaceRequest, member_get_for, requires
from meridian.workspaces.forms import zone_options
from meridian.workspaces.models import Role as MemberRole
from meridian.workspaces.selectors import member_choices_for


def _status(request: WorkspaceRequest, exc: MeridianError | None = None) -> int:
    if exc is not None and exc.status_code == 409:
        return 409
    return 422 if request.method == "POST" else 200


@requires(MemberRole.GUEST)
def role_list(request: WorkspaceRequest, workspace: str) -> HttpResponse:
    """Every role: who holds it now, and how many of its duties are done this period."""
    viewer = request.membership
    archived = request.GET.get("archived") == "1"
    rows = [
        (role, holders(role), *duties_done(role))
        for role in role_list_for(viewer=viewer, archived=archived)
    ]
    return render(request, "roles/list.html", {"rows": rows, "archived": archived})


@requires(MemberRole.MEMBER)
@once_per_submission
def role_new(request: WorkspaceRequest, workspace: str) -> HttpResponse:
    """Describe a new role."""
    form = RoleForm(request.POST or None)
    del form.fields["archived"]
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            role = role_create(
                acting=request.membership,
                name=data["name"],
                responsibilities=data["responsibilities"],
                duties=data["duties"],
            )
        except MeridianError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"Role “{role.name}” created. Assign a holder or set a rota.")
            return redirect("role_detail", workspace=workspace, role_id=role.pk)
    return render(request, "roles/form.html", {"form": form, "role": None}, status=_status(request))


def _render_role(
    request: WorkspaceRequest, role: Role, assign: AssignForm | None = None, status: int = 200
) -> HttpResponse:
    viewer = request.membership
    detail = role_detail_for(viewer=viewer, role=role)
    held = {h.membership_id for h in detail.holdings}
    candidates = member_choices_for(viewer=viewer).exclude(pk__in=held)
    context = {
        "role": role,
        "detail": detail,
        "assign_form": assign or AssignForm(members=candidates, auto_id="assign-%s"),
        "is_holder": viewer.pk in held,
        "can_tick": viewer.pk in held or viewer.is_admin,
        "can_edit": viewer.has_role(MemberRole.MEMBER),
    }
    template = "roles/detail.html"
    if request.htmx and request.method == "POST":
        template += "#duties"
    return render(request, template, context, status=status)


@requires(MemberRole.GUEST)
def role_detail(request: WorkspaceRequest, workspace: str, role_id: int) -> HttpResponse:
    """The role: responsibilities, this period's duties, holders now, history and rota."""
    return _render_role(request, role_get_for(request.membership, role_id))


@requires(MemberRole.MEMBER)
def role_edit(request: WorkspaceRequest, workspace: str, role_id: int) -> HttpResponse:
    """Edit the role from the version shown; a save over someone else's shows their change."""
    role = role_get_for(request.membership, role_id)
    initial = {
        "name": role.name,
        "responsibilities": role.responsibilities,
        "duties": duties_text(role),
        "version": role.version,
        "archived": role.is_archived,
    }
    form = RoleForm(request.POST or None, initial=initial)
    error: MeridianError | None = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            role = role_update(
                acting=request.membership,
                role=role,
                version=data["version"] or 0,
                name=data["name"],
                responsibilities=data["responsibilities"],
                duties=data["duties"],
                archived=data["archived"],
            )
        except MeridianError as exc:
            error = exc
            add_service_errors(form, exc)
        else:
            messages.success(request, "Role saved.")
            return redirect("role_detail", workspace=workspace, role_id=role.pk)
    return render(
        request,
        "roles/form.html",
        {
            "form": form,
            "role": role,
            "conflict": error if error and error.status_code == 409 else None,
        },
        status=_status(request, error),
    )


@require_POST
@requires(MemberRole.MEMBER)
def role_assign(request: WorkspaceRequest, workspace: str, role_id: int) -> HttpResponse:
    """Add a holder to the role."""
    viewer = request.membership
    role = role_get_for(viewer, role_id)
    form = AssignForm(request.POST, members=member_choices_for(viewer=viewer), auto_id="assign-%s")
    if form.is_valid():
        try:
            holder_assign(acting=viewer, role=role, member=form.cleaned_data["member"])
        except MeridianError as exc:
            add_service_errors(form, exc, {"member_id": "member"})
        else:
            name = form.cleaned_data["member"].profile.display_name
            messages.success(request, f"{name} now holds {role.name}.")
            return redirect("role_detail", workspace=workspace, role_id=role.pk)
    return _render_role(request, role, assign=form, status=422)


@require_POST
@requires(MemberRole.MEMBER)
def role_release(
    request: WorkspaceRequest, workspace: str, role_id: int, member_id: int
) -> HttpResponse:
    """End a holder's holding (it stays in the history)."""
    viewer = request.membership
    role = role_get_for(viewer, role_id)
    member = member_get_for(viewer, member_id)
    holder_release(acting=viewer, role=role, member=member)
    messages.success(request, f"{member.profile.display_name} no longer holds {role.name}.")
    return redirect("role_detail", workspace=workspace, role_id=role.pk)


@require_POST
@requires(MemberRole.GUEST)
def duty_tick_view(
    request: WorkspaceRequest, workspace: str, role_id: int, duty_id: int
) -> HttpResponse:
    """Tick or untick a duty for this period (htmx swaps the checklist; without it, a redirect)."""
    viewer = request.membership
    role = role_get_for(viewer, role_id)
    duty = duty_get_for(viewer, role, duty_id)
    try:
        duty_tick(acting=viewer, duty=duty, done=request.POST.get("done") == "1")
    except MeridianError as exc:
        if exc.status_code == 404:
            raise
        messages.error(request, exc.detail)
        return _render_role(request, role, status=exc.status_code)
    if request.htmx:
        return _render_role(request, role)
    return redirect("role_detail", workspace=workspace, role_id=role.pk)


@requires(MemberRole.MEMBER)
def rota_edit(request: WorkspaceRequest, workspace: str, role_id: int) -> HttpResponse:
    """Set or change the role's rota."""
    viewer = request.membership
    role = role_get_for(viewer, role_id)
    members = list(member_choices_for(viewer=viewer))
    rota = getattr(role, "rota", None)
    if rota is not None:
        initial: dict[str, object] = {
            "period": rota.period,
            "weekday": rota.weekday,
            "every_days": rota.every_days,
            "at": rota.at,
            "zone": rota.zone,
            "starts_on": rota.starts_on,
        }
        initial.update(
            {f"member_{i}": str(m) for i, m in enumerate(rota.member_ids[:ROTA_MEMBERS_MAX])}
        )
    else:
        initial = {
            "zone": viewer.profile.time_zone,
            "starts_on": local_date(timezone.now(), viewer.profile.time_zone),
        }
    form = RotaForm(request.POST or None, initial=initial, members=members)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            rota_set(
                acting=viewer,
                role=role,
                member_ids=form.member_ids(),
                period=data["period"],
                every_days=data.get("every_days") or 7,
                weekday=data["weekday"],
                at=data["at"],
                zone=data["zone"],
                starts_on=data["starts_on"],
            )
        except MeridianError as exc:
            add_service_errors(form, exc, {"member_ids": "member_0"})
        else:
            messages.success(request, "Rota saved. The next turn changes hands when it begins.")
            return redirect("role_detail", workspace=workspace, role_id=role.pk)
    return render(
        request,
        "roles/rota.html",
        {"form": form, "role": role, "rota": rota, "zone_options": zone_options()},
        status=_status(request),
    )


@require_POST
@requires(MemberRole.MEMBER)
def rota_remove_view(request: WorkspaceRequest, workspace: str, role_id: int) -> HttpResponse:
    """Take the role off its rota."""
    role = role_get_for(request.membership, role_id)
    rota_remove(acting=request.membership, role=role)
    messages.success(request, "Rota removed; the holders keep the role until released.")
    return redirect("role_detail", workspace=workspace, role_id=role.pk)
