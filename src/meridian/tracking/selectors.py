"""Reads of the tracking area; each takes the viewer and runs a fixed number of queries."""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.db import connection
from django.db.models import (
    Count,
    DurationField,
    ExpressionWrapper,
    F,
    Q,
    QuerySet,
    Sum,
    Value,
)
from django.db.models.expressions import RawSQL
from django.db.models.functions import Greatest, Least
from django.utils import timezone

from meridian.core import registry
from meridian.core.errors import NotFound, PermissionDenied, ValidationFailed
from meridian.core.moments import reader_zone
from meridian.core.workingtime import WorkingHoursError, working_week
from meridian.tracking import rules
from meridian.tracking.models import (
    ActivityDaily,
    ActivitySlot,
    ActivityWeekly,
    CategoryRule,
    FocusCategory,
    TimeEntry,
    TimeEntryRevision,
    TrackingAccess,
    TrackingPolicy,
    Visibility,
)
from meridian.workspaces.models import Membership, Role, Team, TeamMembership

# The longest a time entry may last (services refuse longer ones; a timer stops there).
MAX_ENTRY = timedelta(days=7)


def policy_for(workspace_id: int) -> TrackingPolicy:
    """The workspace's policy, or the defaults (unsaved) when no admin has set one."""
    found = TrackingPolicy.objects.filter(workspace_id=workspace_id).first()
    return found or TrackingPolicy(workspace_id=workspace_id)


def focus_categories(workspace_id: int) -> list[str]:
    """The categories of synced activity the workspace counts as focus, by name."""
    return list(
        FocusCategory.objects.filter(workspace_id=workspace_id)
        .order_by("name")
        .values_list("name", flat=True)
    )


def category_rules(workspace_id: int) -> list[CategoryRule]:
    """The workspace's category rules in the order the agents try them."""
    return list(CategoryRule.objects.filter(workspace_id=workspace_id).order_by("position", "id"))


def category_rule_get(workspace_id: int, rule_id: int) -> CategoryRule:
    """One of the workspace's category rules; another workspace's is a 404."""
    found = CategoryRule.objects.filter(workspace_id=workspace_id, pk=rule_id).first()
    if found is None:
        raise NotFound("No such category rule.")
    return found


def timer_for(*, viewer: Membership) -> TimeEntry | None:
    """The viewer's running timer, if any."""
    return TimeEntry.objects.filter(member=viewer, ended_at__isnull=True).first()


def entry_get_for(viewer: Membership, entry_id: int) -> TimeEntry:
    """One of the viewer's own time entries; 404 alike for missing, foreign or someone else's."""
    entry = TimeEntry.objects.filter(
        workspace_id=viewer.workspace_id, member=viewer, pk=entry_id
    ).first()
    if entry is None:
        raise NotFound("No such time entry of yours.")
    return entry


def entries_between(*, viewer: Membership, start: datetime, end: datetime) -> QuerySet[TimeEntry]:
    """The viewer's entries overlapping [start, end), oldest first."""
    # No entry lasts longer than MAX_ENTRY, so the index on start bounds the search both ways.
    return (
        TimeEntry.objects.filter(member=viewer, started_at__lt=end)
        .filter(Q(ended_at__isnull=True) | Q(ended_at__gt=start, started_at__gte=start - MAX_ENTRY))
        .order_by("started_at", "id")
    )


def link_titles(workspace_id: int, entries: Iterable[TimeEntry]) -> dict[tuple[str, int], str]:
    """What each linked entry points at, one registry call per kind."""
    wanted: dict[str, set[int]] = defaultdict(set)
    for e in entries:
        if e.link_kind and e.link_id:
            wanted[e.link_kind].add(e.link_id)
    kinds = registry.link_kinds()
    titles: dict[tuple[str, int], str] = {}
    for kind, ids in wanted.items():
        if kind in kinds:
            for i, label in kinds[kind].titles(workspace_id, sorted(ids)).items():
                titles[(kind, i)] = label
    return titles


def revisions_for(*, viewer: Membership, entry: TimeEntry) -> QuerySet[TimeEntryRevision]:
    """An entry's history, newest first (only its owner reads it)."""
    return TimeEntryRevision.objects.filter(entry=entry, workspace_id=viewer.workspace_id)


@dataclass
class Timesheet:
    """A member's week (or day) in their own zone: seconds per day and the entries."""

    days: list[date]
    zone: str
    per_day: dict[date, int]
    entries: list[TimeEntry]
    titles: dict[tuple[str, int], str]

    @property
    def total(self) -> int:
        return sum(self.per_day.values())


def timesheet_for(
    *, viewer: Membership, days: list[date], now: datetime | None = None
) -> Timesheet:
    """The viewer's tracked time on their own days (a running timer counts up to now)."""
    now = now or timezone.now()
    zone_name = viewer.profile.time_zone
    zone = reader_zone(zone_name)
    start = rules.day_start(days[0], zone)
    end = rules.day_start(days[-1] + timedelta(days=1), zone)
    entries = list(entries_between(viewer=viewer, start=start, end=end))
    spans = [(e.started_at, e.ended_at or max(now, e.started_at)) for e in entries]
    titles = link_titles(viewer.workspace_id, entries)
    # What the page shows per row, worked out here so the template needs no lookups.
    for entry, (start, end) in zip(entries, spans, strict=True):
        entry.seconds = int((end - start).total_seconds())  # type: ignore[attr-defined]
        entry.link_title = titles.get((entry.link_kind, entry.link_id or 0), "")  # type: ignore[attr-defined]
    return Timesheet(
        days=days,
        zone=str(zone.key),
        per_day=rules.seconds_per_day(spans, days, zone),
        entries=entries,
        titles=titles,
    )


# --- Reports -----------------------------------------------------------------------------------


@dataclass
class Row:
    """One bar of a report: a label and seconds (and how many people, for team reports)."""

    label: str
    seconds: int
    people: int = 0


@dataclass
class PersonalReport:
    """One member's figures over a range of their days."""

    first: date
    last: date
    zone: str
    by_project: list[Row]
    by_task: list[Row]
    by_category: list[Row]
    by_day: list[Row]
    tracked_seconds: int
    outside_seconds: int
    has_working_hours: bool
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def outside_share(self) -> float:
        return self.outside_seconds / self.tracked_seconds if self.tracked_seconds else 0.0


def _rows(totals: dict[str, int]) -> list[Row]:
    return [Row(k, v) for k, v in sorted(totals.items(), key=lambda kv: (-kv[1], kv[0])) if v]


def personal_report(
    *, subject: Membership, first: date, last: date, now: datetime | None = None
) -> PersonalReport:
    """The subject's time by project, task, category and day; call only after may_view."""
    now = now or timezone.now()
    if last < first or (last - first).days > 366:
        raise ValidationFailed.field("last", "Choose a range of at most a year, first to last.")
    zone = reader_zone(subject.profile.time_zone)
    days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    start, end = rules.day_start(first, zone), rules.day_start(last + timedelta(days=1), zone)
    entries = list(entries_between(viewer=subject, start=start, end=end))
    titles = link_titles(subject.workspace_id, entries)
    by_link: dict[str, dict[str, int]] = {"project": defaultdict(int), "task": defaultdict(int)}
    spans = []
    for e in entries:
        s, t = max(e.started_at, start), min(e.ended_at or max(now, e.started_at), end)
        if t <= s:
            continue
        spans.append((s, t))
        if e.link_kind in by_link and e.link_id:
            label = titles.get((e.link_kind, e.link_id), f"{e.link_kind} {e.link_id}")
            by_link[e.link_kind][label] += int((t - s).total_seconds())
    per_day = rules.seconds_per_day(spans, days, zone)
    categories = (
        ActivityDaily.objects.filter(member=subject, day__gte=first, day__lte=last)
        .values("category")
        .annotate(active=Sum("active_seconds"))
    )
    try:
        hours = subject.profile.working_hours or {}
        week = working_week(str(zone.key), {int(day): spans for day, spans in hours.items()})
        has_hours = bool(hours)
    except (WorkingHoursError, ValueError, TypeError):
        week, has_hours = working_week("UTC", {}), False
    tracked, outside = rules.outside_working_seconds(week, spans)
    return PersonalReport(
        first=first,
        last=last,
        zone=str(zone.key),
        by_project=_rows(by_link["project"]),
        by_task=_rows(by_link["task"]),
        by_category=_rows({c["category"]: c["active"] or 0 for c in categories}),
        by_day=[Row(d.isoformat(), per_day[d]) for d in days],
        tracked_seconds=tracked,
        outside_seconds=outside,
        has_working_hours=has_hours,
    )


def may_view(*, viewer: Membership, subject: Membership, policy: TrackingPolicy) -> bool:
    """Whether the viewer may read the subject's individual figures under the policy."""
    if viewer.pk == subject.pk:
        return True
    if policy.individual_visibility == Visibility.EVERYONE:
        return viewer.has_role(Role.MEMBER)
    if policy.individual_visibility == Visibility.ADMINS:
        return viewer.is_admin
    return False


def subject_get_for(viewer: Membership, member_id: int) -> Membership:
    """A member whose figures the viewer may read; 404 when missing, foreign or not allowed."""
    subject = (
        Membership.objects.select_related("profile", "workspace")
        .filter(workspace_id=viewer.workspace_id, pk=member_id, is_active=True)
        .first()
    )
    if subject is None:
        raise NotFound("No such member in this workspace.")
    if not may_view(viewer=viewer, subject=subject, policy=policy_for(viewer.workspace_id)):
        raise PermissionDenied(
            "The workspace's tracking policy keeps this person's individual figures to them."
        )
    return subject


@dataclass
class TeamReport:
    """A group's time by category (synced activity) and by project (time entries)."""

    group: str
    first: date
    last: date
    size: int
    k: int
    by_category: list[Row]
    by_project: list[Row]
    suppressed: int


def _groups(workspace_id: int) -> tuple[frozenset[int], dict[str, frozenset[int]], dict[str, str]]:
    everyone = frozenset(
        Membership.objects.filter(workspace_id=workspace_id, is_active=True).values_list(
            "pk", flat=True
        )
    )
    teams: dict[str, set[int]] = defaultdict(set)
    names: dict[str, str] = {}
    for slug, name, member_id in TeamMembership.objects.filter(
        workspace_id=workspace_id, membership__is_active=True
    ).values_list("team__slug", "team__name", "membership_id"):
        teams[slug].add(member_id)
        names[slug] = name
    for slug, name in Team.objects.filter(workspace_id=workspace_id).values_list("slug", "name"):
        teams.setdefault(slug, set())
        names[slug] = name
    return everyone, {s: frozenset(m) for s, m in teams.items()}, names


# Above this many members a team's rows are selected by a subquery instead of a list of ids.
MAX_LISTED_MEMBERS = 5000


def team_report(*, viewer: Membership, team: str, first: date, last: date) -> TeamReport:
    """A team's (or, with team "", the workspace's) time, groups smaller than k suppressed.

    A category or project that fewer than k members spent time on is left out (and counted);
    no total including it is shown, so it cannot be recovered by subtraction. The group itself
    must pass ``rules.group_refusal`` (differencing overlapping groups).
    """
    if last < first or (last - first).days > 366:
        raise ValidationFailed.field("last", "Choose a range of at most a year, first to last.")
    policy = policy_for(viewer.workspace_id)
    k = policy.min_group_size
    everyone, teams, names = _groups(viewer.workspace_id)
    if team:
        if team not in teams:
            raise NotFound("No such team in this workspace.")
        group, label = teams[team], names[team]
    else:
        group, label = everyone, "Everyone"
    others = [everyone, *teams.values()]
    refusal = rules.group_refusal(group, everyone, others, k)
    if refusal:
        raise PermissionDenied(refusal, {"team": [refusal]})
    # The team's active members, read above for the k rule: given as ids rather than as a
    # subquery, which PostgreSQL planned as a loop over the week's index once per member.
    in_team: Any = sorted(group)
    if len(in_team) > MAX_LISTED_MEMBERS:
        in_team = TeamMembership.objects.filter(
            workspace_id=viewer.workspace_id, team__slug=team, membership__is_active=True
        ).values("membership_id")
    elif connection.vendor == "postgresql":
        # One array parameter instead of a thousand (binding each cost more than the query).
        in_team = RawSQL("SELECT unnest(%s::bigint[])", [in_team])
    # Whole weeks from the weekly rollup, the days around them from the daily one: a week's
    # report reads one row per member and category instead of seven.
    edges, weeks = rules.split_weeks(first, last)
    parts: list[QuerySet[Any]] = [
        ActivityDaily.objects.filter(workspace_id=viewer.workspace_id, day__gte=lo, day__lte=hi)
        for lo, hi in edges
    ]
    if weeks is not None:
        parts.append(
            ActivityWeekly.objects.filter(
                workspace_id=viewer.workspace_id, week__gte=weeks[0], week__lte=weeks[1]
            )
        )
    sqls: list[str] = []
    params: list[Any] = []
    for part in parts:
        if team:
            part = part.filter(member_id__in=in_team)
        sql, part_params = (
            part.values_list("category", "member_id", "active_seconds").order_by().query
        ).sql_with_params()
        sqls.append(sql)
        params.extend(part_params)
    # Per category and member (a hash aggregate), then per category over those rows, both in
    # the database: COUNT(DISTINCT member) per category made it sort every row of the week,
    # and bringing the per-member rows into Python cost more than the query.
    cat_seconds: dict[str, int] = {}
    cat_people: dict[str, int] = {}
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT category, SUM(seconds), COUNT(*) FROM (SELECT category, member_id, "  # noqa: S608 (the ORM's SQL)
            "SUM(active_seconds) AS seconds FROM ("
            + " UNION ALL ".join(sqls)
            + ") AS rollup GROUP BY category, member_id) AS per_member GROUP BY category",
            params,
        )
        for category, seconds, count in cursor.fetchall():
            cat_seconds[category] = int(seconds or 0)
            cat_people[category] = count
    zone = reader_zone(viewer.profile.time_zone)
    start, end = rules.day_start(first, zone), rules.day_start(last + timedelta(days=1), zone)
    entries = TimeEntry.objects.filter(
        workspace_id=viewer.workspace_id,
        link_kind="project",
        started_at__lt=end,
        started_at__gte=start - MAX_ENTRY,
        ended_at__gt=start,
    )
    if team:
        entries = entries.filter(member_id__in=in_team)
    # Summed in the database, each entry clipped to the period: a year of a thousand people's
    # entries never comes into Python.
    clipped = ExpressionWrapper(
        Least(F("ended_at"), Value(end)) - Greatest(F("started_at"), Value(start)),
        output_field=DurationField(),
    )
    spent: dict[int, int] = {}
    people: dict[int, int] = {}
    for link_id, total, count in (
        entries.values("link_id")
        .annotate(total=Sum(clipped), people=Count("member_id", distinct=True))
        .values_list("link_id", "total", "people")
    ):
        if link_id is not None:
            spent[link_id] = int(total.total_seconds()) if total else 0
            people[link_id] = count
    kinds = registry.link_kinds()
    project_titles = (
        kinds["project"].titles(viewer.workspace_id, sorted(spent))
        if "project" in kinds and spent
        else {}
    )
    suppressed = 0
    by_category = []
    for category, seconds in cat_seconds.items():
        if cat_people[category] < k:
            suppressed += 1
        else:
            by_category.append(Row(category, seconds, cat_people[category]))
    by_project = []
    for pid, seconds in spent.items():
        if people[pid] < k:
            suppressed += 1
        else:
            by_project.append(Row(project_titles.get(pid, f"Project {pid}"), seconds, people[pid]))
    by_category.sort(key=lambda r: (-r.seconds, r.label))
    by_project.sort(key=lambda r: (-r.seconds, r.label))
    return TeamReport(label, first, last, len(group), k, by_category, by_project, suppressed)


def team_choices(*, viewer: Membership) -> list[tuple[str, str]]:
    """The teams of the workspace, for the report's menu."""
    return list(Team.objects.filter(workspace_id=viewer.workspace_id).values_list("slug", "name"))


def access_log_for(*, viewer: Membership) -> QuerySet[TrackingAccess]:
    """Who read the viewer's individual figures, newest first."""
    return TrackingAccess.objects.filter(subject=viewer)


def export_for(*, viewer: Membership) -> dict[str, Any]:
    """All of the viewer's tracking data, as JSON-ready values."""
    entries = list(TimeEntry.objects.filter(member=viewer).order_by("started_at", "id"))
    revisions = TimeEntryRevision.objects.filter(entry__member=viewer).order_by("at", "id")
    return {
        "member": {"id": viewer.pk, "workspace": viewer.workspace.slug},
        "exported_at": timezone.now().isoformat(),
        "time_entries": [
            {
                "id": e.pk,
                "start": e.started_at.isoformat(),
                "end": e.ended_at.isoformat() if e.ended_at else None,
                "note": e.note,
                "tags": e.tags,
                "link_kind": e.link_kind or None,
                "link_id": e.link_id,
            }
            for e in entries
        ],
        "time_entry_revisions": [
            {"entry_id": r.entry_id, "at": r.at.isoformat(), "before": r.before} for r in revisions
        ],
        "activity_slots": [
            {
                "agent_id": str(s.agent_id),
                "start": s.start.isoformat(),
                "category": s.category,
                "app": s.app or None,
                "title": s.title or None,
                "active_seconds": s.active_seconds,
                "afk_seconds": s.afk_seconds,
            }
            for s in ActivitySlot.objects.filter(member=viewer).order_by("start", "agent_id", "id")
        ],
        "daily_rollups": [
            {
                "day": d.day.isoformat(),
                "category": d.category,
                "active_seconds": d.active_seconds,
                "afk_seconds": d.afk_seconds,
            }
            for d in ActivityDaily.objects.filter(member=viewer).order_by("day", "category")
        ],
        "access_log": [
            {"viewer": a.viewer_name, "at": a.at.isoformat(), "what": a.what}
            for a in TrackingAccess.objects.filter(subject=viewer).order_by("at", "id")
        ],
    }


@dataclass(frozen=True)
class TimeSpent:
    """The time tracked on one item, as the viewer may see it under the workspace's policy."""

    shown: list[tuple[Membership, int]]  # (member, seconds) the viewer may read, most first
    hidden_people: int  # people whose figures are theirs to see
    hidden_seconds: int | None  # their total, only when they are at least k (else None)
    min_group_size: int


def time_spent_on(*, viewer: Membership, kind: str, object_id: int) -> TimeSpent:
    """Finished time entries linked to the item, per person: the viewer's own and those the
    policy lets them read; the others only as one total when they are at least k people."""
    per_member: dict[int, int] = {}
    for member_id, started, ended in TimeEntry.objects.filter(
        workspace_id=viewer.workspace_id,
        link_kind=kind,
        link_id=object_id,
        ended_at__isnull=False,
    ).values_list("member_id", "started_at", "ended_at"):
        if ended is not None:  # finished entries only (the filter above); for the type checker
            per_member[member_id] = per_member.get(member_id, 0) + int(
                (ended - started).total_seconds()
            )
    policy = policy_for(viewer.workspace_id)
    members = Membership.objects.select_related("profile").in_bulk(list(per_member))
    shown, hidden = [], []
    for member_id, seconds in per_member.items():
        member = members.get(member_id)
        if member is not None and may_view(viewer=viewer, subject=member, policy=policy):
            shown.append((member, seconds))
        else:
            hidden.append(seconds)
    shown.sort(key=lambda pair: (-pair[1], pair[0].pk))
    k = policy.min_group_size
    return TimeSpent(
        shown=shown,
        hidden_people=len(hidden),
        hidden_seconds=sum(hidden) if hidden and len(hidden) >= k else None,
        min_group_size=k,
    )
