"""Writes to the search index. Other areas call these from their own services.

The indexing API (keep it stable; areas depend on it):

``search_index_upsert(*, workspace_id, kind, object_id, title, body, url, parent_id=None,
audience=None, context="", created_at=None)``
    Put one object's text into the index, or replace what was there for (kind, object_id).
    Call it inside the transaction of the service that writes the object, after the write,
    so the index changes exactly when the object does. ``body`` may be Markdown: it is
    indexed as plain text. ``url`` is the object's page (with an anchor if it is part of
    one). ``parent_id`` names the object it belongs to (a comment's brief). ``context`` is
    shown with a hit, not searched (a comment's brief title). ``created_at`` is when the
    object was written (default: now).

    ``audience`` restricts who finds it: None means every member of the workspace; otherwise
    ``"<rule>:<key>"``, where the area registers the rule from its ``hooks.py`` as a
    ``meridian.search.registry.Audience`` (e.g. ``"decisions.blind:42"``: the content
    of blind proposal 42, visible to those who have taken part or after it closed). Once
    content is open to everyone, upsert it again with ``audience=None``. Never index who
    took which side of an anonymous vote: a document carries no author, so leave names out
    of the title, body and context of anonymous content.

``search_index_upsert_many(documents)``
    The same for many ``meridian.search.registry.Document`` at once, in a few queries
    whatever their number (a transcript's cues).

``search_index_delete(*, kind, object_id)``
    Take one object out of the index (nothing happens if it is not there).

``search_audience_open(*, audience)``
    Open every document restricted to one audience to the whole workspace (a draft brief
    that was sent, with what was indexed under it).

``search_index_relabel(*, kind, parent_id, context)``
    Change the context shown with every document of a kind under one parent, e.g. after a
    brief's title changed, the line shown with each of its comments.

Each kind is registered from ``<area>/hooks.py`` as a ``meridian.search.registry.Kind`` with a
function that yields all its documents, which ``meridian search_reindex`` uses to rebuild the
index.
"""

import re
from collections.abc import Iterable
from datetime import datetime

from django.db import connection, transaction
from django.utils import timezone

from meridian.core.errors import ValidationFailed
from meridian.search.models import SearchDocument
from meridian.search.registry import Document, registered_kinds
from meridian.search.text import MAX_TITLE, clean, plain_text

_KIND = re.compile(r"^[a-z][a-z0-9_]{0,29}$")
_AUDIENCE = re.compile(r"^[a-z][a-z0-9_.]{0,49}:[A-Za-z0-9_.-]{1,49}$")
REINDEX_BATCH = 1000


def _document(
    *,
    workspace_id: int,
    kind: str,
    object_id: int,
    title: str,
    body: str,
    url: str,
    parent_id: int | None,
    audience: str | None,
    context: str,
    created_at: datetime | None,
) -> SearchDocument:
    if not _KIND.match(kind):
        raise ValueError(f"A search kind is lower-case letters, digits and _, not {kind!r}.")
    if audience and not _AUDIENCE.match(audience):
        raise ValueError(f"A search audience reads “rule:key”, not {audience!r}.")
    return SearchDocument(
        workspace_id=workspace_id,
        kind=kind,
        object_id=object_id,
        parent_id=parent_id,
        title=clean(title, MAX_TITLE),
        body=plain_text(body),
        context=clean(context, 300),
        url=url[:500],
        audience=audience or "",
        created_at=created_at or timezone.now(),
    )


def search_index_upsert(
    *,
    workspace_id: int,
    kind: str,
    object_id: int,
    title: str,
    body: str,
    url: str,
    parent_id: int | None = None,
    audience: str | None = None,
    context: str = "",
    created_at: datetime | None = None,
) -> SearchDocument:
    """Index one object's text, replacing what was indexed for it before."""
    doc = _document(
        workspace_id=workspace_id,
        kind=kind,
        object_id=object_id,
        title=title,
        body=body,
        url=url,
        parent_id=parent_id,
        audience=audience,
        context=context,
        created_at=created_at,
    )
    fields = ["workspace_id", "parent_id", "title", "body", "context", "url", "audience"]
    existing = (
        SearchDocument.objects.filter(kind=kind, object_id=object_id)
        .values("pk", "created_at")
        .first()
    )
    if existing is None:
        doc.save(force_insert=True)
        return doc
    doc.pk = existing["pk"]
    if created_at is None:
        doc.created_at = existing["created_at"]
        doc.save(update_fields=[*fields, "indexed_at"])
    else:
        doc.save(update_fields=[*fields, "created_at", "indexed_at"])
    return doc


UPSERT_BATCH = 500


def search_index_upsert_many(documents: Iterable[Document]) -> int:
    """Index many objects, replacing what was indexed for them; returns how many.

    Three queries per batch of 500 (read, delete, insert), against two per document with
    ``search_index_upsert``. A document without ``created_at`` keeps the one it was first
    indexed with, as with ``search_index_upsert``.
    """
    count = 0
    pending = list(documents)
    for offset in range(0, len(pending), UPSERT_BATCH):
        chunk = {(d.kind, d.object_id): d for d in pending[offset : offset + UPSERT_BATCH]}
        existing = [
            row
            for row in SearchDocument.objects.filter(
                kind__in={kind for kind, _ in chunk},
                object_id__in={object_id for _, object_id in chunk},
            ).values_list("pk", "kind", "object_id", "created_at")
            if (row[1], row[2]) in chunk
        ]
        first_indexed = {(kind, object_id): created for _, kind, object_id, created in existing}
        rows = []
        for key, document in chunk.items():
            row = _as_row(document)
            if document.created_at is None and key in first_indexed:
                row.created_at = first_indexed[key]
            rows.append(row)
        if existing:
            SearchDocument.objects.filter(pk__in=[row[0] for row in existing]).delete()
        SearchDocument.objects.bulk_create(rows)
        count += len(rows)
    return count


def search_index_delete(*, kind: str, object_id: int) -> None:
    """Take one object out of the index."""
    SearchDocument.objects.filter(kind=kind, object_id=object_id).delete()


def search_audience_open(*, audience: str | None) -> int:
    """Make every document of one audience visible to the whole workspace; returns how many."""
    if not audience:
        return 0
    return SearchDocument.objects.filter(audience=audience).update(audience="")


def search_index_relabel(*, kind: str, parent_id: int, context: str) -> int:
    """Change the context line of every document of a kind under one parent; returns how many."""
    return SearchDocument.objects.filter(kind=kind, parent_id=parent_id).update(
        context=clean(context, 300)
    )


def _as_row(document: Document) -> SearchDocument:
    return _document(
        workspace_id=document.workspace_id,
        kind=document.kind,
        object_id=document.object_id,
        title=document.title,
        body=document.body,
        url=document.url,
        parent_id=document.parent_id,
        audience=document.audience,
        context=document.context,
        created_at=document.created_at,
    )


def _batches(documents: Iterable[Document], size: int) -> Iterable[list[SearchDocument]]:
    batch: list[SearchDocument] = []
    for document in documents:
        batch.append(_as_row(document))
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


@transaction.atomic
def search_reindex(*, kinds: Iterable[str] | None = None) -> dict[str, int]:
    """Rebuild the index of the given kinds (all registered ones by default) from their areas."""
    registered = registered_kinds()
    names = list(registered) if kinds is None else list(kinds)
    unknown = [n for n in names if n not in registered]
    if unknown:
        known = ", ".join(registered) or "none"
        raise ValidationFailed.field(
            "kind", f"Unknown search kind “{unknown[0]}”; registered kinds: {known}."
        )
    counts: dict[str, int] = {}
    for name in names:
        SearchDocument.objects.filter(kind=name).delete()
        counts[name] = 0
        for batch in _batches(registered[name].documents(), REINDEX_BATCH):
            SearchDocument.objects.bulk_create(batch)
            counts[name] += len(batch)
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            # Merge the FTS5 index's segments into one, as a fresh build would have them.
            cursor.execute("INSERT INTO search_fts(search_fts) VALUES ('optimize')")
    return counts


def search_index_delete_many(*, kind: str, object_ids: Iterable[int]) -> int:
    """Take many objects of one kind out of the index at once (a transcript replaced or deleted)."""
    ids = list(object_ids)
    if not ids:
        return 0
    deleted, _ = SearchDocument.objects.filter(kind=kind, object_id__in=ids).delete()
    return deleted
