"""Roles as a kind of item that can be handed over (meridian.handovers.kinds): what a member
holds, the packet the receiver reads, the transfer, and each role's readiness."""

from datetime import timedelta

from django.db.models import Count, Exists, OuterRef, Prefetch
from django.urls import reverse
from django.utils import timezone

from meridian.core.moments import moment_text
from meridian.handovers.kinds import Check, Packet, PacketEntry, PacketSection, Readiness
from meridian.roles.access import role_get_for
from meridian.roles.models import Role, RoleHolding, Rota
from meridian.roles.selectors import (
    current_holdings_queryset,
    holders_in,
    role_detail_for,
    role_holders,
    role_titles,
    roles_held_by,
)
from meridian.roles.services import role_transfer
from meridian.workspaces.models import Membership

RECENT_DAYS = 90


def role_url(workspace_slug: str, role_id: int) -> str:
    return reverse("role_detail", kwargs={"workspace": workspace_slug, "role_id": role_id})


def titles(workspace_id: int, ids: list[int]) -> dict[int, str]:
    return role_titles(workspace_id, ids)


def owned(workspace_id: int, membership_id: int) -> list[tuple[int, str]]:
    return roles_held_by(workspace_id, membership_id)


def owners(workspace_id: int, ids: list[int]) -> dict[int, list[int]]:
    return role_holders(workspace_id, ids)


def _name(member: Membership | None) -> str:
    return member.profile.display_name if member is not None else "A former member"


def packet(viewer: Membership, role_id: int) -> Packet:
    """The role as its next holder needs it: responsibilities, duties still to do this period,
    who held it when, the people around it, and the rota's next turns."""
    role = role_get_for(viewer, role_id)
    detail = role_detail_for(viewer=viewer, role=role)
    zone = viewer.profile.time_zone
    url = role_url(role.workspace.slug, role.pk)
    description = PacketSection(
        "description",
        "Responsibilities",
        [PacketEntry(text=role.responsibilities, html=role.responsibilities_html)]
        if role.responsibilities
        else [],
        empty="No responsibilities written.",
    )
    remaining = PacketSection(
        "remaining",
        "Duties not done this period",
        [
            PacketEntry(text=line.duty.text, detail=line.duty.get_cadence_display(), done=False)
            for line in detail.duties
            if not line.done
        ],
        empty="Every duty is done for this period." if detail.duties else "No duties listed.",
    )
    history = PacketSection(
        "history",
        "Who held it when",
        [
            PacketEntry(
                text=f"{_name(h.membership)} ({h.get_how_display().lower()})",
                detail=(
                    f"{moment_text(h.started_at, zone, 'day')} to "
                    f"{moment_text(h.ended_at, zone, 'day') if h.ended_at else 'now'}"
                ),
                at=h.started_at,
                person=_name(h.membership),
            )
            for h in detail.history[:20]
        ],
        empty="Nobody has held it yet.",
    )
    people_entries = [
        PacketEntry(text=_name(h.membership), detail="Holds it now", person=_name(h.membership))
        for h in detail.holdings
    ]
    held_now = {h.membership_id for h in detail.holdings}
    people_entries += [
        PacketEntry(text=_name(m), detail="On the rota", person=_name(m))
        for m in detail.rota_members
        if m.pk not in held_now
    ]
    people = PacketSection("people", "People", people_entries, empty="Nobody yet.")
    rota = PacketSection(
        "rota",
        "Rota: next turns",
        [
            PacketEntry(
                text=_name(p.member) if p.member else "Nobody",
                detail=f"from {moment_text(p.turn.starts_at, zone)}"
                + (" (everyone else away)" if p.turn.kept else ""),
                at=p.turn.starts_at,
            )
            for p in detail.upcoming
        ],
        empty="No rota.",
    )
    status = "Archived" if role.is_archived else f"Held by {len(detail.holdings)}"
    return Packet(
        kind="role",
        object_id=role.pk,
        title=role.name,
        url=url,
        status=status,
        sections=[description, remaining, history, people, rota],
    )


def transfer(role_id: int, giver: Membership, receiver: Membership, actor: Membership) -> None:
    role = role_get_for(actor, role_id)
    role_transfer(role=role, giver=giver, receiver=receiver, actor=actor)


def readiness(workspace_id: int, ids: list[int] | None) -> list[Readiness]:
    """Each role's readiness in three queries: responsibilities written, duties listed, more than
    one holder in 90 days, a rota or a second holder, changed in the last 90 days."""
    now = timezone.now()
    since = now - timedelta(days=RECENT_DAYS)
    roles = (
        Role.objects.filter(workspace_id=workspace_id, archived_at__isnull=True)
        .select_related("workspace")
        .annotate(
            duty_count=Count("duties", distinct=True),
            has_rota=Exists(Rota.objects.filter(role=OuterRef("pk"))),
        )
        .prefetch_related(
            Prefetch("holdings", queryset=current_holdings_queryset(), to_attr="current_holdings")
        )
        .order_by("name", "id")
    )
    if ids is not None:
        roles = roles.filter(pk__in=ids)
    rows = list(roles)
    held = holders_in([r.pk for r in rows], since)
    result: list[Readiness] = []
    for role in rows:
        current: list[RoleHolding] = getattr(role, "current_holdings", [])
        recent = held.get(role.pk, set())
        checks = [
            Check(
                "description",
                "Responsibilities written",
                len(role.responsibilities.strip()) >= 40,
                weight=2,
                missing="Responsibilities not written",
            ),
            Check("duties", "Duties listed", role.duty_count > 0, missing="No duties listed"),
            Check(
                "contributors",
                "More than one person held it in the last 90 days",
                len(recent) > 1,
                missing="Only one person held it in the last 90 days",
            ),
            Check(
                "cover",
                "A rota or a second holder",
                role.has_rota or len(current) > 1,
                missing="One holder and no rota",
            ),
            Check(
                "recent",
                "Updated in the last 90 days",
                role.updated_at >= since,
                missing="Not updated in 90 days",
            ),
        ]
        result.append(
            Readiness(
                kind="role",
                object_id=role.pk,
                title=role.name,
                url=role_url(role.workspace.slug, role.pk),
                checks=checks,
                holder_ids=[h.membership_id for h in current],
                contributors_90d=len(recent),
            )
        )
    return result
