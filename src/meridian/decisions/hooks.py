"""What the decisions area plugs into the others (see meridian.core.registry): its page in the
navigation, decision records as a kind briefs link to, its search documents and who may see the
blind ones, its jobs, its demo data and its notification kinds."""

from meridian.core import registry
from meridian.core.registry import NotificationKind
from meridian.core.scheduler import Job
from meridian.decisions import metrics as decision_metrics
from meridian.decisions import schedule, search
from meridian.decisions.calendar import proposal_deadlines
from meridian.decisions.demo import demo_decisions
from meridian.decisions.models import DecisionRecord
from meridian.decisions.selectors import (
    record_link_choices,
    record_link_titles,
    record_link_url,
)
from meridian.decisions.services import proposal_deadlines_after_time_off
from meridian.notifications.sources import InboxSource, inbox_source
from meridian.search.registry import Audience, Kind

registry.nav(
    registry.NavEntry(
        label="Decisions",
        url_name="proposal_list",
        order=30,
        current_prefixes=("proposal_", "decision_"),
        group="Communicate",
    )
)


def _record_summaries(workspace_id: int, ids: list[int]) -> dict[int, str]:
    """A record's outcome and rationale, for whoever picks up work linked to it (one query)."""
    rows = DecisionRecord.objects.filter(workspace_id=workspace_id, pk__in=ids).only(
        "pk", "statement", "rationale"
    )
    out = {}
    for record in rows:
        parts = [f"Decided: {record.statement}" if record.statement else ""]
        parts.append(f"Why: {record.rationale}" if record.rationale else "")
        out[record.pk] = " ".join(p for p in parts if p)[:1000]
    return out


# Briefs cannot import decisions (decisions build on briefs), so a brief learns here how to
# check, name and reach the decision records it links to.
registry.link_kind(
    registry.LinkKind(
        kind="decision",
        noun="decision record",
        titles=record_link_titles,
        recent=record_link_choices,
        url=record_link_url,
        summaries=_record_summaries,
    )
)
# An open brief offers to become a proposal.
registry.panel(registry.Panel(point="brief.actions", template="decisions/_brief_actions.html"))

registry.register(registry.SEARCH_AUDIENCES, Audience(search.BLIND, search.blind_audience))
registry.register(
    registry.SEARCH_DOCUMENTS, Kind("decision", "Decision", "Decisions", search.record_documents)
)
registry.register(
    registry.SEARCH_DOCUMENTS, Kind("proposal", "Proposal", "Proposals", search.proposal_documents)
)
registry.register(
    registry.SEARCH_DOCUMENTS,
    Kind(
        "proposal_comment",
        "Proposal comment",
        "Proposal comments",
        search.proposal_comment_documents,
    ),
)

registry.register(registry.SCHEDULED_JOBS, Job(schedule.CLOSE, schedule.proposals_to_close))
registry.register(registry.SCHEDULED_JOBS, Job(schedule.REMIND, schedule.proposal_reminders))
registry.register(registry.SCHEDULED_JOBS, Job(schedule.REVIEW, schedule.decision_reviews))
registry.register(registry.SCHEDULED_JOBS, Job(schedule.ERASE, schedule.anonymous_ballots_erase))

registry.demo_seeder(registry.DemoSeeder(name="decisions", order=30, seed=demo_decisions))

# Asking for a stance, a reminder, an outcome or a review to write: at once (inside working
# hours). News of a proposal or a record: the digest. A comment may come from a blind
# discussion, so no webhook carries it.
for kind in (
    NotificationKind("decision.asked", "Asked for your stance on a proposal", "now"),
    NotificationKind("decision.reminder", "Reminded of a proposal awaiting your stance", "now"),
    NotificationKind("decision.outcome_due", "Your proposal closed: write its outcome", "now"),
    NotificationKind("decision.review", "A decision you own is due for review", "now"),
    NotificationKind("decision.comment", "A comment on your proposal", "digest"),
    NotificationKind("decision.closed", "A proposal you took part in closed", "digest"),
    NotificationKind("decision.recorded", "A proposal you took part in was decided", "digest"),
):
    registry.notification_kind(kind)

# Each member's own deadlines, for their calendar feed.
registry.register(registry.CALENDAR_SOURCES, proposal_deadlines)

# --- Inbox sources: what of decisions awaits a member -------------------------------------------

inbox_source(
    InboxSource(
        "decisions.asked", "Proposals to take a stance on", "{actor} asked you to take a stance"
    )
)
inbox_source(
    InboxSource(
        "decisions.outcome",
        "Outcomes to write",
        "{actor} closed the proposal: write its outcome",
        reason_without_actor="The proposal closed: write its outcome",
    )
)
inbox_source(
    InboxSource(
        "decisions.review",
        "Decision reviews due",
        "{actor}: the review date has come",
        reason_without_actor="The decision's review date has come",
    )
)


# --- Metrics: decisions (meridian.decisions.metrics) --------------------------------------------

_RECORDS = "Decision records: when the proposal opened, when it was decided, who took part"
for _definition in (
    registry.MetricDefinition(
        key="decision_lead_time",
        label="Decision lead time",
        definition=(
            "How long proposals took from opening to decision, counting only the owner's "
            "working hours (elapsed hours when they set none)."
        ),
        formula="mean of (decided − opened) in the owner's working hours, per decision",
        unit="working hours",
        sources=_RECORDS,
        aggregation="mean",
        source_kind="decision",
        facts=decision_metrics.lead_time_facts,
        area="Async communication",
        order=34,
    ),
    registry.MetricDefinition(
        key="decision_participation",
        label="Decision participation",
        definition=(
            "Of the people invited to take a stance on proposals decided in the period, the "
            "share who took part."
        ),
        formula="100 × invited people who took a stance ÷ invited people",
        unit="%",
        sources=_RECORDS,
        aggregation="mean",
        source_kind="decision",
        facts=decision_metrics.participation_facts,
        area="Async communication",
        order=35,
    ),
):
    registry.metric(_definition)

# Time off entered after someone was asked moves their deadline past it (never earlier).
registry.register(registry.MEMBER_AWAY, proposal_deadlines_after_time_off)

# The workspace events decisions emit (meridian.decisions.events), which webhooks may send;
# ``comment.added`` is declared alike by briefs, whose comments emit it too.
for _event in (
    registry.WebhookEvent(
        "comment.added",
        "A comment, question or response was added to a brief or a proposal",
        ("comment", "brief", "proposal", "actor"),
    ),
    registry.WebhookEvent(
        "proposal.opened", "A proposal opened for stances", ("proposal", "actor")
    ),
    registry.WebhookEvent(
        "proposal.closed",
        "A proposal closed, with its outcome",
        ("proposal", "outcome", "reason", "actor"),
    ),
):
    registry.webhook_event(_event)
