"""What the delivery layer plugs into: it is a notification channel, it runs scheduled jobs,
and it has a section on the member's profile page."""

from datetime import datetime

from meridian.core import registry
from meridian.core.scheduler import Job
from meridian.delivery import schedule
from meridian.delivery.rules import WEEKLY_KIND
from meridian.delivery.selectors import held_for_cause, members_not_now, urgent_budget_for
from meridian.delivery.services import (
    delivery_accept,
    delivery_accept_many,
    delivery_stop_for,
    held_rehold,
    urgent_budget_check,
)
from meridian.delivery.views import profile_panel
from meridian.workspaces.models import Membership

registry.register(registry.NOTIFICATION_CHANNELS, delivery_accept)
registry.register(registry.NOTIFICATION_CHANNEL_BATCHES, (delivery_accept, delivery_accept_many))

# Not a notification anyone sends: the preferences page's switch for the weekly summary (what
# areas add through registry.DIGEST_SECTIONS, e.g. the goals' status), "Inbox only" being off.
registry.notification_kind(
    registry.NotificationKind(
        WEEKLY_KIND,
        label="Weekly summary (goals' status)",
        default_channel="digest",
        description="Once a week in your first digest, or on its own at your digest time on "
        "the week's first working day. Inbox only: none.",
    )
)


def _deactivated(member: Membership, now: datetime) -> None:
    delivery_stop_for(recipient=member, now=now)


# A removed member is emailed nothing more (held, digest, retried).
registry.register(registry.MEMBER_DEACTIVATED, _deactivated)


def _hours_changed(member: Membership, now: datetime) -> None:
    held_rehold(member=member, now=now)


# Email held for a member's next allowed moment follows their new hours (sooner or later).
registry.register(registry.MEMBER_HOURS_CHANGED, _hours_changed)

# In this order: a tick builds the digests that are due before it hands built ones to email.
registry.register(registry.SCHEDULED_JOBS, Job("delivery.send", schedule.deliveries_due))
registry.register(registry.SCHEDULED_JOBS, Job("delivery.digest", schedule.digests_due))
registry.register(registry.SCHEDULED_JOBS, Job("delivery.weekly", schedule.weekly_digests_due))
registry.register(registry.SCHEDULED_JOBS, Job("digest.send", schedule.digests_to_send))
registry.register(registry.SCHEDULED_JOBS, Job("delivery.retry", schedule.deliveries_to_retry))
registry.register(registry.SCHEDULED_JOBS, Job("digest.retry", schedule.digests_to_retry))

# Workspace settings for admins: the weekly urgent budget.
registry.nav(
    registry.NavEntry(
        label="Settings",
        url_name="urgent_policy",
        order=85,
        current_prefixes=("urgent_policy",),
        group="Workspace",
        visible=lambda membership: bool(membership and membership.is_admin),
    )
)

# Read by the profile page (meridian.workspaces.views.PROFILE_PANELS).
registry.register("profile_panels", profile_panel)


def _held(viewer: Membership, cause: str, now: datetime) -> dict[int, str]:
    return held_for_cause(viewer=viewer, cause=cause, now=now)


def _urgent_check(sender: Membership, now: datetime) -> None:
    urgent_budget_check(sender=sender, now=now)


def _urgent_left(viewer: Membership, now: datetime) -> tuple[int, int]:
    budget = urgent_budget_for(viewer=viewer, now=now)
    return budget.left, budget.weekly_budget


# Read by the pages of asks (a brief's participants, a proposal's): who is not yet told, and
# when; and by the forms that offer "urgent" to a sender.
registry.register(registry.HELD_NOTES, _held)
# Read by jobs that pick their own moment to nudge someone (check-in reminders).
registry.register(registry.NOT_NOW, members_not_now)
registry.register(registry.URGENT_CHECKS, _urgent_check)
registry.register(registry.URGENT_BUDGETS, _urgent_left)
