"""Who may reach an inbox item: only its recipient; anything else is "not found"."""

from meridian.core.errors import NotFound
from meridian.notifications.models import InboxItem
from meridian.workspaces.models import Membership


def inbox_item_get_for(viewer: Membership, item_id: int) -> InboxItem:
    """The viewer's own inbox item; 404 alike when it is missing or someone else's."""
    item = InboxItem.objects.filter(
        workspace_id=viewer.workspace_id, recipient=viewer, pk=item_id
    ).first()
    if item is None:
        raise NotFound("No such item in your inbox.")
    return item
