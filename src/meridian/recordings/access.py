"""Who may reach which recording or upload: 404 alike for missing and not yours."""

from django.db.models import Q

from meridian.briefs.access import brief_get_for
from meridian.briefs.models import Brief, BriefStatus
from meridian.core.errors import Conflict, NotFound, PermissionDenied
from meridian.recordings.models import Caption, Recording, Upload
from meridian.workspaces.models import Membership


def visible_recordings(viewer: Membership) -> Q:
    """Recordings of sent briefs, and of the viewer's own drafts (a draft is its author's)."""
    return ~Q(brief__status=BriefStatus.DRAFT) | Q(brief__author_id=viewer.pk)


def recording_get_for(viewer: Membership, recording_id: int) -> Recording:
    """A recording of the viewer's workspace; 404 alike for missing, foreign and others' drafts."""
    recording = (
        Recording.objects.select_related("brief", "workspace", "created_by__profile")
        .filter(visible_recordings(viewer), workspace_id=viewer.workspace_id, pk=recording_id)
        .first()
    )
    if recording is None:
        raise NotFound("No such recording in this workspace.")
    return recording


def caption_get_for(viewer: Membership, recording: Recording, caption_id: int) -> Caption:
    """A caption track of the recording (which the viewer already reached)."""
    caption = Caption.objects.filter(
        workspace_id=viewer.workspace_id, recording=recording, pk=caption_id
    ).first()
    if caption is None:
        raise NotFound("No such caption track for this recording.")
    return caption


def upload_get_for(viewer: Membership, upload_id: int) -> Upload:
    """One of the viewer's own uploads; anyone else's, like a missing one, is 404."""
    upload = (
        Upload.objects.select_related("brief", "recording")
        .filter(workspace_id=viewer.workspace_id, created_by=viewer, pk=upload_id)
        .first()
    )
    if upload is None:
        raise NotFound("No such upload.")
    return upload


def brief_for_recording(viewer: Membership, brief_id: int) -> Brief:
    """A brief of the viewer's workspace to attach a recording to; 404 alike for foreign."""
    return brief_get_for(viewer, brief_id)


def can_manage(viewer: Membership, brief: Brief) -> bool:
    """The brief's author and the workspace's admins manage its recordings and captions."""
    return viewer.workspace_id == brief.workspace_id and (
        viewer.pk == brief.author_id or viewer.is_admin
    )


def require_manage(viewer: Membership, brief: Brief) -> None:
    """Refuse a change to a brief's recordings by someone else, or to a closed brief."""
    if not can_manage(viewer, brief):
        raise PermissionDenied("Only the brief's author or an admin can change its recording.")
    if brief.status == BriefStatus.CLOSED:
        raise Conflict("This brief is closed; a closed brief is read-only.")
