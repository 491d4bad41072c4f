"""The goals pages: the goal tree, one goal with its key results' status and notes, adding a
check-in note. Thin: access helper, service or selector, render."""

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST, require_safe

from meridian.core.errors import MeridianError, NotFound
from meridian.core.markdown import render_markdown
from meridian.goals import selectors, services
from meridian.goals.models import Goal
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
    rows = [
        (goal, depth, [selectors.status_of(kr) for kr in goal.key_results.all()])
        for goal, depth in selectors.goal_list_for(request.membership)
    ]
    return render(request, "goals/list.html", {"rows": rows})


@require_safe
@requires(Role.GUEST)
def goal_detail(request: WorkspaceRequest, workspace: str, goal_id: int) -> HttpResponse:
    goal = _goal(request, goal_id)
    statuses = [selectors.status_of(kr) for kr in goal.key_results.all()]
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
