"""Reads about workspaces, members and teams, and the audit log, always through the viewer's membership."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from django.db.models import Count, Prefetch, Q, QuerySet

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from meridian.accounts.models import User

from meridian.core.models import AuditEntry
from meridian.core.moments import day_bounds
from meridian.workspaces.models import (
    Invitation,
    Membership,
    Team,
    TeamMembership,
    TimeOff,
    Workspace,
)


@dataclass(frozen=True)
class MemberFilters:
    """The member list filters shared by the members page and the API."""

    q: str = ""
    role: str = ""
    team: str = ""
    include_inactive: bool = False


def workspace_list_for(*, user: "User | AnonymousUser") -> QuerySet[Workspace]:
    """The workspaces the person is an active member of."""
    if not user.is_authenticated:
        return Workspace.objects.none()
    return Workspace.objects.filter(
        memberships__user_id=user.pk, memberships__is_active=True
    ).order_by("name")


def member_list_for(*, viewer: Membership, filters: MemberFilters) -> QuerySet[Membership]:
    """Members of the viewer's workspace, by display name, with profile and teams prefetched."""
    qs = Membership.objects.filter(workspace_id=viewer.workspace_id)
    if not filters.include_inactive:
        qs = qs.filter(is_active=True)
    if filters.role:
        qs = qs.filter(role=filters.role)
    if filters.team:
        qs = qs.filter(team_memberships__team__slug=filters.team)
    if filters.q:
        qs = qs.filter(
            Q(profile__display_name__icontains=filters.q)
            | Q(user__email__icontains=filters.q)
            | Q(profile__title__icontains=filters.q)
        )
    return (
        qs.select_related("user", "profile")
        .prefetch_related(
            Prefetch(
                "team_memberships",
                queryset=TeamMembership.objects.select_related("team").order_by("team__name"),
            )
        )
        .order_by("profile__display_name", "id")
    )


def member_choices_for(*, viewer: Membership) -> QuerySet[Membership]:
    """Active members of the viewer's workspace with their profile, by name: for pickers.

    A <select> of names needs neither each member's user nor their teams, which
    member_list_for also reads (one query more and five objects per member).
    """
    return (
        Membership.objects.filter(workspace_id=viewer.workspace_id, is_active=True)
        .select_related("profile")
        .order_by("profile__display_name", "id")
    )


def team_list_for(*, viewer: Membership) -> QuerySet[Team]:
    """Teams of the viewer's workspace with their member counts."""
    return (
        Team.objects.filter(workspace_id=viewer.workspace_id)
        .annotate(
            member_count=Count(
                "team_memberships", filter=Q(team_memberships__membership__is_active=True)
            )
        )
        .order_by("name")
    )


def team_members_for(*, viewer: Membership, team: Team) -> QuerySet[Membership]:
    """Active members of one team (the team already passed the access helper)."""
    return (
        Membership.objects.filter(
            workspace_id=viewer.workspace_id, team_memberships__team=team, is_active=True
        )
        .select_related("user", "profile")
        .prefetch_related(
            Prefetch(
                "team_memberships",
                queryset=TeamMembership.objects.select_related("team").order_by("team__name"),
            )
        )
        .order_by("profile__display_name", "id")
    )


def invitation_list_for(*, viewer: Membership) -> QuerySet[Invitation]:
    """Open invitations of the viewer's workspace, newest first."""
    return Invitation.objects.filter(
        workspace_id=viewer.workspace_id, accepted_at__isnull=True, revoked_at__isnull=True
    ).order_by("-created_at")


# --- The audit log ----------------------------------------------------------------------------


@dataclass(frozen=True)
class AuditFilters:
    """The audit log filters shared by the page and the API."""

    action: str = ""
    actor: str = ""
    object_type: str = ""
    since: date | None = None
    until: date | None = None


def audit_list_for(*, viewer: Membership, filters: AuditFilters) -> QuerySet[AuditEntry]:
    """The workspace's audit entries, newest first, narrowed by the filters."""
    qs = AuditEntry.objects.filter(workspace_id=viewer.workspace_id)
    if filters.action:
        qs = qs.filter(action__startswith=filters.action)
    if filters.actor:
        qs = qs.filter(actor_label__icontains=filters.actor)
    if filters.object_type:
        qs = qs.filter(object_type=filters.object_type)
    # The days are the viewer's, as the page dates the entries.
    start, end = day_bounds(filters.since, filters.until, viewer.profile.time_zone)
    if start is not None:
        qs = qs.filter(created_at__gte=start)
    if end is not None:
        qs = qs.filter(created_at__lt=end)
    return qs.order_by("-created_at", "-id")


def audit_actions_for(*, viewer: Membership) -> list[str]:
    """The distinct actions recorded in the workspace, for the filter menu."""
    return list(
        AuditEntry.objects.filter(workspace_id=viewer.workspace_id)
        .order_by("action")
        .values_list("action", flat=True)
        .distinct()
    )


def time_off_list_for(
    *, viewer: Membership, member: Membership | None = None, upcoming_from: date | None = None
) -> QuerySet[TimeOff]:
    """Time off the viewer may manage: their own, or (admins) a given member's or everyone's;
    with ``upcoming_from``, only entries that have not ended by that day."""
    rows = TimeOff.objects.filter(workspace_id=viewer.workspace_id).select_related(
        "membership__profile"
    )
    if not viewer.is_admin:
        rows = rows.filter(membership_id=viewer.pk)
    elif member is not None:
        rows = rows.filter(membership_id=member.pk)
    if upcoming_from is not None:
        rows = rows.filter(last_day__gte=upcoming_from)
    return rows.order_by("first_day", "id")


def time_off_between(
    workspace_id: int, member_ids: Iterable[int], first_day: date, last_day: date
) -> dict[int, list[tuple[date, date]]]:
    """Each member's time off overlapping the days ``first_day``–``last_day`` (one query), as
    (first, last) day pairs in order; members with none are absent. For other areas (rotas)."""
    ids = list(member_ids)
    if not ids:
        return {}
    rows = (
        TimeOff.objects.filter(
            workspace_id=workspace_id,
            membership_id__in=ids,
            first_day__lte=last_day,
            last_day__gte=first_day,
        )
        .order_by("first_day")
        .values_list("membership_id", "first_day", "last_day")
    )
    away: dict[int, list[tuple[date, date]]] = {}
    for member_id, first, last in rows:
        away.setdefault(member_id, []).append((first, last))
    return away
