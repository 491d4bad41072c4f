"""Access helpers of the work area: one per object, 404 alike for missing and not yours.

Every member of a workspace may read its projects and tasks: work is documented so that anyone
can pick it up. Writes are for members (guests read only), checked by the services.
"""

from meridian.core.errors import NotFound
from meridian.work.models import Project, SavedFilter, Task
from meridian.workspaces.models import Membership


def project_get_for(viewer: Membership, project_id: int) -> Project:
    """A project of the viewer's workspace; 404 when missing or foreign."""
    project = Project.objects.filter(workspace_id=viewer.workspace_id, pk=project_id).first()
    if project is None:
        raise NotFound("No such project in this workspace.")
    return project


def task_get_for(viewer: Membership, task_id: int) -> Task:
    """A task of the viewer's workspace, with its project and owner; 404 when missing or foreign."""
    task = (
        Task.objects.select_related("project", "owner__user")
        .filter(workspace_id=viewer.workspace_id, pk=task_id)
        .first()
    )
    if task is None:
        raise NotFound("No such task in this workspace.")
    return task


def saved_filter_get_for(viewer: Membership, filter_id: int) -> SavedFilter:
    """One of the viewer's own saved filters; 404 for anyone else's."""
    saved = SavedFilter.objects.filter(
        workspace_id=viewer.workspace_id, membership=viewer, pk=filter_id
    ).first()
    if saved is None:
        raise NotFound("No such saved filter.")
    return saved
