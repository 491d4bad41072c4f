"""Access helpers of the briefs area: one per object, 404 alike for missing and not yours.

Every member of a workspace (guests included) may read its sent briefs: briefs are the
workspace's documentation, and a newcomer reads their way in through them. A draft is its
author's alone: for anyone else it does not exist (404).
"""

from meridian.briefs.models import Brief, BriefLink, Comment
from meridian.core.errors import NotFound
from meridian.workspaces.models import Membership


def brief_get_for(viewer: Membership, brief_id: int) -> Brief:
    """A brief of the viewer's workspace, with its author; 404 when missing or foreign."""
    # Few joins on purpose (PostgreSQL plans each join; see decisions.access.proposal_get_for):
    # whoever closed the brief loads when shown.
    brief = (
        Brief.all_objects.visible_to(viewer)
        .select_related("author__profile")
        .filter(pk=brief_id)
        .first()
    )
    if brief is None:
        raise NotFound("No such brief in this workspace.")
    brief.workspace = viewer.workspace  # the same row, read with the membership
    return brief


def comment_get_for(viewer: Membership, brief: Brief, comment_id: int) -> Comment:
    """A comment of one brief the viewer can see; 404 when missing, foreign or on another brief."""
    comment = (
        Comment.objects.select_related("author__profile", "brief")
        .filter(workspace_id=viewer.workspace_id, brief_id=brief.pk, pk=comment_id)
        .first()
    )
    if comment is None:
        raise NotFound("No such comment on this brief.")
    return comment


def link_get_for(viewer: Membership, brief: Brief, link_id: int) -> BriefLink:
    """A link of one brief the viewer can see; 404 when missing, foreign or on another brief."""
    link = BriefLink.objects.filter(
        workspace_id=viewer.workspace_id, brief_id=brief.pk, pk=link_id
    ).first()
    if link is None:
        raise NotFound("No such link on this brief.")
    return link


def sees_who_watched(viewer: Membership, brief: Brief) -> bool:
    """Who watched a brief's recording, and how much, is for its author and the workspace's
    admins; everyone else sees only their own progress (the participants list, the API's
    views, the viewer insights)."""
    return viewer.workspace_id == brief.workspace_id and (
        viewer.pk == brief.author_id or viewer.is_admin
    )
