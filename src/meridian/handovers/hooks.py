"""What the handovers area plugs into the others (see meridian.core.registry): the readiness
page in the navigation, the "Hand over" and readiness panels on the pages of every handable
item, its notification kinds and inbox sources, and its demo data."""

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.safestring import SafeString

from meridian.core import registry
from meridian.core.registry import NotificationKind
from meridian.core.scheduler import Job
from meridian.handovers import metrics as handover_metrics
from meridian.handovers import schedule
from meridian.handovers.demo import demo_handovers
from meridian.handovers.kinds import handover_kinds
from meridian.handovers.selectors import pending_handovers, readiness_one
from meridian.handovers.services import member_departed
from meridian.notifications.sources import InboxSource, inbox_source
from meridian.workspaces.models import Membership

registry.nav(
    registry.NavEntry(
        label="Readiness",
        url_name="handover_readiness",
        order=28,
        current_prefixes=("handover_readiness",),
        group="Work",
    )
)

for notification in (
    NotificationKind("handovers.received", "Handed a task, project or role", "now"),
    NotificationKind("handovers.question", "Asked a question on a handover", "now"),
    NotificationKind("handovers.answered", "Your question on a handover was answered", "now"),
    NotificationKind("handovers.acknowledged", "Someone took over what you handed them", "digest"),
    NotificationKind("handovers.cancelled", "A handover to you was cancelled", "digest"),
    NotificationKind(
        "handovers.receiver_left", "Someone you were handing an item to left the workspace", "now"
    ),
):
    registry.notification_kind(notification)

inbox_source(
    InboxSource("handovers.received", "Handovers to acknowledge", "{actor} is handing you this")
)
inbox_source(
    InboxSource("handovers.batch", "Handovers to acknowledge", "{actor} is handing you these")
)
inbox_source(
    InboxSource(
        "handovers.returned",
        "Handovers back with you",
        "{actor} cancelled this handover",
        reason_without_actor="The receiver left the workspace: hand it to someone else",
    )
)
inbox_source(
    InboxSource("handovers.question", "Questions on handovers", "{actor} asked you a question")
)


def _actions(kind: str) -> Any:
    """The "Hand over" link, or the "In handover: A → B" badge, on an item of ``kind``."""

    def context(viewer: Any, object_id: int) -> dict[str, Any] | None:
        if viewer is None or kind not in handover_kinds():
            return None
        pending = pending_handovers(viewer.workspace_id, kind, [object_id]).get(object_id)
        new_url = reverse("handover_new", kwargs={"workspace": viewer.workspace.slug})
        return {
            "handover_pending": pending,
            "handover_new_url": f"{new_url}?kind={kind}&id={object_id}",
            "handover_may": viewer.role != "guest",
        }

    return context


def _readiness(kind: str) -> Any:
    """One item's readiness score and its reasons."""

    def context(viewer: Any, object_id: int) -> dict[str, Any] | None:
        if viewer is None:
            return None
        found = readiness_one(viewer, kind, object_id)
        return None if found is None else {"readiness": found}

    return context


for point, kind in (
    ("task.actions", "task"),
    ("project.actions", "project"),
    ("role.actions", "role"),
):
    registry.panel(
        registry.Panel(point, "handovers/_panel_actions.html", context=_actions(kind), order=50)
    )
    registry.panel(
        registry.Panel(point, "handovers/_panel_readiness.html", context=_readiness(kind), order=60)
    )

# After work (tasks, projects) and roles have seeded what people hold.
registry.demo_seeder(registry.DemoSeeder(name="handovers", order=80, seed=demo_handovers))


def _departed(member: Membership, now: datetime) -> None:
    member_departed(member=member, now=now)


# Nothing waits for a member who left: handovers to them are cancelled, their givers told.
registry.register(registry.MEMBER_DEACTIVATED, _departed)


# "Hand over everything" where people look for it: an admin's column of each row of the Members
# page, and one's own profile page ("Going on leave?").
registry.panel(registry.Panel("member.row", "handovers/_panel_member_row.html", order=50))


def _profile_panel(request: HttpRequest, member: Membership) -> SafeString:
    if member.role == "guest":
        return SafeString("")
    context = {"workspace": member.workspace}
    return SafeString(render_to_string("handovers/_profile_panel.html", context, request=request))


# Read by the profile page (meridian.workspaces.views.PROFILE_PANELS).
registry.register("profile_panels", _profile_panel)


# --- Metrics: readiness, from the daily snapshots (meridian.handovers.metrics) -----------------

registry.register(registry.SCHEDULED_JOBS, Job(schedule.JOB, schedule.readiness_snapshots))

_SNAPSHOTS = (
    "Readiness snapshots: each open item's readiness score and contributors in 90 days, "
    "taken once a day, with its holder and project"
)
for _definition in (
    registry.MetricDefinition(
        key="handover_readiness",
        label="Handover readiness",
        definition=(
            "How ready open tasks, projects and roles are to be picked up by someone else: "
            "the average readiness score (0–100, the readiness page's) of the open items, "
            "over the days of the period (a snapshot a day)."
        ),
        formula="Σ readiness scores ÷ number of (item, day) snapshots in the period",
        unit="score (0–100)",
        sources=_SNAPSHOTS,
        aggregation="mean",
        source_kind="readiness_snapshot",
        facts=handover_metrics.readiness_facts,
        area="Work",
        order=15,
    ),
    registry.MetricDefinition(
        key="bus_factor_one_items",
        label="Bus-factor-1 items",
        definition=(
            "How many open items had at most one contributor in the last 90 days, in the "
            "latest daily snapshot by the end of the period: what would stall if that one "
            "person were away."
        ),
        formula="count of open items with ≤ 1 contributor in 90 days, latest snapshot",
        unit="items",
        sources=_SNAPSHOTS,
        aggregation="level",
        source_kind="readiness_snapshot",
        facts=handover_metrics.bus_factor_facts,
        area="Work",
        order=16,
    ),
):
    registry.metric(_definition)

# The workspace events handovers emit (meridian.handovers.events), which webhooks may send.
for _event in (
    registry.WebhookEvent(
        "handover.started",
        "An item was handed to another member, who has yet to acknowledge it",
        ("handover", "actor"),
    ),
    registry.WebhookEvent(
        "handover.acknowledged",
        "The receiver acknowledged a handover and took the item over",
        ("handover", "actor"),
    ),
):
    registry.webhook_event(_event)
