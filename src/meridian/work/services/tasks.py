"""Tasks: writing and changing them, each change recorded in the timeline, under a version.

Every change of a field is one TaskEvent (values as a person reads them). A save naming a
version older than the task's is refused with ``EditConflict`` carrying the other change, and
nothing is written. The owner of an open task with a due date has it in their inbox (cause
``work.task:<id>``), at their own deadline; it leaves when the task is done or changes hands.
"""

from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.db.models import Max

from meridian.core.errors import FieldErrors, ValidationFailed
from meridian.core.markdown import render_markdown
from meridian.core.services import audit_record
from meridian.notifications.services import (
    inbox_item_put,
    inbox_resolve,
    notification_send,
)
from meridian.work import events as task_events
from meridian.work.graph import cycle_text, parent_cycle
from meridian.work.history import task_changed, version_bump
from meridian.work.models import (
    DueKind,
    Project,
    StatusCategory,
    Tag,
    Task,
    TaskEvent,
    TaskFollower,
)
from meridian.work.search import task_search_index
from meridian.work.services.common import (
    MAX_CRITERIA,
    MAX_CRITERION,
    MAX_DESCRIPTION,
    MAX_ESTIMATE_MINUTES,
    MAX_TAG,
    MAX_TAGS,
    MAX_TITLE,
    Due,
    EditConflict,
    clean_text,
    due_by_for,
    due_check,
    due_text,
    first_open_status,
    member_of,
    members_of,
    minutes_text,
    name,
    now,
    require_writer,
    status_check,
    task_cause,
    task_url,
)
from meridian.workspaces.models import Membership

TASK_FIELDS = {
    "title",
    "description",
    "criteria",
    "owner",
    "follower_ids",
    "status",
    "due",
    "estimate_minutes",
    "tags",
    "parent",
}


def criteria_check(criteria: Any, problems: FieldErrors) -> list[dict[str, Any]]:
    """Acceptance criteria as stored: ``[{"text", "done"}]``, each with some text."""
    if criteria is None:
        return []
    if not isinstance(criteria, list | tuple):
        problems.add("criteria", "Acceptance criteria are a list of {text, done} items.")
        return []
    if len(criteria) > MAX_CRITERIA:
        problems.add("criteria", f"A task has at most {MAX_CRITERIA} acceptance criteria.")
        return []
    cleaned = []
    for n, item in enumerate(criteria, start=1):
        text = item.get("text", "") if isinstance(item, dict) else getattr(item, "text", item)
        done = item.get("done", False) if isinstance(item, dict) else getattr(item, "done", False)
        text = str(text or "").strip()
        if not text:
            problems.add("criteria", f"Criterion {n} has no text.")
        elif len(text) > MAX_CRITERION:
            problems.add("criteria", f"Criterion {n} has at most {MAX_CRITERION} characters.")
        cleaned.append({"text": text, "done": bool(done)})
    return cleaned


def criteria_text(criteria: list[dict[str, Any]]) -> str:
    return "\n".join(f"{'☑' if c.get('done') else '☐'} {c.get('text', '')}" for c in criteria)


def tags_check(tags: Iterable[str] | None, problems: FieldErrors) -> list[str]:
    names = list(
        dict.fromkeys(" ".join(str(t).split()).lower() for t in tags or () if str(t).strip())
    )
    if len(names) > MAX_TAGS:
        problems.add("tags", f"A task has at most {MAX_TAGS} tags.")
    for tag in names:
        if len(tag) > MAX_TAG:
            problems.add("tags", f"A tag has at most {MAX_TAG} characters: “{tag[:60]}…”.")
    return names


def _tags_set(task: Task, names: list[str]) -> None:
    existing = {
        t.name: t for t in Tag.objects.filter(workspace_id=task.workspace_id, name__in=names)
    }
    missing = [Tag(workspace_id=task.workspace_id, name=n) for n in names if n not in existing]
    if missing:
        Tag.objects.bulk_create(missing, ignore_conflicts=True)
        existing = {
            t.name: t for t in Tag.objects.filter(workspace_id=task.workspace_id, name__in=names)
        }
    task.tags.set([existing[n] for n in names])


def _followers_set(task: Task, members: list[Membership]) -> None:
    wanted = {m.pk for m in members}
    TaskFollower.objects.filter(task=task).exclude(membership_id__in=wanted).delete()
    have = set(TaskFollower.objects.filter(task=task).values_list("membership_id", flat=True))
    TaskFollower.objects.bulk_create(
        TaskFollower(workspace_id=task.workspace_id, task=task, membership_id=pk)
        for pk in wanted - have
    )


def _parent_check(
    task_id: int | None, workspace_id: int, parent: Task | None, problems: FieldErrors
) -> None:
    if parent is None:
        return
    if parent.workspace_id != workspace_id:
        problems.add("parent", "Choose a parent task of this workspace.")
        return
    if task_id is None:
        return
    parents = dict(
        Task.objects.filter(workspace_id=workspace_id, parent__isnull=False).values_list(
            "id", "parent_id"
        )
    )
    loop = parent_cycle(parents, task_id, parent.pk)
    if loop:
        titles = dict(Task.objects.filter(pk__in=loop).values_list("id", "title"))
        problems.add(
            "parent",
            f"A task cannot be under its own subtask: {cycle_text(loop, titles)}.",
        )


def owner_inbox(task: Task, actor: Membership | None, *, assigned: bool) -> None:
    """The owner's inbox item for the task: there while it is open with a due date, at the
    owner's own deadline. ``assigned``: the owner just got it (someone else gives: notified)."""
    cause = task_cause(task)
    if task.owner is None or task.is_done or task.due_by is None:
        inbox_resolve(cause=cause)
        return
    subject = f"Task due: {task.title}"
    if assigned and actor is not None and actor.pk != task.owner_id:
        notification_send(
            recipient=task.owner,
            kind="work.assigned",
            subject=f"{name(actor)} gave you a task: {task.title}",
            url=task_url(task),
            actor=actor,
            due_at=task.due_by,
            cause=cause,
        )
    else:
        # Their own task, reopened, or its due moment moved: the item is there, quietly.
        inbox_item_put(
            recipient=task.owner,
            kind="work.assigned",
            cause=cause,
            title=subject,
            url=task_url(task),
            actor=None,
            due_at=task.due_by,
        )


def _tell_assigned_without_due(task: Task, actor: Membership) -> None:
    if task.owner is not None and task.owner_id != actor.pk and task.due_by is None:
        notification_send(
            recipient=task.owner,
            kind="work.assigned",
            subject=f"{name(actor)} gave you a task: {task.title}",
            url=task_url(task),
            actor=actor,
        )


def _fresh(task_id: int) -> Task:
    return Task.objects.select_related("workspace", "project", "owner__profile", "parent").get(
        pk=task_id
    )


@transaction.atomic
def task_create(
    *,
    actor: Membership,
    project: Project,
    title: str,
    description: str = "",
    criteria: Iterable[Any] = (),
    owner: Membership | None = None,
    follower_ids: Iterable[int] = (),
    status: str | None = None,
    due: Due | None = None,
    estimate_minutes: int | None = None,
    tags: Iterable[str] = (),
    parent: Task | None = None,
) -> Task:
    """Write a task in a project: its first open status unless given, its owner told."""
    require_writer(actor, project.workspace_id)
    moment = now()
    problems = FieldErrors()
    title = clean_text("title", title, MAX_TITLE, problems, "A task's title", required=True)
    description = clean_text("description", description, MAX_DESCRIPTION, problems, "A description")
    checked_criteria = criteria_check(list(criteria), problems)
    owner = member_of(project.workspace_id, owner, "owner", problems)
    followers = members_of(project.workspace_id, follower_ids, "follower_ids", problems)
    state = first_open_status(project)
    if status is not None:
        try:
            state = status_check(project, status)
        except ValidationFailed as exc:
            problems.add("status", exc.detail)
    checked_due = due_check(due, problems, moment)
    if estimate_minutes is not None and not 0 <= estimate_minutes <= MAX_ESTIMATE_MINUTES:
        problems.add("estimate_minutes", f"An estimate is 0 to {MAX_ESTIMATE_MINUTES:,} minutes.")
    tag_names = tags_check(tags, problems)
    _parent_check(None, project.workspace_id, parent, problems)
    problems.raise_any()
    is_done = state["category"] == StatusCategory.DONE
    top = Task.objects.filter(project=project, status=state["key"]).aggregate(p=Max("position"))[
        "p"
    ]
    task = Task(
        workspace_id=project.workspace_id,
        project=project,
        parent=parent,
        title=title,
        description=description,
        description_html=render_markdown(description),
        criteria=checked_criteria,
        owner=owner,
        status=state["key"],
        is_done=is_done,
        position=(top or 0) + 1,
        due_kind=checked_due.kind,
        due_at=checked_due.at,
        due_date=checked_due.date,
        due_working_minutes=checked_due.working_minutes,
        estimate_minutes=estimate_minutes,
        created_by=actor,
        completed_at=moment if is_done else None,
    )
    task.due_by = due_by_for(task, owner, moment)
    task.save()
    if tag_names:
        _tags_set(task, tag_names)
    if followers:
        _followers_set(task, followers)
    task = _fresh(task.pk)
    task_changed(task, actor, "created", "", title)
    task_events.task_created(task, actor)
    if task.is_done:
        task_events.task_completed(task, actor)
    owner_inbox(task, actor, assigned=True)
    _tell_assigned_without_due(task, actor)
    task_search_index(task)
    audit_record(actor=actor, action="work.task_create", obj=task, data={"project": project.pk})
    return task


def changes_since(task: Task, version: int) -> list[TaskEvent]:
    """The timeline entries saved after ``version``, oldest first (the other change)."""
    return list(
        TaskEvent.objects.filter(task=task, version__gt=version)
        .select_related("actor__profile")
        .order_by("created_at", "id")
    )


def conflict(task: Task, version: int) -> EditConflict:
    """The refusal of a save naming an older version: the task now and what changed since."""
    changes = changes_since(task, version)
    who = sorted({name(e.actor) for e in changes if e.actor is not None})
    by = f" by {', '.join(who)}" if who else ""
    fields = ", ".join(dict.fromkeys(e.field for e in changes)) or "the task"
    return EditConflict(
        f"This task was changed{by} since you opened it ({fields}); your save was not applied. "
        f"Look at their change, then save yours again on version {task.version}.",
        current=task,
        changes=changes,
    )


def locked(task: Task) -> Task:
    """The task as the database has it now, locked until the transaction ends."""
    return (
        Task.objects.select_for_update(of=("self",))
        .select_related("workspace", "project", "owner__profile", "parent")
        .get(pk=task.pk)
    )


@transaction.atomic
def task_update(*, actor: Membership, task: Task, version: int, changes: dict[str, Any]) -> Task:
    """Change the fields named in ``changes``, one timeline entry per field that changed.

    ``owner`` and ``parent`` are objects (or None), ``due`` a ``Due`` (or None for none),
    ``follower_ids`` ids, ``tags`` names, ``criteria`` ``[{"text", "done"}]``.
    """
    require_writer(actor, task.workspace_id)
    task = locked(task)
    unknown = sorted(set(changes) - TASK_FIELDS)
    if unknown:
        raise ValidationFailed.field(
            unknown[0],
            f"“{unknown[0]}” cannot be changed; change {', '.join(sorted(TASK_FIELDS))}.",
        )
    if version != task.version:
        raise conflict(task, version)
    moment = now()
    problems = FieldErrors()
    events: list[tuple[str, object, object]] = []
    fields: set[str] = set()
    project = task.project
    old_owner = task.owner
    if "title" in changes:
        title = clean_text(
            "title", changes["title"], MAX_TITLE, problems, "A task's title", required=True
        )
        if title != task.title:
            events.append(("title", task.title, title))
            task.title = title
            fields.add("title")
    if "description" in changes:
        text = clean_text(
            "description", changes["description"], MAX_DESCRIPTION, problems, "A description"
        )
        if text != task.description:
            events.append(("description", task.description, text))
            task.description, task.description_html = text, render_markdown(text)
            fields |= {"description", "description_html"}
    if "criteria" in changes:
        criteria = criteria_check(changes["criteria"], problems)
        if criteria != task.criteria:
            events.append(("criteria", criteria_text(task.criteria), criteria_text(criteria)))
            task.criteria = criteria
            fields.add("criteria")
    if "owner" in changes:
        owner = member_of(task.workspace_id, changes["owner"], "owner", problems)
        valid = changes["owner"] is None or owner is not None
        if valid and (owner.pk if owner else None) != task.owner_id:
            events.append(("owner", name(task.owner), name(owner)))
            task.owner = owner
            fields.add("owner")
    followers = None
    if "follower_ids" in changes:
        followers = members_of(task.workspace_id, changes["follower_ids"], "follower_ids", problems)
    if "status" in changes:
        try:
            state = status_check(project, changes["status"])
        except ValidationFailed as exc:
            problems.add("status", exc.detail)
        else:
            if state["key"] != task.status:
                before = project.status(task.status)
                events.append(
                    ("status", before["label"] if before else task.status, state["label"])
                )
                task.status = state["key"]
                done = state["category"] == StatusCategory.DONE
                if done != task.is_done:
                    task.is_done = done
                    task.completed_at = moment if done else None
                    fields |= {"is_done", "completed_at"}
                top = Task.objects.filter(project=project, status=state["key"]).aggregate(
                    p=Max("position")
                )["p"]
                task.position = (top or 0) + 1
                fields |= {"status", "position"}
    due_changed = False
    if "due" in changes:
        due = due_check(changes["due"], problems, moment)
        if (due.kind, due.at, due.date, due.working_minutes) != (
            task.due_kind,
            task.due_at,
            task.due_date,
            task.due_working_minutes,
        ) or due.kind == DueKind.WORKING_TIME:
            due_before = due_text(task)
            task.due_kind, task.due_at, task.due_date, task.due_working_minutes = (
                due.kind,
                due.at,
                due.date,
                due.working_minutes,
            )
            if due_text(task) != due_before or due.kind == DueKind.WORKING_TIME:
                events.append(("due", due_before, due_text(task)))
            due_changed = True
            fields |= {"due_kind", "due_at", "due_date", "due_working_minutes"}
    if "estimate_minutes" in changes:
        estimate = changes["estimate_minutes"]
        if estimate is not None and not 0 <= estimate <= MAX_ESTIMATE_MINUTES:
            problems.add(
                "estimate_minutes", f"An estimate is 0 to {MAX_ESTIMATE_MINUTES:,} minutes."
            )
        elif estimate != task.estimate_minutes:
            events.append(("estimate", minutes_text(task.estimate_minutes), minutes_text(estimate)))
            task.estimate_minutes = estimate
            fields.add("estimate_minutes")
    tag_names = None
    if "tags" in changes:
        tag_names = tags_check(changes["tags"], problems)
    if "parent" in changes:
        parent = changes["parent"]
        _parent_check(task.pk, task.workspace_id, parent, problems)
        if (parent.pk if parent else None) != task.parent_id:
            events.append(
                ("parent", task.parent.title if task.parent else "", parent.title if parent else "")
            )
            task.parent = parent
            fields.add("parent")
    problems.raise_any()
    if followers is not None:
        before_ids = list(
            TaskFollower.objects.filter(task=task)
            .order_by("membership_id")
            .values_list("membership_id", flat=True)
        )
        if sorted(m.pk for m in followers) != before_ids:
            olds = Membership.objects.filter(pk__in=before_ids).select_related("profile")
            events.append(
                (
                    "followers",
                    ", ".join(sorted(name(m) for m in olds)),
                    ", ".join(sorted(name(m) for m in followers)),
                )
            )
        else:
            followers = None
    if tag_names is not None:
        before_tags = sorted(task.tags.values_list("name", flat=True))
        if sorted(tag_names) != before_tags:
            events.append(("tags", ", ".join(before_tags), ", ".join(sorted(tag_names))))
        else:
            tag_names = None
    if not events and not due_changed:
        return task
    if not version_bump(task, version):
        raise conflict(_fresh(task.pk), version)
    if "owner" in fields or due_changed:
        task.due_by = due_by_for(task, task.owner, moment)
        fields.add("due_by")
    # Always: a change of followers or tags alone is recent work on the task too.
    task.save(update_fields=[*sorted(fields), "updated_at"])
    if followers is not None:
        _followers_set(task, followers)
    if tag_names is not None:
        _tags_set(task, tag_names)
    for field, old, new in events:
        task_changed(task, actor, field, old, new)
    if "is_done" in fields and task.is_done:
        task_events.task_completed(task, actor)
    if "owner" in fields:
        task_events.task_reassigned(task, old_owner, actor)
        if old_owner is not None:
            inbox_resolve(cause=task_cause(task), recipient=old_owner)
        owner_inbox(task, actor, assigned=True)
        _tell_assigned_without_due(task, actor)
    elif fields & {"is_done", "due_by"}:
        owner_inbox(task, None, assigned=False)
    task_search_index(task)
    audit_record(
        actor=actor, action="work.task_update", obj=task, data={"fields": [e[0] for e in events]}
    )
    return task


@transaction.atomic
def task_owner_set(
    *, task: Task, owner: Membership, actor: Membership | None, field: str = "owner"
) -> None:
    """Make ``owner`` the task's owner (a handover's transfer), recorded in the timeline under
    ``field``, the due date recomputed for them, the inbox item moved. Inside a transaction."""
    task = locked(task)
    old = task.owner
    if old is not None and old.pk == owner.pk:
        return
    task.version += 1
    task.owner = owner
    task.due_by = due_by_for(task, owner, now())
    task.save(update_fields=["owner", "due_by", "version", "updated_at"])
    task_changed(task, actor, field, name(old), name(owner))
    task_events.task_reassigned(task, old, actor)
    if old is not None:
        inbox_resolve(cause=task_cause(task), recipient=old)
    owner_inbox(task, actor, assigned=True)
