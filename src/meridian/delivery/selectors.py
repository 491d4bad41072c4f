"""Reads of the delivery layer, each taking the viewer."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from django.db.models import Exists, OuterRef

from meridian.core import registry
from meridian.core.moments import local_date, moment_text, reader_zone
from meridian.delivery import rules as delivery_rules
from meridian.delivery.holding import (
    format_quiet_hours,
    hold_until,
    is_allowed,
    local_moment,
    rules_for,
)
from meridian.delivery.models import Delivery, DeliveryPreference, DeliverySettings, UrgentUse
from meridian.delivery.services import urgent_budget
from meridian.notifications.models import InboxItem, InboxState
from meridian.workspaces.models import Membership, Profile


@dataclass(frozen=True)
class KindChoice:
    """One kind of notification and the channel the viewer receives it on."""

    kind: str
    label: str
    description: str
    default_channel: str
    channel: str


@dataclass(frozen=True)
class Preferences:
    """The viewer's delivery preferences as the page and the API show them."""

    kinds: list[KindChoice]
    quiet_hours: list[list[int]]
    quiet_hours_text: str
    digest_time: time | None
    time_zone: str


def preferences_for(*, viewer: Membership) -> Preferences:
    """Every declared kind with the viewer's channel for it, their quiet hours and digest time."""
    chosen = dict(
        DeliveryPreference.objects.filter(membership_id=viewer.pk).values_list("kind", "channel")
    )
    kinds = [
        KindChoice(
            kind=kind.name,
            label=kind.label,
            description=kind.description,
            default_channel=kind.default_channel,
            channel=chosen.get(kind.name, kind.default_channel),
        )
        for kind in sorted(registry.notification_kinds().values(), key=lambda k: k.label)
    ]
    quiet = delivery_rules.quiet_hours_of(viewer.pk)
    profile = Profile.objects.get(membership_id=viewer.pk)
    return Preferences(
        kinds=kinds,
        quiet_hours=quiet,
        quiet_hours_text=format_quiet_hours(quiet),
        digest_time=profile.digest_time,
        time_zone=profile.time_zone,
    )


def _zone_of(member_id: int) -> str:
    return (
        Profile.objects.filter(membership_id=member_id).values_list("time_zone", flat=True).first()
        or "UTC"
    )


def held_text(until: datetime | None, *, viewer_zone: str, now: datetime) -> str:
    """ "Held until 09:00 Europe/Berlin (your time)" for a sender, or "" when it goes out now."""
    if until is None or until <= now:
        return ""
    style = "time" if local_date(until, viewer_zone) == local_date(now, viewer_zone) else "datetime"
    return f"Held until {moment_text(until, viewer_zone, style)} (your time)"


@dataclass(frozen=True)
class Hold:
    """When a notification sent now would reach a recipient, told in the sender's own zone."""

    recipient_id: int
    until: datetime | None
    text: str


def hold_for(*, viewer: Membership, recipient: Membership, now: datetime) -> Hold:
    """Whether a notification the viewer sends ``recipient`` now would be held, and until when,
    in the viewer's zone ("Held until 09:00 Europe/Berlin (your time)")."""
    rules = delivery_rules.member_rules(Profile.objects.get(membership_id=recipient.pk))
    until = hold_until(rules, now)
    if until is not None and until <= now:
        until = None
    return Hold(
        recipient_id=recipient.pk,
        until=until,
        text=held_text(until, viewer_zone=_zone_of(viewer.pk), now=now),
    )


def delivery_held_text(*, viewer: Membership, delivery: Delivery, now: datetime) -> str:
    """The held text of a delivery not yet sent, in the viewer's zone ("" once it went out)."""
    if delivery.sent_at is not None or delivery.deliver_after is None:
        return ""
    return held_text(delivery.deliver_after, viewer_zone=_zone_of(viewer.pk), now=now)


def held_for_cause(*, viewer: Membership, cause: str, now: datetime) -> dict[int, str]:
    """For the sender: recipients whose email about ``cause`` is still held, with when it goes
    out in the sender's own zone ("email held until 09:00 Europe/Lisbon (your time)").

    One query for every recipient, so a page listing them stays at a constant query count.
    """
    items = InboxItem.objects.filter(recipient_id=OuterRef("recipient_id"), cause=cause[:120])
    held = (
        Delivery.objects.filter(
            workspace_id=viewer.workspace_id,
            cause=cause[:200],
            sent_at__isnull=True,
            deliver_after__gt=now,
        )
        # Not for someone whose item is gone (they responded, were taken off): it is never sent.
        .filter(
            Exists(items.exclude(state=InboxState.GONE))
            | ~Exists(items.filter(state=InboxState.GONE))
        )
        .values_list("recipient_id", "deliver_after")
    )
    rows = list(held)
    if not rows:
        return {}
    zone = _zone_of(viewer.pk)
    notes: dict[int, str] = {}
    for recipient_id, until in rows:
        text = held_text(until, viewer_zone=zone, now=now)
        if text:
            notes[recipient_id] = "email h" + text[1:]
    return notes


@dataclass(frozen=True)
class UrgentBudget:
    """How many urgent notifications the viewer may still send this week, and when it refills."""

    weekly_budget: int
    used: int
    left: int
    refills_at: datetime
    text: str


def urgent_budget_for(*, viewer: Membership, now: datetime) -> UrgentBudget:
    """The viewer's urgent budget this week (their local week, from Monday 00:00)."""
    zone = _zone_of(viewer.pk)
    week = delivery_rules.week_start(zone, now)
    used = UrgentUse.objects.filter(sender_id=viewer.pk, week=week).count()
    weekly = urgent_budget(viewer.workspace_id)
    refills = local_moment(reader_zone(zone), week + timedelta(days=7), time(0, 0))
    left = max(weekly - used, 0)
    return UrgentBudget(
        weekly_budget=weekly,
        used=used,
        left=left,
        refills_at=refills,
        text=f"{left} of {weekly} urgent notifications left this week; the budget refills on "
        f"{moment_text(refills, zone, 'datetime')}.",
    )


def members_not_now(member_ids: Iterable[int], now: datetime) -> set[int]:
    """The members whose rules forbid a non-urgent nudge at ``now``: outside their working
    hours, in a focus block or in their quiet hours (two queries, whatever the number)."""
    ids = list(member_ids)
    if not ids:
        return set()
    quiet = dict(
        DeliverySettings.objects.filter(membership_id__in=ids).values_list(
            "membership_id", "quiet_hours"
        )
    )
    busy = set()
    for member_id, zone, hours, focus in Profile.objects.filter(membership_id__in=ids).values_list(
        "membership_id", "time_zone", "working_hours", "focus_blocks"
    ):
        rules = rules_for(zone, hours, focus, quiet.get(member_id) or [])
        if not is_allowed(rules, now):
            busy.add(member_id)
    return busy
