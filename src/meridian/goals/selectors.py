"""Every read of the goals area: the goal tree, one goal, and each key result's status from
the metrics' daily rollups (one query per key result, O(days) rows)."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from urllib.parse import urlencode

from django.utils import timezone

from meridian.core.errors import NotFound
from meridian.core.moments import local_date
from meridian.goals import forecast as fc
from meridian.goals.models import Aggregation, Goal, KeyResult
from meridian.metrics.selectors import day_sums
from meridian.metrics.services import zone_of
from meridian.workspaces.models import Membership, TeamMembership

STATUS_LABELS = {
    fc.ON_TRACK: "On track",
    fc.AT_RISK: "At risk",
    fc.OFF_TRACK: "Off track",
    fc.NO_DATA: "No data",
}


def goal_list_for(viewer: Membership) -> list[tuple[Goal, int]]:
    """Every goal of the workspace as a tree in reading order: (goal, depth), roots first."""
    goals = list(
        Goal.objects.filter(workspace_id=viewer.workspace_id)
        .select_related("team")
        .prefetch_related("key_results")
    )
    children: dict[int | None, list[Goal]] = {}
    ids = {g.pk for g in goals}
    for goal in goals:
        parent = goal.parent_id if goal.parent_id in ids else None
        children.setdefault(parent, []).append(goal)
    out: list[tuple[Goal, int]] = []

    def walk(parent: int | None, depth: int) -> None:
        for goal in children.get(parent, []):
            out.append((goal, depth))
            walk(goal.pk, depth + 1)

    walk(None, 0)
    return out


def goal_get_for(viewer: Membership, goal_id: int) -> Goal:
    goal = (
        Goal.objects.filter(workspace_id=viewer.workspace_id, pk=goal_id)
        .select_related("team", "parent", "owner__profile")
        .prefetch_related("key_results")
        .first()
    )
    if goal is None:
        raise NotFound("No such goal in this workspace.")
    return goal


def key_result_get_for(viewer: Membership, goal: Goal, key_result_id: int) -> KeyResult:
    key_result = KeyResult.objects.filter(goal=goal, pk=key_result_id).first()
    if key_result is None or goal.workspace_id != viewer.workspace_id:
        raise NotFound("No such key result of this goal.")
    return key_result


def series_of(key_result: KeyResult, today: date) -> list[tuple[date, float]]:
    """The key result's value at the end of each day from its start to today (or its due
    date); empty while no fact feeds it."""
    by_day = day_sums(
        key_result.goal.workspace_id,
        key_result.metric,
        key_result.subject,
        key_result.subject_id,
        # A level needs its history before the start; a sum or a mean only its own days.
        None if key_result.aggregation == Aggregation.LATEST else key_result.start,
        min(today, key_result.due),
    )
    return series_from(key_result, by_day, today)


def series_from(
    key_result: KeyResult, by_day: dict[date, tuple[int, float]], today: date
) -> list[tuple[date, float]]:
    """:func:`series_of` from the (count, total) of the key result's subject and metric per day
    (days outside its start and due date are left out here), for callers that read the rollups
    of many key results at once."""
    last = min(today, key_result.due)
    if key_result.aggregation != Aggregation.LATEST:
        by_day = {d: v for d, v in by_day.items() if key_result.start <= d <= last}
    else:
        by_day = {d: v for d, v in by_day.items() if d <= last}
    if not by_day or last < key_result.start:
        return []
    count, total = 0, 0.0
    for day in [d for d in by_day if d < key_result.start]:  # a level's history before the start
        count += by_day[day][0]
        total += by_day[day][1]
    out: list[tuple[date, float]] = []
    day = key_result.start
    while day <= last:
        if day in by_day:
            count += by_day[day][0]
            total += by_day[day][1]
        if key_result.aggregation == Aggregation.SUM:
            out.append((day, total))
        elif count:  # a mean or a level has no value before its first fact
            out.append(
                (day, total / count if key_result.aggregation == Aggregation.MEAN else total)
            )
        day += timedelta(days=1)
    if key_result.aggregation == Aggregation.SUM and not count:
        return []
    return out


@dataclass(frozen=True)
class Status:
    key_result: KeyResult
    forecast: fc.Forecast
    label: str
    sentence: str
    today: date
    percent: int | None  # of the way from baseline to target today, clamped to 0–100

    @property
    def items_query(self) -> str:
        """The metric drill-down's query for this key result's subject and days so far."""
        kr = self.key_result
        last = max(kr.start, min(self.today, kr.due))
        query = {"first": kr.start.isoformat(), "last": last.isoformat()}
        if kr.subject != "workspace":
            query |= {"subject": kr.subject, "subject_id": str(kr.subject_id)}
        return urlencode(query)


def _num(value: float) -> str:
    rounded = round(value, 1)
    text = f"{rounded:,.0f}" if rounded == int(rounded) else f"{rounded:,.1f}"
    return text.replace("-", "−")


def _day(day: date, today: date) -> str:
    return f"{day.day} {day:%B}" + ("" if day.year == today.year else f" {day.year}")


def today_of(workspace_id: int, now: datetime | None = None) -> date:
    """Today in the workspace's metric days (pass it to :func:`status_of` for many at once)."""
    return local_date(now or timezone.now(), zone_of(workspace_id))


def status_of(
    key_result: KeyResult,
    today: date | None = None,
    series: list[tuple[date, float]] | None = None,
) -> Status:
    """The key result's status with its explanation in words; "no data" when nothing fed it.
    ``series`` (from :func:`series_from`) saves reading the rollups again."""
    today = today or today_of(key_result.goal.workspace_id)
    result = fc.forecast(
        series_of(key_result, today) if series is None else series,
        start=key_result.start,
        due=key_result.due,
        baseline=key_result.baseline,
        target=key_result.target,
    )
    target, due = _num(key_result.target), _day(key_result.due, today)
    if result.status == fc.NO_DATA or result.forecast is None or result.progress is None:
        sentence = (
            f"No data yet: nothing has fed this metric since {_day(key_result.start, today)}."
        )
        percent = None
    elif today >= key_result.due:
        sentence = f"On {due}: {_num(result.forecast)} of {target}."
        percent = max(0, min(100, round(result.progress * 100)))
    else:
        sentence = f"At the current pace {_num(result.forecast)} of {target} by {due}."
        percent = max(0, min(100, round(result.progress * 100)))
    return Status(key_result, result, STATUS_LABELS[result.status], sentence, today, percent)


@dataclass(frozen=True)
class GoalSummary:
    """One goal's status in a line: how many of its key results are in each status."""

    goal: Goal
    counts: dict[str, int]

    @property
    def text(self) -> str:
        parts = [
            f"{n} {STATUS_LABELS[status].lower()}"
            for status in (fc.ON_TRACK, fc.AT_RISK, fc.OFF_TRACK, fc.NO_DATA)
            if (n := self.counts.get(status, 0))
        ]
        due = f"due {self.goal.due.day} {self.goal.due:%B %Y}"
        if not parts:
            return f"{self.goal.title} ({due}): no key results yet"
        return f"{self.goal.title} ({due}): " + ", ".join(parts)


WORKSPACE_GOALS = "The whole workspace"


def team_goal_summaries(
    wanted: list[tuple[Membership, date]],
) -> dict[int, list[tuple[str, list[GoalSummary]]]]:
    """For members' weekly digests, by member id: the open goals (due on or after the digest's
    day) of each of their teams, then the workspace's own (no team), each with its key
    results' statuses. Each workspace's goals are read and their statuses computed once."""
    out: dict[int, list[tuple[str, list[GoalSummary]]]] = {}
    by_workspace: dict[int, list[tuple[Membership, date]]] = {}
    for member, day in wanted:
        by_workspace.setdefault(member.workspace_id, []).append((member, day))
    for workspace_id, pairs in by_workspace.items():
        goals = list(
            Goal.objects.filter(workspace_id=workspace_id, due__gte=min(d for _, d in pairs))
            .select_related("team")
            .prefetch_related("key_results")
            .order_by("due", "title", "pk")
        )
        if not goals:
            continue
        teams: dict[int, set[int]] = {}
        for member_id, team_id in TeamMembership.objects.filter(
            membership_id__in=[m.pk for m, _ in pairs]
        ).values_list("membership_id", "team_id"):
            teams.setdefault(member_id, set()).add(team_id)
        today = today_of(workspace_id)
        summaries: dict[int, GoalSummary] = {}
        for goal in goals:
            counts: dict[str, int] = {}
            for key_result in goal.key_results.all():
                key_result.goal = goal  # already at hand: no query per key result for it
                status = status_of(key_result, today).forecast.status
                counts[status] = counts.get(status, 0) + 1
            summaries[goal.pk] = GoalSummary(goal, counts)
        for member, day in pairs:
            mine = teams.get(member.pk, set())
            by_team: dict[str, list[GoalSummary]] = {}
            for goal in goals:
                if goal.due < day or (goal.team_id is not None and goal.team_id not in mine):
                    continue
                title = f"Team {goal.team.name}" if goal.team else WORKSPACE_GOALS
                by_team.setdefault(title, []).append(summaries[goal.pk])
            order = sorted(t for t in by_team if t != WORKSPACE_GOALS)
            order += [WORKSPACE_GOALS] if WORKSPACE_GOALS in by_team else []
            if order:
                out[member.pk] = [(title, by_team[title]) for title in order]
    return out
