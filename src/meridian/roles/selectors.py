"""Reads of roles that pages, the API, search and handovers share; each takes the viewer.

The list reads in four queries however many roles, holders and duties there are: the roles,
their current holdings (with people), their duties (each annotated with its current period in
the reader's zone) and those periods' ticks.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.db.models import Case, DateField, Prefetch, QuerySet, Value, When
from django.utils import timezone

from meridian.core.moments import local_date
from meridian.handovers.models import Handover
from meridian.handovers.selectors import pending_handovers
from meridian.roles.models import Duty, DutyCheck, Role, RoleHolding, Rota
from meridian.roles.rotation import Turn, period_starts, turns
from meridian.workspaces.models import Membership
from meridian.workspaces.selectors import time_off_between

UPCOMING_TURNS = 6


def _viewer_day(viewer: Membership, now: datetime | None = None) -> date:
    return local_date(now or timezone.now(), viewer.profile.time_zone)


def duties_queryset(day: date) -> QuerySet[Duty]:
    """Duties annotated with ``current_period`` (the first day of their period on ``day``) and
    with that period's tick prefetched as ``period_checks``."""
    starts = period_starts(day)
    return (
        Duty.objects.annotate(
            current_period=Case(
                *(When(cadence=c, then=Value(d)) for c, d in starts.items()),
                output_field=DateField(),
            )
        )
        .prefetch_related(
            Prefetch(
                "checks",
                queryset=DutyCheck.objects.filter(
                    period_start__in=set(starts.values())
                ).select_related("checked_by__profile"),
                to_attr="period_checks",
            )
        )
        .order_by("position", "id")
    )


def duty_check(duty: Duty) -> DutyCheck | None:
    """The duty's tick for its current period, from a ``duties_queryset`` row."""
    current = getattr(duty, "current_period", None)
    return next((c for c in getattr(duty, "period_checks", []) if c.period_start == current), None)


def current_holdings_queryset() -> QuerySet[RoleHolding]:
    return RoleHolding.objects.filter(ended_at__isnull=True).select_related("membership__profile")


def role_list_for(
    *, viewer: Membership, archived: bool = False, day: date | None = None
) -> QuerySet[Role]:
    """The workspace's roles by name (archived ones apart), with ``current_holdings`` and
    ``duty_list`` prefetched for the reader's day (``duties_done``/``holders`` read them)."""
    return (
        Role.objects.filter(workspace_id=viewer.workspace_id, archived_at__isnull=not archived)
        .prefetch_related(
            Prefetch("holdings", queryset=current_holdings_queryset(), to_attr="current_holdings"),
            Prefetch(
                "duties", queryset=duties_queryset(day or _viewer_day(viewer)), to_attr="duty_list"
            ),
        )
        .order_by("name", "id")
    )


def duties_done(role: Role) -> tuple[int, int]:
    """(done this period, listed) for a role read through ``role_list_for``."""
    duties: list[Duty] = getattr(role, "duty_list", [])
    return sum(1 for duty in duties if duty_check(duty) is not None), len(duties)


def holders(role: Role) -> list[Membership]:
    """The role's current holders, longest-standing first, from ``role_list_for``."""
    rows: list[RoleHolding] = sorted(
        getattr(role, "current_holdings", []), key=lambda h: (h.started_at, h.pk)
    )
    return [row.membership for row in rows]


@dataclass(frozen=True)
class DutyLine:
    """A line of the checklist as the reader sees it now."""

    duty: Duty
    check: DutyCheck | None

    @property
    def done(self) -> bool:
        return self.check is not None


@dataclass(frozen=True)
class PlannedTurn:
    """A coming turn of the rota, with the person's name."""

    turn: Turn
    member: Membership | None


@dataclass
class RoleDetail:
    """Everything the role page and the API's detail show."""

    role: Role
    duties: list[DutyLine]
    holdings: list[RoleHolding]  # current, longest-standing first
    history: list[RoleHolding]  # every holding, newest first
    rota: Rota | None
    rota_members: list[Membership] = field(default_factory=list)
    upcoming: list[PlannedTurn] = field(default_factory=list)
    handover: Handover | None = None
    # Holders and rota members on time off today (the reader's date): their last day away.
    away_until: dict[int, date] = field(default_factory=dict)

    @property
    def done(self) -> int:
        return sum(1 for line in self.duties if line.done)

    @property
    def holding_rows(self) -> list[tuple[RoleHolding, date | None]]:
        """Each current holding with the holder's last day away, if they are away today."""
        return [(h, self.away_until.get(h.membership_id)) for h in self.holdings]


def role_detail_for(*, viewer: Membership, role: Role, now: datetime | None = None) -> RoleDetail:
    """The role with its checklist for the reader's period, holders, history, rota and the next
    turns computed (time off included), and its pending handover if any."""
    now = now or timezone.now()
    duties = list(duties_queryset(_viewer_day(viewer, now)).filter(role=role))
    history = list(
        RoleHolding.objects.filter(role=role)
        .select_related("membership__profile", "started_by__profile", "ended_by__profile")
        .order_by("-started_at", "-id")
    )
    current = sorted((h for h in history if h.ended_at is None), key=lambda h: (h.started_at, h.pk))
    rota = Rota.objects.filter(role=role).first()
    detail = RoleDetail(
        role=role,
        duties=[DutyLine(duty, duty_check(duty)) for duty in duties],
        holdings=current,
        history=history,
        rota=rota,
        handover=pending_handovers(role.workspace_id, "role", [role.pk]).get(role.pk),
    )
    today = _viewer_day(viewer, now)
    if rota is not None:
        people = {
            m.pk: m
            for m in Membership.objects.filter(
                workspace_id=role.workspace_id, pk__in=rota.member_ids
            ).select_related("profile")
        }
        detail.rota_members = [people[i] for i in rota.member_ids if i in people]
        detail.upcoming = [
            PlannedTurn(turn, people.get(turn.holder) if turn.holder else None)
            for turn in upcoming_turns(
                rota, [m.pk for m in detail.rota_members if m.is_active], current, now
            )
        ]
    people_ids = {h.membership_id for h in current} | set(rota.member_ids if rota else [])
    away = time_off_between(role.workspace_id, people_ids, today, today)
    detail.away_until = {member_id: spans[-1][1] for member_id, spans in away.items()}
    return detail


def upcoming_turns(
    rota: Rota, members: list[int], current: list[RoleHolding], now: datetime
) -> list[Turn]:
    """The rota's next few turns from now, with who would hold each (time off included)."""
    schedule = rota.schedule()
    first_turn = schedule.turn_at(now) + 1
    first_day = schedule.days(first_turn)[0]
    last_day = schedule.days(first_turn + UPCOMING_TURNS - 1)[1]
    away = time_off_between(rota.workspace_id, members, first_day, last_day)
    rota_holder = next((h.membership_id for h in current if h.how == "rota"), None)
    return turns(schedule, members, rota_holder, first_turn, UPCOMING_TURNS, away)


def holders_in(role_ids: list[int], since: datetime) -> dict[int, set[int]]:
    """Who held each role at any time since ``since`` (one query)."""
    rows = RoleHolding.objects.filter(role_id__in=role_ids).exclude(ended_at__lt=since)
    held: dict[int, set[int]] = {}
    for role_id, member_id in rows.values_list("role_id", "membership_id"):
        held.setdefault(role_id, set()).add(member_id)
    return held


def roles_held_by(workspace_id: int, membership_id: int) -> list[tuple[int, str]]:
    """The (id, name) of the roles a member holds now (for "hand over everything")."""
    rows = (
        RoleHolding.objects.filter(
            workspace_id=workspace_id,
            membership_id=membership_id,
            ended_at__isnull=True,
            role__archived_at__isnull=True,
        )
        .order_by("role__name")
        .values_list("role_id", "role__name")
    )
    return list(rows)


def role_holders(workspace_id: int, role_ids: list[int]) -> dict[int, list[int]]:
    """Each role's current holders' membership ids (one query)."""
    held: dict[int, list[int]] = {}
    rows = RoleHolding.objects.filter(
        workspace_id=workspace_id, role_id__in=role_ids, ended_at__isnull=True
    ).order_by("started_at", "id")
    for role_id, member_id in rows.values_list("role_id", "membership_id"):
        held.setdefault(role_id, []).append(member_id)
    return held


def role_titles(workspace_id: int, ids: list[int]) -> dict[int, str]:
    """Names of these roles that exist in the workspace (one query)."""
    return dict(
        Role.objects.filter(workspace_id=workspace_id, pk__in=ids).values_list("pk", "name")
    )


def stale_since(now: datetime, days: int = 90) -> datetime:
    return now - timedelta(days=days)
