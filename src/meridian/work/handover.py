"""Tasks and projects as things that can be handed over (meridian.handovers.kinds).

For each kind: what a member owns, who owns an item, the packet the receiver reads, the
transfer on acknowledgement, and readiness. A packet and the readiness of every open item of
a workspace are each assembled in a constant number of queries, whatever the history's length.
"""

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime
from typing import NamedTuple

from django.db import transaction
from django.db.models import Count, Max, Q, QuerySet
from django.utils import timezone

from meridian.briefs.models import BriefLink, LinkTarget
from meridian.briefs.selectors import briefs_linked_to
from meridian.core import registry
from meridian.core.services import audit_record
from meridian.handovers.kinds import (
    HOLDER_LEFT,
    Check,
    HandoverKind,
    Packet,
    PacketEntry,
    PacketSection,
    Readiness,
)
from meridian.work.access import project_get_for, task_get_for
from meridian.work.models import (
    Dependency,
    Project,
    Task,
    TaskComment,
    TaskEvent,
    TaskFile,
    TaskFollower,
    TaskLink,
)
from meridian.work.readiness import CONTRIBUTORS_WINDOW, Facts, readiness_checks
from meridian.work.selectors import task_titles
from meridian.work.services.common import name, project_url_for, task_url_for
from meridian.work.services.tasks import task_owner_set
from meridian.workspaces.models import Membership

HISTORY_SHOWN = 20


def _status_label(task: Task) -> str:
    status = task.project.status(task.status)
    return status["label"] if status else task.status


def _owner_text(member: Membership | None) -> str:
    return name(member) if member is not None else "nobody"


# --- Tasks -------------------------------------------------------------------------------------


def task_owned(workspace_id: int, membership_id: int) -> list[tuple[int, str]]:
    """The open tasks the member owns, by due moment then title."""
    rows = Task.objects.filter(
        workspace_id=workspace_id, owner_id=membership_id, is_done=False
    ).order_by("due_by", "title", "id")
    return list(rows.values_list("pk", "title"))


def task_owners(workspace_id: int, ids: list[int]) -> dict[int, list[int]]:
    rows = Task.objects.filter(workspace_id=workspace_id, pk__in=ids).values_list("pk", "owner_id")
    return {pk: [owner] if owner else [] for pk, owner in rows}


def _link_sections(
    workspace_id: int, slug: str, links: Iterable[tuple[str, int]], brief_ids: Iterable[int]
) -> tuple[PacketSection, PacketSection]:
    """Linked decisions (with their rationale) and briefs (linked either way), one query per
    kind for titles and one for summaries."""
    kinds = registry.link_kinds()
    wanted: dict[str, list[int]] = defaultdict(list)
    for kind, target in links:
        if target not in wanted[kind]:
            wanted[kind].append(target)
    for brief_id in brief_ids:
        if brief_id not in wanted["brief"]:
            wanted["brief"].append(brief_id)
    entries: dict[str, list[PacketEntry]] = {"decision": [], "brief": []}
    for kind in ("decision", "brief"):
        registered = kinds.get(kind)
        ids = wanted.get(kind, [])
        if registered is None or not ids:
            continue
        titles = registered.titles(workspace_id, ids)
        summaries = registered.summaries(workspace_id, ids) if registered.summaries else {}
        for target in ids:
            if target in titles:
                entries[kind].append(
                    PacketEntry(
                        text=titles[target],
                        url=registered.url(slug, target) if registered.url else "",
                        detail=summaries.get(target, ""),
                    )
                )
    return (
        PacketSection("decisions", "Linked decisions", entries["decision"], "No linked decisions."),
        PacketSection("briefs", "Linked briefs", entries["brief"], "No linked briefs."),
    )


def _people(ids: set[int]) -> QuerySet[Membership]:
    return Membership.objects.filter(pk__in=ids).select_related("profile").order_by("pk")


def task_packet(viewer: Membership, object_id: int) -> Packet:
    """Everything the receiver of a task needs, assembled now (a constant number of queries)."""
    task = task_get_for(viewer, object_id)
    slug = viewer.workspace.slug
    subtasks = list(task.subtasks.filter(is_done=False).select_related("owner__profile"))
    # Plain rows, not models: a long thread is read at the speed of the database.
    comments = [
        _Comment(*row)
        for row in TaskComment.objects.filter(task=task)
        .order_by("created_at", "id")
        .values_list(
            "pk",
            "parent_id",
            "author_id",
            "author__profile__display_name",
            "body",
            "body_html",
            "is_question",
            "answered_at",
            "created_at",
        )
    ]
    links = list(TaskLink.objects.filter(task=task).values_list("kind", "target_id"))
    linking_briefs = [
        b.pk for b in briefs_linked_to(viewer=viewer, target="task", target_id=task.pk)
    ]
    deps = list(
        Dependency.objects.filter(Q(blocked=task) | Q(blocker=task)).select_related(
            "blocker__owner__profile", "blocked__owner__profile"
        )
    )
    events = list(
        TaskEvent.objects.filter(task=task).select_related("actor__profile")[:HISTORY_SHOWN]
    )
    files = list(TaskFile.objects.filter(task=task))
    involved = _involved(task, {c.author_id for c in comments})
    page = task_url_for(slug, task.pk)

    replied = {c.parent_id for c in comments if c.parent_id is not None}
    roots = [c for c in comments if c.parent_id is None]
    criteria = task.criteria or []
    sections = [
        _description_section(task.description, task.description_html),
        PacketSection(
            "criteria",
            "Acceptance criteria",
            [PacketEntry(text=str(c.get("text", "")), done=bool(c.get("done"))) for c in criteria],
            "No acceptance criteria.",
        ),
        PacketSection(
            "remaining",
            "What remains",
            [
                *(
                    PacketEntry(
                        text=s.title,
                        url=task_url_for(slug, s.pk),
                        person=_owner_text(s.owner),
                        detail="Open subtask",
                    )
                    for s in subtasks
                ),
                *(
                    PacketEntry(
                        text=str(c.get("text", "")), detail="Unchecked criterion", done=False
                    )
                    for c in criteria
                    if not c.get("done")
                ),
            ],
            "Nothing open: no open subtasks or unchecked criteria.",
        ),
        PacketSection(
            "questions",
            "Unanswered questions",
            [
                PacketEntry(
                    text=c.body,
                    html=c.body_html,
                    person=c.author_name,
                    at=c.created_at,
                    url=f"{page}#comment-{c.pk}",
                )
                for c in roots
                if c.is_question and c.answered_at is None
            ],
            "No unanswered questions.",
        ),
        PacketSection(
            "threads",
            "Comments nobody replied to",
            [
                PacketEntry(
                    text=c.body,
                    html=c.body_html,
                    person=c.author_name,
                    at=c.created_at,
                    url=f"{page}#comment-{c.pk}",
                )
                for c in roots
                if not c.is_question and c.pk not in replied
            ],
            "Every comment has a reply.",
        ),
        *_link_sections(task.workspace_id, slug, links, linking_briefs),
        PacketSection(
            "dependencies",
            "Dependencies",
            [
                *(
                    PacketEntry(
                        text=d.blocker.title,
                        url=task_url_for(slug, d.blocker_id),
                        detail="Blocks this task",
                        person=_owner_text(d.blocker.owner),
                        done=d.blocker.is_done,
                    )
                    for d in deps
                    if d.blocked_id == task.pk
                ),
                *(
                    PacketEntry(
                        text=d.blocked.title,
                        url=task_url_for(slug, d.blocked_id),
                        detail="Waits for this task",
                        person=_owner_text(d.blocked.owner),
                        done=d.blocked.is_done,
                    )
                    for d in deps
                    if d.blocker_id == task.pk
                ),
            ],
            "No dependencies.",
        ),
        PacketSection(
            "history",
            "Recent history",
            [
                PacketEntry(text=_event_text(e), person=name(e.actor), at=e.created_at)
                for e in events
            ],
            "No history.",
        ),
        PacketSection(
            "files",
            "Files",
            [
                PacketEntry(text=f.filename, detail=f.file_size_label, at=f.created_at)
                for f in files
            ],
            "No files.",
        ),
        PacketSection(
            "people",
            "People involved",
            [PacketEntry(text=name(m), detail=_role_of(m, task)) for m in involved],
            "Nobody yet.",
        ),
        *registry.packet_sections(viewer, "task", task.pk),
    ]
    return Packet(
        kind="task",
        object_id=task.pk,
        title=task.title,
        url=task_url_for(slug, task.pk),
        status=_status_label(task),
        sections=sections,
    )


class _Comment(NamedTuple):
    pk: int
    parent_id: int | None
    author_id: int
    author_name: str
    body: str
    body_html: str
    is_question: bool
    answered_at: datetime | None
    created_at: datetime


def _involved(task: Task, commenters: set[int]) -> list[Membership]:
    """Owner, followers, commenters and whoever changed the task (three queries)."""
    ids = set(commenters)
    if task.owner_id is not None:
        ids.add(task.owner_id)
    ids.update(TaskFollower.objects.filter(task=task).values_list("membership_id", flat=True))
    changed = TaskEvent.objects.filter(task=task, actor__isnull=False).values_list(
        "actor_id", flat=True
    )
    ids.update(changed.order_by().distinct())
    return list(Membership.objects.filter(pk__in=ids).select_related("profile").order_by("pk"))


def _role_of(member: Membership, task: Task) -> str:
    return "Owner" if member.pk == task.owner_id else "Contributor"


EVENT_WORDS = {
    "created": "created the task",
    "blocked_by_added": "added a blocker",
    "blocked_by_removed": "removed a blocker",
    "blocks_added": "made it block another task",
    "blocks_removed": "stopped it blocking another task",
    "link_added": "linked",
    "link_removed": "unlinked",
    "file_added": "attached a file",
    "file_removed": "removed a file",
}


def _event_text(event: TaskEvent) -> str:
    """ "status: To do → Doing", or what the action was."""
    if event.field in EVENT_WORDS:
        value = event.new or event.old
        return f"{EVENT_WORDS[event.field]}{': ' + value[:200] if value else ''}"
    old, new = event.old[:200] or "—", event.new[:200] or "—"
    if event.field == "handover":
        return f"acknowledged a handover; owner: {old} → {new}"
    return f"{event.field}: {old} → {new}"


@transaction.atomic
def task_transfer(
    object_id: int, giver: Membership, receiver: Membership, actor: Membership
) -> None:
    """The receiver owns the task now: recorded in its timeline as a handover, the due moment
    recomputed for them, the inbox item moved to them."""
    task = Task.objects.get(pk=object_id)
    task_owner_set(task=task, owner=receiver, actor=actor, field="handover")


def _contributors(task_filter: Q, since_moment: object) -> dict[int, set[int]]:
    """Per task, who changed or commented on it since a moment (two queries)."""
    people: dict[int, set[int]] = defaultdict(set)
    events = TaskEvent.objects.filter(
        task_filter, created_at__gte=since_moment, actor__isnull=False
    )
    for task_id, actor_id in events.values_list("task_id", "actor_id").distinct():
        people[task_id].add(actor_id)
    comments = TaskComment.objects.filter(task_filter, created_at__gte=since_moment)
    for task_id, author_id in comments.values_list("task_id", "author_id").distinct():
        people[task_id].add(author_id)
    return people


def _owner_left(task: Task) -> list[Check]:
    """A task whose owner left the workspace stalls until someone takes it: a heavy reason."""
    if task.owner is None or task.owner.is_active:
        return []
    return [
        Check(
            HOLDER_LEFT,
            "Its owner is a member",
            False,
            weight=OWNER_LEFT_WEIGHT,
            missing="Owned by someone who left",
        )
    ]


def task_readiness(workspace_id: int, ids: list[int] | None) -> list[Readiness]:
    """Each open task's readiness (all open tasks of the workspace when ``ids`` is None), in a
    constant number of queries."""
    now = timezone.now()
    tasks_q = Task.objects.filter(workspace_id=workspace_id, is_done=False)
    if ids is not None:
        tasks_q = tasks_q.filter(pk__in=ids)
    tasks = list(
        tasks_q.select_related("project", "workspace", "owner")
        .only(
            "pk",
            "title",
            "description",
            "criteria",
            "updated_at",
            "owner_id",
            "owner__is_active",
            "project__name",
            "project__workflow",
            "workspace__slug",
            "status",
        )
        .order_by("pk")
    )
    if not tasks:
        return []
    related = Q(task__workspace_id=workspace_id, task__is_done=False)
    if ids is not None:
        related &= Q(task_id__in=ids)
    questions = dict(
        TaskComment.objects.filter(related, is_question=True, answered_at__isnull=True)
        .values("task_id")
        .annotate(n=Count("id"))
        .values_list("task_id", "n")
    )
    links = dict(
        TaskLink.objects.filter(related)
        .values("task_id")
        .annotate(n=Count("id"))
        .values_list("task_id", "n")
    )
    brief_links = BriefLink.objects.filter(workspace_id=workspace_id, target=LinkTarget.TASK)
    if ids is not None:
        brief_links = brief_links.filter(target_id__in=ids)
    briefs = dict(
        brief_links.values("target_id").annotate(n=Count("id")).values_list("target_id", "n")
    )
    contributors = _contributors(related, now - CONTRIBUTORS_WINDOW)
    slug = tasks[0].workspace.slug
    out = []
    for task in tasks:
        people = contributors.get(task.pk, set())
        facts = Facts(
            description=task.description,
            criteria=len(task.criteria or []),
            open_questions=questions.get(task.pk, 0),
            linked=links.get(task.pk, 0) + briefs.get(task.pk, 0),
            updated_at=task.updated_at,
            contributors_90d=len(people),
        )
        out.append(
            Readiness(
                kind="task",
                object_id=task.pk,
                title=task.title,
                url=task_url_for(slug, task.pk),
                checks=readiness_checks(facts, now) + _owner_left(task),
                holder_ids=[task.owner_id] if task.owner_id else [],
                contributors_90d=len(people),
                group=task.project.name,
                group_url=project_url_for(slug, task.project_id),
                project_id=task.project_id,
            )
        )
    return out


# As heavy as the six ordinary reasons together: a task nobody present owns is not ready.
OWNER_LEFT_WEIGHT = 6

TASK_KIND = HandoverKind(
    kind="task",
    noun="task",
    titles=task_titles,
    url=task_url_for,
    owned=task_owned,
    owners=task_owners,
    packet=task_packet,
    transfer=task_transfer,
    readiness=task_readiness,
    order=10,
)


# --- Projects ----------------------------------------------------------------------------------


def project_titles(workspace_id: int, ids: list[int]) -> dict[int, str]:
    return dict(
        Project.objects.filter(workspace_id=workspace_id, pk__in=ids).values_list("pk", "name")
    )


def project_owned(workspace_id: int, membership_id: int) -> list[tuple[int, str]]:
    """The projects the member leads and that are not archived."""
    rows = Project.objects.filter(
        workspace_id=workspace_id, lead_id=membership_id, archived_at__isnull=True
    )
    return list(rows.order_by("name", "id").values_list("pk", "name"))


def project_owners(workspace_id: int, ids: list[int]) -> dict[int, list[int]]:
    rows = Project.objects.filter(workspace_id=workspace_id, pk__in=ids).values_list(
        "pk", "lead_id"
    )
    return {pk: [lead] if lead else [] for pk, lead in rows}


def project_packet(viewer: Membership, object_id: int) -> Packet:
    """What the new lead of a project needs: its description, open tasks with their owners,
    unanswered questions, linked decisions and briefs, recent changes and people (constant
    queries)."""
    project = project_get_for(viewer, object_id)
    slug = viewer.workspace.slug
    open_tasks = list(
        project.tasks.filter(is_done=False)
        .select_related("owner__profile")
        .order_by("due_by", "position", "id")
    )
    in_project = Q(task__project=project)
    questions = list(
        TaskComment.objects.filter(in_project, is_question=True, answered_at__isnull=True)
        .select_related("author__profile", "task")
        .order_by("created_at", "id")
    )
    links = list(TaskLink.objects.filter(in_project).values_list("kind", "target_id"))
    brief_ids = list(
        BriefLink.objects.filter(
            workspace_id=project.workspace_id,
            target=LinkTarget.TASK,
            target_id__in=Task.objects.filter(project=project).values("pk"),
        ).values_list("brief_id", flat=True)
    )
    events = list(
        TaskEvent.objects.filter(in_project).select_related("actor__profile", "task")[
            :HISTORY_SHOWN
        ]
    )
    people = list(
        Membership.objects.filter(
            Q(pk=project.lead_id)
            | Q(pk__in=project.memberships.values("membership_id"))
            | Q(pk__in=Task.objects.filter(project=project, owner__isnull=False).values("owner_id"))
        )
        .select_related("profile")
        .order_by("pk")
    )
    sections = [
        _description_section(project.description, project.description_html),
        PacketSection(
            "remaining",
            "Open tasks",
            [
                PacketEntry(
                    text=t.title,
                    url=task_url_for(slug, t.pk),
                    person=_owner_text(t.owner),
                    at=t.due_by,
                )
                for t in open_tasks
            ],
            "No open tasks.",
        ),
        PacketSection(
            "questions",
            "Unanswered questions",
            [
                PacketEntry(
                    text=c.body,
                    html=c.body_html,
                    person=name(c.author),
                    at=c.created_at,
                    detail=c.task.title,
                    url=f"{task_url_for(slug, c.task_id)}#comment-{c.pk}",
                )
                for c in questions
            ],
            "No unanswered questions.",
        ),
        *_link_sections(project.workspace_id, slug, links, brief_ids),
        PacketSection(
            "history",
            "Recent history",
            [
                PacketEntry(
                    text=f"{e.task.title}: {_event_text(e)}", person=name(e.actor), at=e.created_at
                )
                for e in events
            ],
            "No history.",
        ),
        PacketSection(
            "people",
            "People involved",
            [
                PacketEntry(
                    text=name(m), detail="Lead" if m.pk == project.lead_id else "Member or owner"
                )
                for m in people
            ],
            "Nobody yet.",
        ),
        *registry.packet_sections(viewer, "project", project.pk),
    ]
    return Packet(
        kind="project",
        object_id=project.pk,
        title=project.name,
        url=project_url_for(slug, project.pk),
        status="Archived" if project.archived_at else f"{len(open_tasks)} open tasks",
        sections=sections,
    )


@transaction.atomic
def project_transfer(
    object_id: int, giver: Membership, receiver: Membership, actor: Membership
) -> None:
    """The receiver leads the project now (and is one of its members)."""
    from meridian.work.models import ProjectMember

    project = Project.objects.select_for_update().get(pk=object_id)
    project.lead = receiver
    project.version += 1
    project.save(update_fields=["lead", "version", "updated_at"])
    ProjectMember.objects.get_or_create(
        workspace_id=project.workspace_id, project=project, membership=receiver
    )
    audit_record(
        actor=actor,
        action="work.project_handover",
        obj=project,
        data={"giver": giver.pk, "receiver": receiver.pk},
    )


def project_readiness(workspace_id: int, ids: list[int] | None) -> list[Readiness]:
    """Each project's readiness from its own description and its open tasks (constant queries)."""
    now = timezone.now()
    projects_q = Project.objects.filter(workspace_id=workspace_id, archived_at__isnull=True)
    if ids is not None:
        projects_q = projects_q.filter(pk__in=ids)
    projects = list(
        projects_q.select_related("workspace").annotate(
            tasks_n=Count("tasks", distinct=True), last_task=Max("tasks__updated_at")
        )
    )
    if not projects:
        return []
    pids = [p.pk for p in projects]
    in_projects = Q(task__project_id__in=pids)
    questions = dict(
        TaskComment.objects.filter(in_projects, is_question=True, answered_at__isnull=True)
        .values("task__project_id")
        .annotate(n=Count("id"))
        .values_list("task__project_id", "n")
    )
    links = dict(
        TaskLink.objects.filter(in_projects)
        .values("task__project_id")
        .annotate(n=Count("id"))
        .values_list("task__project_id", "n")
    )
    since = now - CONTRIBUTORS_WINDOW
    people: dict[int, set[int]] = defaultdict(set)
    for pid, actor in (
        TaskEvent.objects.filter(in_projects, created_at__gte=since, actor__isnull=False)
        .values_list("task__project_id", "actor_id")
        .distinct()
    ):
        people[pid].add(actor)
    for pid, author in (
        TaskComment.objects.filter(in_projects, created_at__gte=since)
        .values_list("task__project_id", "author_id")
        .distinct()
    ):
        people[pid].add(author)
    slug = projects[0].workspace.slug
    out = []
    for project in projects:
        updated = max(filter(None, [project.updated_at, project.last_task]))
        facts = Facts(
            description=project.description,
            criteria=project.tasks_n,
            open_questions=questions.get(project.pk, 0),
            linked=links.get(project.pk, 0),
            updated_at=updated,
            contributors_90d=len(people.get(project.pk, set())),
        )
        out.append(
            Readiness(
                kind="project",
                object_id=project.pk,
                title=project.name,
                url=project_url_for(slug, project.pk),
                checks=readiness_checks(
                    facts, now, criteria_label="Has tasks", criteria_missing="No tasks"
                ),
                holder_ids=[project.lead_id] if project.lead_id else [],
                contributors_90d=facts.contributors_90d,
                group=project.name,
                group_url=project_url_for(slug, project.pk),
                project_id=project.pk,
            )
        )
    return out


PROJECT_KIND = HandoverKind(
    kind="project",
    noun="project",
    titles=project_titles,
    url=project_url_for,
    owned=project_owned,
    owners=project_owners,
    packet=project_packet,
    transfer=project_transfer,
    readiness=project_readiness,
    order=20,
)


def _description_section(text: str, html: str) -> PacketSection:
    """The packet's first section: the item's description as its area rendered it."""
    entries = [PacketEntry(text=text, html=html)] if text else []
    return PacketSection("description", "Description", entries, "No description.")
