"""The demo's briefs: a dozen in every state (open, overdue, closed), with threads and answers.

Everything is written through the services, with notifications muted. Briefs meant to look
overdue or long closed are then moved back in time (``_backdate``): the services rightly refuse
a deadline in the past, so this is the one place that rewrites timestamps, and only demo data.
Where ffmpeg is installed, the first brief gets a real six-second recording with captions
(the recordings area, through DEMO_RECORDING), and comments pinned to moments of it.
"""

from dataclasses import dataclass, field
from datetime import date, timedelta

from django.utils import timezone

from meridian.asks.deadlines import local_deadline, week_of
from meridian.briefs.models import Brief, BriefParticipant, Comment
from meridian.briefs.services import (
    Deadline,
    Invitee,
    Meeting,
    brief_close,
    brief_create,
    brief_mark_seen,
    comment_add,
    link_add,
    question_answer,
    respond,
)
from meridian.core import registry
from meridian.notifications.services import muted
from meridian.workspaces.models import Membership, Workspace


@dataclass(frozen=True)
class Say:
    """One message of a demo thread: who, what, and what kind."""

    who: str
    text: str
    question: bool = False
    response: bool = False
    answer_of: int | None = None  # index of the question in this thread that this reply answers
    reply_to: int | None = None
    at: float | None = None


@dataclass(frozen=True)
class DemoBrief:
    title: str
    author: str
    body: str
    ask: str
    questions: tuple[str, ...]
    people: tuple[str, ...] = ()
    teams: tuple[str, ...] = ()
    optional: tuple[str, ...] = ()
    due_in_days: int | None = 4  # None: no deadline
    instant: bool = False
    meeting: tuple[int, int] | None = None
    thread: tuple[Say, ...] = ()
    seen: tuple[str, ...] = ()
    days_ago: int = 0  # move the whole brief this far back in time
    summary: str = ""  # closed with this summary
    links_to: tuple[str, ...] = field(default_factory=tuple)
    recording: bool = False  # a short walkthrough video made with ffmpeg, when it is installed


BRIEFS = [
    DemoBrief(
        "Q3 pricing: three plans instead of five",
        "Ada Okafor",
        "Our five plans confuse buyers: **62 %** of trial users who contacted support asked which "
        "plan fits them.\n\nProposal:\n\n1. Keep *Starter*, *Team* and *Enterprise*.\n"
        "2. Fold *Plus* into *Team* and *Pro* into *Enterprise*.\n3. Existing customers keep "
        "their price for 12 months.\n\nThe numbers are in the linked sheet.",
        "decision",
        ("Is three plans enough for our segments?", "Is 12 months of grandfathering fair?"),
        people=("Ines Duarte", "Mateo Rojas", "Rosa Jiménez", "Oliver Hughes"),
        meeting=(6, 60),
        thread=(
            Say(
                "Ines Duarte",
                "What happens to customers on annual *Pro* contracts mid-term?",
                question=True,
                at=2.5,
            ),
            Say(
                "Ada Okafor",
                "They keep Pro until renewal, then move to Enterprise at the Pro price.",
                answer_of=0,
            ),
            Say(
                "Rosa Jiménez",
                "Three plans, yes. 12 months is generous but fine — it keeps churn down.",
                response=True,
            ),
            Say(
                "Mateo Rojas",
                "Support will love this. @oliver can you check the two big accounts?",
                at=4.5,
            ),
            Say(
                "Oliver Hughes",
                "Checked: both are on annual Pro, so the answer above covers them.",
                reply_to=3,
            ),
        ),
        seen=("Ines Duarte", "Mateo Rojas", "Rosa Jiménez", "Oliver Hughes"),
        links_to=("https://example.com/pricing-analysis",),
        recording=True,
    ),
    DemoBrief(
        "Incident review: the 40-minute API outage",
        "Gabriel Roux",
        "On Tuesday the API answered 5xx for 40 minutes. Root cause: a migration took a table "
        "lock during peak hours.\n\n## What we change\n\n- Migrations run with `lock_timeout`.\n"
        "- Peak-hour deploys need a second reviewer.\n\nTimeline and graphs below.",
        "feedback",
        ("Are the two changes enough?", "Anything missing from the timeline?"),
        teams=("Platform",),
        meeting=(8, 45),
        due_in_days=2,
        thread=(
            Say("Chen Wei", "Should we also alert on lock waits above 5 s?", question=True),
            Say("Divya Nair", "The timeline misses the rollback at 14:32 UTC.", response=True),
            Say("Emeka Eze", "Both changes make sense. +1 on lock-wait alerts.", response=True),
        ),
        seen=("Chen Wei", "Divya Nair", "Emeka Eze", "Sam Carter"),
    ),
    DemoBrief(
        "On-call rotation that follows the sun",
        "Bruno Costa",
        "Nobody should be paged at 3 am. Proposal: three on-call regions (Americas, EMEA, APAC), "
        "each covering its own daytime, with a written handover at each boundary.",
        "approval",
        ("Do you approve the three-region rotation?", "Which region do you want to be in?"),
        teams=("Platform",),
        due_in_days=4,
        days_ago=6,
        meeting=(9, 60),
        thread=(
            Say("Sam Carter", "APAC please. Approved.", response=True),
            Say("Quinn Taylor", "What about weekends?", question=True),
        ),
        seen=("Sam Carter", "Quinn Taylor", "Chen Wei"),
    ),
    DemoBrief(
        "Design tokens for the new colour system",
        "Hana Sato",
        "I replaced our 40 ad-hoc colours with 12 tokens that work in light and dark mode. "
        "The walkthrough shows every screen in both.",
        "feedback",
        ("Is the contrast good enough on the dashboards?",),
        teams=("Product",),
        due_in_days=5,
        instant=True,
        thread=(Say("Jonah Miller", "The warning yellow is hard to read on white.", at=None),),
        seen=("Jonah Miller", "Kiri Walker"),
    ),
    DemoBrief(
        "Support hours: one queue, handed around the world",
        "Mateo Rojas",
        "Instead of three regional queues, one queue handed over three times a day. Each handover "
        "is a short written note in the ticket.",
        "decision",
        ("Do we switch on the 1st?", "Who writes the handover template?"),
        teams=("Customers",),
        due_in_days=3,
        days_ago=5,
        meeting=(5, 30),
        thread=(Say("Nadia Petrova", "Yes from Sofia. I can write the template.", response=True),),
        seen=("Nadia Petrova", "Priya Shah"),
    ),
    DemoBrief(
        "Hiring plan for the second half",
        "Ada Okafor",
        "Four roles: two engineers (Platform), one designer, one support lead in APAC. Budget "
        "is approved by the board; I need your approval of the order.",
        "approval",
        ("Do you approve the order: support lead, engineers, designer?",),
        teams=("Leadership",),
        days_ago=20,
        meeting=(5, 60),
        thread=(
            Say("Bruno Costa", "Approved.", response=True),
            Say("Ines Duarte", "Approved — designer could come earlier though.", response=True),
            Say("Rosa Jiménez", "Approved.", response=True),
            Say(
                "Wanjiru Kamau", "Approved; I start the support lead search Monday.", response=True
            ),
        ),
        seen=("Bruno Costa", "Ines Duarte", "Rosa Jiménez", "Wanjiru Kamau"),
        summary="Approved in this order: **support lead (APAC)**, two Platform engineers, "
        "designer. Wanjiru runs the searches; the designer search may start early.",
    ),
    DemoBrief(
        "Moving to PostgreSQL 17",
        "Chen Wei",
        "FYI: we upgrade the production database next week. Expected downtime: none (logical "
        "replication). Rollback plan in the runbook.",
        "fyi",
        (),
        teams=("Platform",),
        due_in_days=None,
        days_ago=14,
        thread=(Say("Gabriel Roux", "Runbook reviewed, looks good."),),
        seen=("Gabriel Roux", "Emeka Eze"),
        summary="Upgrade done without downtime; replication lag peaked at 2 s.",
    ),
    DemoBrief(
        "What we heard in twelve customer interviews",
        "Kiri Walker",
        "Three themes: onboarding is slow, reports are hard to share, and people love the API. "
        "Quotes and clips are in the walkthrough.",
        "feedback",
        ("Which theme should the next quarter focus on?",),
        teams=("Product",),
        optional=("Ada Okafor",),
        due_in_days=6,
        meeting=(6, 90),
        thread=(
            Say("Uma Reddy", "Sharing reports: 8 of 12 mentioned it.", response=True),
            Say("Leila Haddad", "How many of them were on the Team plan?", question=True),
        ),
        seen=("Uma Reddy", "Leila Haddad", "Hana Sato"),
    ),
    DemoBrief(
        "Draft goals for next quarter",
        "Ines Duarte",
        "Three goals, each with two key results. Comment on anything; I will close this with "
        "the final version.",
        "feedback",
        ("Is any goal missing?", "Are the key results measurable?"),
        teams=("Leadership",),
        optional=("Chen Wei", "Hana Sato"),
        due_in_days=7,
        seen=("Ada Okafor",),
    ),
    DemoBrief(
        "Laptop refresh policy",
        "Wanjiru Kamau",
        "Laptops are replaced every three years, or earlier when repair costs more than half a "
        "new one. Order through the people-ops form.",
        "fyi",
        (),
        teams=("Leadership",),
        due_in_days=None,
        days_ago=30,
        summary="Policy published in the handbook.",
    ),
    DemoBrief(
        "Rate limits for the public API",
        "Quinn Taylor",
        "Proposal: 600 requests a minute per token on Team, 3 000 on Enterprise, with "
        "`Retry-After` on 429.",
        "decision",
        ("Are the limits right for our largest customers?",),
        people=("Mateo Rojas", "Chen Wei", "Victor Dubois"),
        due_in_days=2,
        days_ago=4,
        thread=(
            Say(
                "Victor Dubois",
                "Enterprise should be 5 000; two customers burst above 3 000.",
                response=True,
            ),
        ),
        seen=("Victor Dubois",),
    ),
    DemoBrief(
        "Restructuring the docs around tasks",
        "Yara Aziz",
        "Today the docs follow our code's structure. I propose organising them by what a reader "
        "wants to do: *set up*, *run a brief*, *decide*, *hand over*.",
        "feedback",
        ("Does the task list cover what you do every week?",),
        teams=("Product",),
        due_in_days=5,
        thread=(
            Say("Hana Sato", "Love it. Where do API docs go?", question=True),
            Say("Yara Aziz", "Their own section, linked from every task.", answer_of=0),
            Say("Jonah Miller", "Yes — and screenshots per task please.", response=True),
        ),
        seen=("Hana Sato", "Jonah Miller", "Uma Reddy"),
    ),
]


def demo_working_day(day: date, *, back: bool = False) -> date:
    """The first Monday to Thursday on or after ``day`` (before, if ``back``).

    Demo people work Monday-Friday, Monday-Thursday or Sunday-Thursday, so a deadline on such a
    day is a working day for all of them: the demo shows no deadline moved off a day off.
    """
    step = timedelta(days=-1 if back else 1)
    while day.weekday() > 3:
        day += step
    return day


def _backdate(brief: Brief, days: int) -> None:
    """Move a demo brief and everything on it ``days`` back in time (demo data only)."""
    shift = timedelta(days=days)
    deadline_date: date | None = brief.deadline_date - shift if brief.deadline_date else None
    deadline_at = brief.deadline_at - shift if brief.deadline_at else None
    latest = None
    for p in BriefParticipant.objects.filter(brief=brief).select_related("membership__profile"):
        profile = p.membership.profile
        due = local_deadline(
            week_of(profile.time_zone, profile.working_hours),
            deadline_at=deadline_at,
            deadline_date=deadline_date,
        )
        BriefParticipant.objects.filter(pk=p.pk).update(
            added_at=p.added_at - shift,
            local_deadline=due,
            first_seen_at=p.first_seen_at - shift if p.first_seen_at else None,
            responded_at=p.responded_at - shift if p.responded_at else None,
        )
        latest = max(latest, due) if latest and due else (due or latest)
    for c in Comment.objects.filter(brief=brief):
        Comment.objects.filter(pk=c.pk).update(
            created_at=c.created_at - shift,
            answered_at=c.answered_at - shift if c.answered_at else None,
        )
    Brief.objects.filter(pk=brief.pk).update(
        created_at=brief.created_at - shift,
        deadline_date=deadline_date,
        deadline_at=deadline_at,
        respond_by=latest,
        closed_at=brief.closed_at - shift if brief.closed_at else None,
    )


# The recordings area builds on briefs; it gives a demo brief its recording from its hooks.py,
# with a callable registered at this point: (brief) -> whether the brief now has a recording.
DEMO_RECORDING = "briefs.demo_recording"


def _record(brief: Brief) -> bool:
    """Give the brief a real short recording (before any pin, and before it is closed)."""
    return any(make(brief) for make in registry.items(DEMO_RECORDING))


def _build(spec: DemoBrief, members: dict[str, Membership], made: dict[str, Brief]) -> Brief:
    author = members[spec.author]
    invitees = [Invitee(member_id=members[n].pk) for n in spec.people]
    invitees += [Invitee(team=name.lower()) for name in spec.teams]
    invitees += [Invitee(member_id=members[n].pk, required=False) for n in spec.optional]
    deadline = Deadline()
    days_ago = spec.days_ago
    if spec.due_in_days is not None:
        due = timezone.now() + timedelta(days=spec.due_in_days)
        if spec.days_ago:
            # Moved back a day or three more, so the deadline it shows lands on a working day.
            shown = (due - timedelta(days=days_ago)).date()
            days_ago += (shown - demo_working_day(shown, back=True)).days
        else:
            due += timedelta(days=(demo_working_day(due.date()) - due.date()).days)
        deadline = (
            Deadline(at=due.replace(minute=0, second=0, microsecond=0))
            if spec.instant
            else Deadline(day=due.date())
        )
    brief = brief_create(
        author=author,
        title=spec.title,
        body=spec.body,
        ask_kind=spec.ask,
        questions=spec.questions,
        participants=invitees,
        deadline=deadline,
        meeting=Meeting(*spec.meeting) if spec.meeting else Meeting(),
    )
    recorded = spec.recording and _record(brief)
    for name in spec.seen:
        brief_mark_seen(acting=members[name], brief=brief)
    said: list[Comment] = []
    for say in spec.thread:
        who = members[say.who]
        if say.response:
            said.append(respond(acting=who, brief=brief, body=say.text))
            continue
        parent_index = say.answer_of if say.answer_of is not None else say.reply_to
        parent = said[parent_index] if parent_index is not None else None
        said.append(
            comment_add(
                acting=who,
                brief=brief,
                body=say.text,
                parent=parent,
                is_question=say.question,
                at_seconds=say.at if recorded else None,
            )
        )
        if say.answer_of is not None and parent is not None:
            question_answer(acting=author, question=parent, answer=said[-1])
    for url in spec.links_to:
        link_add(acting=author, brief=brief, url=url, relation="context", note="The numbers")
    if spec.summary:
        brief_close(acting=author, brief=brief, summary=spec.summary)
    if days_ago:
        _backdate(Brief.objects.get(pk=brief.pk), days_ago)
    made[spec.title] = brief
    return brief


def demo_briefs(workspace: Workspace, members: dict[str, Membership]) -> list[Brief]:
    """Write the demo's briefs as the demo's people (``members`` by display name)."""
    made: dict[str, Brief] = {}
    with muted():
        briefs = [_build(spec, members, made) for spec in BRIEFS]
        first, second = briefs[0], briefs[5]
        link_add(
            acting=first.author,
            brief=first,
            target_brief=second,
            relation="depends_on",
            note="The support lead hire comes first.",
        )
    return list(Brief.objects.filter(workspace=workspace).order_by("-created_at"))
