"""Briefs in search: each brief (its ask, questions and closing summary) and each comment.

The briefs services call ``brief_search_index`` and ``comment_search_index`` inside their
transactions; ``meridian search_reindex`` rebuilds both kinds from the tables. Every member
of a workspace may read its sent briefs and their threads, so those are not restricted; a
draft (and anything indexed under it, e.g. its transcript) carries the ``briefs.draft:<id>``
audience, which only its author belongs to, until it is sent.
"""

from collections.abc import Iterator

from django.urls import reverse

from meridian.briefs.models import Brief, BriefStatus, Comment
from meridian.search.registry import Document
from meridian.search.services import search_index_relabel, search_index_upsert
from meridian.workspaces.models import Membership


def _brief_url(brief: Brief) -> str:
    return reverse("brief_detail", kwargs={"workspace": brief.workspace.slug, "brief_id": brief.pk})


DRAFT_AUDIENCE = "briefs.draft"


def draft_audience(brief: Brief) -> str | None:
    """The search audience of what is indexed under a brief: its author alone while a draft."""
    return f"{DRAFT_AUDIENCE}:{brief.pk}" if brief.status == BriefStatus.DRAFT else None


def draft_audience_check(viewer: Membership, keys: set[str]) -> set[str]:
    """Of the drafts named (brief ids), those the viewer wrote."""
    ids = [int(k) for k in keys if k.isdigit()]
    rows = Brief.all_objects.filter(
        workspace_id=viewer.workspace_id, author_id=viewer.pk, pk__in=ids
    ).values_list("pk", flat=True)
    return {str(pk) for pk in rows}


def _brief_document(brief: Brief) -> Document:
    text = "\n\n".join(part for part in (brief.body, *brief.questions, brief.summary) if part)
    return Document(
        workspace_id=brief.workspace_id,
        kind="brief",
        object_id=brief.pk,
        title=brief.title,
        body=text,
        url=_brief_url(brief),
        audience=draft_audience(brief),
        created_at=brief.created_at,
    )


def _comment_document(comment: Comment, brief: Brief) -> Document:
    return Document(
        workspace_id=comment.workspace_id,
        kind="comment",
        object_id=comment.pk,
        parent_id=brief.pk,
        title="",
        body=comment.body,
        context=brief.title,
        url=f"{_brief_url(brief)}#comment-{comment.pk}",
        created_at=comment.created_at,
    )


def _upsert(document: Document) -> None:
    search_index_upsert(**vars(document))


def brief_search_index(brief: Brief) -> None:
    """Index the brief as it is now, and show its current title with each of its comments."""
    _upsert(_brief_document(brief))
    search_index_relabel(kind="comment", parent_id=brief.pk, context=brief.title)


def comment_search_index(comment: Comment, brief: Brief) -> None:
    """Index a comment as it is now."""
    _upsert(_comment_document(comment, brief))


def brief_documents() -> Iterator[Document]:
    """Every brief of every workspace (drafts for their authors)."""
    for brief in Brief.all_objects.select_related("workspace").order_by("pk").iterator(2000):
        yield _brief_document(brief)


def comment_documents() -> Iterator[Document]:
    """Every comment on every brief."""
    comments = Comment.objects.select_related("brief__workspace").order_by("pk")
    for comment in comments.iterator(2000):
        yield _comment_document(comment, comment.brief)
