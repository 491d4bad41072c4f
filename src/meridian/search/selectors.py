"""Reads of the search index that the search page and the API share, always as the viewer."""

import base64
import binascii
import json
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from django.utils.safestring import SafeString

from meridian.core.errors import ValidationFailed
from meridian.search.backends import Scope, highlighted, ranked
from meridian.search.models import SearchDocument
from meridian.search.query import parse_query
from meridian.search.registry import audiences_allowed, kind_label, registered_kinds
from meridian.search.text import marked
from meridian.workspaces.models import Membership

MAX_LIMIT = 50
BAD_CURSOR = "The cursor is not one this search gave out; search again without it."


@dataclass(frozen=True)
class Hit:
    """One search result: what it is, where it lives, and why it matched (marked up, escaped)."""

    id: int
    kind: str
    kind_label: str
    object_id: int
    parent_id: int | None
    title: str
    title_html: SafeString
    snippet_html: SafeString
    context: str
    url: str
    created_at: datetime
    score: float


@dataclass
class SearchResults:
    """One page of hits, best first, and the cursor of the next page (None on the last)."""

    hits: list[Hit] = field(default_factory=list)
    next: str | None = None

    def __iter__(self) -> Iterator[Hit]:
        return iter(self.hits)

    def __len__(self) -> int:
        return len(self.hits)


def _encode_cursor(score: float, last_id: int) -> str:
    raw = json.dumps({"key": "search", "after": [score, last_id]}, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _decode_cursor(cursor: str) -> tuple[float, int]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        payload = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
        score, last_id = payload["after"]
    except (ValueError, binascii.Error, KeyError, TypeError):
        raise ValidationFailed.field("cursor", BAD_CURSOR) from None
    valid = (
        payload.get("key") == "search"
        and isinstance(score, int | float)
        and not isinstance(score, bool)
        and math.isfinite(score)
        and isinstance(last_id, int)
        and not isinstance(last_id, bool)
    )
    if not valid:
        raise ValidationFailed.field("cursor", BAD_CURSOR)
    return float(score), last_id


def search_kinds_for(*, viewer: Membership) -> dict[str, str]:
    """The kinds a search can be narrowed to, name → plural label."""
    return {name: kind.plural for name, kind in registered_kinds().items()}


def _clean_kinds(kinds: Sequence[str] | None) -> tuple[str, ...]:
    if not kinds:
        return ()
    known = registered_kinds()
    for name in kinds:
        if name not in known:
            raise ValidationFailed.field(
                "kind", f"There is no kind “{name[:40]}” to search; use {', '.join(known)}."
            )
    return tuple(dict.fromkeys(kinds))


def _audiences_for(viewer: Membership) -> tuple[str, ...]:
    """The restricted audiences of the workspace's documents that the viewer belongs to."""
    present = set(
        SearchDocument.objects.filter(workspace_id=viewer.workspace_id, audience__gt="")
        .values_list("audience", flat=True)
        .distinct()
    )
    return tuple(sorted(audiences_allowed(viewer, present))) if present else ()


def search_for(
    *,
    viewer: Membership,
    q: str,
    kinds: Sequence[str] | None = None,
    limit: int = 20,
    cursor: str | None = None,
    prefix_last: bool = True,
) -> SearchResults:
    """The viewer's workspace's documents that match ``q`` and that the viewer may see, best first."""
    query = parse_query(q, prefix_last=prefix_last)
    scope_kinds = _clean_kinds(kinds)
    after = _decode_cursor(cursor) if cursor else None
    if not query:
        return SearchResults()
    limit = max(1, min(limit, MAX_LIMIT))
    scope = Scope(
        workspace_id=viewer.workspace_id, kinds=scope_kinds, audiences=_audiences_for(viewer)
    )
    rows = ranked(query, scope, limit=limit + 1, after=after)
    page, more = rows[:limit], len(rows) > limit
    ids = [doc_id for doc_id, _ in page]
    marks = highlighted(query, ids)
    docs = SearchDocument.objects.defer("body").in_bulk(ids)
    labels = {name: kind.label for name, kind in registered_kinds().items()}
    hits = []
    for doc_id, score in page:
        doc, mark = docs.get(doc_id), marks.get(doc_id)
        if doc is None or mark is None:
            continue  # changed between the two queries
        hits.append(
            Hit(
                id=doc.pk,
                kind=doc.kind,
                kind_label=labels.get(doc.kind) or kind_label(doc.kind),
                object_id=doc.object_id,
                parent_id=doc.parent_id,
                title=doc.title,
                title_html=marked(mark.title),
                snippet_html=marked(mark.snippet),
                context=doc.context,
                url=doc.url,
                created_at=doc.created_at,
                score=score,
            )
        )
    last_id, last_score = page[-1] if page else (0, 0.0)
    next_cursor = _encode_cursor(last_score, last_id) if more else None
    return SearchResults(hits=hits, next=next_cursor)
