"""404-alike access to check-ins: another workspace's check-in, prompt or blocker, or another
member's prompt, does not exist for the viewer."""

from meridian.checkins.models import Blocker, Checkin, CheckinPrompt
from meridian.core.errors import NotFound
from meridian.workspaces.models import Membership


def checkin_get_for(viewer: Membership, checkin_id: int) -> Checkin:
    """A check-in of the viewer's workspace; 404 alike for missing and foreign."""
    checkin = (
        Checkin.objects.select_related("team", "workspace")
        .filter(workspace_id=viewer.workspace_id, pk=checkin_id)
        .first()
    )
    if checkin is None:
        raise NotFound("No such check-in in this workspace.")
    return checkin


def prompt_get_for(viewer: Membership, prompt_id: int) -> CheckinPrompt:
    """The viewer's own prompt; someone else's answers 404 like a missing one."""
    prompt = (
        CheckinPrompt.objects.select_related("checkin__team", "checkin__workspace")
        .filter(workspace_id=viewer.workspace_id, membership_id=viewer.pk, pk=prompt_id)
        .first()
    )
    if prompt is None:
        raise NotFound("No such check-in for you.")
    return prompt


def blocker_get_for(viewer: Membership, blocker_id: int) -> Blocker:
    """A blocker of the viewer's workspace; 404 alike for missing and foreign."""
    blocker = (
        Blocker.objects.select_related("checkin__team", "raised_by__profile", "person__profile")
        .filter(workspace_id=viewer.workspace_id, pk=blocker_id)
        .first()
    )
    if blocker is None:
        raise NotFound("No such blocker in this workspace.")
    return blocker
