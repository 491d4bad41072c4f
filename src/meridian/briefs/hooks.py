"""What the briefs area plugs into the others (see meridian.core.registry): its page in the
navigation, its search documents, its reminder job, its demo data and its notification kinds."""

from django.urls import reverse

from meridian.briefs import metrics as brief_metrics
from meridian.briefs import schedule, search
from meridian.briefs.calendar import brief_deadlines
from meridian.briefs.demo import demo_briefs
from meridian.briefs.models import Brief
from meridian.briefs.services import participant_deadlines_after_time_off
from meridian.core import registry
from meridian.core.registry import NotificationKind
from meridian.core.scheduler import Job
from meridian.notifications.sources import InboxSource, inbox_source
from meridian.search.registry import Audience, Kind

registry.nav(
    registry.NavEntry(
        label="Briefs",
        url_name="brief_list",
        order=20,
        current_prefixes=("brief_",),
        group="Communicate",
    )
)

registry.register(
    registry.SEARCH_DOCUMENTS, Kind("brief", "Brief", "Briefs", search.brief_documents)
)


def _brief_titles(workspace_id: int, ids: list[int]) -> dict[int, str]:
    rows = Brief.objects.filter(workspace_id=workspace_id, pk__in=ids)
    return dict(rows.values_list("pk", "title"))


def _brief_recent(workspace_id: int, limit: int) -> list[tuple[int, str]]:
    rows = Brief.objects.filter(workspace_id=workspace_id).order_by("-created_at", "-id")
    return list(rows.values_list("pk", "title")[:limit])


def _brief_url(workspace_slug: str, brief_id: int) -> str:
    return reverse("brief_detail", kwargs={"workspace": workspace_slug, "brief_id": brief_id})


def _brief_summaries(workspace_id: int, ids: list[int]) -> dict[int, str]:
    """What a reader needs without opening the brief: its summary once closed, else its ask."""
    rows = Brief.objects.filter(workspace_id=workspace_id, pk__in=ids).only(
        "pk", "summary", "body", "status"
    )
    return {b.pk: (b.summary or b.body)[:500] for b in rows}


# Other records (tasks) link briefs through the registry, as briefs link theirs.
registry.link_kind(
    registry.LinkKind(
        kind="brief",
        noun="brief",
        titles=_brief_titles,
        recent=_brief_recent,
        url=_brief_url,
        summaries=_brief_summaries,
    )
)
registry.register(
    registry.SEARCH_DOCUMENTS, Kind("comment", "Comment", "Comments", search.comment_documents)
)
# A draft and what is indexed under it (its transcript) are found by its author alone.
registry.register(
    registry.SEARCH_AUDIENCES, Audience(search.DRAFT_AUDIENCE, search.draft_audience_check)
)

registry.register(registry.SCHEDULED_JOBS, Job(schedule.JOB, schedule.brief_reminders))

registry.demo_seeder(registry.DemoSeeder(name="briefs", order=20, seed=demo_briefs))

# Asks and mentions need the person: at once (inside their working hours). What only keeps
# them informed waits for the digest.
for kind in (
    NotificationKind("brief.asked", "Asked for input in a brief", "now"),
    NotificationKind("brief.reminder", "Reminded of a brief awaiting your response", "now"),
    NotificationKind("brief.overdue", "A brief's response is overdue", "now"),
    NotificationKind("brief.mention", "Mentioned in a brief's thread", "now"),
    NotificationKind("brief.answered", "Your question on a brief was answered", "now"),
    NotificationKind("brief.reply", "A reply to your comment on a brief", "digest"),
    NotificationKind("brief.comment", "A comment on your brief", "digest"),
    NotificationKind("brief.closed", "A brief you were asked in closed with a summary", "digest"),
    NotificationKind("brief.unsent", "A draft you sent could not go out (its recording)", "now"),
):
    registry.notification_kind(kind)

# Each member's own deadlines, for their calendar feed.
registry.register(registry.CALENDAR_SOURCES, brief_deadlines)

# --- Inbox sources: what of briefs awaits a member ----------------------------------------------

inbox_source(
    InboxSource("briefs.asked", "Briefs waiting for your input", "{actor} asked you to respond")
)
inbox_source(
    InboxSource("briefs.question", "Questions asked of you", "{actor} asked you a question")
)
inbox_source(InboxSource("briefs.mention", "Mentions", "{actor} mentioned you"))
inbox_source(
    InboxSource("briefs.reply", "Replies to your comments", "{actor} replied to your comment")
)


# --- Metrics: asynchronous communication, from briefs (meridian.briefs.metrics) -----------------

_BRIEFS = "Briefs: when each was asked, its required participants' responses, questions"
for _definition in (
    registry.MetricDefinition(
        key="brief_response_time",
        label="Brief response time",
        definition=(
            "How long required participants took to respond to a brief's ask, counting only "
            "their own working hours (elapsed hours when they set none)."
        ),
        formula="mean of (response − ask) in the participant's working hours, per response",
        unit="working hours",
        sources=_BRIEFS,
        aggregation="mean",
        source_kind="brief",
        facts=brief_metrics.response_time_facts,
        area="Async communication",
        order=30,
    ),
    registry.MetricDefinition(
        key="brief_completeness",
        label="Response completeness",
        definition=(
            "Of the people a brief required a response from, the share who responded "
            "(briefs counted on the day they were asked)."
        ),
        formula="100 × required participants who responded ÷ required participants",
        unit="%",
        sources=_BRIEFS,
        aggregation="mean",
        source_kind="brief",
        facts=brief_metrics.completeness_facts,
        area="Async communication",
        order=31,
    ),
    registry.MetricDefinition(
        key="brief_questions_open",
        label="Questions left unanswered",
        definition=(
            "How many questions asked in briefs' threads are not yet marked answered, at the "
            "end of the period; counted for the brief's author, who owes the answer."
        ),
        formula="Σ (+1 per question asked, −1 per question answered) up to the period's end",
        unit="questions",
        sources=_BRIEFS,
        aggregation="level",
        source_kind="brief",
        facts=brief_metrics.questions_open_facts,
        area="Async communication",
        order=32,
    ),
    registry.MetricDefinition(
        key="sync_hours_saved",
        label="Synchronous hours saved",
        definition=(
            "Person-hours of the meetings briefs replaced, as their authors recorded them "
            "(people × length); a brief that names no meeting counts nothing."
        ),
        formula="Σ people × minutes ÷ 60 of the replaced meeting, per brief asked in the period",
        unit="person-hours",
        sources="Briefs: the meeting each replaced (people, minutes), as the author entered it",
        aggregation="sum",
        source_kind="brief",
        facts=brief_metrics.hours_saved_facts,
        area="Async communication",
        order=33,
    ),
):
    registry.metric(_definition)

# Time off entered after someone was asked moves their deadline past it (never earlier).
registry.register(registry.MEMBER_AWAY, participant_deadlines_after_time_off)

# The workspace events briefs emit (meridian.briefs.events), which webhooks may send.
for _event in (
    registry.WebhookEvent(
        "brief.created", "A brief was written and its participants asked", ("brief", "actor")
    ),
    registry.WebhookEvent("brief.closed", "A brief was closed with a summary", ("brief", "actor")),
    registry.WebhookEvent(
        "comment.added",
        "A comment, question or response was added to a brief or a proposal",
        ("comment", "brief", "proposal", "actor"),
    ),
):
    registry.webhook_event(_event)
