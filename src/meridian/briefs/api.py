"""The briefs API: write and read briefs, the thread, responses, links, closing."""

from collections.abc import Callable
from typing import Any

from django.db.models import QuerySet
from django.http import FileResponse
from ninja import File, Form, Query, Router, Schema, Status
from ninja.decorators import decorate_view
from ninja.files import UploadedFile
from ninja.pagination import paginate

from meridian.briefs import files
from meridian.briefs.access import brief_get_for, comment_get_for, link_get_for
from meridian.briefs.models import Brief, BriefLink, Comment, CommentRevision, LinkRelation
from meridian.briefs.schemas import (
    AnswerIn,
    BriefIn,
    BriefOut,
    BriefPatch,
    BriefSummaryOut,
    CloseIn,
    CommentIn,
    CommentOut,
    CommentPatch,
    LinkIn,
    LinkOut,
    ResponseIn,
    RevisionOut,
    SeenOut,
)
from meridian.briefs.selectors import (
    BriefDetail,
    BriefFilters,
    brief_detail_for,
    brief_list_for,
    comment_list_for,
    link_list_for,
    links_titled,
    revision_list_for,
)
from meridian.briefs.services import (
    brief_close,
    brief_create,
    brief_mark_seen,
    brief_send,
    brief_update,
    comment_add,
    comment_edit,
    file_link_add,
    link_add,
    link_remove,
    question_answer,
    respond,
)
from meridian.core.errors import NotFound, ValidationFailed
from meridian.core.pagination import CursorPagination
from meridian.core.schemas import Problem
from meridian.workspaces.access import ApiRequest, requires
from meridian.workspaces.models import Role

router = Router(tags=["briefs"])

ERRORS: dict[int, Any] = {403: Problem, 404: Problem, 409: Problem}
DOWNLOAD = {
    "responses": {
        "200": {
            "description": (
                "The file, always as a download (Content-Disposition: attachment), under its "
                "type when that is inert, else application/octet-stream."
            ),
            "content": {
                "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}
            },
        }
    }
}


class BriefQuery(Schema):
    scope: str = "all"
    status: str = ""
    q: str = ""


def _brief_out(detail: BriefDetail) -> dict[str, Any]:
    brief = detail.brief
    return {
        **{f: getattr(brief, f) for f in BriefOut.model_fields if hasattr(brief, f)},
        "author": brief.author,
        "is_overdue": detail.is_overdue,
        "completeness": detail.completeness,
        "participants": [
            {
                "member": row.member,
                "kind": row.participant.kind,
                "via_team": row.participant.via_team.slug if row.participant.via_team else None,
                "state": row.state,
                "watched": row.watched,
                "first_seen_at": row.participant.first_seen_at,
                "responded_at": row.participant.responded_at,
                "local_deadline": row.local_deadline,
                "overdue": row.overdue,
                "held": row.held,
            }
            for row in detail.participants
        ],
        "open_question_ids": [c.pk for c in detail.open_questions],
        "links": detail.links,
    }


def _referenced[T](field: str, lookup: Callable[[], T]) -> T:
    """An object named in the body: one the viewer cannot reach is a 422 on that field."""
    try:
        return lookup()
    except NotFound as exc:
        raise ValidationFailed.field(field, exc.detail) from None


def _detail(request: ApiRequest, brief: Brief) -> dict[str, Any]:
    fresh = brief_get_for(request.membership, brief.pk)
    return _brief_out(brief_detail_for(viewer=request.membership, brief=fresh))


@router.get("/briefs", response=list[BriefSummaryOut])
@requires(Role.GUEST)
@paginate(CursorPagination, key="-created_at")
def briefs(request: ApiRequest, filters: Query[BriefQuery]) -> QuerySet[Brief]:
    """Briefs of the workspace, newest first; ``scope`` is all, to_answer, involved or authored,
    ``status`` is open, overdue, closed or draft (your own drafts)."""
    return brief_list_for(viewer=request.membership, filters=BriefFilters(**filters.dict()))


@router.post("/briefs", response={201: BriefOut, 403: Problem, 429: Problem})
@requires(Role.MEMBER)
def brief_new(request: ApiRequest, payload: BriefIn) -> Status[dict[str, Any]]:
    """Write a brief; everyone asked is told (with ``draft``, nobody until it is sent).
    Unknown participants or a passed deadline: 422."""
    brief = brief_create(
        author=request.membership,
        title=payload.title,
        body=payload.body,
        ask_kind=payload.ask_kind,
        questions=payload.questions,
        participants=[p.invitee() for p in payload.participants],
        deadline=payload.deadline(),
        meeting=payload.meeting(),
        urgent=payload.urgent,
        draft=payload.draft,
    )
    return Status(201, _detail(request, brief))


@router.post("/briefs/{brief_id}/send", response={200: BriefOut, 202: BriefOut, **ERRORS})
@requires(Role.MEMBER)
def brief_send_op(
    request: ApiRequest, brief_id: int, urgent: bool = False
) -> Status[dict[str, Any]]:
    """Send your draft: its participants are told once. 200 when sent (also when it already
    was: sending twice tells nobody twice); 202 while its recording is still processing: it
    goes out when the recording is ready (``send_requested_at``). A deadline that passed
    meanwhile: 422. ``?urgent=true`` tells them at once (see the ``urgent`` of a new brief)."""
    found = brief_get_for(request.membership, brief_id)
    result = brief_send(acting=request.membership, brief=found, urgent=urgent)
    return Status(202 if result.waiting else 200, _detail(request, result.brief))


@router.get("/briefs/{brief_id}", response={200: BriefOut, 404: Problem})
@requires(Role.GUEST)
def brief(request: ApiRequest, brief_id: int) -> dict[str, Any]:
    """One brief: the ask, participants with where each stands, completeness, links."""
    found = brief_get_for(request.membership, brief_id)
    return _brief_out(brief_detail_for(viewer=request.membership, brief=found))


@router.patch("/briefs/{brief_id}", response={200: BriefOut, **ERRORS})
@requires(Role.MEMBER)
def brief_edit(request: ApiRequest, brief_id: int, payload: BriefPatch) -> dict[str, Any]:
    """The author changes the fields sent, while the brief is open."""
    found = brief_get_for(request.membership, brief_id)
    sent = payload.model_fields_set
    brief_update(
        acting=request.membership,
        brief=found,
        title=payload.title,
        body=payload.body,
        ask_kind=payload.ask_kind,
        questions=payload.questions,
        participants=(
            [p.invitee() for p in payload.participants]
            if payload.participants is not None
            else None
        ),
        deadline=payload.deadline() if {"deadline_at", "deadline_date"} & sent else None,
        meeting=payload.meeting() if {"meeting_people", "meeting_minutes"} & sent else None,
    )
    return _detail(request, found)


@router.post("/briefs/{brief_id}/seen", response={200: SeenOut, 404: Problem})
@requires(Role.GUEST)
def brief_seen(request: ApiRequest, brief_id: int) -> dict[str, Any]:
    """Note that you have seen the brief (only a participant's first time counts)."""
    found = brief_get_for(request.membership, brief_id)
    participant = brief_mark_seen(acting=request.membership, brief=found) if found.is_open else None
    return {
        "participant": participant is not None,
        "first_seen_at": participant.first_seen_at if participant else None,
    }


@router.post("/briefs/{brief_id}/close", response={200: BriefOut, **ERRORS})
@requires(Role.MEMBER)
def brief_close_op(request: ApiRequest, brief_id: int, payload: CloseIn) -> dict[str, Any]:
    """The author closes the brief with a summary; it is read-only afterwards (409 if closed)."""
    found = brief_get_for(request.membership, brief_id)
    brief_close(acting=request.membership, brief=found, summary=payload.summary)
    return _detail(request, found)


@router.get("/briefs/{brief_id}/comments", response={200: list[CommentOut], 404: Problem})
@requires(Role.GUEST)
@paginate(CursorPagination, key="id")
def comments(request: ApiRequest, brief_id: int) -> QuerySet[Comment]:
    """The brief's thread in the order it was written (replies carry their ``parent_id``)."""
    found = brief_get_for(request.membership, brief_id)
    return comment_list_for(viewer=request.membership, brief=found)


@router.post("/briefs/{brief_id}/comments", response={201: CommentOut, **ERRORS})
@requires(Role.GUEST)
def comment_new(request: ApiRequest, brief_id: int, payload: CommentIn) -> Status[Comment]:
    """Comment, ask a question or reply, optionally pinned to a moment (409 on a closed brief)."""
    found = brief_get_for(request.membership, brief_id)
    parent_id = payload.parent_id
    parent = (
        _referenced("parent_id", lambda: comment_get_for(request.membership, found, parent_id))
        if parent_id is not None
        else None
    )
    comment = comment_add(
        acting=request.membership,
        brief=found,
        body=payload.body,
        parent=parent,
        at_seconds=payload.at_seconds,
        is_question=payload.is_question,
        answers_parent=payload.answers_parent,
        urgent=payload.urgent,
    )
    return Status(201, comment_get_for(request.membership, found, comment.pk))


@router.patch("/briefs/{brief_id}/comments/{comment_id}", response={200: CommentOut, **ERRORS})
@requires(Role.GUEST)
def comment_change(
    request: ApiRequest, brief_id: int, comment_id: int, payload: CommentPatch
) -> Comment:
    """Edit your comment; the text it replaces is kept (see /revisions)."""
    found = brief_get_for(request.membership, brief_id)
    comment = comment_get_for(request.membership, found, comment_id)
    comment_edit(acting=request.membership, comment=comment, body=payload.body)
    return comment_get_for(request.membership, found, comment_id)


@router.get(
    "/briefs/{brief_id}/comments/{comment_id}/revisions",
    response={200: list[RevisionOut], 404: Problem},
)
@requires(Role.GUEST)
def comment_revisions(
    request: ApiRequest, brief_id: int, comment_id: int
) -> QuerySet[CommentRevision]:
    """A comment's earlier texts, oldest first."""
    found = brief_get_for(request.membership, brief_id)
    comment = comment_get_for(request.membership, found, comment_id)
    return revision_list_for(viewer=request.membership, comment=comment)


@router.post(
    "/briefs/{brief_id}/comments/{comment_id}/answer", response={200: CommentOut, **ERRORS}
)
@requires(Role.GUEST)
def comment_answer(
    request: ApiRequest, brief_id: int, comment_id: int, payload: AnswerIn
) -> Comment:
    """Mark a question answered, optionally naming the reply that answers it."""
    found = brief_get_for(request.membership, brief_id)
    question = comment_get_for(request.membership, found, comment_id)
    answer_id = payload.answer_id
    answer = (
        _referenced("answer_id", lambda: comment_get_for(request.membership, found, answer_id))
        if answer_id is not None
        else None
    )
    question_answer(acting=request.membership, question=question, answer=answer)
    return comment_get_for(request.membership, found, comment_id)


@router.post("/briefs/{brief_id}/responses", response={201: CommentOut, **ERRORS})
@requires(Role.GUEST)
def response_new(request: ApiRequest, brief_id: int, payload: ResponseIn) -> Status[Comment]:
    """Give your response to the ask (participants only); you then count as having responded."""
    found = brief_get_for(request.membership, brief_id)
    comment = respond(
        acting=request.membership, brief=found, body=payload.body, at_seconds=payload.at_seconds
    )
    return Status(201, comment_get_for(request.membership, found, comment.pk))


@router.get("/briefs/{brief_id}/links", response={200: list[LinkOut], 404: Problem})
@requires(Role.GUEST)
def links(request: ApiRequest, brief_id: int) -> list[BriefLink]:
    """Material related to the brief, each with what it points at (``target_title``)."""
    found = brief_get_for(request.membership, brief_id)
    return link_list_for(viewer=request.membership, brief=found)


@router.post("/briefs/{brief_id}/links", response={201: LinkOut, **ERRORS})
@requires(Role.GUEST)
def link_new(request: ApiRequest, brief_id: int, payload: LinkIn) -> Status[BriefLink]:
    """Link another brief, a web address, a decision record or a task, with its relation and a
    note.

    A decision record is ``{"target": "decision", "target_id": <id>}``, a task
    ``{"target": "task", "target_id": <id>}``; an id that is not one of this workspace's is
    422 on ``target_id``."""
    found = brief_get_for(request.membership, brief_id)
    target_id = payload.target_brief_id
    target_brief = (
        _referenced("target_brief_id", lambda: brief_get_for(request.membership, target_id))
        if target_id is not None
        else None
    )
    link = link_add(
        acting=request.membership,
        brief=found,
        relation=payload.relation,
        target=payload.target,
        target_brief=target_brief,
        url=payload.url,
        target_id=payload.target_id,
        note=payload.note,
    )
    return Status(201, links_titled(viewer=request.membership, links=[link])[0])


@router.post("/briefs/{brief_id}/files", response={201: LinkOut, 413: Problem, **ERRORS})
@decorate_view(files.refuse_large_bodies)
@requires(Role.GUEST)
def file_new(
    request: ApiRequest,
    brief_id: int,
    file: File[UploadedFile],
    relation: Form[LinkRelation] = LinkRelation.CONTEXT,
    note: Form[str] = "",
) -> Status[BriefLink]:
    """Attach a file (multipart field ``file``) with its relation and a note; over
    MERIDIAN_ATTACHMENT_MAX_BYTES it is 413 naming the limit, and nothing is stored."""
    found = brief_get_for(request.membership, brief_id)
    link = file_link_add(
        acting=request.membership, brief=found, file=file, relation=relation, note=note
    )
    return Status(201, link)


@router.get(
    "/briefs/{brief_id}/links/{link_id}/file",
    response={404: Problem},
    openapi_extra=DOWNLOAD,
    url_name="briefs_link_file",
)
@requires(Role.GUEST)
def link_file(request: ApiRequest, brief_id: int, link_id: int) -> FileResponse:
    """Download a link's attached file (404 for links without one)."""
    found = brief_get_for(request.membership, brief_id)
    return files.attachment_response(link_get_for(request.membership, found, link_id))


@router.delete("/briefs/{brief_id}/links/{link_id}", response={204: None, **ERRORS})
@requires(Role.GUEST)
def link_delete(request: ApiRequest, brief_id: int, link_id: int) -> Status[None]:
    """Remove a link (whoever added it, or the brief's author); an attached file is deleted."""
    found = brief_get_for(request.membership, brief_id)
    link_remove(acting=request.membership, link=link_get_for(request.membership, found, link_id))
    return Status(204, None)
