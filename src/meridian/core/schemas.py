"""Shapes the whole API shares: the error body every 4xx answer carries."""

from ninja import Field, Schema


class Problem(Schema):
    """The error body every 4xx answer carries."""

    detail: str = Field(..., description="What was wrong, in a sentence a person can act on.")
    errors: dict[str, list[str]] = Field(
        ..., description="Messages per input field (`body` for the body as a whole); may be empty."
    )
