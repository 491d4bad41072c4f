"""Cursor pagination for API lists: stable under inserts, O(page) per request."""

import base64
import json
from typing import Any

from django.db.models import QuerySet
from ninja import Field, Schema
from ninja.pagination import PaginationBase

from meridian.core.errors import ValidationFailed


def _encode(values: list[Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


def _decode(cursor: str) -> list[Any]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()))
        if not isinstance(values, list):
            raise ValueError
        return values
    except (ValueError, json.JSONDecodeError, UnicodeDecodeError):
        raise ValidationFailed.field("cursor", "The cursor is not one this API gave out.") from None


class CursorPagination(PaginationBase):
    """Keyset pagination over (ordering field, id): ``?cursor=…&limit=…``, ``next`` in the body."""

    class Input(Schema):
        cursor: str | None = Field(None, description="The `next` value of the previous page.")
        limit: int = Field(50, ge=1, le=200)

    class Output(Schema):
        items: list[Any]
        next: str | None

    items_attribute = "items"

    def __init__(self, *, key: str = "id", **kwargs: Any) -> None:
        # key: the field the list is ordered by; id breaks ties. "-" prefix orders descending.
        self.key = key
        super().__init__(**kwargs)

    def paginate_queryset(self, queryset: QuerySet[Any], pagination: Input, **params: Any) -> Any:
        descending = self.key.startswith("-")
        field = self.key.lstrip("-")
        id_order = "-id" if descending else "id"
        qs = queryset.order_by(self.key, id_order) if field != "id" else queryset.order_by(id_order)
        if pagination.cursor:
            values = _decode(pagination.cursor)
            op = "lt" if descending else "gt"
            if field == "id":
                qs = qs.filter(**{f"id__{op}": values[0]})
            else:
                from django.db.models import Q

                qs = qs.filter(
                    Q(**{f"{field}__{op}": values[0]})
                    | Q(**{field: values[0], f"id__{op}": values[1]})
                )
        rows = list(qs[: pagination.limit + 1])
        next_cursor = None
        if len(rows) > pagination.limit:
            rows = rows[: pagination.limit]
            last = rows[-1]
            value = _lookup(last, field)
            next_cursor = _encode([value] if field == "id" else [value, last.id])
        return {"items": rows, "next": next_cursor}


def _lookup(obj: Any, path: str) -> Any:
    for part in path.split("__"):
        obj = getattr(obj, part)
    if hasattr(obj, "isoformat"):
        return obj.isoformat()
    return obj
