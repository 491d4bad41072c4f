"""The demo's work: four projects, a few hundred tasks owned across the demo's people, with
dependencies across projects, a history of changes, threads with some unanswered questions, and
links to the demo's decisions and briefs (found through the link registry).

Everything is written through the services (notifications muted by the caller), then the
timelines are moved back in time (demo data only) so that readiness finds stale work and work
only one person has touched.
"""

import random
from datetime import timedelta

from django.db.models import F
from django.utils import timezone

from meridian.briefs.demo import demo_working_day
from meridian.core import registry
from meridian.core.errors import Conflict
from meridian.work.models import Project, Task, TaskComment, TaskEvent
from meridian.work.services import (
    Due,
    comment_add,
    dependency_add,
    project_create,
    question_answer,
    task_create,
    task_link_add,
    task_update,
)
from meridian.workspaces.models import Membership, Workspace

PROJECTS: dict[str, tuple[str, str, tuple[str, ...], tuple[str, ...]]] = {
    "Worker rewrite": (
        "Chen Wei",
        "Move the background workers to the language the team chose, **without downtime**.\n\n"
        "Done when every job runs on the new workers and the old ones are switched off.",
        (
            "Chen Wei",
            "Divya Nair",
            "Emeka Eze",
            "Freya Lind",
            "Gabriel Roux",
            "Quinn Taylor",
            "Sam Carter",
            "Victor Dubois",
        ),
        (
            "Port the {} job",
            "Load-test the {} queue",
            "Dashboards for {}",
            "Runbook: {}",
            "Retire the old {} worker",
        ),
    ),
    "Pricing relaunch": (
        "Ines Duarte",
        "Three plans, a new pricing page and the billing changes behind them.",
        (
            "Ines Duarte",
            "Hana Sato",
            "Jonah Miller",
            "Kiri Walker",
            "Uma Reddy",
            "Yara Aziz",
            "Leila Haddad",
        ),
        (
            "Copy for the {} plan",
            "Design the {} comparison",
            "Billing: migrate {}",
            "Interview customers about {}",
            "Analytics for {}",
        ),
    ),
    "Support handbook": (
        "Mateo Rojas",
        "Everything a new support person needs in their first week, in every zone we cover.",
        ("Mateo Rojas", "Nadia Petrova", "Oliver Hughes", "Priya Shah", "Tala Ngata"),
        (
            "Write the {} macro",
            "Escalation path for {}",
            "Review the {} article",
            "Record a walkthrough of {}",
            "Translate {}",
        ),
    ),
    "Offsite": (
        "Wanjiru Kamau",
        "",
        ("Wanjiru Kamau", "Ada Okafor", "Ines Duarte", "Hana Sato"),
        ("Book {}", "Agenda for {}", "Travel for {}"),
    ),
}
TOPICS = (
    "billing",
    "exports",
    "emails",
    "search",
    "imports",
    "webhooks",
    "reports",
    "invoices",
    "signup",
    "onboarding",
    "refunds",
    "audit log",
    "notifications",
    "SSO",
    "API keys",
    "calendar",
    "digests",
    "uploads",
    "archive",
    "metrics",
)
TASKS_PER_PROJECT = {
    "Worker rewrite": 110,
    "Pricing relaunch": 90,
    "Support handbook": 70,
    "Offsite": 18,
}
CRITERIA = (
    "Reviewed by a second person",
    "Documented in the handbook",
    "Tested on staging",
    "Announced in the digest",
)
QUESTIONS = (
    "Who signs this off?",
    "Is there a deadline from the customer side?",
    "Do we keep the old behaviour behind a flag?",
    "Which zone's business hours count here?",
)
COMMENTS = (
    "Picked this up.",
    "Draft is ready for review.",
    "Blocked on access, asked IT.",
    "Pairing on this tomorrow.",
)


def _statuses(rng: random.Random) -> str:
    return rng.choices(["todo", "doing", "review", "blocked", "done"], weights=[30, 20, 10, 5, 35])[
        0
    ]


def demo_work(workspace: Workspace, members: dict[str, Membership]) -> None:
    """Write the demo's projects and tasks, and age their history."""
    rng = random.Random(25)
    today = timezone.localdate()
    decisions = registry.link_kinds().get("decision")
    briefs = registry.link_kinds().get("brief")
    decision_ids = [pk for pk, _ in decisions.recent(workspace.pk, 10)] if decisions else []
    brief_ids = [pk for pk, _ in briefs.recent(workspace.pk, 10)] if briefs else []
    tasks: list[Task] = []
    for project_name, (lead_name, description, people, patterns) in PROJECTS.items():
        lead = members[lead_name]
        team = [members[n] for n in people]
        project = project_create(
            actor=lead,
            name=project_name,
            description=description,
            lead=lead,
            member_ids=[m.pk for m in team],
        )
        for n in range(TASKS_PER_PROJECT[project_name]):
            pattern = patterns[n % len(patterns)]
            topic = TOPICS[(n // len(patterns)) % len(TOPICS)]
            owner = rng.choice(team) if rng.random() > 0.08 else None
            due = None
            roll = rng.random()
            if roll < 0.25:
                day = demo_working_day(today + timedelta(days=rng.randint(1, 30)))
                due = Due("local_day", date=day)
            elif roll < 0.35:
                due = Due("working_time", working_minutes=rng.choice([120, 480, 960]))
            criteria = [
                {"text": c, "done": rng.random() < 0.4}
                for c in rng.sample(CRITERIA, rng.randint(0, 3))
            ]
            task = task_create(
                actor=lead,
                project=project,
                title=pattern.format(topic),
                description=(
                    f"Part of *{project_name}*: {pattern.format(topic).lower()}."
                    if rng.random() < 0.7
                    else ""
                ),
                criteria=criteria,
                owner=owner,
                due=due,
                estimate_minutes=rng.choice([None, 30, 60, 120, 240, 480]),
                tags=rng.sample(["quick", "customer", "risky", "docs", "infra"], rng.randint(0, 2)),
                parent=tasks[-1]
                if tasks and n % 9 == 8 and tasks[-1].project_id == project.pk
                else None,
            )
            status = _statuses(rng)
            if status != "todo":
                actor = owner or lead
                task = task_update(
                    actor=actor, task=task, version=task.version, changes={"status": status}
                )
            tasks.append(task)
        _thread(rng, project, tasks, team)
    _dependencies(rng, tasks)
    _links(rng, tasks, decision_ids, brief_ids)
    _age(rng, workspace)


def _thread(
    rng: random.Random, project: Project, tasks: list[Task], team: list[Membership]
) -> None:
    mine = [t for t in tasks if t.project_id == project.pk]
    for task in rng.sample(mine, min(len(mine), 25)):
        author = rng.choice(team)
        if rng.random() < 0.5:
            question = comment_add(
                actor=author, task=task, body=rng.choice(QUESTIONS), is_question=True
            )
            if rng.random() < 0.5 and task.owner is not None and task.owner.pk != author.pk:
                question_answer(
                    actor=task.owner, comment=question, body="Answered in the description now."
                )
        else:
            comment_add(actor=author, task=task, body=rng.choice(COMMENTS))


def _lead(task: Task) -> Membership:
    lead = task.project.lead
    assert lead is not None  # every demo project has a lead
    return lead


def _dependencies(rng: random.Random, tasks: list[Task]) -> None:
    # Earlier tasks block later ones: never a cycle, and some cross projects.
    for _ in range(60):
        a, b = sorted(rng.sample(range(len(tasks)), 2))
        try:
            dependency_add(actor=_lead(tasks[b]), blocker=tasks[a], blocked=tasks[b])
        except Conflict:  # the same pair twice: fine for the demo
            continue


def _links(
    rng: random.Random, tasks: list[Task], decision_ids: list[int], brief_ids: list[int]
) -> None:
    for kind, ids in (("decision", decision_ids), ("brief", brief_ids)):
        for target in ids:
            for task in rng.sample(tasks, 3):
                task_link_add(actor=_lead(task), task=task, kind=kind, target_id=target)


def _age(rng: random.Random, workspace: Workspace) -> None:
    """Spread the history over the last four months (demo data only): some work goes stale."""
    for task_id in Task.objects.filter(workspace=workspace).values_list("pk", flat=True):
        days = rng.choice([0, 1, 3, 10, 20, 45, 100, 120])
        shift = timedelta(days=days, hours=rng.randint(0, 20))
        Task.objects.filter(pk=task_id).update(
            created_at=F("created_at") - shift, updated_at=F("updated_at") - shift
        )
        TaskEvent.objects.filter(task_id=task_id).update(created_at=F("created_at") - shift)
        TaskComment.objects.filter(task_id=task_id).update(created_at=F("created_at") - shift)
