"""Shapes of the search API."""

from datetime import datetime

from ninja import Field, Schema

from meridian.search.query import MAX_QUERY
from meridian.search.selectors import MAX_LIMIT


class SearchQuery(Schema):
    q: str = Field(
        ...,
        max_length=MAX_QUERY,
        description=(
            'Words that must all appear (in any form); "a quoted phrase"; `word*` for words '
            "beginning with it (the last word counts as a beginning too, by at most its first "
            "six letters). "
            "Operators such as OR or NEAR are plain words."
        ),
    )
    kind: list[str] = Field(
        default_factory=list,
        description="Only these kinds (repeat the parameter for several): brief, comment, …",
    )
    cursor: str | None = Field(
        None, description="The `next` value of the previous page; omit it for the first page."
    )
    limit: int = Field(20, ge=1, le=MAX_LIMIT, description=f"Hits per page, 1 to {MAX_LIMIT}.")


class HitOut(Schema):
    kind: str = Field(..., description="brief, comment, decision, …")
    kind_label: str
    object_id: int = Field(..., description="The id of the object in its own area's API.")
    parent_id: int | None = Field(None, description="The object it belongs to (a comment's brief).")
    title: str
    title_html: str = Field(..., description="The title, HTML-escaped, matches in <mark>.")
    snippet_html: str = Field(..., description="A passage, HTML-escaped, matches in <mark>.")
    context: str = Field(..., description="Where it lives, e.g. the title of a comment's brief.")
    url: str = Field(..., description="Its page on this site (a path).")
    created_at: datetime


class SearchPageOut(Schema):
    items: list[HitOut] = Field(..., description="Best first.")
    next: str | None = Field(
        ..., description="Pass as `cursor` to get the following page; null on the last page."
    )
