"""A task's thread: comments, replies, questions and their answers, mentions (as in briefs)."""

from django.db import transaction
from django.utils import timezone

from meridian.asks.mentions import mention_handles, mentions_resolve
from meridian.core.errors import Conflict, FieldErrors, ValidationFailed
from meridian.core.markdown import render_markdown
from meridian.core.services import audit_record
from meridian.notifications.services import inbox_resolve, notification_send
from meridian.search.text import excerpt
from meridian.work.models import Task, TaskComment, TaskFollower, TaskMention
from meridian.work.services.common import MAX_COMMENT, clean_text, name, require_writer, task_url
from meridian.workspaces.models import Membership


def question_cause(comment: TaskComment | int) -> str:
    """The inbox cause of a question on a task, awaiting the owner until answered."""
    return f"work.question:{comment if isinstance(comment, int) else comment.pk}"


def _write(
    *, actor: Membership, task: Task, body: str, parent: TaskComment | None, is_question: bool
) -> TaskComment:
    problems = FieldErrors()
    body = clean_text("body", body, MAX_COMMENT, problems, "A comment", required=True)
    if parent is not None and parent.task_id != task.pk:
        problems.add("parent", "You can only reply to a comment on the same task.")
    problems.raise_any()
    root = parent.parent if parent is not None and parent.parent_id is not None else parent
    resolved = mentions_resolve(actor, body)
    comment = TaskComment.objects.create(
        workspace_id=task.workspace_id,
        task=task,
        author=actor,
        parent=root,
        body=body,
        body_html=render_markdown(body, mentions=mention_handles(resolved)),
        is_question=is_question,
    )
    mentioned = [m for m in resolved if m.pk != actor.pk]
    TaskMention.objects.bulk_create(
        TaskMention(workspace_id=task.workspace_id, comment=comment, membership=m)
        for m in mentioned
    )
    Task.objects.filter(pk=task.pk).update(updated_at=timezone.now())
    return comment


def _tell(actor: Membership, task: Task, comment: TaskComment, mentioned: list[Membership]) -> None:
    url = f"{task_url(task)}#comment-{comment.pk}"
    who = name(actor)
    text = excerpt(comment.body)
    told = {actor.pk}
    if comment.is_question and task.owner is not None and task.owner_id not in told:
        told.add(task.owner.pk)
        notification_send(
            recipient=task.owner,
            kind="work.question",
            subject=f"{who} asked a question on {task.title}",
            url=url,
            actor=actor,
            cause=question_cause(comment),
            excerpt=text,
        )
    for member in mentioned:
        if member.pk in told:
            continue
        told.add(member.pk)
        notification_send(
            recipient=member,
            kind="work.mention",
            subject=f"{who} mentioned you on {task.title}",
            url=url,
            actor=actor,
            cause=f"work.mention:comment:{comment.pk}",
            excerpt=text,
        )
    root = comment.parent
    others = set(TaskFollower.objects.filter(task=task).values_list("membership_id", flat=True))
    if task.owner_id is not None:
        others.add(task.owner_id)
    if root is not None:
        others.add(root.author_id)
    people = Membership.objects.filter(pk__in=others - told, is_active=True).select_related(
        "profile", "user", "workspace"
    )
    for member in people:
        notification_send(
            recipient=member,
            kind="work.comment",
            subject=f"{who} {'asked on' if comment.is_question else 'commented on'} {task.title}",
            url=url,
            actor=actor,
            excerpt=text,
        )


@transaction.atomic
def comment_add(
    *,
    actor: Membership,
    task: Task,
    body: str,
    parent: TaskComment | None = None,
    is_question: bool = False,
) -> TaskComment:
    """Comment on a task, reply, or ask a question (which awaits the owner until answered)."""
    require_writer(actor, task.workspace_id)
    task = Task.objects.select_related("workspace", "owner__profile").get(pk=task.pk)
    comment = _write(actor=actor, task=task, body=body, parent=parent, is_question=is_question)
    mentioned = [m for m in mentions_resolve(actor, comment.body) if m.pk != actor.pk]
    _tell(actor, task, comment, mentioned)
    audit_record(
        actor=actor,
        action="work.comment",
        obj=comment,
        data={"task": task.pk, "question": is_question},
    )
    return comment


@transaction.atomic
def question_answer(*, actor: Membership, comment: TaskComment, body: str) -> TaskComment:
    """Answer a question with a reply; the question is marked answered (returned, fresh)."""
    require_writer(actor, comment.workspace_id)
    question = (
        TaskComment.objects.select_for_update(of=("self",))
        .select_related("task__workspace", "task__owner__profile", "author__profile")
        .get(pk=comment.pk)
    )
    if not question.is_question:
        raise ValidationFailed.field("comment", "This comment is not a question.")
    if question.answered_at is not None:
        raise Conflict("This question has already been answered; reply to it instead.")
    task = question.task
    answer = _write(actor=actor, task=task, body=body, parent=question, is_question=False)
    question.answered_at, question.answered_by = timezone.now(), actor
    question.save(update_fields=["answered_at", "answered_by"])
    inbox_resolve(cause=question_cause(question))
    mentioned = [m for m in mentions_resolve(actor, answer.body) if m.pk != actor.pk]
    for member in mentioned:
        notification_send(
            recipient=member,
            kind="work.mention",
            subject=f"{name(actor)} mentioned you on {task.title}",
            url=f"{task_url(task)}#comment-{answer.pk}",
            actor=actor,
            cause=f"work.mention:comment:{answer.pk}",
            excerpt=excerpt(answer.body),
        )
    if question.author_id != actor.pk:
        notification_send(
            recipient=question.author,
            kind="work.answered",
            subject=f"{name(actor)} answered your question on {task.title}",
            url=f"{task_url(task)}#comment-{question.pk}",
            actor=actor,
            excerpt=excerpt(answer.body),
        )
    audit_record(actor=actor, action="work.answer", obj=question, data={"answer": answer.pk})
    return question
