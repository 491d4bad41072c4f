"""What the tracking area plugs into the others: the "Time" entry of the navigation (with a
running-timer badge), the retention job and the demo data. No search documents (on purpose:
time entries are private) and no notifications."""

from typing import Any

from meridian.core import registry
from meridian.core.scheduler import Job
from meridian.handovers.kinds import PacketEntry, PacketSection
from meridian.tracking import metrics as tracking_metrics
from meridian.tracking import schedule
from meridian.tracking.demo import demo_tracking
from meridian.tracking.selectors import policy_for, time_spent_on
from meridian.tracking.services import access_record
from meridian.tracking.templatetags.tracking import duration

registry.nav(
    registry.NavEntry(
        label="Time",
        url_name="tracking_home",
        order=40,
        current_prefixes=("tracking_",),
        group="Measure",
        badge_url_name="tracking_timer_badge",
        badge_event="timer-changed",
    )
)

# The timer on every page: a slot that loads its control by htmx, so a page costs no query.
registry.panel(registry.Panel(point="site.header", template="tracking/_timer_slot.html"))

registry.register(registry.SCHEDULED_JOBS, Job(schedule.JOB, schedule.slots_retention))


def _min_group_size(workspace_id: int) -> int:
    return policy_for(workspace_id).min_group_size


# The policy's k is the workspace's k: other areas' group figures (check-in moods) respect it.
registry.register(registry.MIN_GROUP_SIZE, _min_group_size)

registry.demo_seeder(registry.DemoSeeder(name="tracking", order=80, seed=demo_tracking))


@registry.hook(registry.PACKET_SECTIONS)
def time_spent_section(viewer: Any, kind: str, object_id: int) -> list[PacketSection]:
    """The handover packet's "Time spent": each person's tracked time on the item as far as the
    workspace's policy lets the reader see it (read figures of others go to their access log);
    the rest only as one total of at least k people."""
    if kind not in {"task", "project"}:
        return []
    spent = time_spent_on(viewer=viewer, kind=kind, object_id=object_id)
    entries = []
    for member, seconds in spent.shown:
        access_record(viewer=viewer, subject=member, what=f"time spent on {kind} {object_id}")
        entries.append(PacketEntry(text=duration(seconds), person=member.profile.display_name))
    if spent.hidden_seconds is not None:
        entries.append(
            PacketEntry(
                text=duration(spent.hidden_seconds),
                person=f"{spent.hidden_people} other people together",
            )
        )
    elif spent.hidden_people:
        people = "person" if spent.hidden_people == 1 else "people"
        entries.append(
            PacketEntry(
                text=f"{spent.hidden_people} other {people} tracked time on this; their "
                f"figures are theirs to see (the workspace's tracking policy shows a total "
                f"only for {spent.min_group_size} people or more)."
            )
        )
    return [PacketSection("time", "Time spent", entries, "Nobody tracked time on this.")]


# --- Metrics: time, from finished time entries (meridian.tracking.metrics) ---------------------

_ACTIVITY = "Synced activity: each member's active seconds per category and day"
_ENTRIES = "Time entries: start, end, the member's working hours, the project linked"
for _definition in (
    registry.MetricDefinition(
        key="time_tracked",
        label="Hours tracked",
        definition=(
            "Hours of finished time entries, by when they started; per project for entries "
            "linked to a project. A person's figures follow the workspace's tracking policy."
        ),
        formula="Σ (end − start) of finished time entries started in the period, in hours",
        unit="hours",
        sources=_ENTRIES,
        aggregation="sum",
        source_kind="time_entry",
        facts=tracking_metrics.tracked_facts,
        area="Time",
        order=40,
        visible=tracking_metrics.visible,
        read=tracking_metrics.read_logged,
    ),
    registry.MetricDefinition(
        key="time_outside_hours",
        label="Hours tracked outside working hours",
        definition=(
            "Of the hours tracked, those outside the person's own working hours; divided by "
            "Hours tracked it is the share outside working hours. Visible to that person; a "
            "team's only with at least the policy's k members."
        ),
        formula="Σ (entry hours − entry hours inside the member's working hours)",
        unit="hours",
        sources=_ENTRIES,
        aggregation="sum",
        source_kind="time_entry",
        facts=tracking_metrics.outside_facts,
        area="Time",
        order=41,
        visible=tracking_metrics.visible,
        read=tracking_metrics.read_logged,
    ),
    registry.MetricDefinition(
        key="activity_hours",
        label="Hours active (synced activity)",
        definition=(
            "Active hours the desktop agents synced, per category of activity (the drill-down "
            "names each day's category). A person's figures follow the workspace's tracking "
            "policy."
        ),
        formula="Σ active seconds of each member's daily activity per category ÷ 3,600",
        unit="hours",
        sources=_ACTIVITY,
        aggregation="sum",
        source_kind="activity_day",
        facts=tracking_metrics.activity_facts,
        area="Time",
        order=42,
        visible=tracking_metrics.visible,
        read=tracking_metrics.read_logged,
    ),
    registry.MetricDefinition(
        key="focus_hours",
        label="Hours in focus categories",
        definition=(
            "Of the hours active, those in the categories an admin marked as focus (the "
            "tracking policy page); divided by Hours active it is the share of time in focus "
            "categories. No focus categories set: no data. Follows the tracking policy."
        ),
        formula="Σ active hours in focus categories; share = this ÷ Hours active",
        unit="hours",
        sources=_ACTIVITY + "; the workspace's focus categories",
        aggregation="sum",
        source_kind="activity_day",
        facts=tracking_metrics.focus_facts,
        area="Time",
        order=43,
        visible=tracking_metrics.visible,
        read=tracking_metrics.read_logged,
    ),
):
    registry.metric(_definition)
