"""Reads behind the work pages: the task list with its filters, a project's board, my work.

Every read takes the viewer and keeps a constant query count however many tasks there are
(tests/work/views assert it): owners and projects are joined, tags prefetched in one query,
"blocked" is an EXISTS over the dependencies, and a board's blockers come in one more query.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import Count, Exists, F, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone

from meridian.core.moments import in_zone
from meridian.work.models import (
    DEFAULT_WORKFLOW,
    Dependency,
    DueKind,
    Project,
    SavedFilter,
    Tag,
    Task,
    TaskComment,
)
from meridian.work.selectors import blocked_ids
from meridian.workspaces.models import Membership

DUE_CHOICES = {
    "": "Any time",
    "overdue": "Overdue",
    "week": "Due this week",
    "none": "No due date",
}
STATE_CHOICES = {"open": "Open", "done": "Done", "all": "Open and done"}


@dataclass(frozen=True)
class TaskFilters:
    """The task list's filters, as its query string gives them (unknown values ignored)."""

    owner: str = ""  # a member id, "me" or "none"
    status: str = ""  # a workflow status key (any project's)
    tag: str = ""
    due: str = ""  # one of DUE_CHOICES
    blocked: bool = False
    project: int | None = None
    state: str = "open"
    q: str = ""

    @classmethod
    def from_params(cls, params: dict[str, str]) -> "TaskFilters":
        owner = params.get("owner", "").strip()
        project = params.get("project", "").strip()
        due = params.get("due", "")
        state = params.get("state", "open")
        return cls(
            owner=owner if owner in ("me", "none") or owner.isdigit() else "",
            status=params.get("status", "").strip()[:30],
            tag=params.get("tag", "").strip()[:50],
            due=due if due in DUE_CHOICES else "",
            blocked=params.get("blocked", "") in ("1", "on", "true", "yes"),
            project=int(project) if project.isdigit() else None,
            state=state if state in STATE_CHOICES else "open",
            q=params.get("q", "").strip()[:200],
        )

    def as_params(self) -> dict[str, str]:
        """The non-default filters as query parameters (what a saved filter keeps)."""
        params = {
            "owner": self.owner,
            "status": self.status,
            "tag": self.tag,
            "due": self.due,
            "blocked": "1" if self.blocked else "",
            "project": str(self.project) if self.project else "",
            "state": "" if self.state == "open" else self.state,
            "q": self.q,
        }
        return {key: value for key, value in params.items() if value}

    @property
    def is_filtered(self) -> bool:
        return bool(self.as_params())


def _blocked() -> Exists:
    """Whether the task has a blocker that is not done."""
    return Exists(
        Dependency.objects.filter(blocked_id=OuterRef("pk"), blocker__is_done=False).values("pk")
    )


def mark_blocked(tasks: Iterable[Task]) -> None:
    """Set ``blocked`` on each task shown: whether a blocker is not done (one query)."""
    shown = list(tasks)
    blocked = blocked_ids(t.pk for t in shown)
    for t in shown:
        t.blocked = t.pk in blocked  # type: ignore[attr-defined]


def week_end(now: datetime, zone: str | None) -> datetime:
    """The end of the reader's current week (Monday 00:00 after this Sunday, their zone)."""
    local = in_zone(now, zone)
    monday = local.replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(
        days=local.weekday()
    )
    return monday + timedelta(days=7)


def task_list_for(
    *, viewer: Membership, filters: TaskFilters, now: datetime | None = None
) -> QuerySet[Task]:
    """Tasks of the viewer's workspace that match the filters: open first by due, then newest."""
    now = now or timezone.now()
    tasks = (
        Task.objects.filter(workspace_id=viewer.workspace_id)
        .defer("description", "description_html", "criteria")  # a list row shows none of them
        # Projects and owners come for the page's rows only (prefetched): joined, they would be
        # carried through the sort of every matching task.
        .prefetch_related(
            "project",
            Prefetch("owner", queryset=Membership.objects.select_related("profile")),
            Prefetch("tags", queryset=Tag.objects.order_by("name")),
        )
    )
    if filters.state == "open":
        tasks = tasks.filter(is_done=False)
    elif filters.state == "done":
        tasks = tasks.filter(is_done=True)
    if filters.owner == "me":
        tasks = tasks.filter(owner=viewer)
    elif filters.owner == "none":
        tasks = tasks.filter(owner__isnull=True)
    elif filters.owner:
        tasks = tasks.filter(owner_id=int(filters.owner))
    if filters.status:
        tasks = tasks.filter(status=filters.status)
    if filters.tag:
        tasks = tasks.filter(tags__name=filters.tag)
    if filters.project:
        tasks = tasks.filter(project_id=filters.project)
    if filters.due == "overdue":
        tasks = tasks.filter(due_by__lt=now, is_done=False)
    elif filters.due == "week":
        tasks = tasks.filter(due_by__gte=now, due_by__lt=week_end(now, viewer.profile.time_zone))
    elif filters.due == "none":
        tasks = tasks.filter(due_kind=DueKind.NONE)
    if filters.blocked:
        # Only here as a condition: computed for every row, it would cost the whole list's
        # rows; the page marks its own rows with mark_blocked.
        tasks = tasks.filter(_blocked())
    if filters.q:
        tasks = tasks.filter(Q(title__icontains=filters.q) | Q(description__icontains=filters.q))
    return tasks.order_by("is_done", F("due_by").asc(nulls_last=True), "-created_at", "-id")


def filter_choices_for(*, viewer: Membership) -> dict[str, list[tuple[str, str]]]:
    """The choices of the list's filter form: projects, statuses, tags (three queries)."""
    projects = list(
        Project.objects.filter(workspace_id=viewer.workspace_id, archived_at__isnull=True)
        .only("pk", "name", "workflow")
        .order_by("name", "id")
    )
    statuses: dict[str, str] = {}
    for project in projects:
        for status in project.statuses():
            statuses.setdefault(status["key"], status["label"])
    tags = Tag.objects.filter(workspace_id=viewer.workspace_id).values_list("name", flat=True)
    return {
        "projects": [(str(p.pk), p.name) for p in projects],
        "statuses": list(statuses.items()),
        "tags": [(name, name) for name in tags],
    }


def saved_filters_for(*, viewer: Membership) -> QuerySet[SavedFilter]:
    return SavedFilter.objects.filter(workspace_id=viewer.workspace_id, membership=viewer)


# --- The board ---------------------------------------------------------------------------------


@dataclass(slots=True)
class Blocker:
    """A card's blocker that is not done, with its owner's name."""

    pk: int
    title: str
    owner_name: str


@dataclass(slots=True)
class Card:
    """What a board card shows: read as plain values, thousands at a time, no model objects."""

    pk: int
    title: str
    status: str
    version: int
    is_done: bool
    due_by: datetime | None
    owner_id: int | None
    owner_name: str
    owner_active: bool = True
    blockers: list[Blocker] = field(default_factory=list)


@dataclass
class Column:
    status: dict[str, str]
    cards: list[Card] = field(default_factory=list)
    hidden: int = 0  # done cards beyond the shown ones


@dataclass
class Board:
    project: Project
    columns: list[Column]
    total: int
    shown: int = 0  # how many cards an open column shows at most


# A done column keeps growing: the board shows its most recent cards, the list has the rest.
DONE_SHOWN = 25
# Any column shows its first cards; "Show more" asks for COLUMN_SHOWN more at a time, up to
# COLUMN_MOST; the task list has every card.
COLUMN_SHOWN = 50
COLUMN_MOST = 500
CARD_FIELDS = (
    "id",
    "title",
    "status",
    "version",
    "is_done",
    "due_by",
    "owner_id",
    "owner__profile__display_name",
    "owner__is_active",
)


def _blockers_of(project: Project, card_ids: list[int]) -> dict[int, list[Blocker]]:
    """The open blockers of the shown open cards, with their owners' names (one query; the
    board shows at most COLUMN_SHOWN cards a column, so the list of ids stays short)."""
    blockers: dict[int, list[Blocker]] = defaultdict(list)
    rows = (
        Dependency.objects.filter(
            blocked_id__in=card_ids,
            blocked__project=project,
            blocked__is_done=False,
            blocker__is_done=False,
        )
        .order_by("blocker__title", "blocker_id")
        .values_list(
            "blocked_id", "blocker_id", "blocker__title", "blocker__owner__profile__display_name"
        )
    )
    for blocked_id, blocker_id, title, owner_name in rows:
        blockers[blocked_id].append(Blocker(blocker_id, title, owner_name or ""))
    return blockers


def _cards(rows: Iterable[tuple[Any, ...]]) -> list[Card]:
    return [
        Card(
            pk,
            title,
            status,
            version,
            is_done,
            due_by,
            owner_id,
            owner_name or "",
            active is not False,
        )
        for pk, title, status, version, is_done, due_by, owner_id, owner_name, active in rows
    ]


def _first_per_status(
    cards: QuerySet[Task],
    keys: list[str],
    order: tuple[Any, ...],
    limit: int,
    fields: tuple[str, ...],
) -> list[tuple[Any, ...]]:
    """The first ``limit`` rows of each status in ``keys`` by ``order``, in one query.

    Each status is its own ``ORDER BY … LIMIT`` (a walk of the ``(project, status, position)``
    index), glued with ``UNION ALL``. A row number per status over a window read and numbered
    every task of the project first: 6–13 ms for a 2,000-task board against under 1 ms. Django
    refuses sliced querysets in ``union()`` on SQLite, so the compiled parts are joined here;
    the part's compiler converts the rows (dates, booleans) as the ORM would.
    """
    if not keys or limit <= 0:
        return []
    # One part compiled once, for a stand-in status; each status reuses its SQL.
    stand_in = "\x00status"
    part = cards.filter(status=stand_in).order_by(*order).values_list(*fields)[:limit]
    compiler = part.query.get_compiler(using=part.db)
    try:
        sql, part_params = compiler.as_sql()
    except EmptyResultSet:
        return []
    if part_params.count(stand_in) != 1:  # the status must be the one varying parameter
        raise RuntimeError("The board's column query did not compile as expected.")
    params = [key if p == stand_in else p for key in keys for p in part_params]
    # The SQL is the ORM's own compilation; every value stays a parameter.
    union = " UNION ALL ".join(
        f"SELECT * FROM ({sql}) AS s{i}"  # noqa: S608
        for i in range(len(keys))
    )
    with connections[part.db].cursor() as cursor:
        cursor.execute(union, params)
        rows = cursor.fetchall()
    return list(compiler.results_iter(results=[rows], tuple_expected=True))


def board_for(*, viewer: Membership, project: Project, shown: int | None = None) -> Board:
    """The project's cards per workflow status in board order, blocked ones with their blockers.

    Four queries whatever the size: the cards counted per status, each open column's first
    ``shown`` (COLUMN_SHOWN) cards (with owners' names), each done status's DONE_SHOWN most recent cards,
    and the open blockers of the cards shown. Cards are plain values (thousands of model objects would cost most of
    the page); a card shows title, owner, due and blockers, the task page the rest.
    """
    columns = [Column(status=status) for status in project.statuses()]
    by_key = {column.status["key"]: column for column in columns}
    done_keys = [c.status["key"] for c in columns if c.status.get("category") == "done"]
    open_keys = [c.status["key"] for c in columns if c.status.get("category") != "done"]
    cards = Task.objects.filter(workspace_id=viewer.workspace_id, project=project)
    counts = dict(
        Task.objects.filter(project=project)
        .values_list("status")
        .annotate(n=Count("id"))
        .values_list("status", "n")
    )
    # Cards of a status dropped from the workflow are shown in the first column.
    orphan_keys = [k for k in counts if k not in by_key]
    fields = (*CARD_FIELDS, "position")
    open_rows = _first_per_status(
        cards, open_keys + orphan_keys, ("position", "id"), shown or COLUMN_SHOWN, fields
    )
    # In board order: by place, then by id (the columns' parts come one after the other).
    open_cards = _cards(row[:-1] for row in sorted(open_rows, key=lambda r: (r[-1], r[0])))
    recent = _first_per_status(
        cards,
        done_keys,
        (F("completed_at").desc(nulls_last=True), F("id").desc()),
        DONE_SHOWN,
        fields,
    )
    done_cards = _cards(row[:-1] for row in sorted(recent, key=lambda r: (r[-1], r[0])))
    orphans: list[Card] = []
    for card in open_cards + done_cards:
        column = by_key.get(card.status)
        if column is None:
            orphans.append(card)
            continue
        column.cards.append(card)
    if orphans and columns:
        columns[0].cards[:0] = orphans
    for column in columns:
        column.hidden = max(counts.get(column.status["key"], 0) - len(column.cards), 0)
    if orphans and columns:
        columns[0].hidden = max(
            sum(counts.get(k, 0) for k in orphan_keys)
            + counts.get(columns[0].status["key"], 0)
            - len(columns[0].cards),
            0,
        )
    blockers = _blockers_of(project, [card.pk for card in open_cards])
    for column in columns:
        for card in column.cards:
            card.blockers = blockers.get(card.pk, [])
    total = sum(counts.values())
    return Board(project=project, columns=columns, total=total, shown=shown or COLUMN_SHOWN)


# --- My work and waiting on others -------------------------------------------------------------


@dataclass(slots=True)
class WorkRow:
    """A row of "my work": plain values, no model objects."""

    pk: int
    title: str
    due_by: datetime | None
    project_name: str
    status_label: str
    blocked: bool = False
    working_left: str = ""


def my_work_for(*, viewer: Membership) -> QuerySet[Task]:
    """The viewer's open tasks by their own deadline: overdue first, undated last."""
    return Task.objects.filter(
        workspace_id=viewer.workspace_id, owner=viewer, is_done=False
    ).order_by(F("due_by").asc(nulls_last=True), "position", "id")


def my_work_rows(*, viewer: Membership, limit: int) -> list[WorkRow]:
    """The first ``limit`` rows of :func:`my_work_for` as plain values, blocked ones marked
    (two queries). A row shows title, project, status and due: only those columns are read."""
    rows = my_work_for(viewer=viewer).values_list(
        "id", "title", "status", "due_by", "project_id", "project__name", "project__workflow"
    )[:limit]
    labels: dict[tuple[int, str], str] = {}
    shown: list[WorkRow] = []
    for pk, title, status, due_by, project_id, project_name, workflow in rows:
        label = labels.get((project_id, status))
        if label is None:
            found = next((s for s in workflow or DEFAULT_WORKFLOW if s["key"] == status), None)
            label = labels[(project_id, status)] = (found or {}).get("label", status)
        shown.append(WorkRow(pk, title, due_by, project_name, label))
    blocked = blocked_ids(row.pk for row in shown)
    for row in shown:
        row.blocked = row.pk in blocked
    return shown


@dataclass
class Waiting:
    blocked: list[Dependency]  # my open tasks' open blockers owned by others
    questions: list[TaskComment]  # my unanswered questions on tasks


def waiting_for(*, viewer: Membership) -> Waiting:
    """What the viewer waits for from others: blockers they own, and questions not answered."""
    blocked = list(
        Dependency.objects.filter(
            workspace_id=viewer.workspace_id,
            blocked__owner=viewer,
            blocked__is_done=False,
            blocker__is_done=False,
        )
        .exclude(blocker__owner=viewer)
        .select_related("blocked__project", "blocker__project", "blocker__owner__profile")
        .order_by(F("blocked__due_by").asc(nulls_last=True), "blocked_id", "blocker_id")
    )
    questions = list(
        TaskComment.objects.filter(
            workspace_id=viewer.workspace_id,
            author=viewer,
            is_question=True,
            answered_at__isnull=True,
        )
        .select_related("task__project")
        .order_by("created_at", "id")
    )
    return Waiting(blocked=blocked, questions=questions)


def project_list_for(*, viewer: Membership) -> QuerySet[Project]:
    """The workspace's projects with their lead and open/all task counts (one query)."""
    return (
        Project.objects.filter(workspace_id=viewer.workspace_id, archived_at__isnull=True)
        .select_related("lead__profile")
        .annotate(
            open_count=Count("tasks", filter=Q(tasks__is_done=False)),
            task_count=Count("tasks"),
        )
        .order_by("name", "id")
    )


def project_tasks_for(*, viewer: Membership, project: Project) -> QuerySet[Task]:
    """A project's open tasks for its page (top-level and subtasks alike), owners joined."""
    return (
        Task.objects.filter(workspace_id=viewer.workspace_id, project=project, is_done=False)
        .select_related("owner__profile")
        .order_by(F("due_by").asc(nulls_last=True), "position", "id")
    )
