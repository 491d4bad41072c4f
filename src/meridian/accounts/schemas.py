"""Shapes of the accounts API."""

from datetime import datetime

from ninja import Field, Schema


class MeOut(Schema):
    id: int
    email: str
    name: str
    workspace: str
    membership_id: int
    role: str
    display_name: str
    time_zone: str


class TokenIn(Schema):
    name: str = Field(..., min_length=1, max_length=100)


class TokenOut(Schema):
    id: int
    name: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class TokenCreatedOut(TokenOut):
    token: str = Field(..., description="The secret token. Shown only once; store it now.")
