"""Reads of the handovers area that pages and the API share; each takes the viewer."""

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ObjectDoesNotExist
from django.db.models import Count, Prefetch, Q, QuerySet

from meridian.core.errors import NotFound
from meridian.handovers.kinds import HandoverKind, Packet, Readiness, handover_kinds
from meridian.handovers.models import Handover, HandoverComment, HandoverState
from meridian.workspaces.models import Membership

# An item is at risk when one person carried it for 90 days and its readiness is below this.
AT_RISK_BELOW = 70
# "Hand over everything" assembles a packet preview for at most this many items.
PREVIEW_PACKETS = 100


def pending_handovers(workspace_id: int, kind: str, ids: list[int]) -> dict[int, Handover]:
    """The open handover of each of these items that has one, with giver and receiver (1 query)."""
    if not ids:
        return {}
    rows = Handover.objects.filter(
        workspace_id=workspace_id, kind=kind, object_id__in=ids, state=HandoverState.PENDING
    ).select_related("giver__profile", "receiver__profile", "giver__user", "receiver__user")
    return {row.object_id: row for row in rows}


# --- Lists ----------------------------------------------------------------------------------

DIRECTIONS = {
    "all": "Incoming and outgoing",
    "incoming": "Handed to me",
    "outgoing": "Handed by me",
}
STATES = {"": "Any state", **{value: label for value, label in HandoverState.choices}}


@dataclass(frozen=True)
class HandoverFilters:
    """One filter definition for the list page and the API list."""

    direction: str = "all"
    state: str = ""
    kind: str = ""
    batch: int | None = None


def handover_list_for(*, viewer: Membership, filters: HandoverFilters) -> QuerySet[Handover]:
    """The viewer's handovers (given, received or started), newest first, in one query."""
    mine = Q(giver_id=viewer.pk) | Q(receiver_id=viewer.pk) | Q(created_by_id=viewer.pk)
    if filters.direction == "incoming":
        mine = Q(receiver_id=viewer.pk)
    elif filters.direction == "outgoing":
        mine = Q(giver_id=viewer.pk) | Q(created_by_id=viewer.pk)
    rows = Handover.objects.filter(mine, workspace_id=viewer.workspace_id)
    if filters.state in HandoverState.values:
        rows = rows.filter(state=filters.state)
    if filters.kind:
        rows = rows.filter(kind=filters.kind)
    if filters.batch is not None:
        rows = rows.filter(batch_id=filters.batch)
    return (
        rows.select_related("giver__profile", "receiver__profile")
        .annotate(
            open_questions=Count(
                "comments",
                filter=Q(comments__is_question=True, comments__answered_at__isnull=True),
            )
        )
        .order_by("-created_at", "-id")
    )


def noun_of(kind: str) -> str:
    found = handover_kinds().get(kind)
    return found.noun if found is not None else kind


# --- One handover ---------------------------------------------------------------------------


@dataclass
class HandoverDetail:
    """What the packet page shows: the handover, the item's packet now, and the thread."""

    handover: Handover
    noun: str
    item_url: str
    packet: Packet | None
    questions: list[HandoverComment]
    can_acknowledge: bool
    can_cancel: bool
    can_talk: bool

    @property
    def open_questions(self) -> int:
        return sum(1 for q in self.questions if q.is_open_question)


def handover_detail_for(*, viewer: Membership, handover: Handover) -> HandoverDetail:
    """The packet assembled now by the item's kind, the questions with their answers."""
    kind: HandoverKind | None = handover_kinds().get(handover.kind)
    packet = None
    item_url = ""
    if kind is not None:
        item_url = kind.url(viewer.workspace.slug, handover.object_id)
        try:
            packet = kind.packet(viewer, handover.object_id)
        except (NotFound, ObjectDoesNotExist):  # the item is gone or hidden: the page says so
            packet = None
    answers = HandoverComment.objects.select_related("author__profile").order_by("created_at", "id")
    questions = list(
        HandoverComment.objects.filter(handover=handover, parent__isnull=True)
        .select_related("author__profile")
        .prefetch_related(Prefetch("answers", queryset=answers))
    )
    pending = handover.state == HandoverState.PENDING
    party = viewer.pk in (handover.giver_id, handover.receiver_id)
    return HandoverDetail(
        handover=handover,
        noun=kind.noun if kind is not None else handover.kind,
        item_url=item_url,
        packet=packet,
        questions=questions,
        can_acknowledge=pending and viewer.pk == handover.receiver_id,
        can_cancel=pending
        and (viewer.pk in (handover.giver_id, handover.created_by_id) or viewer.is_admin),
        can_talk=party and handover.state != HandoverState.CANCELLED,
    )


# --- Hand over everything -------------------------------------------------------------------


@dataclass(frozen=True)
class OwnedItem:
    """Something a member holds now, of one registered kind."""

    kind: str
    noun: str
    object_id: int
    label: str
    url: str
    pending: Handover | None = None

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.object_id}"


def owned_items_for(*, viewer: Membership, member: Membership) -> list[OwnedItem]:
    """Everything ``member`` holds through every kind, with any handover already under way.

    Two queries per kind (the kind's ``owned`` and the pending handovers), however many items.
    """
    items: list[OwnedItem] = []
    slug = viewer.workspace.slug
    for kind in handover_kinds().values():
        owned = kind.owned(viewer.workspace_id, member.pk)
        pending = pending_handovers(viewer.workspace_id, kind.kind, [pk for pk, _ in owned])
        items.extend(
            OwnedItem(kind.kind, kind.noun, pk, label, kind.url(slug, pk), pending.get(pk))
            for pk, label in owned
        )
    return items


def packets_for(*, viewer: Membership, items: list[OwnedItem]) -> dict[str, Packet]:
    """The packets of the first ``PREVIEW_PACKETS`` items, by ``kind:id``, for the preview."""
    kinds = handover_kinds()
    packets: dict[str, Packet] = {}
    for item in items[:PREVIEW_PACKETS]:
        kind = kinds.get(item.kind)
        if kind is not None:
            packets[item.key] = kind.packet(viewer, item.object_id)
    return packets


# --- Readiness ------------------------------------------------------------------------------


@dataclass
class MemberRisk:
    """One member and the items only they carried that are not ready to be picked up."""

    member: Membership
    items: list[Readiness] = field(default_factory=list)
    held: int = 0

    @property
    def count(self) -> int:
        return len(self.items)


@dataclass
class GroupRisk:
    """One project (or other group) and its at-risk items."""

    name: str
    url: str
    items: list[Readiness] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.items)


@dataclass
class ReadinessReport:
    members: list[MemberRisk]
    groups: list[GroupRisk]
    nouns: dict[str, str]
    threshold: int = AT_RISK_BELOW
    # For admins: items still held by members who left, per member (whatever their score).
    departed: list[MemberRisk] = field(default_factory=list)

    @property
    def most(self) -> int:
        return max((m.count for m in self.members), default=0)

    @property
    def total(self) -> int:
        return sum(m.count for m in self.members)


def is_at_risk(item: Readiness) -> bool:
    """One contributor in 90 days and a readiness below the threshold."""
    return item.bus_factor_one and item.score < AT_RISK_BELOW


def readiness_items(workspace_id: int, kind: str | None = None) -> list[Readiness]:
    """Every open item's readiness across the registered kinds (each kind's own queries)."""
    found: list[Readiness] = []
    for handable in handover_kinds().values():
        if handable.readiness is None or (kind and handable.kind != kind):
            continue
        found.extend(handable.readiness(workspace_id, None))
    return found


def readiness_for(
    *, viewer: Membership, member_id: int | None = None, kind: str | None = None
) -> ReadinessReport:
    """What would stall if each member were away tomorrow, worst first (everyone may see it)."""
    items = readiness_items(viewer.workspace_id, kind)
    held: dict[int, int] = defaultdict(int)
    at_risk: dict[int, list[Readiness]] = defaultdict(list)
    groups: dict[tuple[str, str], list[Readiness]] = defaultdict(list)
    for item in items:
        for holder in item.holder_ids:
            held[holder] += 1
        if not is_at_risk(item):
            continue
        holders = [h for h in item.holder_ids if member_id is None or h == member_id]
        for holder in holders:
            at_risk[holder].append(item)
        if holders and item.group:
            groups[(item.group, item.group_url)].append(item)
    people = Membership.objects.filter(
        workspace_id=viewer.workspace_id, is_active=True, pk__in=list(at_risk)
    ).select_related("profile")
    members = [
        MemberRisk(member=m, items=sorted(at_risk[m.pk], key=_worst_first), held=held[m.pk])
        for m in people
    ]
    members.sort(key=lambda r: (-r.count, r.member.profile.display_name, r.member.pk))
    group_rows = [
        GroupRisk(name=name, url=url, items=sorted(rows, key=_worst_first))
        for (name, url), rows in groups.items()
    ]
    group_rows.sort(key=lambda g: (-g.count, g.name))
    nouns = {k: v.noun for k, v in handover_kinds().items()}
    departed = _departed_holders(viewer, items, member_id) if viewer.is_admin else []
    return ReadinessReport(members=members, groups=group_rows, nouns=nouns, departed=departed)


def _departed_holders(
    viewer: Membership, items: list[Readiness], member_id: int | None
) -> list[MemberRisk]:
    """The items held by members who left, per member (one query): someone must take them."""
    holders = {h for item in items for h in item.holder_ids}
    if member_id is not None:
        holders &= {member_id}
    gone = list(
        Membership.objects.filter(
            workspace_id=viewer.workspace_id, is_active=False, pk__in=holders
        ).select_related("profile")
    )
    rows = [
        MemberRisk(
            member=m,
            items=sorted((i for i in items if m.pk in i.holder_ids), key=_worst_first),
        )
        for m in gone
    ]
    for row in rows:
        row.held = row.count
    rows.sort(key=lambda r: (-r.count, r.member.profile.display_name, r.member.pk))
    return rows


def _worst_first(item: Readiness) -> tuple[Any, ...]:
    return (item.score, item.kind, item.title, item.object_id)


def readiness_one(viewer: Membership, kind: str, object_id: int) -> Readiness | None:
    """One item's readiness (for its page's panel), or None when its kind scores nothing."""
    handable = handover_kinds().get(kind)
    if handable is None or handable.readiness is None:
        return None
    found = handable.readiness(viewer.workspace_id, [object_id])
    return found[0] if found else None
