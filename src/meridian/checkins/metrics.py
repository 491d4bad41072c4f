"""The check-ins' built-in metrics: the facts each prompt and blocker gives.

Facts carry the check-in's team, and the member they are about:

* ``checkin_participation`` (mean): per prompt, 1 if it was answered, 0 if not, at the moment
  it was asked — a team's share of prompts answered in the period;
* ``checkin_blockers`` (sum): 1 per blocker, when it was raised;
* ``checkin_open_blockers`` (level): +1 when a blocker was raised, -1 when it was resolved —
  how many are open at the end of a period;
* ``checkin_time_to_unblock`` (percentiles): once resolved, the hours it was open that fall in
  the blocked member's working hours (elapsed hours when they have none set).
"""

from collections.abc import Iterator

from meridian.asks.deadlines import week_of
from meridian.checkins.models import Blocker, CheckinPrompt
from meridian.core.registry import FactIn
from meridian.core.workingtime import working_time_between

HOUR = 3600.0


def participation_facts(workspace_id: int, ids: list[int] | None) -> Iterator[FactIn]:
    prompts = CheckinPrompt.objects.filter(workspace_id=workspace_id)
    if ids is not None:
        prompts = prompts.filter(pk__in=ids)
    rows = prompts.order_by("pk").values_list(
        "pk", "asked_at", "responded_at", "membership_id", "checkin__team_id"
    )
    for pk, asked_at, responded_at, member_id, team_id in rows.iterator(chunk_size=2000):
        value = 1.0 if responded_at is not None else 0.0
        yield FactIn(pk, asked_at, value, member_id=member_id, team_id=team_id, part="asked")


def _blockers(workspace_id: int, ids: list[int] | None) -> Iterator[Blocker]:
    blockers = Blocker.objects.filter(workspace_id=workspace_id).select_related(
        "checkin", "raised_by__profile"
    )
    if ids is not None:
        blockers = blockers.filter(pk__in=ids)
    yield from blockers.order_by("pk").iterator(chunk_size=2000)


def blocker_facts(workspace_id: int, ids: list[int] | None) -> Iterator[FactIn]:
    for b in _blockers(workspace_id, ids):
        yield FactIn(
            b.pk, b.opened_at, 1, member_id=b.raised_by_id, team_id=b.checkin.team_id, part="raised"
        )


def open_blocker_facts(workspace_id: int, ids: list[int] | None) -> Iterator[FactIn]:
    for b in _blockers(workspace_id, ids):
        team = b.checkin.team_id
        yield FactIn(b.pk, b.opened_at, 1, member_id=b.raised_by_id, team_id=team, part="opened")
        if b.resolved_at is not None:
            yield FactIn(
                b.pk, b.resolved_at, -1, member_id=b.raised_by_id, team_id=team, part="resolved"
            )


def open_working_hours(blocker: Blocker, until: object) -> float:
    """Hours a blocker has been open in the blocked member's working hours (elapsed without)."""
    profile = blocker.raised_by.profile
    week = week_of(profile.time_zone, profile.working_hours)
    end = until  # an aware datetime
    if not week.has_hours:
        return max((end - blocker.opened_at).total_seconds(), 0.0) / HOUR  # type: ignore[operator]
    return working_time_between(week, blocker.opened_at, end).total_seconds() / HOUR  # type: ignore[arg-type]


def unblock_facts(workspace_id: int, ids: list[int] | None) -> Iterator[FactIn]:
    for b in _blockers(workspace_id, ids):
        if b.resolved_at is None:
            continue
        hours = open_working_hours(b, b.resolved_at)
        yield FactIn(
            b.pk,
            b.resolved_at,
            hours,
            member_id=b.raised_by_id,
            team_id=b.checkin.team_id,
            part="resolved",
        )
