"""Every write to check-ins: defining one, asking (the scheduler), answering, blockers.

Each service runs in one transaction. Asking is idempotent twice over: the scheduler's ledger
key names the check-in, the member and the day, and the prompt's unique (check-in, member,
day) holds even without it. Answering twice (a double submit) leaves one answer.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from meridian.asks.deadlines import week_of
from meridian.asks.reminders import reminder_take
from meridian.checkins import events as checkin_events
from meridian.checkins.models import (
    ANSWER_MAX,
    BLOCKER_MAX,
    NAME_MAX,
    QUESTION_MAX,
    QUESTIONS_MAX,
    Blocker,
    Checkin,
    CheckinPrompt,
)
from meridian.checkins.rules import ask_moment, next_ask_moment
from meridian.checkins.search import prompt_search_index
from meridian.core import registry
from meridian.core.errors import FieldErrors, NotFound, PermissionDenied, ValidationFailed
from meridian.core.facts import facts_stale
from meridian.core.markdown import render_markdown
from meridian.core.moments import moment_text
from meridian.core.services import audit_record
from meridian.handovers.kinds import handover_kinds
from meridian.notifications.services import (
    inbox_resolve,
    notification_send,
    notification_send_many,
)
from meridian.workspaces.access import require_same_workspace
from meridian.workspaces.models import Membership, Team, TeamMembership
from meridian.workspaces.selectors import time_off_between

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def prompt_cause(prompt_id: int) -> str:
    """The inbox cause of a prompt waiting for its answer."""
    return f"checkins.prompt:{prompt_id}"


def blocker_cause(blocker_id: int) -> str:
    """The inbox cause of a blocker waiting for the person who can remove it."""
    return f"checkins.blocker:{blocker_id}"


def resolved_cause(blocker_id: int) -> str:
    """The inbox cause telling the blocked member that their blocker was resolved."""
    return f"checkins.resolved:{blocker_id}"


def checkin_url(checkin: Checkin, slug: str) -> str:
    return reverse("checkin_team", kwargs={"workspace": slug, "checkin_id": checkin.pk})


def prompt_url(prompt: CheckinPrompt, slug: str) -> str:
    return reverse("checkin_answer", kwargs={"workspace": slug, "prompt_id": prompt.pk})


def may_define(acting: Membership, team: Team) -> bool:
    """Admins, and the members of the team (its lead among them), define its check-ins."""
    if acting.is_admin:
        return True
    return TeamMembership.objects.filter(team=team, membership=acting).exists()


# --- Defining -----------------------------------------------------------------------------------


def _clean_definition(
    *, name: str, questions: list[str], weekdays: list[int], ask_time: time | None
) -> tuple[str, list[str], list[int]]:
    problems = FieldErrors()
    name = " ".join(name.split())
    if not name:
        problems.add("name", "Give the check-in a name.")
    elif len(name) > NAME_MAX:
        problems.add("name", f"Keep the name under {NAME_MAX} characters.")
    cleaned = [" ".join(q.split()) for q in questions if q.strip()]
    if not cleaned:
        problems.add("questions", "Ask at least one question.")
    elif len(cleaned) > QUESTIONS_MAX:
        problems.add("questions", f"Ask at most {QUESTIONS_MAX} questions.")
    for question in cleaned:
        if len(question) > QUESTION_MAX:
            problems.add("questions", f"Keep each question under {QUESTION_MAX} characters.")
            break
    days = sorted(set(weekdays))
    if not days:
        problems.add("weekdays", "Choose at least one weekday.")
    elif any(not 0 <= d <= 6 for d in days):
        problems.add("weekdays", "Weekdays are 0 (Monday) to 6 (Sunday).")
    if ask_time is None:
        problems.add("ask_time", "Choose the local time at which to ask.")
    problems.raise_any()
    return name, cleaned, days


@dataclass(frozen=True)
class Shift:
    """A member for whom the check-in's time falls outside their working hours on a day."""

    member: Membership
    weekday: int
    moment: datetime

    @property
    def message(self) -> str:
        zone = self.member.profile.time_zone
        return (
            f"{self.member.profile.display_name} does not work at that "
            f"time on {WEEKDAYS[self.weekday]}s: they will be asked at "
            f"{moment_text(self.moment, zone, 'time')} instead."
        )


def ask_time_shifts(
    *, team: Team, weekdays: list[int], ask_time: time, now: datetime
) -> list[Shift]:
    """Who would be asked at another time than ``ask_time`` in the coming week, and when
    (one line per member and weekday, for the define form's warning; writes nothing)."""
    members = (
        Membership.objects.select_related("profile")
        .filter(team_memberships__team=team, is_active=True)
        .order_by("profile__display_name", "pk")
    )
    shifts: list[Shift] = []
    for member in members:
        week = week_of(member.profile.time_zone, member.profile.working_hours)
        today = now.astimezone(week.zone).date()
        for ahead in range(7):
            day = date.fromordinal(today.toordinal() + ahead)
            plan = ask_moment(week, day, ask_time, weekdays)
            if plan is not None and plan.moved:
                shifts.append(Shift(member, day.weekday(), plan.moment))
    return sorted(shifts, key=lambda s: (s.member.profile.display_name.lower(), s.weekday))


@transaction.atomic
def checkin_create(
    *,
    acting: Membership,
    team: Team,
    name: str,
    questions: list[str],
    weekdays: list[int],
    ask_time: time | None,
    ask_mood: bool = False,
) -> Checkin:
    """Start asking a team a check-in on the weekdays given, at each member's local time."""
    require_same_workspace(acting, team)
    if not may_define(acting, team):
        raise PermissionDenied("Only admins and members of the team define its check-ins.")
    name, cleaned, days = _clean_definition(
        name=name, questions=questions, weekdays=weekdays, ask_time=ask_time
    )
    assert ask_time is not None
    checkin = Checkin.objects.create(
        workspace_id=acting.workspace_id,
        team=team,
        name=name,
        questions=cleaned,
        weekdays=days,
        ask_time=ask_time.replace(second=0, microsecond=0),
        ask_mood=ask_mood,
        created_by=acting,
    )
    audit_record(actor=acting, action="checkin.created", obj=checkin, data={"name": name})
    return checkin


@transaction.atomic
def checkin_update(
    *,
    acting: Membership,
    checkin: Checkin,
    name: str,
    questions: list[str],
    weekdays: list[int],
    ask_time: time | None,
    ask_mood: bool,
    archived: bool = False,
) -> Checkin:
    """Change what a check-in asks and when; prompts already asked keep their questions."""
    require_same_workspace(acting, checkin)
    if not may_define(acting, checkin.team):
        raise PermissionDenied("Only admins and members of the team change its check-ins.")
    name, cleaned, days = _clean_definition(
        name=name, questions=questions, weekdays=weekdays, ask_time=ask_time
    )
    assert ask_time is not None
    checkin.name, checkin.questions, checkin.weekdays = name, cleaned, days
    checkin.ask_time, checkin.ask_mood = ask_time.replace(second=0, microsecond=0), ask_mood
    if archived and checkin.archived_at is None:
        checkin.archived_at = timezone.now()
    elif not archived:
        checkin.archived_at = None
    checkin.save(
        update_fields=["name", "questions", "weekdays", "ask_time", "ask_mood", "archived_at"]
    )
    audit_record(actor=acting, action="checkin.updated", obj=checkin, data={"name": name})
    return checkin


# --- Asking (the scheduler's effect) -----------------------------------------------------------


def prompt_ask(*, checkin_id: int, membership_id: int, local_date: date, now: datetime) -> None:
    """Ask one member one check-in for their local day (see :func:`prompts_ask`)."""
    prompts_ask(asks=[(checkin_id, membership_id)], local_date=local_date, now=now)


@transaction.atomic
def prompts_ask(
    *, asks: Sequence[tuple[int, int]], local_date: date, now: datetime
) -> list[CheckinPrompt]:
    """Ask members check-ins for their local day, all in one go: (check-in, member) pairs.

    The scheduler's effect for a batch of members whose day it is: the prompts, their inbox
    items and the notices are written in a few statements, whatever the number of members.
    The check-ins are locked first (in order), so two workers asking overlapping batches take
    turns, and the second finds the prompts written and skips them; the prompt's unique
    (check-in, member, day) holds besides. Members who left, archived check-ins and members
    already asked are skipped. Each member's previous prompt, if unanswered, leaves their
    inbox: it can no longer be answered. Returns the prompts written.
    """
    checkin_ids = sorted({c for c, _ in asks})
    checkins = {
        c.pk: c
        # Only the check-in rows, and NO KEY: batches take turns, while rows that merely
        # point at a check-in or its workspace (answers, other areas' inserts) are not held up.
        for c in Checkin.objects.select_for_update(no_key=True, of=("self",))
        .select_related("workspace")
        .filter(pk__in=checkin_ids, archived_at__isnull=True)
        .order_by("pk")
    }
    wanted = [(c, m) for c, m in dict.fromkeys(asks) if c in checkins]
    asked = set(
        CheckinPrompt.objects.filter(
            checkin_id__in=list(checkins),
            local_date=local_date,
            membership_id__in={m for _, m in wanted},
        ).values_list("checkin_id", "membership_id")
    )
    wanted = [pair for pair in wanted if pair not in asked]
    members = {
        m.pk: m
        for m in Membership.objects.select_related("profile").filter(
            pk__in={m for _, m in wanted}, is_active=True
        )
    }
    wanted = [
        (c, m)
        for c, m in wanted
        if m in members and members[m].workspace_id == checkins[c].workspace_id
    ]
    if not wanted:
        return []
    away = _away_days_of([members[m] for _, m in wanted], local_date)
    prompts = []
    for checkin_id, member_id in wanted:
        checkin, profile = checkins[checkin_id], members[member_id].profile
        week = week_of(profile.time_zone, profile.working_hours)
        deadline = next_ask_moment(
            week, local_date, checkin.ask_time, checkin.weekdays, away.get(member_id, set())
        )
        prompts.append(
            CheckinPrompt(
                workspace_id=checkin.workspace_id,
                checkin=checkin,
                membership_id=member_id,
                via_team_id=checkin.team_id,
                local_date=local_date,
                asked_at=now,
                local_deadline=deadline,
            )
        )
    prompts = CheckinPrompt.objects.bulk_create(prompts, batch_size=500)
    earlier = CheckinPrompt.objects.filter(
        checkin_id__in={c for c, _ in wanted},
        membership_id__in={m for _, m in wanted},
        local_date__lt=local_date,
        responded_at__isnull=True,
    ).values_list("pk", flat=True)
    inbox_resolve(cause=[prompt_cause(pk) for pk in earlier])
    notification_send_many(
        [
            registry.Notice(
                workspace_id=p.workspace_id,
                recipient_id=p.membership_id,
                kind="checkins.asked",
                subject=f"Check-in: {p.checkin.name}",
                body="; ".join(p.checkin.questions),
                url=prompt_url(p, p.checkin.workspace.slug),
                due_at=p.local_deadline,
                cause=prompt_cause(p.pk),
            )
            for p in prompts
        ]
    )
    for workspace_id in {p.workspace_id for p in prompts}:
        facts_stale(
            workspace_id=workspace_id,
            source_kind="checkin_prompt",
            ids=[p.pk for p in prompts if p.workspace_id == workspace_id],
        )
    return prompts


def _away_days_of(members: Sequence[Membership], day: date) -> dict[int, set[date]]:
    """Each member's days wholly off from ``day`` to the next prompt's horizon."""
    last = date.fromordinal(day.toordinal() + 22)
    away: dict[int, set[date]] = {}
    for workspace_id in {m.workspace_id for m in members}:
        ids = [m.pk for m in members if m.workspace_id == workspace_id]
        for member_id, spans in time_off_between(workspace_id, ids, day, last).items():
            days = away.setdefault(member_id, set())
            for first, end in spans:
                days.update(
                    date.fromordinal(n) for n in range(first.toordinal(), end.toordinal() + 1)
                )
    return away


def prompt_remind(*, prompt_id: int, now: datetime) -> None:
    """Remind a member of their unanswered prompt (the scheduler's effect, once a prompt):
    the item in their inbox says so, and a member who chose email for reminders gets one."""
    rows = CheckinPrompt.objects.filter(
        pk=prompt_id,
        responded_at__isnull=True,
        last_reminded_at__isnull=True,
        membership__is_active=True,
    ).select_related("membership__profile", "checkin__workspace")
    taken = reminder_take(rows, now)
    if taken is None:
        return  # answered (or the member left) since it was listed
    prompt = taken.participant
    if prompt.local_deadline is not None and now >= prompt.local_deadline:
        return
    checkin = prompt.checkin
    notification_send(
        recipient=prompt.membership,
        kind="checkins.reminder",
        subject=f"Reminder: check-in {checkin.name}",
        body="; ".join(checkin.questions),
        url=prompt_url(prompt, checkin.workspace.slug),
        due_at=prompt.local_deadline,
        cause=prompt_cause(prompt.pk),
    )


# --- Answering ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class BlockerIn:
    """A blocker as the answer form or the API gives it: text, and a task or a person."""

    text: str
    task_id: int | None = None
    person_id: int | None = None


@transaction.atomic
def prompt_answer(
    *,
    acting: Membership,
    prompt: CheckinPrompt,
    answers: list[str],
    mood: int | None = None,
    mood_shared: bool = False,
    blocker: BlockerIn | None = None,
    now: datetime | None = None,
) -> CheckinPrompt:
    """Answer one's own prompt (again: the answer is replaced, never doubled), until the next
    prompt is asked; a blocker naming a task or a person reaches them through their inbox."""
    now = now or timezone.now()
    if prompt.membership_id != acting.pk:
        raise NotFound("No such check-in for you.")
    prompt = CheckinPrompt.objects.select_for_update().select_related("checkin").get(pk=prompt.pk)
    checkin = prompt.checkin
    problems = FieldErrors()
    if prompt.local_deadline is not None and now >= prompt.local_deadline:
        raise ValidationFailed(
            "This check-in can no longer be answered: your next one has been asked since."
        )
    texts = [a.strip() for a in answers][: len(checkin.questions)]
    texts += [""] * (len(checkin.questions) - len(texts))
    if not any(texts) and blocker is None:
        problems.add("answers", "Answer at least one question.")
    for n, text in enumerate(texts):
        if len(text) > ANSWER_MAX:
            problems.add(f"answer_{n}", f"Keep each answer under {ANSWER_MAX} characters.")
    if mood is not None and (not checkin.ask_mood or not 1 <= mood <= 5):
        problems.add("mood", "Mood is a number from 1 to 5.")
    target_task, person = _blocker_targets(acting, blocker, problems)
    problems.raise_any()
    first_answer = prompt.responded_at is None
    prompt.answers = texts
    prompt.answers_html = [render_markdown(text) for text in texts]
    prompt.mood = mood if checkin.ask_mood else None
    prompt.mood_shared = bool(mood_shared and prompt.mood is not None)
    prompt.responded_at = prompt.responded_at or now
    prompt.save(update_fields=["answers", "answers_html", "mood", "mood_shared", "responded_at"])
    if first_answer:
        inbox_resolve(cause=prompt_cause(prompt.pk), recipient=acting)
    if blocker is not None and blocker.text.strip():
        _blocker_raise(acting, prompt, blocker.text.strip(), target_task, person, now)
    facts_stale(workspace_id=prompt.workspace_id, source_kind="checkin_prompt", ids=[prompt.pk])
    prompt_search_index(prompt)
    return prompt


def _blocker_targets(
    acting: Membership, blocker: BlockerIn | None, problems: FieldErrors
) -> tuple[int | None, Membership | None]:
    if blocker is None:
        return None, None
    if len(blocker.text) > BLOCKER_MAX:
        problems.add("blocker", f"Keep the blocker under {BLOCKER_MAX} characters.")
    if (blocker.task_id or blocker.person_id) and not blocker.text.strip():
        problems.add("blocker", "Say what blocks you.")
    task_id = blocker.task_id or None
    if task_id is not None:
        kind = registry.link_kinds().get("task")
        if kind is None or task_id not in kind.titles(acting.workspace_id, [task_id]):
            raise NotFound("No such task in this workspace.")
    person = None
    if blocker.person_id:
        person = Membership.objects.filter(
            workspace_id=acting.workspace_id, pk=blocker.person_id, is_active=True
        ).first()
        if person is None:
            raise NotFound("No such member in this workspace.")
    return task_id, person


def task_owner_ids(workspace_id: int, task_id: int) -> list[int]:
    """Who owns the task, through the handover registry (the work area's ``owners``)."""
    kind = handover_kinds().get("task")
    if kind is None:
        return []
    return list(kind.owners(workspace_id, [task_id]).get(task_id, []))


def blocker_unblockers(blocker: Blocker) -> list[Membership]:
    """Who can remove a blocker: the person it names, or the owners of the task it names."""
    ids: list[int] = []
    if blocker.person_id:
        ids.append(blocker.person_id)
    if blocker.task_id:
        ids += task_owner_ids(blocker.workspace_id, blocker.task_id)
    ids = [pk for pk in dict.fromkeys(ids) if pk != blocker.raised_by_id]
    return list(Membership.objects.select_related("profile").filter(pk__in=ids, is_active=True))


def _blocker_raise(
    acting: Membership,
    prompt: CheckinPrompt,
    text: str,
    task_id: int | None,
    person: Membership | None,
    now: datetime,
) -> Blocker:
    """The same open blocker (same member and check-in, same task or person — or, naming
    neither, the same text) is carried over, not repeated."""
    same = Blocker.objects.select_for_update().filter(
        checkin_id=prompt.checkin_id, raised_by=acting, resolved_at__isnull=True
    )
    if task_id or person:
        same = same.filter(task_id=task_id, person=person)
    else:
        same = same.filter(task_id__isnull=True, person__isnull=True, text__iexact=text)
    blocker = same.order_by("pk").first()
    if blocker is not None:
        if blocker.last_prompt_id != prompt.pk:
            blocker.seen += 1
        blocker.last_prompt = prompt
        blocker.text, blocker.text_html = text, render_markdown(text)
        blocker.save(update_fields=["seen", "last_prompt", "text", "text_html"])
        return blocker
    blocker = Blocker.objects.create(
        workspace_id=acting.workspace_id,
        checkin_id=prompt.checkin_id,
        raised_by=acting,
        first_prompt=prompt,
        last_prompt=prompt,
        text=text,
        text_html=render_markdown(text),
        task_id=task_id,
        person=person,
        opened_at=now,
    )
    slug = acting.workspace.slug
    for unblocker in blocker_unblockers(blocker):
        notification_send(
            recipient=unblocker,
            kind="checkins.blocked",
            subject=f"{acting.profile.display_name} is blocked: {text[:120]}",
            body=text,
            url=blocker_url(blocker, slug),
            actor=acting,
            cause=blocker_cause(blocker.pk),
        )
    facts_stale(workspace_id=blocker.workspace_id, source_kind="checkin_blocker", ids=[blocker.pk])
    checkin_events.blocker_raised(blocker, prompt.checkin, slug, acting)
    return blocker


def blocker_url(blocker: Blocker, slug: str) -> str:
    return reverse("checkin_blocker", kwargs={"workspace": slug, "blocker_id": blocker.pk})


def may_resolve(acting: Membership, blocker: Blocker) -> bool:
    """The blocked member, whoever can unblock them, and admins resolve a blocker."""
    if acting.is_admin or acting.pk in (blocker.raised_by_id, blocker.person_id):
        return True
    return bool(blocker.task_id) and acting.pk in task_owner_ids(
        blocker.workspace_id, blocker.task_id or 0
    )


@transaction.atomic
def blocker_resolve(
    *, acting: Membership, blocker: Blocker, now: datetime | None = None
) -> Blocker:
    """Mark a blocker resolved (again: no change); the blocked member is told."""
    now = now or timezone.now()
    require_same_workspace(acting, blocker)
    if not may_resolve(acting, blocker):
        raise PermissionDenied("Only the blocked member, who can unblock them, or an admin.")
    blocker = Blocker.objects.select_for_update().select_related("raised_by").get(pk=blocker.pk)
    if blocker.resolved_at is not None:
        return blocker
    blocker.resolved_at, blocker.resolved_by = now, acting
    blocker.save(update_fields=["resolved_at", "resolved_by"])
    inbox_resolve(cause=blocker_cause(blocker.pk))
    if blocker.raised_by_id != acting.pk:
        notification_send(
            recipient=blocker.raised_by,
            kind="checkins.unblocked",
            subject=f"Resolved: {blocker.text[:120]}",
            body=f"{acting.profile.display_name} resolved the blocker you raised.",
            url=blocker_url(blocker, acting.workspace.slug),
            actor=acting,
            cause=resolved_cause(blocker.pk),
        )
    audit_record(actor=acting, action="checkin.blocker_resolved", obj=blocker)
    facts_stale(workspace_id=blocker.workspace_id, source_kind="checkin_blocker", ids=[blocker.pk])
    return blocker
