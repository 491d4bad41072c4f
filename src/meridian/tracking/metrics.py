"""The tracking area's built-in metrics: the facts each finished time entry gives, and who may
read them (a person's time is theirs: ``visible`` follows the tracking policy).

A finished time entry (source kind ``time_entry``) gives, at its start, about its member, and
about the project it is linked to when it is linked to one:

* ``time_tracked``: its length in hours;
* ``time_outside_hours``: the hours of it outside the member's working hours (no fact when
  they set no working hours: nothing is "outside" then).

A member's synced activity of one category on one day (source kind ``activity_day``, the daily
rollup row the agents' slots feed) gives, at noon UTC of that day, about its member:

* ``activity_hours``: its active hours, the category in the fact's note (the drill-down
  shows it);
* ``focus_hours``: the same, only for the categories the workspace counts as focus (an
  admin's list); divided by ``activity_hours`` it is the share of time in focus categories.

Who sees a value: a member's own figures always; another member's as the policy's individual
visibility allows; a team's only when it has at least the policy's k members (``min_group_size``);
a project's or the workspace's only when at least k people tracked time in the workspace. The
drill-down lists only the reader's own entries, whoever the subject. A read of another
member's figures goes to that member's access log (``read_logged``), as tracking's reports do.
"""

from collections.abc import Iterator
from datetime import UTC, datetime, time
from typing import Any

from django.db.models import Count, Subquery

from meridian.core.registry import FactIn
from meridian.core.workingtime import member_week, working_hours_or_elapsed
from meridian.tracking.models import ActivityDaily, FocusCategory, TimeEntry, TrackingPolicy
from meridian.tracking.selectors import may_view, policy_for
from meridian.tracking.services import access_record
from meridian.workspaces.models import Membership, TeamMembership


def _entries(workspace_id: int, ids: list[int] | None) -> Iterator[tuple[Any, ...]]:
    entries = TimeEntry.objects.filter(workspace_id=workspace_id, ended_at__isnull=False)
    if ids is not None:
        entries = entries.filter(pk__in=ids)
    yield from (
        entries.order_by("pk")
        .values_list(
            "pk",
            "member_id",
            "started_at",
            "ended_at",
            "link_kind",
            "link_id",
            "member__profile__time_zone",
            "member__profile__working_hours",
        )
        .iterator(chunk_size=2000)
    )


def tracked_facts(workspace_id: int, ids: list[int] | None) -> Iterator[FactIn]:
    for pk, member_id, start, end, kind, link_id, _zone, _hours in _entries(workspace_id, ids):
        project = link_id if kind == "project" else None
        hours = max((end - start).total_seconds(), 0.0) / 3600
        yield FactIn(pk, start, hours, member_id=member_id, project_id=project, part="tracked")


def outside_facts(workspace_id: int, ids: list[int] | None) -> Iterator[FactIn]:
    for pk, member_id, start, end, kind, link_id, zone, hours in _entries(workspace_id, ids):
        week = member_week(zone, hours)
        if week is None:
            continue
        total = max((end - start).total_seconds(), 0.0) / 3600
        outside = max(total - working_hours_or_elapsed(week, start, end), 0.0)
        project = link_id if kind == "project" else None
        yield FactIn(pk, start, outside, member_id=member_id, project_id=project, part="outside")


def _activity(
    workspace_id: int, ids: list[int] | None, focus_only: bool
) -> Iterator[tuple[int, int, datetime, float, str]]:
    rows = ActivityDaily.objects.filter(workspace_id=workspace_id, active_seconds__gt=0)
    if ids is not None:
        rows = rows.filter(pk__in=ids)
    if focus_only:
        focus = list(
            FocusCategory.objects.filter(workspace_id=workspace_id).values_list("name", flat=True)
        )
        if not focus:
            return
        rows = rows.filter(category__in=focus)
    for pk, member_id, day, seconds, category in (
        rows.order_by("pk")
        .values_list("pk", "member_id", "day", "active_seconds", "category")
        .iterator(chunk_size=2000)
    ):
        yield pk, member_id, datetime.combine(day, time(12), UTC), seconds / 3600, category


def activity_facts(workspace_id: int, ids: list[int] | None) -> Iterator[FactIn]:
    for pk, member_id, at, hours, category in _activity(workspace_id, ids, focus_only=False):
        yield FactIn(pk, at, hours, member_id=member_id, part="active", note=category)


def focus_facts(workspace_id: int, ids: list[int] | None) -> Iterator[FactIn]:
    for pk, member_id, at, hours, category in _activity(workspace_id, ids, focus_only=True):
        yield FactIn(pk, at, hours, member_id=member_id, part="focus", note=category)


def visible(viewer: Membership, subject: str, subject_id: int | None) -> bool:
    """Whether the viewer may read a time metric's value for this subject (see the module)."""
    if subject in ("member", "team") and subject_id is None:
        return False
    if subject == "team":
        return _team_large_enough(viewer.workspace_id, subject_id or 0)
    policy = policy_for(viewer.workspace_id)
    if subject == "member":
        if subject_id == viewer.pk:
            return True
        other = Membership.objects.filter(
            workspace_id=viewer.workspace_id, pk=subject_id or 0
        ).first()
        return other is not None and may_view(viewer=viewer, subject=other, policy=policy)
    people = (
        TimeEntry.objects.filter(workspace_id=viewer.workspace_id)
        .values("member_id")
        .distinct()
        .count()
    )
    return people >= policy.min_group_size


def _team_large_enough(workspace_id: int, team_id: int) -> bool:
    """Whether the team has at least the policy's group size of active members: the count and
    the policy's size in one query (a dashboard asks it on every team's page). A team without
    members is below any policy's size (at least 2), so no row means no."""
    size = TrackingPolicy.objects.filter(workspace_id=workspace_id).values("min_group_size")[:1]
    found = list(
        TeamMembership.objects.filter(
            workspace_id=workspace_id, team_id=team_id, membership__is_active=True
        )
        .order_by()
        .values("team_id")
        .annotate(members=Count("pk"), size=Subquery(size))
        .values_list("members", "size")[:1]
    )
    if not found:
        return False
    members, chosen = found[0]
    return bool(members >= (chosen or TrackingPolicy(workspace_id=workspace_id).min_group_size))


def read_logged(viewer: Membership, subject: str, subject_id: int | None, what: str) -> None:
    """Log a read of another member's time metrics in their tracking access log (a team's or
    the workspace's figures are no one person's and are not logged)."""
    if subject != "member" or subject_id is None or subject_id == viewer.pk:
        return
    other = Membership.objects.filter(workspace_id=viewer.workspace_id, pk=subject_id).first()
    if other is not None:
        access_record(viewer=viewer, subject=other, what=what)
