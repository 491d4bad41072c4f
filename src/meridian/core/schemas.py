"""Shapes of the core API, and of the request every API operation receives."""

from datetime import datetime
from typing import TYPE_CHECKING, Any

from ninja import Field, Schema

from meridian.workspaces.access import WorkspaceRequest

if TYPE_CHECKING:
    from meridian.accounts.models import ApiToken, User


class ApiRequest(WorkspaceRequest):
    """A request that passed API authentication: who acts, and through which credential."""

    # Authentication lets only a signed-in person or a live token's owner through.
    user: "User"
    # Set only when a bearer token authenticated the request; absent for the browser session.
    api_token: "ApiToken"


class AuditEntryOut(Schema):
    id: int
    action: str
    actor: str
    object_type: str
    object_id: str
    object_label: str
    data: dict[str, Any]
    created_at: datetime

    @staticmethod
    def resolve_actor(obj: Any) -> str:
        return str(obj.actor_label)


class Problem(Schema):
    """The error body every 4xx answer carries."""

    detail: str = Field(..., description="What was wrong, in a sentence a person can act on.")
    errors: dict[str, list[str]] = Field(
        ..., description="Messages per input field (`body` for the body as a whole); may be empty."
    )
