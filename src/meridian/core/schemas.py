"""Shapes of the core API."""

from datetime import datetime
from typing import Any

from ninja import Schema


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

    detail: str
    errors: dict[str, list[str]]
