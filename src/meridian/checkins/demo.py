"""The demo's check-in: Platform's daily standup, three weeks of answers, blockers and moods.

Asked through the asking service one day at a time (as the scheduler would, in bulk); the
answers of the plain days are written in one statement, and the days with a blocker go
through ``prompt_answer`` so that blockers reach the task owner or the person named, are
carried over when raised again, and some are resolved. Callers mute notifications.
"""

import random
from datetime import UTC, date, datetime, time, timedelta

from django.utils import timezone

from meridian.asks.deadlines import week_of
from meridian.checkins.models import Checkin, CheckinPrompt
from meridian.checkins.rules import ask_moment
from meridian.checkins.services import (
    BlockerIn,
    blocker_resolve,
    checkin_create,
    prompt_answer,
    prompt_cause,
    prompts_ask,
)
from meridian.core import registry
from meridian.core.markdown import render_markdown
from meridian.notifications.services import inbox_resolve
from meridian.workspaces.models import Membership, Team, Workspace
from meridian.workspaces.selectors import time_off_between

DAYS = 21
FINISHED = [
    "Merged the **retry queue** fix and reviewed two pull requests.",
    "Finished the schema migration for audit events.",
    "Paired on the flaky integration test; it was a clock issue.",
    "Wrote the runbook for rotating the database credentials.",
    "Shipped the dashboard filters behind a flag.",
    "Closed three support escalations about webhooks.",
]
NEXT = [
    "Load-test the new importer.",
    "Start on the rate limiter for the public API.",
    "Review Chen's design doc, then pick up the next on-call ticket.",
    "Clean up the feature flags that shipped last week.",
    "Write tests for the timezone edge cases.",
]
BLOCKED = [
    ("Waiting for the staging database to be upgraded.", "task", True),
    ("Need a decision on the API versioning scheme.", "person", False),
    ("The CI runners are out of disk again.", "task", False),
]


def demo_checkins(workspace: Workspace, members: dict[str, Membership]) -> Checkin | None:
    """Write the demo's check-in and its history (callers mute notifications)."""
    team = Team.objects.filter(workspace=workspace, slug="platform").first()
    if team is None:
        return None
    bruno = members["Bruno Costa"]
    checkin = checkin_create(
        acting=bruno,
        team=team,
        name="Platform daily",
        questions=["What did you finish?", "What's next?"],
        weekdays=[0, 1, 2, 3, 4],
        ask_time=time(9, 30),
        ask_mood=True,
    )
    people = list(
        Membership.objects.select_related("profile", "workspace")
        .filter(team_memberships__team=team, is_active=True)
        .order_by("pk")
    )
    now = timezone.now()
    today = now.astimezone(UTC).date()
    first = today - timedelta(days=DAYS)
    away = time_off_between(workspace.pk, [m.pk for m in people], first, today)
    rng = random.Random(13)
    for n in range(DAYS, -1, -1):
        day = today - timedelta(days=n)
        asked: list[tuple[Membership, datetime]] = []
        for member in people:
            week = week_of(member.profile.time_zone, member.profile.working_hours)
            off = {
                date.fromordinal(d)
                for a, b in away.get(member.pk, [])
                for d in range(a.toordinal(), b.toordinal() + 1)
            }
            plan = ask_moment(week, day, checkin.ask_time, checkin.weekdays, off)
            if plan is not None and plan.moment <= now:
                asked.append((member, plan.moment))
        if asked:
            prompts_ask(
                asks=[(checkin.pk, m.pk) for m, _ in asked],
                local_date=day,
                now=min(at for _, at in asked),
            )
    _answer(checkin, people, now, rng)
    return checkin


def _answer(checkin: Checkin, people: list[Membership], now: datetime, rng: random.Random) -> None:
    prompts = list(
        CheckinPrompt.objects.filter(checkin=checkin).order_by("local_date", "membership_id")
    )
    last_day = max((p.local_date for p in prompts), default=None)
    by_id = {m.pk: m for m in people}
    tasks = registry.link_kinds().get("task")
    task_ids = [pk for pk, _ in tasks.recent(checkin.workspace_id, 5)] if tasks else []
    plain: list[CheckinPrompt] = []
    with_blocker: list[tuple[CheckinPrompt, int]] = []
    for n, prompt in enumerate(prompts):
        # Today, some have not answered yet; on earlier days one answer in ten is missing.
        if prompt.local_date == last_day and n % 3 == 0:
            continue
        if prompt.local_date != last_day and rng.random() < 0.1:
            continue
        kind = n % 11
        if kind < len(BLOCKED) and prompt.local_date != last_day:
            with_blocker.append((prompt, kind))
        else:
            plain.append(prompt)
    for prompt in plain:
        answers = [rng.choice(FINISHED), rng.choice(NEXT)]
        prompt.answers = answers
        prompt.answers_html = [render_markdown(a) for a in answers]
        prompt.responded_at = min(prompt.asked_at + timedelta(minutes=rng.randint(5, 240)), now)
        prompt.mood = rng.randint(2, 5)
        prompt.mood_shared = rng.random() < 0.3
    CheckinPrompt.objects.bulk_update(
        plain, ["answers", "answers_html", "responded_at", "mood", "mood_shared"], batch_size=200
    )
    inbox_resolve(cause=[prompt_cause(p.pk) for p in plain])
    for prompt, kind in with_blocker:
        text, target, _ = BLOCKED[kind]
        member = by_id[prompt.membership_id]
        others = [m for m in people if m.pk != member.pk]
        blocker = BlockerIn(
            text,
            task_id=task_ids[kind] if target == "task" and len(task_ids) > kind else None,
            person_id=others[kind % len(others)].pk if target == "person" else None,
        )
        at = min(prompt.asked_at + timedelta(minutes=rng.randint(5, 120)), now)
        prompt_answer(
            acting=member,
            prompt=prompt,
            answers=[rng.choice(FINISHED), rng.choice(NEXT)],
            mood=rng.randint(1, 4),
            blocker=blocker,
            now=at,
        )
    # The staging database was upgraded two days after each time it blocked someone, a week
    # ago and more; the other blockers are still open.
    resolved = {text for text, _, resolve in BLOCKED if resolve}
    for raised in checkin.blockers.select_related("raised_by__workspace", "raised_by__profile"):
        if raised.text in resolved and raised.opened_at < now - timedelta(days=7):
            blocker_resolve(
                acting=raised.raised_by, blocker=raised, now=raised.opened_at + timedelta(days=2)
            )
