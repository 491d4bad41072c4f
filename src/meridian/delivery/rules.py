"""A member's delivery rules and channel choices, read from the database (shared by services,
selectors and the scheduler)."""

from collections.abc import Iterable
from datetime import date, datetime, time, timedelta

from meridian.core import registry
from meridian.core.moments import reader_zone
from meridian.delivery.holding import Rules, local_moment, rules_for
from meridian.delivery.models import Channel, DeliveryPreference, DeliverySettings
from meridian.workspaces.models import Membership, Profile

# The digest goes out at this local time for a member who has not chosen one.
DEFAULT_DIGEST_TIME = time(9, 0)
# The weekly summary (what the areas add through registry.DIGEST_SECTIONS: the goals' status) is
# a kind of its own on the preferences page: "Inbox only" turns it off.
WEEKLY_KIND = "digest.weekly"


def quiet_hours_of(membership_id: int) -> list[list[int]]:
    """The member's quiet hours as stored ([] when they never set any)."""
    found = (
        DeliverySettings.objects.filter(membership_id=membership_id)
        .values_list("quiet_hours", flat=True)
        .first()
    )
    return list(found or [])


def member_rules(profile: Profile, quiet_hours: Iterable[list[int]] | None = None) -> Rules:
    """The member's rules now: working hours, focus blocks and quiet hours, in their zone."""
    quiet = quiet_hours if quiet_hours is not None else quiet_hours_of(profile.membership_id)
    return rules_for(profile.time_zone, profile.working_hours, profile.focus_blocks, quiet)


def channel_for(membership: Membership | int, kind: str) -> str:
    """The channel this member receives ``kind`` on: their choice, else the kind's default
    (a kind nobody declared goes by email at once, held for the right moment)."""
    member_id = membership if isinstance(membership, int) else membership.pk
    chosen = (
        DeliveryPreference.objects.filter(membership_id=member_id, kind=kind)
        .values_list("channel", flat=True)
        .first()
    )
    if chosen:
        return chosen
    declared = registry.notification_kinds().get(kind)
    return declared.default_channel if declared else Channel.NOW


def digest_moment(zone_name: str, digest_time: time | None, day: date) -> datetime:
    """When the member's digest for local ``day`` is due, as a real instant."""
    return local_moment(reader_zone(zone_name), day, digest_time or DEFAULT_DIGEST_TIME)


def week_start(zone_name: str, now: datetime) -> date:
    """The Monday of the member's local week at ``now``."""
    today = now.astimezone(reader_zone(zone_name)).date()
    return today - timedelta(days=today.weekday())


def weekly_off(member_ids: Iterable[int]) -> set[int]:
    """The members (of ``member_ids``) who turned the weekly summary off; one query."""
    return set(
        DeliveryPreference.objects.filter(
            membership_id__in=list(member_ids), kind=WEEKLY_KIND, channel=Channel.INBOX
        ).values_list("membership_id", flat=True)
    )


def week_monday(day: date) -> date:
    return day - timedelta(days=day.weekday())
