"""Pages of the work area (being built: each page grows from this placeholder)."""

from django.http import HttpResponse
from django.shortcuts import render

from meridian.workspaces.access import WorkspaceRequest, requires
from meridian.workspaces.models import Role


@requires(Role.GUEST)
def my_work(request: WorkspaceRequest, workspace: str, **ids: int) -> HttpResponse:
    """Placeholder until the page is built."""
    return render(request, "work/placeholder.html", {"title": "Work"})


@requires(Role.GUEST)
def waiting(request: WorkspaceRequest, workspace: str, **ids: int) -> HttpResponse:
    """Placeholder until the page is built."""
    return render(request, "work/placeholder.html", {"title": "Work"})


@requires(Role.GUEST)
def task_list(request: WorkspaceRequest, workspace: str, **ids: int) -> HttpResponse:
    """Placeholder until the page is built."""
    return render(request, "work/placeholder.html", {"title": "Work"})


@requires(Role.GUEST)
def task_create_view(request: WorkspaceRequest, workspace: str, **ids: int) -> HttpResponse:
    """Placeholder until the page is built."""
    return render(request, "work/placeholder.html", {"title": "Work"})


@requires(Role.GUEST)
def task_detail_view(request: WorkspaceRequest, workspace: str, **ids: int) -> HttpResponse:
    """Placeholder until the page is built."""
    return render(request, "work/placeholder.html", {"title": "Work"})


@requires(Role.GUEST)
def task_edit(request: WorkspaceRequest, workspace: str, **ids: int) -> HttpResponse:
    """Placeholder until the page is built."""
    return render(request, "work/placeholder.html", {"title": "Work"})


@requires(Role.GUEST)
def task_move_view(request: WorkspaceRequest, workspace: str, **ids: int) -> HttpResponse:
    """Placeholder until the page is built."""
    return render(request, "work/placeholder.html", {"title": "Work"})


@requires(Role.GUEST)
def criteria_tick(request: WorkspaceRequest, workspace: str, **ids: int) -> HttpResponse:
    """Placeholder until the page is built."""
    return render(request, "work/placeholder.html", {"title": "Work"})


@requires(Role.GUEST)
def follow(request: WorkspaceRequest, workspace: str, **ids: int) -> HttpResponse:
    """Placeholder until the page is built."""
    return render(request, "work/placeholder.html", {"title": "Work"})


@requires(Role.GUEST)
def dependency_new(request: WorkspaceRequest, workspace: str, **ids: int) -> HttpResponse:
    """Placeholder until the page is built."""
    return render(request, "work/placeholder.html", {"title": "Work"})


@requires(Role.GUEST)
def dependency_delete(request: WorkspaceRequest, workspace: str, **ids: int) -> HttpResponse:
    """Placeholder until the page is built."""
    return render(request, "work/placeholder.html", {"title": "Work"})


@requires(Role.GUEST)
def comment_new(request: WorkspaceRequest, workspace: str, **ids: int) -> HttpResponse:
    """Placeholder until the page is built."""
    return render(request, "work/placeholder.html", {"title": "Work"})


@requires(Role.GUEST)
def answer_new(request: WorkspaceRequest, workspace: str, **ids: int) -> HttpResponse:
    """Placeholder until the page is built."""
    return render(request, "work/placeholder.html", {"title": "Work"})


@requires(Role.GUEST)
def link_new(request: WorkspaceRequest, workspace: str, **ids: int) -> HttpResponse:
    """Placeholder until the page is built."""
    return render(request, "work/placeholder.html", {"title": "Work"})


@requires(Role.GUEST)
def link_delete(request: WorkspaceRequest, workspace: str, **ids: int) -> HttpResponse:
    """Placeholder until the page is built."""
    return render(request, "work/placeholder.html", {"title": "Work"})


@requires(Role.GUEST)
def file_new(request: WorkspaceRequest, workspace: str, **ids: int) -> HttpResponse:
    """Placeholder until the page is built."""
    return render(request, "work/placeholder.html", {"title": "Work"})


@requires(Role.GUEST)
def file_download(request: WorkspaceRequest, workspace: str, **ids: int) -> HttpResponse:
    """Placeholder until the page is built."""
    return render(request, "work/placeholder.html", {"title": "Work"})


@requires(Role.GUEST)
def file_delete(request: WorkspaceRequest, workspace: str, **ids: int) -> HttpResponse:
    """Placeholder until the page is built."""
    return render(request, "work/placeholder.html", {"title": "Work"})


@requires(Role.GUEST)
def filter_save(request: WorkspaceRequest, workspace: str, **ids: int) -> HttpResponse:
    """Placeholder until the page is built."""
    return render(request, "work/placeholder.html", {"title": "Work"})


@requires(Role.GUEST)
def filter_delete(request: WorkspaceRequest, workspace: str, **ids: int) -> HttpResponse:
    """Placeholder until the page is built."""
    return render(request, "work/placeholder.html", {"title": "Work"})


@requires(Role.GUEST)
def project_list(request: WorkspaceRequest, workspace: str, **ids: int) -> HttpResponse:
    """Placeholder until the page is built."""
    return render(request, "work/placeholder.html", {"title": "Work"})


@requires(Role.GUEST)
def project_create_view(request: WorkspaceRequest, workspace: str, **ids: int) -> HttpResponse:
    """Placeholder until the page is built."""
    return render(request, "work/placeholder.html", {"title": "Work"})


@requires(Role.GUEST)
def project_detail(request: WorkspaceRequest, workspace: str, **ids: int) -> HttpResponse:
    """Placeholder until the page is built."""
    return render(request, "work/placeholder.html", {"title": "Work"})


@requires(Role.GUEST)
def project_board(request: WorkspaceRequest, workspace: str, **ids: int) -> HttpResponse:
    """Placeholder until the page is built."""
    return render(request, "work/placeholder.html", {"title": "Work"})


@requires(Role.GUEST)
def project_edit(request: WorkspaceRequest, workspace: str, **ids: int) -> HttpResponse:
    """Placeholder until the page is built."""
    return render(request, "work/placeholder.html", {"title": "Work"})
