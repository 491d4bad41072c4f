"""Every read of check-ins, for a viewer: the list, a team's day and week, a person's history,
blockers with how long they have been open in working hours, and moods as far as allowed.

Mood is private: the member sees their own; others see a mood only when its member shared it;
the team's aggregate is shown to admins and team members only when at least k people gave one
that day (the workspace's k, the tracking policy's ``min_group_size``).
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.db.models import QuerySet

from meridian.checkins.metrics import open_working_hours
from meridian.checkins.models import Blocker, Checkin, CheckinPrompt
from meridian.core import registry
from meridian.search.selectors import search_for
from meridian.workspaces.models import Membership

HISTORY_PAGE = 30
# What the team page reads of a blocker and of an answer (each field not read is one less to
# convert per row: dates and JSON are parsed in Python).
BLOCKER_ROW = (
    "id",
    "workspace_id",
    "checkin_id",
    "text",
    "text_html",
    "task_id",
    "seen",
    "opened_at",
    "resolved_at",
    *(f"raised_by__{f}" for f in ("id", "role", "profile__id", "profile__display_name")),
    "raised_by__profile__time_zone",
    "raised_by__profile__working_hours",
    *(f"person__{f}" for f in ("id", "role", "profile__id", "profile__display_name")),
)
ANSWER_ROW = (
    "id",
    "workspace_id",
    "checkin_id",
    "membership_id",
    "local_date",
    "responded_at",
    "answers_html",
    "mood",
    "mood_shared",
    *(f"membership__{f}" for f in ("id", "role", "profile__id", "profile__display_name")),
)
# The API's answers carry what was written and when it was asked, too.
ANSWER_API_ROW = (*ANSWER_ROW, "answers", "asked_at", "local_deadline")


def checkin_list_for(*, viewer: Membership, archived: bool = False) -> QuerySet[Checkin]:
    """The workspace's check-ins (current or archived), with their team."""
    return Checkin.objects.filter(
        workspace_id=viewer.workspace_id, archived_at__isnull=not archived
    ).select_related("team")


# What pages show of a member: their name (not their hours, focus blocks or settings, which
# are JSON to decode for each row).
NAME_ONLY = ("id", "workspace_id", "role", "is_active", "profile__id", "profile__display_name")


def team_members(checkin: Checkin) -> list[Membership]:
    """The active members of the check-in's team, by name (their names only)."""
    return list(
        Membership.objects.select_related("profile")
        .only(*NAME_ONLY)
        .filter(team_memberships__team_id=checkin.team_id, is_active=True)
        .order_by("profile__display_name", "pk")
    )


def waiting_prompts_for(*, viewer: Membership, now: datetime) -> QuerySet[CheckinPrompt]:
    """The viewer's prompts they can still answer (unanswered, before their next prompt)."""
    from django.db.models import Q

    return (
        CheckinPrompt.objects.filter(
            workspace_id=viewer.workspace_id, membership=viewer, responded_at__isnull=True
        )
        .filter(Q(local_deadline__isnull=True) | Q(local_deadline__gt=now))
        .select_related("checkin")
        .order_by("-local_date", "pk")
    )


def previous_answer(prompt: CheckinPrompt) -> CheckinPrompt | None:
    """The member's last answered prompt of the same check-in before this one."""
    return (
        CheckinPrompt.objects.filter(
            checkin_id=prompt.checkin_id,
            membership_id=prompt.membership_id,
            local_date__lt=prompt.local_date,
            responded_at__isnull=False,
        )
        .order_by("-local_date")
        .first()
    )


@dataclass
class BlockerRow:
    """A blocker as pages show it: what it names, and its open time in working hours."""

    blocker: Blocker
    task_title: str = ""
    task_url: str = ""
    open_hours: float = 0.0


def blocker_rows(blockers: Iterable[Blocker], now: datetime, slug: str) -> list[BlockerRow]:
    """Rows for blockers (selected with ``raised_by__profile`` and ``person__profile``): one
    query for every task's title, however many."""
    items = list(blockers)
    task_ids = sorted({b.task_id for b in items if b.task_id})
    kind = registry.link_kinds().get("task")
    titles = kind.titles(items[0].workspace_id, task_ids) if kind and task_ids else {}
    rows = []
    for b in items:
        url = kind.url(slug, b.task_id) if kind and kind.url and b.task_id in titles else ""
        rows.append(
            BlockerRow(
                blocker=b,
                task_title=titles.get(b.task_id or 0, ""),
                task_url=url,
                open_hours=open_working_hours(b, b.resolved_at or now),
            )
        )
    return rows


def open_blockers_for(*, viewer: Membership, checkin: Checkin) -> QuerySet[Blocker]:
    """The check-in's open blockers, oldest first."""
    return (
        Blocker.objects.filter(
            workspace_id=viewer.workspace_id, checkin=checkin, resolved_at__isnull=True
        )
        .select_related("raised_by__profile", "person__profile")
        .only(*BLOCKER_ROW)
    )


@dataclass
class MoodView:
    """What the viewer may see of a day's moods."""

    own: int | None = None
    shared: list[tuple[str, int]] = field(default_factory=list)
    average: float | None = None
    count: int = 0
    k: int = 5


@dataclass
class TeamDay:
    """A team's check-in day: the answers, who has not answered yet, open blockers, moods."""

    day: date
    answered: list[CheckinPrompt]
    waiting: list[Membership]
    not_asked: list[Membership]
    blockers: list[BlockerRow]
    mood: MoodView


def _mood_view(viewer: Membership, checkin: Checkin, prompts: list[CheckinPrompt]) -> MoodView:
    k = registry.min_group_size(viewer.workspace_id)
    view = MoodView(k=k)
    moods = [p for p in prompts if p.mood is not None]
    view.count = len(moods)
    for p in moods:
        if p.membership_id == viewer.pk:
            view.own = p.mood
        if p.mood_shared:
            view.shared.append((p.membership.profile.display_name, p.mood or 0))
    may_aggregate = viewer.is_admin or any(p.membership_id == viewer.pk for p in prompts)
    if may_aggregate and len(moods) >= k:
        view.average = round(sum(p.mood or 0 for p in moods) / len(moods), 1)
    return view


def team_day_for(
    *,
    viewer: Membership,
    checkin: Checkin,
    day: date,
    now: datetime,
    slug: str,
    fields: tuple[str, ...] = ANSWER_ROW,
) -> TeamDay:
    """The day's answers, the members not answered yet and open blockers: five queries.

    The answers carry ``fields`` (what the team page shows; the API asks for more)."""
    members = team_members(checkin)
    prompts = list(
        CheckinPrompt.objects.filter(checkin=checkin, local_date=day)
        .select_related("membership__profile")
        .only(*fields)
        .order_by("membership__profile__display_name", "pk")
    )
    for prompt in prompts:
        prompt.checkin = checkin
    by_member = {p.membership_id: p for p in prompts}
    answered = [p for p in prompts if p.responded_at is not None]
    waiting = [m for m in members if m.pk in by_member and by_member[m.pk].responded_at is None]
    not_asked = [m for m in members if m.pk not in by_member]
    blockers = blocker_rows(open_blockers_for(viewer=viewer, checkin=checkin), now, slug)
    return TeamDay(
        day, answered, waiting, not_asked, blockers, _mood_view(viewer, checkin, prompts)
    )


@dataclass
class WeekRow:
    """One member's week: per day "answered", "waiting" or "" (not asked)."""

    member: Membership
    cells: list[tuple[date, str]]


def team_week_for(*, viewer: Membership, checkin: Checkin, monday: date) -> list[WeekRow]:
    """Each team member's seven days from ``monday``: two queries."""
    members = team_members(checkin)
    days = [monday + timedelta(days=n) for n in range(7)]
    states = {
        (member_id, day): "answered" if responded else "waiting"
        for member_id, day, responded in CheckinPrompt.objects.filter(
            checkin=checkin, local_date__range=(days[0], days[-1])
        ).values_list("membership_id", "local_date", "responded_at")
    }
    return [WeekRow(m, [(d, states.get((m.pk, d), "")) for d in days]) for m in members]


def person_history_for(
    *, viewer: Membership, checkin: Checkin, member: Membership, before: date | None = None
) -> list[CheckinPrompt]:
    """A member's answered prompts of the check-in, newest first, a page at a time."""
    prompts = CheckinPrompt.objects.filter(
        checkin=checkin, membership=member, responded_at__isnull=False
    )
    if before is not None:
        prompts = prompts.filter(local_date__lt=before)
    page = list(prompts.order_by("-local_date")[:HISTORY_PAGE])
    for prompt in page:
        prompt.checkin = checkin
    return page


RECENT_TASKS = 50
TASK_MATCHES = 20


def task_choices_for(
    *, viewer: Membership, q: str = "", chosen: int | None = None
) -> list[tuple[int, str]]:
    """The tasks a blocker may name, for the answer form's picker: without ``q`` the workspace's
    most recent, with it those whose title (or text) matches, through search (the viewer's
    workspace only, and only what they may see). A ``chosen`` task stays among them."""
    kind = registry.link_kinds().get("task")
    if kind is None:
        return []
    q = " ".join(q.split())[:100]
    if q:
        hits = search_for(viewer=viewer, q=q, kinds=["task"], limit=TASK_MATCHES)
        choices = [(hit.object_id, hit.title) for hit in hits]
    else:
        choices = kind.recent(viewer.workspace_id, RECENT_TASKS)
    if chosen and chosen not in {pk for pk, _ in choices}:
        title = kind.titles(viewer.workspace_id, [chosen]).get(chosen)
        if title is not None:
            choices.insert(0, (chosen, title))
    return choices
