"""Shapes the whole API shares: the error body every 4xx answer carries, a local time of day."""

from datetime import time
from typing import Annotated

from ninja import Field, Schema
from pydantic import WithJsonSchema

# A wall-clock time in a member's own zone ("09:30" or "09:30:00"), with no offset. JSON
# Schema's "time" format is RFC 3339's full-time, which requires an offset, so a time of day
# is described by its pattern instead (what is sent back reads "09:30:00").
LocalTime = Annotated[
    time,
    WithJsonSchema(
        {
            "type": "string",
            "pattern": r"^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9])?$",
            "description": "A local time of day, HH:MM or HH:MM:SS, in the member's own zone.",
            "examples": ["09:30"],
        }
    ),
]


class Problem(Schema):
    """The error body every 4xx answer carries."""

    detail: str = Field(..., description="What was wrong, in a sentence a person can act on.")
    errors: dict[str, list[str]] = Field(
        ..., description="Messages per input field (`body` for the body as a whole); may be empty."
    )
