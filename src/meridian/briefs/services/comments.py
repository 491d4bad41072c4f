"""A brief's thread: comments, the participants' responses, questions and their answers, mentions."""

import math

from django.db import transaction
from django.utils import timezone

from meridian.asks.mentions import mention_handles as _handles
from meridian.asks.mentions import mentions_resolve as _resolve_mentions
from meridian.briefs import events
from meridian.briefs.models import (
    Brief,
    BriefParticipant,
    BriefStatus,
    Comment,
    CommentRevision,
    Mention,
)
from meridian.briefs.search import comment_search_index
from meridian.briefs.services.common import (
    MAX_COMMENT,
    MAX_PIN_SECONDS,
    _clean_text,
    _locked,
    _name,
    _participant,
    _require_can_take_part,
    _require_open,
    _require_sent,
    asked_cause,
    brief_changed,
    brief_url,
)
from meridian.core import registry
from meridian.core.errors import (
    Conflict,
    FieldErrors,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from meridian.core.facts import facts_stale
from meridian.core.markdown import render_markdown
from meridian.core.services import audit_record
from meridian.notifications.services import inbox_resolve, notification_send
from meridian.search.text import excerpt
from meridian.workspaces.models import Membership


def _clean_pin(at_seconds: float | None, brief: Brief, problems: FieldErrors) -> float | None:
    if at_seconds is None:
        return None
    if not math.isfinite(at_seconds) or not 0 <= at_seconds <= MAX_PIN_SECONDS:
        problems.add("at_seconds", "A moment in the recording is 0 seconds or more.")
        return None
    from meridian.briefs.selectors import recording_for

    recording = recording_for(brief)
    duration = getattr(recording, "duration", None) if recording is not None else None
    if recording is None:
        problems.add("at_seconds", "This brief has no recording to pin a comment to.")
    elif duration is not None and at_seconds > duration + 0.5:
        problems.add(
            "at_seconds",
            f"The recording is {duration:.0f} seconds long; {at_seconds:.0f} s is past its end.",
        )
    return round(at_seconds, 2)


def _write_comment(
    *,
    acting: Membership,
    brief: Brief,
    body: str,
    parent: Comment | None,
    at_seconds: float | None,
    is_question: bool,
    is_response: bool,
    urgent: bool = False,
) -> Comment:
    problems = FieldErrors()
    body = body.strip()
    if not body:
        problems.add("body", "Write something first.")
    _clean_text("body", body, MAX_COMMENT, problems, "A comment")
    if parent is not None and parent.brief_id != brief.pk:
        problems.add("parent", "You can only reply to a comment on the same brief.")
    pin = _clean_pin(at_seconds, brief, problems)
    problems.raise_any()
    root = parent.parent if parent is not None and parent.parent_id is not None else parent
    resolved = _resolve_mentions(acting, body)
    comment = Comment.objects.create(
        workspace_id=brief.workspace_id,
        brief=brief,
        author=acting,
        parent=root,
        body=body,
        body_html=render_markdown(body, mentions=_handles(resolved)),
        at_seconds=pin,
        is_question=is_question,
        is_response=is_response,
    )
    comment_search_index(comment, brief)
    mentioned = [m for m in resolved if m.pk != acting.pk]
    Mention.objects.bulk_create(
        Mention(workspace_id=brief.workspace_id, comment=comment, membership=m) for m in mentioned
    )
    _tell_about_comment(acting, brief, comment, root, mentioned, urgent=urgent)
    events.comment_added(comment, brief, acting)
    brief_changed(brief)
    return comment


def _tell_about_comment(
    acting: Membership,
    brief: Brief,
    comment: Comment,
    root: Comment | None,
    mentioned: list[Membership],
    *,
    urgent: bool = False,
) -> None:
    url = f"{brief_url(brief)}#comment-{comment.pk}"
    who = _name(acting)
    text = excerpt(comment.body)
    told: set[int] = {acting.pk}
    for member in mentioned:
        told.add(member.pk)
        notification_send(
            recipient=member,
            kind="brief.mention",
            subject=f"{who} mentioned you on {brief.title}",
            url=url,
            actor=acting,
            cause=f"briefs.mention:comment:{comment.pk}",
            excerpt=text,
        )
    if root is not None and root.author_id not in told:
        told.add(root.author_id)
        notification_send(
            recipient=root.author,
            kind="brief.reply",
            subject=f"{who} replied on {brief.title}",
            url=url,
            actor=acting,
            cause=f"briefs.reply:comment:{comment.pk}",
            excerpt=text,
        )
    if brief.author_id not in told:
        what = (
            "responded to"
            if comment.is_response
            else ("asked a question on" if comment.is_question else "commented on")
        )
        notification_send(
            recipient=brief.author,
            kind="brief.comment",
            subject=f"{who} {what} {brief.title}",
            url=url,
            actor=acting,
            # A question awaits the author until it is marked answered.
            cause=f"briefs.question:{comment.pk}" if comment.is_question else "",
            excerpt=text,
            # Only the question itself reaches the author urgently (comment_add checked it).
            urgent=urgent and comment.is_question,
        )


@transaction.atomic
def comment_add(
    *,
    acting: Membership,
    brief: Brief,
    body: str,
    parent: Comment | None = None,
    at_seconds: float | None = None,
    is_question: bool = False,
    answers_parent: bool = False,
    urgent: bool = False,
) -> Comment:
    """Add to the thread: a comment, a reply, or a question, optionally pinned to a moment.

    ``answers_parent`` marks the parent question answered by this reply in the same step.
    ``urgent`` (a question to the brief's author only) tells the author at once, even outside
    their working hours, spending one of the asker's weekly urgent notifications; over budget
    nothing is written (HTTP 429).
    """
    brief = _locked(brief)
    _require_open(brief, acting)
    _require_can_take_part(acting, brief)
    _require_sent(brief)
    if answers_parent and (parent is None or not parent.is_question):
        raise ValidationFailed.field("answers_parent", "Only a reply to a question can answer it.")
    if urgent:
        if not is_question:
            raise ValidationFailed.field("urgent", "Only a question can be urgent.")
        if acting.pk == brief.author_id:
            raise ValidationFailed.field(
                "urgent", "A question asks the brief's author; yours reaches nobody urgently."
            )
        # Before anything is written: over budget, the asker gets a 429 and no question.
        registry.urgent_check(acting, timezone.now())
    comment = _write_comment(
        acting=acting,
        brief=brief,
        body=body,
        parent=parent,
        at_seconds=at_seconds,
        is_question=is_question,
        is_response=False,
        urgent=urgent,
    )
    audit_record(
        actor=acting,
        action="brief.comment",
        obj=comment,
        data={"brief": brief.pk, "question": is_question, "pin": comment.at_seconds},
    )
    if answers_parent and parent is not None:
        _mark_answered(acting=acting, question=parent, answer=comment)
    return comment


@transaction.atomic
def respond(
    *, acting: Membership, brief: Brief, body: str, at_seconds: float | None = None
) -> Comment:
    """A participant gives their response to the brief's ask; they count as having responded."""
    brief = _locked(brief)
    _require_open(brief, acting)
    if brief.status == BriefStatus.DRAFT:
        raise NotFound("No such brief in this workspace.")
    participant = _participant(brief, acting)
    if participant is None:
        raise PermissionDenied(
            "Only the people this brief asks can respond to it; comment instead."
        )
    comment = _write_comment(
        acting=acting,
        brief=brief,
        body=body,
        parent=None,
        at_seconds=at_seconds,
        is_question=False,
        is_response=True,
    )
    now = timezone.now()
    BriefParticipant.objects.filter(pk=participant.pk, responded_at__isnull=True).update(
        responded_at=now
    )
    inbox_resolve(cause=asked_cause(brief), recipient=acting)
    BriefParticipant.objects.filter(pk=participant.pk, first_seen_at__isnull=True).update(
        first_seen_at=now
    )
    audit_record(actor=acting, action="brief.respond", obj=comment, data={"brief": brief.pk})
    return comment


@transaction.atomic
def comment_edit(*, acting: Membership, comment: Comment, body: str) -> Comment:
    """The comment's author changes its text; the text it replaces is kept as a revision."""
    comment = (
        Comment.objects.select_for_update(of=("self",)).select_related("brief").get(pk=comment.pk)
    )
    if comment.author_id != acting.pk:
        raise PermissionDenied("Only the comment's author can edit it.")
    _require_open(comment.brief, acting)
    problems = FieldErrors()
    body = body.strip()
    if not body:
        problems.add("body", "A comment cannot be empty; write something.")
    _clean_text("body", body, MAX_COMMENT, problems, "A comment")
    problems.raise_any()
    if body == comment.body:
        return comment
    now = timezone.now()
    CommentRevision.objects.create(
        workspace_id=comment.workspace_id,
        comment=comment,
        body=comment.body,
        written_at=comment.edited_at or comment.created_at,
    )
    resolved = _resolve_mentions(acting, body)
    comment.body = body
    comment.body_html = render_markdown(body, mentions=_handles(resolved))
    comment.edited_at = now
    comment.save(update_fields=["body", "body_html", "edited_at"])
    comment_search_index(comment, comment.brief)
    known = set(Mention.objects.filter(comment=comment).values_list("membership_id", flat=True))
    new = [m for m in resolved if m.pk != acting.pk and m.pk not in known]
    Mention.objects.bulk_create(
        Mention(workspace_id=comment.workspace_id, comment=comment, membership=m) for m in new
    )
    for member in new:
        notification_send(
            recipient=member,
            kind="brief.mention",
            subject=f"{_name(acting)} mentioned you on {comment.brief.title}",
            url=f"{brief_url(comment.brief)}#comment-{comment.pk}",
            actor=acting,
            cause=f"briefs.mention:comment:{comment.pk}",
            excerpt=excerpt(body),
        )
    audit_record(
        actor=acting, action="brief.comment_edit", obj=comment, data={"brief": comment.brief_id}
    )
    return comment


def _mark_answered(*, acting: Membership, question: Comment, answer: Comment | None) -> Comment:
    updated = Comment.objects.filter(pk=question.pk, answered_at__isnull=True).update(
        answered_at=timezone.now(), answered_by=acting, answer=answer
    )
    if not updated:
        raise Conflict("This question has already been marked answered.")
    question.refresh_from_db(fields=["answered_at", "answered_by", "answer"])
    facts_stale(workspace_id=question.workspace_id, source_kind="brief", ids=[question.brief_id])
    inbox_resolve(cause=f"briefs.question:{question.pk}")
    audit_record(
        actor=acting,
        action="brief.answer",
        obj=question,
        data={"answer": answer.pk if answer is not None else None},
    )
    if question.author_id != acting.pk:
        brief = question.brief
        notification_send(
            recipient=question.author,
            kind="brief.answered",
            actor=acting,
            subject=f"{_name(acting)} answered your question on {brief.title}",
            url=f"{brief_url(brief)}#comment-{question.pk}",
            excerpt=excerpt(answer.body if answer is not None else question.body),
        )
    return question


@transaction.atomic
def question_answer(
    *, acting: Membership, question: Comment, answer: Comment | None = None
) -> Comment:
    """Mark a question answered, by the acting member and, if one says it, with a given reply."""
    question = (
        Comment.objects.select_for_update(of=("self",))
        .select_related("brief__workspace", "author")
        .get(pk=question.pk)
    )
    brief = question.brief
    _require_open(brief, acting)
    _require_can_take_part(acting, brief)
    if not question.is_question:
        raise ValidationFailed.field("comment", "This comment is not a question.")
    if answer is not None and (answer.brief_id != brief.pk or answer.pk == question.pk):
        raise ValidationFailed.field(
            "answer", "The answer must be another comment on the same brief."
        )
    return _mark_answered(acting=acting, question=question, answer=answer)
