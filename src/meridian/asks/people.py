"""Who is asked: members and whole teams named by the asker, resolved to the people asked.

Every area that asks people for something by a deadline (briefs, proposals; later tasks,
handovers and check-ins) names them the same way, as :class:`Invitee` entries (a member by
id, a team by slug, required or optional), and gets back the people of its workspace with the
team each came through (:func:`people_resolve`), then each person's own deadline
(:func:`local_deadlines`, in their working week minus their time off: :func:`member_weeks`) and
who among them does not work on, or is away on, a deadline day (:func:`deadline_day_off_shifts`),
and, when time off is entered later, whose deadlines already set move past it
(:func:`deadlines_moved_by_time_off`). Reads only: the area writes its own participant rows.
"""

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.utils import timezone

from meridian.asks.deadlines import (
    Deadline,
    day_off_shift,
    deadline_problem,
    local_deadline,
    participant_deadline,
    week_of,
    with_time_off,
)
from meridian.asks.models import Participation
from meridian.core.errors import FieldErrors
from meridian.core.moments import day_text, moment_text, zone_label
from meridian.core.timebounds import in_zone
from meridian.core.workingtime import WorkingWeek
from meridian.workspaces.models import Membership, Team, TeamMembership, TimeOff

REQUIRED = "required"
OPTIONAL = "optional"


@dataclass(frozen=True)
class Invitee:
    """One entry of an ask's list of people: a member (by id) or a whole team (by slug)."""

    member_id: int | None = None
    team: str | None = None
    required: bool = True


@dataclass
class Asked:
    """One person asked: the member, whether they must respond, and the team they came through.

    ``via_team`` is None when the person was named directly (also if a team named them too).
    """

    member: Membership
    required: bool = True
    via_team: Team | None = None

    @property
    def kind(self) -> str:
        """``"required"`` or ``"optional"``, as participant rows store it."""
        return REQUIRED if self.required else OPTIONAL


@dataclass
class AskedPeople:
    """The people an ask reaches, by membership id in the order named, and the teams named."""

    people: dict[int, Asked] = field(default_factory=dict)
    teams: list[Team] = field(default_factory=list)

    @property
    def members(self) -> dict[int, Membership]:
        return {pk: asked.member for pk, asked in self.people.items()}


def _name(member: Membership) -> str:
    return str(member.profile.display_name)


def people_resolve(
    *,
    acting: Membership,
    invitees: Sequence[Invitee],
    problems: FieldErrors,
    include_acting: bool = False,
    empty_teams: bool = False,
    field: str = "participants",
) -> AskedPeople:
    """The active members of the acting member's workspace that ``invitees`` name.

    Teams count with their active members. A person named twice is asked once: required if
    any entry requires them, and directly rather than through a team if any entry names them
    directly. The acting member is left out, unless ``include_acting`` (then they come first,
    named directly: a proposal's owner takes part in it). Unknown or departed members, unknown
    teams and, unless ``empty_teams``, teams with nobody else in them are reported in
    ``problems`` under ``field``; the rest is resolved all the same, so every problem of a
    form is named at once. Three queries, however many people and teams.
    """
    ws = acting.workspace_id
    member_ids = {i.member_id for i in invitees if i.member_id is not None}
    slugs = {i.team for i in invitees if i.team}
    members = {
        m.pk: m
        for m in Membership.objects.select_related("profile").filter(
            workspace_id=ws, pk__in=member_ids
        )
    }
    teams = {t.slug: t for t in Team.objects.filter(workspace_id=ws, slug__in=slugs)}
    team_members: dict[int, list[Membership]] = {}
    if teams:
        for link in TeamMembership.objects.select_related("membership__profile").filter(
            team__in=list(teams.values()), membership__is_active=True
        ):
            team_members.setdefault(link.team_id, []).append(link.membership)

    result = AskedPeople()
    resolved = result.people
    if include_acting:
        resolved[acting.pk] = Asked(acting, required=True, via_team=None)

    def put(member: Membership, required: bool, team: Team | None) -> None:
        if member.pk == acting.pk:
            return
        current = resolved.get(member.pk)
        if current is None:
            resolved[member.pk] = Asked(member, required, team)
            return
        current.required = current.required or required
        if team is None:
            current.via_team = None

    for invitee in invitees:
        if (invitee.member_id is None) == (not invitee.team):
            problems.add(field, "Each participant is either a member or a team.")
            continue
        if invitee.member_id is not None:
            member = members.get(invitee.member_id)
            if member is None:
                problems.add(field, f"There is no member #{invitee.member_id} in this workspace.")
            elif not member.is_active:
                problems.add(field, f"{_name(member)} is no longer a member.")
            else:
                put(member, invitee.required, None)
        else:
            team = teams.get(invitee.team or "")
            if team is None:
                problems.add(field, f"There is no team “{invitee.team}” in this workspace.")
                continue
            others = [m for m in team_members.get(team.pk, []) if m.pk != acting.pk]
            if not others and not empty_teams:
                problems.add(field, f"The team {team.name} has nobody in it to ask.")
            for member in others:
                put(member, invitee.required, team)
    result.teams = [teams[slug] for slug in sorted(slugs) if slug in teams]
    return result


def member_weeks(
    members: Iterable[Membership], *, now: datetime | None = None
) -> dict[int, WorkingWeek]:
    """Each member's working week (by membership id) minus the time off they have entered
    (one query; time off that ended before yesterday is left out, it changes no deadline)."""
    people = list(members)
    if not people:
        return {}
    since = (now or timezone.now()).date() - timedelta(days=2)
    away: dict[int, list[tuple[date, date]]] = {}
    for member_id, first, last in (
        TimeOff.objects.filter(membership_id__in=[m.pk for m in people], last_day__gte=since)
        .order_by("first_day")
        .values_list("membership_id", "first_day", "last_day")
    ):
        away.setdefault(member_id, []).append((first, last))
    return {
        m.pk: with_time_off(
            week_of(m.profile.time_zone, m.profile.working_hours), away.get(m.pk, ())
        )
        for m in people
    }


def local_deadlines(
    deadline: Deadline, members: Iterable[Membership]
) -> dict[int, datetime | None]:
    """Each member's own deadline (by membership id), in their working week minus their time
    off (a deadline day they are away moves to the end of their next working day); None
    without one."""
    weeks = member_weeks(members)
    return {
        pk: local_deadline(week, deadline_at=deadline.at, deadline_date=deadline.day)
        for pk, week in weeks.items()
    }


@dataclass(frozen=True)
class AskTiming:
    """How an ask's deadline falls for each person (meridian.asks.deadlines.participant_deadline)."""

    kind: str  # "instant", "local_day" or "working_day"
    opened_at: datetime
    at: datetime | None
    day: date | None


def deadlines_moved_by_time_off[P: Participation](
    member: Membership, rows: Iterable[tuple[P, AskTiming]], *, now: datetime
) -> list[tuple[P, datetime]]:
    """The member's open participations whose deadline now falls later, with the new deadline.

    Called when time off has just been entered for ``member``: a deadline day they are now away
    moves to the end of their first working day back, as it would have had the time off been
    entered before they were asked (the rule in meridian.asks.deadlines). A deadline only ever
    moves later, never earlier, and one already passed stays where it was (they have been told
    they are overdue). An instant is the same for everyone and never moves.
    """
    week = member_weeks([member], now=now)[member.pk]
    moved: list[tuple[P, datetime]] = []
    for row, ask in rows:
        current = row.local_deadline
        if ask.kind == "instant" or current is None or current <= now:
            continue
        due = participant_deadline(
            week, ask.kind, opened_at=ask.opened_at, deadline_at=ask.at, deadline_date=ask.day
        )
        if due > current:
            moved.append((row, due))
    return moved


@dataclass(frozen=True)
class DayOffShift:
    """Someone for whom a deadline day is a day off, and the working day it moves to."""

    member: Membership
    day: date
    due: datetime  # the end of their next working day
    away: bool = False  # on time off that day (else: not one of their working days)

    @property
    def message(self) -> str:
        zone = self.member.profile.time_zone
        why = "is away on" if self.away else "does not work on"
        return (
            f"{_name(self.member)} ({zone_label(zone)}) {why} {day_text(self.day)}: "
            f"their deadline becomes the end of {moment_text(self.due, zone, 'longday')}, "
            f"{moment_text(self.due, zone, 'time')}."
        )

    @property
    def due_day(self) -> date:
        return in_zone(self.due, week_of(self.member.profile.time_zone, {}).zone).date()


def deadline_day_off_shifts(
    *,
    acting: Membership,
    participants: Sequence[Invitee],
    deadline: Deadline,
    include_acting: bool = False,
    already_asked: Collection[int] = (),
) -> list[DayOffShift]:
    """Who among the people asked does not work on the deadline day, by name (writes nothing).

    The forms show these before sending, so the asker knows whose deadline moves to their next
    working day (the rule in meridian.asks.deadlines). Empty unless the deadline is a day
    within bounds; unknown people and teams are left to the write's own errors. Members in
    ``already_asked`` are not named (an edit that keeps the day: they were shown it then).
    """
    if deadline.day is None or deadline.at is not None:
        return []
    if deadline_problem(day=deadline.day, now=timezone.now()) is not None:
        return []
    resolved = people_resolve(acting=acting, invitees=participants, problems=FieldErrors())
    members = [r.member for r in resolved.people.values()]
    if include_acting:
        members.insert(0, acting)
    members = [m for m in members if m.pk not in already_asked]
    shifts: list[DayOffShift] = []
    weeks = member_weeks(members)
    for member in members:
        week = weeks[member.pk]
        if day_off_shift(week, deadline.day) is not None:
            due = local_deadline(week, deadline_at=None, deadline_date=deadline.day)
            assert due is not None  # a day deadline always falls for everyone
            usual = week_of(member.profile.time_zone, member.profile.working_hours)
            away = day_off_shift(usual, deadline.day) is None
            shifts.append(DayOffShift(member=member, day=deadline.day, due=due, away=away))
    return sorted(shifts, key=lambda s: (_name(s.member).lower(), s.member.pk))
