"""Cursor pagination for API lists: stable under inserts, O(page) per request.

A cursor is an opaque token naming the list's ordering key and the last row of the previous
page, so a page never repeats or skips a row when rows are added before it. A cursor that this
API did not give out for this list is refused with a 422 naming ``cursor``.
"""

import base64
import binascii
import json
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from ninja import Field, Schema
from ninja.pagination import PaginationBase

from meridian.core.errors import ValidationFailed

MAX_LIMIT = 200
BAD_CURSOR = "The cursor is not one this API gave out for this list; start again without it."


def _encode(payload: dict[str, Any]) -> str:
    raw = json.dumps(payload, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode(cursor: str, key: str) -> list[Any]:
    """The position stored in a cursor given out for the list ordered by ``key``."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        payload = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
    except (ValueError, binascii.Error):
        raise ValidationFailed.field("cursor", BAD_CURSOR) from None
    if not isinstance(payload, dict) or payload.get("key") != key:
        raise ValidationFailed.field("cursor", BAD_CURSOR)
    position = payload.get("after")
    if not isinstance(position, list) or len(position) != 2:
        raise ValidationFailed.field("cursor", BAD_CURSOR)
    value, last_id = position
    if value is None or isinstance(last_id, bool) or not isinstance(last_id, int):
        raise ValidationFailed.field("cursor", BAD_CURSOR)
    return position


def _lookup(obj: Any, path: str) -> Any:
    for part in path.split("__"):
        obj = getattr(obj, part)
    return obj.isoformat() if hasattr(obj, "isoformat") else obj


class CursorPagination(PaginationBase):
    """Keyset pagination over (ordering field, id): ``?cursor=…&limit=…``, ``next`` in the body."""

    class Input(Schema):
        cursor: str | None = Field(
            None, description="The `next` value of the previous page; omit it for the first page."
        )
        limit: int = Field(50, ge=1, le=MAX_LIMIT, description="Rows per page, 1 to 200.")

    class Output(Schema):
        items: list[Any]
        next: str | None = Field(
            ..., description="Pass as `cursor` to get the following page; null on the last page."
        )

    items_attribute = "items"

    def __init__(self, *, key: str = "id", **kwargs: Any) -> None:
        # key: the field the list is ordered by ("-" prefix for descending); id breaks ties.
        self.key = key
        self.field = key.lstrip("-")
        self.descending = key.startswith("-")
        super().__init__(**kwargs)

    def paginate_queryset(
        self,
        queryset: QuerySet[Any],
        pagination: Input,
        request: HttpRequest | None = None,
        **params: Any,
    ) -> dict[str, Any]:
        """One page of rows after the cursor's position, and the cursor of the next page."""
        id_order = "-id" if self.descending else "id"
        qs = (
            queryset.order_by(id_order)
            if self.field == "id"
            else queryset.order_by(self.key, id_order)
        )
        if pagination.cursor:
            qs = self._after(qs, _decode(pagination.cursor, self.key))
        rows = list(qs[: pagination.limit + 1])
        next_cursor = None
        if len(rows) > pagination.limit:
            rows = rows[: pagination.limit]
            last = rows[-1]
            position = [_lookup(last, self.field), last.pk]
            next_cursor = _encode({"key": self.key, "after": position})
        return {"items": rows, "next": next_cursor}

    def _after(self, qs: QuerySet[Any], position: list[Any]) -> QuerySet[Any]:
        value, last_id = position
        op = "lt" if self.descending else "gt"
        try:
            if self.field == "id":
                return qs.filter(**{f"id__{op}": last_id})
            return qs.filter(
                Q(**{f"{self.field}__{op}": value}) | Q(**{self.field: value, f"id__{op}": last_id})
            )
        except (ValueError, TypeError, DjangoValidationError):
            # The value does not fit the field (e.g. a date that is not one): a forged cursor.
            raise ValidationFailed.field("cursor", BAD_CURSOR) from None
