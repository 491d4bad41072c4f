"""What the work area plugs into the others (see meridian.core.registry): its page in the
navigation, tasks as a kind of link, its search documents, its calendar entries and inbox
causes, its notification kinds, its handover kinds and its demo data."""

from datetime import datetime

from meridian.core import registry
from meridian.core.registry import NotificationKind
from meridian.handovers.kinds import handover_kind
from meridian.notifications.sources import InboxSource, inbox_source
from meridian.search.registry import Kind
from meridian.work import handover, metrics, search
from meridian.work.calendar import task_deadlines
from meridian.work.demo import demo_work
from meridian.work.selectors import (
    project_titles,
    recent_projects,
    recent_tasks,
    task_summaries,
    task_titles,
)
from meridian.work.services.common import project_url_for, task_url_for
from meridian.work.services.links import member_departed
from meridian.workspaces.models import Membership

registry.nav(
    registry.NavEntry(
        label="My work",
        url_name="work_my",
        order=25,
        current_prefixes=("work_", "project_", "task_"),
        group="Work",
    )
)

# Briefs, decisions and tasks link tasks through the registry (briefs cannot import work).
registry.link_kind(
    registry.LinkKind(
        kind="task",
        noun="task",
        titles=task_titles,
        recent=recent_tasks,
        url=task_url_for,
        summaries=task_summaries,
    )
)

# Metrics, goals and dashboards measure projects and name them through this kind.
registry.link_kind(
    registry.LinkKind(
        kind="project",
        noun="project",
        titles=project_titles,
        recent=recent_projects,
        url=project_url_for,
    )
)

registry.register(
    registry.SEARCH_DOCUMENTS, Kind("project", "Project", "Projects", search.project_documents)
)
registry.register(registry.SEARCH_DOCUMENTS, Kind("task", "Task", "Tasks", search.task_documents))

# Each member's open tasks with a due date, for their calendar feed.
registry.register(registry.CALENDAR_SOURCES, task_deadlines)

registry.demo_seeder(registry.DemoSeeder(name="work", order=40, seed=demo_work))

# Being given a task, a question or a mention needs the person (inside their working hours);
# the thread's other comments wait for the digest.
for kind in (
    NotificationKind("work.assigned", "Given a task", "now"),
    NotificationKind("work.question", "A question on a task you own", "now"),
    NotificationKind("work.mention", "Mentioned in a task's thread", "now"),
    NotificationKind("work.answered", "Your question on a task was answered", "now"),
    NotificationKind("work.comment", "A comment on a task you own or follow", "digest"),
):
    registry.notification_kind(kind)

# --- Inbox sources: what of work awaits a member ------------------------------------------------

inbox_source(
    InboxSource(
        "work.task",
        "Your tasks with a due date",
        "{actor} gave you this task",
        reason_without_actor="Your task is due",
    )
)
inbox_source(
    InboxSource("work.question", "Questions on your tasks", "{actor} asked you a question")
)
inbox_source(InboxSource("work.mention", "Mentions in tasks", "{actor} mentioned you"))

handover_kind(handover.TASK_KIND)
handover_kind(handover.PROJECT_KIND)


def _departed(member: Membership, now: datetime) -> None:
    member_departed(member=member, now=now)


# A member who leaves follows nothing more; their tasks stay theirs until handed over (the task
# readiness says "Owned by someone who left", and the readiness page lists them for admins).
registry.register(registry.MEMBER_DEACTIVATED, _departed)

# --- Metrics: what the catalogue computes from tasks (meridian.work.metrics) -------------------

_TASKS = "Tasks: created, completed and due moments, owner and project"
for definition in (
    registry.MetricDefinition(
        key="tasks_completed",
        label="Tasks completed",
        definition="How many tasks were marked done in the period.",
        formula="count of tasks whose completion falls in the period",
        unit="tasks",
        sources=_TASKS,
        aggregation="sum",
        source_kind="task",
        facts=metrics.completed_facts,
        area="Work",
        order=10,
    ),
    registry.MetricDefinition(
        key="cycle_time",
        label="Cycle time",
        definition=(
            "How long tasks done in the period took from creation to completion, counting "
            "only their owner's working hours (elapsed hours when the owner has none set)."
        ),
        formula="median and 85th percentile of (completed − created) in working hours",
        unit="working hours",
        sources=_TASKS,
        aggregation="percentiles",
        source_kind="task",
        facts=metrics.cycle_time_facts,
        area="Work",
        order=11,
    ),
    registry.MetricDefinition(
        key="open_tasks",
        label="Work in progress (open tasks)",
        definition="How many tasks are open — created and not yet done — at the end of the period.",
        formula="Σ (+1 per task created, −1 per task done) up to the end of the period",
        unit="tasks",
        sources=_TASKS,
        aggregation="level",
        source_kind="task",
        facts=metrics.open_facts,
        area="Work",
        order=12,
    ),
    registry.MetricDefinition(
        key="overdue_tasks",
        label="Overdue tasks",
        definition=(
            "How many tasks are past their due moment and not done, at the end of the period."
        ),
        formula="Σ (+1 at a late task's due moment, −1 when it is done) up to the period's end",
        unit="tasks",
        sources=_TASKS,
        aggregation="level",
        source_kind="task",
        facts=metrics.overdue_facts,
        area="Work",
        order=13,
    ),
    registry.MetricDefinition(
        key="time_blocked",
        label="Time blocked",
        definition=(
            "How long tasks stayed in a blocked status, counting only their owner's working "
            "hours (elapsed hours when the owner has none set); a blocked stretch counts in the "
            "period it ends."
        ),
        formula="Σ (unblocked − blocked) in working hours, per stretch ended in the period",
        unit="working hours",
        sources="Tasks: their timeline's status changes, the project's blocked statuses, owner",
        aggregation="sum",
        source_kind="task",
        facts=metrics.blocked_facts,
        area="Work",
        order=14,
    ),
):
    registry.metric(definition)

# The workspace events tasks emit (meridian.work.events), which webhooks may send.
for _event in (
    registry.WebhookEvent("task.created", "A task was written in a project", ("task", "actor")),
    registry.WebhookEvent("task.completed", "A task moved into a done status", ("task", "actor")),
    registry.WebhookEvent(
        "task.reassigned",
        "A task got another owner (an edit or an acknowledged handover)",
        ("task", "previous_owner", "actor"),
    ),
):
    registry.webhook_event(_event)
