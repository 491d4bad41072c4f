"""What the check-ins area plugs into the others: its page in the navigation, the asking job,
its notification kinds and inbox sources, answers for search, and its metrics."""

from meridian.checkins import metrics, schedule, search
from meridian.checkins.demo import demo_checkins
from meridian.core import registry
from meridian.core.registry import NotificationKind
from meridian.core.scheduler import Job
from meridian.notifications.sources import InboxSource, inbox_source
from meridian.search.registry import Kind

registry.nav(
    registry.NavEntry(
        label="Check-ins",
        url_name="checkin_list",
        order=28,
        current_prefixes=("checkin_",),
        group="Communicate",
    )
)

registry.register(registry.SCHEDULED_JOBS, Job(schedule.JOB, schedule.prompts_due))
registry.demo_seeder(registry.DemoSeeder(name="checkins", order=50, seed=demo_checkins))
registry.register(registry.SCHEDULED_JOBS, Job(schedule.REMIND, schedule.reminders_due))

registry.register(
    registry.SEARCH_DOCUMENTS,
    Kind("checkin", "Check-in answer", "Check-in answers", search.prompt_documents),
)

registry.notification_kind(
    NotificationKind("checkins.asked", "Your check-in, at your local time", "inbox")
)
registry.notification_kind(
    NotificationKind("checkins.reminder", "A reminder of a check-in not answered yet", "inbox")
)
registry.notification_kind(
    NotificationKind("checkins.blocked", "Someone is blocked on you or your task", "now")
)
registry.notification_kind(
    NotificationKind("checkins.unblocked", "A blocker you raised was resolved", "inbox")
)

inbox_source(
    InboxSource(
        "checkins.prompt", "Check-ins to answer", "Your check-in", "Your check-in is waiting"
    )
)
inbox_source(
    InboxSource(
        "checkins.blocker",
        "Blockers you can remove",
        "{actor} is blocked on you",
        reason_without_actor="Someone is blocked on you",
    )
)
inbox_source(
    InboxSource(
        "checkins.resolved",
        "Your blockers, resolved",
        "{actor} resolved your blocker",
        reason_without_actor="Your blocker was resolved",
    )
)

_PROMPTS = "Check-ins: each prompt asked, whether it was answered, the member and team"
_BLOCKERS = "Check-ins: blockers raised and resolved, the blocked member's working hours"
for definition in (
    registry.MetricDefinition(
        key="checkin_participation",
        label="Check-in participation",
        definition="The share of check-in prompts asked in the period that were answered.",
        formula="answered prompts ÷ prompts asked (by when they were asked)",
        unit="share",
        sources=_PROMPTS,
        aggregation="mean",
        source_kind="checkin_prompt",
        facts=metrics.participation_facts,
        area="Check-ins",
        order=60,
    ),
    registry.MetricDefinition(
        key="checkin_blockers",
        label="Blockers raised",
        definition="How many blockers were raised in check-ins in the period (one per blocker, "
        "however many days it was mentioned).",
        formula="count of blockers opened in the period",
        unit="blockers",
        sources=_BLOCKERS,
        aggregation="sum",
        source_kind="checkin_blocker",
        facts=metrics.blocker_facts,
        area="Check-ins",
        order=61,
    ),
    registry.MetricDefinition(
        key="checkin_open_blockers",
        label="Open blockers",
        definition="How many blockers raised in check-ins are still open (not resolved) at the "
        "end of the period.",
        formula="Σ (+1 per blocker raised, −1 per blocker resolved) up to the end of the period",
        unit="blockers",
        sources=_BLOCKERS,
        aggregation="level",
        source_kind="checkin_blocker",
        facts=metrics.open_blocker_facts,
        area="Check-ins",
        order=61,
    ),
    registry.MetricDefinition(
        key="checkin_time_to_unblock",
        label="Time to unblock",
        definition="How long blockers resolved in the period stayed open, counting only the "
        "blocked member's working hours.",
        formula="median and 85th percentile of (resolved − raised) in working hours",
        unit="working hours",
        sources=_BLOCKERS,
        aggregation="percentiles",
        source_kind="checkin_blocker",
        facts=metrics.unblock_facts,
        area="Check-ins",
        order=62,
    ),
):
    registry.metric(definition)

# The workspace events check-ins emit (meridian.checkins.events), which webhooks may send.
registry.webhook_event(
    registry.WebhookEvent(
        "checkin.blocker_raised",
        "A member answering a check-in raised a new blocker",
        ("blocker", "checkin", "actor"),
    )
)
