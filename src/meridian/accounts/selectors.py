"""Reads about accounts: a member's tokens."""

from django.db.models import QuerySet

from meridian.accounts.models import ApiToken
from meridian.core.errors import NotFound
from meridian.workspaces.models import Membership


def token_list_for(*, viewer: Membership) -> QuerySet[ApiToken]:
    """The viewer's own tokens in this workspace, newest first."""
    return ApiToken.objects.filter(membership=viewer).order_by("-created_at")


def token_get_for(viewer: Membership, token_id: int) -> ApiToken:
    """One of the viewer's own tokens; 404 alike for missing and someone else's."""
    token = ApiToken.objects.filter(membership=viewer, pk=token_id).first()
    if token is None:
        raise NotFound("No such token.")
    return token
