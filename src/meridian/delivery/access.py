"""404-alike access to delivery rows: a delivery is visible to its recipient and its sender."""

from django.db.models import Q

from meridian.core.errors import NotFound
from meridian.delivery.models import Delivery
from meridian.workspaces.models import Membership


def delivery_get_for(viewer: Membership, delivery_id: int) -> Delivery:
    """A delivery the viewer sent or receives, in their workspace; 404 alike for anything else."""
    found = (
        Delivery.objects.filter(workspace_id=viewer.workspace_id, pk=delivery_id)
        .filter(Q(recipient_id=viewer.pk) | Q(actor_id=viewer.pk))
        .first()
    )
    if found is None:
        raise NotFound("No such delivery.")
    return found
