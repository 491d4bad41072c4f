"""The goals pages: the goal tree, one goal with its key results' status and notes, adding a
check-in note. Thin: access helper, service or selector, render."""

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from meridian.core.errors import MeridianError, NotFound
from meridian.core.forms import add_service_errors
from meridian.core.markdown import render_markdown
from meridian.goals import selectors, services
from meridian.goals.forms import GoalForm, KeyResultForm
from meridian.goals.models import Goal, KeyResult
from meridian.workspaces.access import WorkspaceRequest, requires
from meridian.workspaces.models import Role


def _goal(request: WorkspaceRequest, goal_id: int) -> Goal:
    try:
        return selectors.goal_get_for(request.membership, goal_id)
    except NotFound:
        raise Http404 from None


@require_safe
@requires(Role.GUEST)
def goal_list(request: WorkspaceRequest, workspace: str) -> HttpResponse:
    """Every goal of the workspace as a tree, each with its key results' statuses."""
    roots: list[dict[str, Any]] = []
    path: list[dict[str, Any]] = []  # the open branch: path[d] is the last node at depth d
    today = selectors.today_of(request.membership.workspace_id)
    for goal, depth in selectors.goal_list_for(request.membership):
        node = {
            "goal": goal,
            "statuses": [selectors.status_of(kr, today) for kr in goal.key_results.all()],
            "children": [],
        }
        (path[depth - 1]["children"] if depth else roots).append(node)
        del path[depth:]
        path.append(node)
    return render(request, "goals/list.html", {"nodes": roots})


@require_safe
@requires(Role.GUEST)
def goal_detail(request: WorkspaceRequest, workspace: str, goal_id: int) -> HttpResponse:
    goal = _goal(request, goal_id)
    today = selectors.today_of(goal.workspace_id)
    statuses = [selectors.status_of(kr, today) for kr in goal.key_results.all()]
    notes = [(note, render_markdown(note.body)) for note in goal.notes.select_related("author")]
    viewer = request.membership
    return render(
        request,
        "goals/detail.html",
        {
            "goal": goal,
            "description_html": render_markdown(goal.description) if goal.description else "",
            "statuses": statuses,
            "notes": notes,
            "may_edit": goal.owner_id == viewer.pk or viewer.has_role(Role.ADMIN),
        },
    )


@require_POST
@requires(Role.MEMBER)
def note_new(request: WorkspaceRequest, workspace: str, goal_id: int) -> HttpResponse:
    """The owner's check-in note; an empty one is refused with the reason shown."""
    goal = _goal(request, goal_id)
    try:
        services.note_add(acting=request.membership, goal=goal, body=request.POST.get("body", ""))
    except MeridianError as exc:
        messages.error(request, exc.detail)
    else:
        messages.success(request, "Check-in note added.")
    return redirect("goal_detail", workspace=workspace, goal_id=goal.pk)


GOAL_FIELDS = {"owner_id": "owner", "team_id": "team", "parent_id": "parent"}


def _goal_fields(form: GoalForm) -> services.GoalFields:
    data = form.cleaned_data
    return services.GoalFields(
        title=data["title"],
        description=data["description"],
        due=data["due"],
        owner_id=data["owner"],
        team_id=data["team"],
        parent_id=data["parent"],
    )


@require_http_methods(["GET", "POST"])
@requires(Role.MEMBER)
def goal_new(request: WorkspaceRequest, workspace: str) -> HttpResponse:
    viewer = request.membership
    form = GoalForm(request.POST or None, viewer=viewer, initial={"owner": viewer.pk})
    if request.method == "POST" and form.is_valid():
        try:
            goal = services.goal_create(acting=viewer, fields=_goal_fields(form))
        except MeridianError as exc:
            add_service_errors(form, exc, GOAL_FIELDS)
        else:
            messages.success(request, f"Goal “{goal.title}” created.")
            return redirect("goal_detail", workspace=workspace, goal_id=goal.pk)
    status = 422 if request.method == "POST" else 200
    return render(request, "goals/form.html", {"form": form, "heading": "New goal"}, status=status)


@require_http_methods(["GET", "POST"])
@requires(Role.MEMBER)
def goal_edit(request: WorkspaceRequest, workspace: str, goal_id: int) -> HttpResponse:
    viewer = request.membership
    goal = _goal(request, goal_id)
    initial = {
        "title": goal.title,
        "description": goal.description,
        "due": goal.due,
        "owner": goal.owner_id,
        "team": goal.team_id,
        "parent": goal.parent_id,
    }
    form = GoalForm(request.POST or None, viewer=viewer, goal=goal, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.goal_update(acting=viewer, goal=goal, fields=_goal_fields(form))
        except MeridianError as exc:
            add_service_errors(form, exc, GOAL_FIELDS)
        else:
            messages.success(request, "Goal saved.")
            return redirect("goal_detail", workspace=workspace, goal_id=goal.pk)
    status = 422 if request.method == "POST" else 200
    context = {"form": form, "heading": f"Edit “{goal.title}”", "goal": goal}
    return render(request, "goals/form.html", context, status=status)


def _key_result_fields(form: KeyResultForm) -> services.KeyResultFields:
    data = form.cleaned_data
    subject, subject_id = form.subject()
    return services.KeyResultFields(
        title=data["title"],
        metric=data["metric"],
        baseline=data["baseline"],
        target=data["target"],
        start=data["start"],
        due=data["due"],
        subject=subject,
        subject_id=subject_id,
    )


KR_FIELDS = {"subject": "measured_on", "subject_id": "measured_on"}


@require_http_methods(["GET", "POST"])
@requires(Role.MEMBER)
def key_result_new(request: WorkspaceRequest, workspace: str, goal_id: int) -> HttpResponse:
    viewer = request.membership
    goal = _goal(request, goal_id)
    form = KeyResultForm(request.POST or None, viewer=viewer)
    if request.method == "POST" and form.is_valid():
        try:
            services.key_result_add(acting=viewer, goal=goal, fields=_key_result_fields(form))
        except MeridianError as exc:
            add_service_errors(form, exc, KR_FIELDS)
        else:
            messages.success(request, "Key result added.")
            return redirect("goal_detail", workspace=workspace, goal_id=goal.pk)
    status = 422 if request.method == "POST" else 200
    context = {"form": form, "heading": f"Add a key result to “{goal.title}”", "goal": goal}
    return render(request, "goals/form.html", context, status=status)


def _key_result(request: WorkspaceRequest, goal: Goal, kr_id: int) -> KeyResult:
    try:
        return selectors.key_result_get_for(request.membership, goal, kr_id)
    except NotFound:
        raise Http404 from None


@require_http_methods(["GET", "POST"])
@requires(Role.MEMBER)
def key_result_edit(
    request: WorkspaceRequest, workspace: str, goal_id: int, kr_id: int
) -> HttpResponse:
    """Change a key result's metric, subject, baseline, target or days (owner or admin)."""
    viewer = request.membership
    goal = _goal(request, goal_id)
    key_result = _key_result(request, goal, kr_id)
    initial = {
        "title": key_result.title,
        "metric": key_result.metric,
        "measured_on": f"{key_result.subject}:{key_result.subject_id}",
        "baseline": key_result.baseline,
        "target": key_result.target,
        "start": key_result.start,
        "due": key_result.due,
    }
    form = KeyResultForm(request.POST or None, viewer=viewer, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.key_result_update(
                acting=viewer, key_result=key_result, fields=_key_result_fields(form)
            )
        except MeridianError as exc:
            add_service_errors(form, exc, KR_FIELDS)
        else:
            messages.success(request, "Key result saved.")
            return redirect("goal_detail", workspace=workspace, goal_id=goal.pk)
    status = 422 if request.method == "POST" else 200
    context = {
        "form": form,
        "heading": f"Edit the key result “{key_result.title}”",
        "goal": goal,
        "key_result": key_result,
    }
    return render(request, "goals/form.html", context, status=status)


@require_POST
@requires(Role.MEMBER)
def key_result_delete(
    request: WorkspaceRequest, workspace: str, goal_id: int, kr_id: int
) -> HttpResponse:
    """Delete a key result (owner or admin); the metric's facts stay."""
    goal = _goal(request, goal_id)
    key_result = _key_result(request, goal, kr_id)
    try:
        services.key_result_delete(acting=request.membership, key_result=key_result)
    except MeridianError as exc:
        messages.error(request, exc.detail)
    else:
        messages.success(request, f"Key result “{key_result.title}” deleted.")
    return redirect("goal_detail", workspace=workspace, goal_id=goal.pk)
