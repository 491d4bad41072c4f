"""Shapes of the accounts API."""

from datetime import datetime
from typing import Any

from ninja import Field, Schema

from meridian.accounts.models import ApiToken


class MeOut(Schema):
    """The person acting, and their place in the workspace the request acts in."""

    id: int = Field(..., description="The person's user id.")
    email: str
    name: str
    workspace: str = Field(..., description="The slug of the workspace the request acts in.")
    membership_id: int
    role: str
    display_name: str
    time_zone: str

    @staticmethod
    def resolve_id(obj: Any) -> int:
        return int(obj.user.pk)

    @staticmethod
    def resolve_email(obj: Any) -> str:
        return str(obj.user.email)

    @staticmethod
    def resolve_name(obj: Any) -> str:
        return str(obj.user.name)

    @staticmethod
    def resolve_workspace(obj: Any) -> str:
        return str(obj.workspace.slug)

    @staticmethod
    def resolve_membership_id(obj: Any) -> int:
        return int(obj.pk)

    @staticmethod
    def resolve_display_name(obj: Any) -> str:
        return str(obj.profile.display_name)

    @staticmethod
    def resolve_time_zone(obj: Any) -> str:
        return str(obj.profile.time_zone)


class TokenIn(Schema):
    name: str = Field(..., min_length=1, max_length=100, description="What the token is for.")


class TokenOut(Schema):
    """A personal API token as its owner sees it: never the secret."""

    id: int
    name: str
    prefix: str = Field(..., description="The first characters of the token, to recognise it.")
    created_at: datetime
    last_used_at: datetime | None = Field(..., description="When a request last presented it.")
    revoked_at: datetime | None


class TokenCreatedOut(TokenOut):
    """A token just created, with its secret."""

    token: str = Field(..., description="The secret token. Shown only once; store it now.")

    @classmethod
    def from_token(cls, token: ApiToken, raw: str) -> "TokenCreatedOut":
        """The answer to a create: the stored token and the secret only this answer carries."""
        return cls(**TokenOut.model_validate(token).model_dump(), token=raw)
