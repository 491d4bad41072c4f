"""Every read of the inbox: a member's items by their own deadline, counts, and why each is there."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, F, Q, QuerySet
from django.utils import timezone

from meridian.core.moments import moment_text
from meridian.notifications import snooze
from meridian.notifications.models import InboxItem, InboxState
from meridian.notifications.services import member_week_for
from meridian.workspaces.models import Membership

VIEWS = ("open", "snoozed", "done")
LIST_FIELDS = (
    "workspace_id",
    "recipient_id",
    "kind",
    "cause",
    "title",
    "reason",
    "url",
    "actor_id",
    "due_at",
    "created_at",
    "updated_at",
    "state",
    "snoozed_until",
    "done_at",
)


def _waiting(now: datetime) -> Q:
    return Q(state=InboxState.OPEN) & (Q(snoozed_until__isnull=True) | Q(snoozed_until__lte=now))


def inbox_list_for(
    *, viewer: Membership, view: str = "open", now: datetime | None = None
) -> QuerySet[InboxItem]:
    """The viewer's items: ``open`` (waiting now; a snooze that has passed is back by itself),
    ``snoozed`` or ``done``. Open items go by the viewer's own deadline, those without one after,
    newest first; snoozed by when they return; done most recent first (``all``: unordered)."""
    now = now or timezone.now()
    # Only what a list shows: the actor's name, not their membership and profile rows.
    rows = (
        InboxItem.objects.filter(recipient=viewer)
        .select_related("actor__profile")
        .only(*LIST_FIELDS, "actor__id", "actor__profile__id", "actor__profile__display_name")
    )
    if view == "snoozed":
        return rows.filter(state=InboxState.OPEN, snoozed_until__gt=now).order_by(
            "snoozed_until", "-id"
        )
    if view == "done":
        return rows.filter(state=InboxState.DONE).order_by("-done_at", "-id")
    if view == "all":
        return rows
    return rows.filter(_waiting(now)).order_by(
        F("due_at").asc(nulls_last=True), "-created_at", "-id"
    )


def inbox_items_in_order(*, viewer: Membership, ids: Iterable[int]) -> list[InboxItem]:
    """The viewer's items of one page, in the page's order.

    A page is chosen over the ids alone (``inbox_list_for(...).values_list("pk")[a:b]``), then
    its rows are read with their actors: a deep page then walks an index, not every row
    before it with its joins.
    """
    wanted = list(ids)
    rows = inbox_list_for(viewer=viewer, view="all").filter(pk__in=wanted).in_bulk()
    return [rows[pk] for pk in wanted if pk in rows]


def inbox_count_for(*, viewer: Membership, now: datetime | None = None) -> int:
    """How many items wait for the viewer now (the nav's badge)."""
    return InboxItem.objects.filter(Q(recipient=viewer) & _waiting(now or timezone.now())).count()


def inbox_counts_for(
    *, viewer: Membership, now: datetime | None = None, done: bool = True
) -> dict[str, int | None]:
    """The viewer's items per view: open, snoozed, done, in one statement.

    One pass over the viewer's entries of the (recipient, state, snoozed_until) index answers
    all three (``COUNT(state) FILTER (WHERE ...)`` on PostgreSQL: every column it reads is in
    that index, so an index-only scan when the table is vacuumed): one round trip instead of
    three. Gone items are not read. Done items pile up for as long as the member stays: with
    ``done=False`` they are not counted (``"done": None``), so the inbox page's cost follows
    what waits, not everything ever done.
    """
    now = now or timezone.now()
    states = [InboxState.OPEN, InboxState.DONE] if done else [InboxState.OPEN]
    counts = InboxItem.objects.filter(recipient=viewer, state__in=states).aggregate(
        open=Count("state", filter=_waiting(now)),
        snoozed=Count("state", filter=Q(state=InboxState.OPEN, snoozed_until__gt=now)),
        **({"done": Count("state", filter=Q(state=InboxState.DONE))} if done else {}),
    )
    return {view: (int(counts[view] or 0) if view in counts else None) for view in VIEWS}


@dataclass(frozen=True)
class InboxEntry:
    """One item as the viewer reads it: why it is there, their deadline in their own time."""

    item: InboxItem
    why: str
    due_text: str
    overdue: bool
    snoozed_text: str


def inbox_entries_for(
    *, viewer: Membership, items: Iterable[InboxItem], now: datetime | None = None
) -> list[InboxEntry]:
    """Explain each item to the viewer: "Ada asked you to respond by the end of your Thursday"."""
    now = now or timezone.now()
    week = member_week_for(viewer)
    zone = week.zone.key
    entries = []
    phrases: dict[datetime, str] = {}  # many items share a deadline (the end of the same day)
    for item in items:
        due = ""
        if item.due_at is not None:
            due = phrases.get(item.due_at) or phrases.setdefault(
                item.due_at, snooze.due_phrase(item.due_at, week, now)
            )
        why = f"{item.reason} {due}".strip() if due else item.reason
        snoozed = ""
        if item.snoozed_until is not None and item.snoozed_until > now:
            snoozed = moment_text(item.snoozed_until, zone, "datetime")
        entries.append(
            InboxEntry(
                item=item,
                why=why,
                due_text=moment_text(item.due_at, zone, "datetime") if item.due_at else "",
                overdue=item.due_at is not None and item.due_at <= now,
                snoozed_text=snoozed,
            )
        )
    return entries
