"""The handovers API: hand items over, read packets, ask and answer, acknowledge or cancel,
hand over everything (preview, start, progress), and the workspace's readiness."""

from dataclasses import asdict
from typing import Any

from django.db.models import QuerySet
from ninja import Query, Router, Schema, Status
from ninja.pagination import paginate

from meridian.core.errors import NotFound, PermissionDenied, ValidationFailed
from meridian.core.pagination import CursorPagination
from meridian.core.schemas import Problem
from meridian.handovers.access import batch_get_for, handover_get_for, question_get_for
from meridian.handovers.kinds import Packet, Readiness, handover_kinds
from meridian.handovers.models import Handover, HandoverBatch
from meridian.handovers.schemas import (
    HandoverAnswerIn,
    HandoverBatchOut,
    HandoverBulkIn,
    HandoverBulkPreviewOut,
    HandoverCommentOut,
    HandoverDetailOut,
    HandoverIn,
    HandoverOut,
    HandoverQuestionIn,
    ReadinessReportOut,
)
from meridian.handovers.selectors import (
    HandoverFilters,
    OwnedItem,
    handover_detail_for,
    handover_list_for,
    owned_items_for,
    packets_for,
    readiness_for,
)
from meridian.handovers.services import (
    Assignment,
    bulk_assign,
    handover_acknowledge,
    handover_acknowledge_batch,
    handover_answer,
    handover_ask,
    handover_bulk_start,
    handover_cancel,
    handover_start,
)
from meridian.workspaces.access import ApiRequest, member_get_for, requires
from meridian.workspaces.models import Membership, Role

router = Router(tags=["handovers"])

ERRORS: dict[int, Any] = {403: Problem, 404: Problem, 409: Problem, 422: Problem}


class HandoverQuery(Schema):
    direction: str = "all"
    state: str = ""
    kind: str = ""
    batch: int | None = None


class ReadinessQuery(Schema):
    member: int | None = None
    kind: str = ""


def _packet_out(packet: Packet | None) -> dict[str, Any] | None:
    return asdict(packet) if packet is not None else None


def _detail(request: ApiRequest, handover: Handover) -> dict[str, Any]:
    fresh = handover_get_for(request.membership, handover.pk)
    detail = handover_detail_for(viewer=request.membership, handover=fresh)
    comments = []
    for question in detail.questions:
        comments.append(question)
        comments.extend(question.answers.all())
    return {
        **{f: getattr(fresh, f) for f in HandoverOut.model_fields if hasattr(fresh, f)},
        "open_questions": detail.open_questions,
        "packet": _packet_out(detail.packet),
        "comments": comments,
    }


@router.get("/handovers", response=list[HandoverOut])
@requires(Role.GUEST)
@paginate(CursorPagination, key="-created_at")
def handovers(request: ApiRequest, filters: Query[HandoverQuery]) -> QuerySet[Handover]:
    """Handovers to you and from you, newest first; ``direction`` is all, incoming or outgoing,
    ``state`` pending, acknowledged or cancelled, ``kind`` a registered kind, ``batch`` a batch."""
    return handover_list_for(
        viewer=request.membership,
        filters=HandoverFilters(
            direction=filters.direction, state=filters.state, kind=filters.kind, batch=filters.batch
        ),
    )


@router.post("/handovers", response={201: HandoverDetailOut, **ERRORS})
@requires(Role.MEMBER)
def handover_new(request: ApiRequest, payload: HandoverIn) -> Status[dict[str, Any]]:
    """Hand one item to another member with a note (409 if it is already in handover; 422 for
    a receiver who is not an active member, or the giver)."""
    handover = handover_start(
        actor=request.membership,
        kind=payload.kind,
        object_id=payload.object_id,
        receiver=payload.receiver_id,
        note=payload.note,
        giver=payload.giver_id,
    )
    return Status(201, _detail(request, handover))


# --- Hand over everything -------------------------------------------------------------------


def _member(request: ApiRequest, member_id: int | None) -> Membership:
    viewer = request.membership
    if member_id is None or member_id == viewer.pk:
        return viewer
    try:
        member = member_get_for(viewer, member_id)
    except NotFound:
        raise ValidationFailed.field("member_id", "Choose a member of this workspace.") from None
    if not viewer.is_admin:
        raise PermissionDenied("Only admins can hand over everything of someone else.")
    return member


def _plan(payload: HandoverBulkIn, free: list[OwnedItem]) -> list[Assignment]:
    if payload.items is None:
        items = [(i.kind, i.object_id) for i in free]
        per_item: dict[str, int] = {}
    else:
        items = [(i.kind, i.object_id) for i in payload.items]
        per_item = {
            f"{i.kind}:{i.object_id}": i.receiver_id
            for i in payload.items
            if i.receiver_id is not None
        }
    plan = bulk_assign(items, payload.receiver_ids, per_item)
    if len(plan) < len(items):
        raise ValidationFailed.field(
            "receiver_ids", "Name receivers, or a receiver for every item."
        )
    return plan


@router.post("/handovers/bulk/preview", response={200: HandoverBulkPreviewOut, **ERRORS})
@requires(Role.MEMBER)
def bulk_preview(request: ApiRequest, payload: HandoverBulkIn) -> dict[str, Any]:
    """What "hand over everything" would do: each item, its receiver and its packet. Nothing
    is written."""
    member = _member(request, payload.member_id)
    items = owned_items_for(viewer=request.membership, member=member)
    free = [i for i in items if i.pending is None]
    receivers = {(a.kind, a.object_id): a.receiver_id for a in _plan(payload, free)}
    packets = packets_for(viewer=request.membership, items=free)
    return {
        "member": member,
        "items": [
            {
                "kind": i.kind,
                "object_id": i.object_id,
                "label": i.label,
                "url": i.url,
                "receiver_id": receivers.get((i.kind, i.object_id)),
                "in_handover": i.pending is not None,
                "packet": _packet_out(packets.get(i.key)),
            }
            for i in items
        ],
    }


@router.post("/handovers/bulk", response={202: HandoverBatchOut, **ERRORS})
@requires(Role.MEMBER)
def bulk_start(request: ApiRequest, payload: HandoverBulkIn) -> Status[HandoverBatch]:
    """Hand over everything (or the items named) in one act; more than 50 items run in the
    background: follow ``GET /handovers/batches/{id}``. Each receiver is told once."""
    member = _member(request, payload.member_id)
    free = [
        i for i in owned_items_for(viewer=request.membership, member=member) if i.pending is None
    ]
    batch = handover_bulk_start(
        actor=request.membership, member=member, assignments=_plan(payload, free), note=payload.note
    )
    batch.refresh_from_db()
    return Status(202, batch)


@router.get("/handovers/batches/{batch_id}", response={200: HandoverBatchOut, 404: Problem})
@requires(Role.GUEST)
def batch(request: ApiRequest, batch_id: int) -> HandoverBatch:
    """A "hand over everything" batch's progress."""
    return batch_get_for(request.membership, batch_id)


@router.get("/handovers/{handover_id}", response={200: HandoverDetailOut, 404: Problem})
@requires(Role.GUEST)
def handover(request: ApiRequest, handover_id: int) -> dict[str, Any]:
    """One handover with its packet, assembled now, and its questions and answers."""
    return _detail(request, handover_get_for(request.membership, handover_id))


@router.post("/handovers/{handover_id}/acknowledge", response={200: HandoverDetailOut, **ERRORS})
@requires(Role.GUEST)
def handover_acknowledge_op(request: ApiRequest, handover_id: int) -> dict[str, Any]:
    """The receiver takes the item over (anyone else: 404; no longer pending: 409)."""
    found = handover_get_for(request.membership, handover_id)
    handover_acknowledge(actor=request.membership, handover=found)
    return _detail(request, found)


@router.post("/handovers/{handover_id}/cancel", response={200: HandoverDetailOut, **ERRORS})
@requires(Role.GUEST)
def handover_cancel_op(request: ApiRequest, handover_id: int) -> dict[str, Any]:
    """The giver or an admin cancels a pending handover (403 for others; 409 if not pending)."""
    found = handover_get_for(request.membership, handover_id)
    handover_cancel(actor=request.membership, handover=found)
    return _detail(request, found)


@router.post("/handovers/{handover_id}/questions", response={201: HandoverCommentOut, **ERRORS})
@requires(Role.GUEST)
def question_new(request: ApiRequest, handover_id: int, payload: HandoverQuestionIn) -> Status[Any]:
    """Ask the other side of the handover a question; it awaits them until answered."""
    found = handover_get_for(request.membership, handover_id)
    return Status(201, handover_ask(actor=request.membership, handover=found, body=payload.body))


@router.post(
    "/handovers/{handover_id}/questions/{question_id}/answer",
    response={201: HandoverCommentOut, **ERRORS},
)
@requires(Role.GUEST)
def answer_new(
    request: ApiRequest, handover_id: int, question_id: int, payload: HandoverAnswerIn
) -> Status[Any]:
    """Answer a question on the handover (409 if it was answered already)."""
    found = handover_get_for(request.membership, handover_id)
    question = question_get_for(request.membership, found, question_id)
    answer = handover_answer(
        actor=request.membership, handover=found, question=question, body=payload.body
    )
    return Status(201, answer)


class BatchAcknowledgedOut(Schema):
    acknowledged: int


@router.post(
    "/handovers/batches/{batch_id}/acknowledge",
    response={200: BatchAcknowledgedOut, **ERRORS},
)
@requires(Role.GUEST)
def batch_acknowledge(request: ApiRequest, batch_id: int) -> dict[str, int]:
    """Take over every item of a batch still waiting for you; the giver is told once."""
    found = batch_get_for(request.membership, batch_id)
    return {"acknowledged": handover_acknowledge_batch(actor=request.membership, batch=found)}


# --- Readiness ------------------------------------------------------------------------------


def _readiness_out(item: Readiness) -> dict[str, Any]:
    return {
        **asdict(item),
        "score": item.score,
        "bus_factor_one": item.bus_factor_one,
    }


@router.get("/readiness", response=ReadinessReportOut)
@requires(Role.GUEST)
def readiness(request: ApiRequest, filters: Query[ReadinessQuery]) -> dict[str, Any]:
    """What would stall if each member were away tomorrow: per member and per group, the
    items only they carried in 90 days whose readiness is low, worst first, with the reasons."""
    kind = filters.kind if filters.kind in handover_kinds() else None
    report = readiness_for(viewer=request.membership, member_id=filters.member, kind=kind)
    return {
        "threshold": report.threshold,
        "members": [
            {
                "member": row.member,
                "held": row.held,
                "at_risk": [_readiness_out(i) for i in row.items],
            }
            for row in report.members
        ],
        "groups": [
            {"name": g.name, "url": g.url, "at_risk": [_readiness_out(i) for i in g.items]}
            for g in report.groups
        ],
        "departed": [
            {
                "member": row.member,
                "held": row.held,
                "at_risk": [_readiness_out(i) for i in row.items],
            }
            for row in report.departed
        ],
    }
