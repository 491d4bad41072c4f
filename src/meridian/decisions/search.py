"""Decisions in search: decision records, open and closed proposals, and their discussions.

The decisions services call these inside their transactions; ``meridian search_reindex``
rebuilds every kind from the tables. Drafts are never indexed (they are their owner's). While
a blind proposal is open, its discussion is indexed with the audience ``decisions.blind:<id>``,
which lets in only those who may read it on the page (participants who have given their
stance); at close it is indexed again for everyone. No document names who chose what: stances
and ballots are never indexed at all.
"""

from collections.abc import Iterator

from meridian.decisions.models import (
    DecisionRecord,
    Proposal,
    ProposalComment,
    ProposalParticipant,
    ProposalStatus,
    Visibility,
)
from meridian.search.registry import Document
from meridian.search.services import search_index_upsert
from meridian.workspaces.models import Membership

BLIND = "decisions.blind"


def _record_document(record: DecisionRecord) -> Document:
    options = "\n".join(o["label"] for o in record.options)
    text = "\n\n".join(
        part
        for part in (
            record.statement,
            record.rationale,
            record.expected_effect,
            record.question,
            options,
            " ".join(record.tags),
        )
        if part
    )
    return Document(
        workspace_id=record.workspace_id,
        kind="decision",
        object_id=record.pk,
        title=f"{record.adr_id}: {record.title}",
        body=text,
        url=record.get_absolute_url(),
        context="Decision record",
        created_at=record.decided_at,
    )


def _proposal_document(proposal: Proposal) -> Document:
    options = "\n".join(o.label for o in proposal.options.all())
    return Document(
        workspace_id=proposal.workspace_id,
        kind="proposal",
        object_id=proposal.pk,
        title=proposal.title,
        body="\n\n".join(part for part in (proposal.body, options) if part),
        url=proposal.get_absolute_url(),
        context=f"Proposal, {proposal.get_status_display().lower()}",
        created_at=proposal.opened_at or proposal.created_at,
    )


def _blind_now(proposal: Proposal) -> bool:
    return proposal.visibility == Visibility.BLIND and proposal.status != ProposalStatus.CLOSED


def _comment_document(comment: ProposalComment, proposal: Proposal) -> Document:
    return Document(
        workspace_id=comment.workspace_id,
        kind="proposal_comment",
        object_id=comment.pk,
        parent_id=proposal.pk,
        title="",
        body=comment.body,
        context=proposal.title,
        url=f"{proposal.get_absolute_url()}#comment-{comment.pk}",
        audience=f"{BLIND}:{proposal.pk}" if _blind_now(proposal) else None,
        created_at=comment.created_at,
    )


def _upsert(document: Document) -> None:
    search_index_upsert(**vars(document))


def record_search_index(record: DecisionRecord) -> None:
    """Index a decision record (once: it never changes)."""
    _upsert(_record_document(record))


def proposal_search_index(proposal: Proposal, *, comments: bool = False) -> None:
    """Index a proposal as it is now (and, when it closes, its discussion for everyone)."""
    if proposal.status == ProposalStatus.DRAFT:
        return
    _upsert(_proposal_document(proposal))
    if comments:
        for comment in ProposalComment.objects.filter(proposal=proposal).order_by("pk"):
            _upsert(_comment_document(comment, proposal))


def proposal_comment_search_index(comment: ProposalComment, proposal: Proposal) -> None:
    """Index a comment of a proposal's discussion, restricted while the proposal is blind."""
    _upsert(_comment_document(comment, proposal))


def blind_audience(viewer: Membership, keys: set[str]) -> set[str]:
    """The blind proposals (ids) whose discussion the viewer may read now."""
    ids = [int(k) for k in keys if k.isdigit()]
    closed = Proposal.objects.filter(
        workspace_id=viewer.workspace_id, pk__in=ids, status=ProposalStatus.CLOSED
    ).values_list("pk", flat=True)
    answered = ProposalParticipant.objects.filter(
        proposal_id__in=ids, membership=viewer, responded_at__isnull=False
    ).values_list("proposal_id", flat=True)
    return {str(pk) for pk in (*closed, *answered)}


def record_documents() -> Iterator[Document]:
    """Every decision record of every workspace."""
    records = DecisionRecord.objects.select_related("workspace").order_by("pk")
    for record in records.iterator(2000):
        yield _record_document(record)


def proposal_documents() -> Iterator[Document]:
    """Every proposal that has opened."""
    proposals = (
        Proposal.objects.exclude(status=ProposalStatus.DRAFT)
        .select_related("workspace")
        .prefetch_related("options")
        .order_by("pk")
    )
    for proposal in proposals.iterator(500):
        yield _proposal_document(proposal)


def proposal_comment_documents() -> Iterator[Document]:
    """Every comment of every proposal's discussion."""
    comments = ProposalComment.objects.select_related("proposal__workspace").order_by("pk")
    for comment in comments.iterator(2000):
        yield _comment_document(comment, comment.proposal)
