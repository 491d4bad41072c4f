"""The check-ins API: defining check-ins, one's prompts and answers, a team's day, blockers."""

from datetime import date
from typing import Any

from django.utils import timezone
from ninja import Router, Status

from meridian.checkins.access import blocker_get_for, checkin_get_for, prompt_get_for
from meridian.checkins.models import Checkin, CheckinPrompt
from meridian.checkins.schemas import (
    BlockerOut,
    CheckinAnswerIn,
    CheckinIn,
    CheckinOut,
    CheckinPatch,
    PromptOut,
    TeamDayOut,
)
from meridian.checkins.selectors import (
    ANSWER_API_ROW,
    BlockerRow,
    blocker_rows,
    checkin_list_for,
    team_day_for,
    waiting_prompts_for,
)
from meridian.checkins.services import (
    BlockerIn,
    Shift,
    ask_time_shifts,
    blocker_resolve,
    checkin_create,
    checkin_update,
    prompt_answer,
)
from meridian.core.moments import local_date
from meridian.core.schemas import Problem
from meridian.workspaces.access import ApiRequest, requires, team_get_for
from meridian.workspaces.models import Membership
from meridian.workspaces.models import Role as MemberRole

router = Router(tags=["checkins"])


def _person(member: Membership | None) -> dict[str, Any] | None:
    if member is None:
        return None
    return {"id": member.pk, "name": member.profile.display_name}


def _checkin(checkin: Checkin, shifts: list[Shift] = ()) -> dict[str, Any]:  # type: ignore[assignment]
    return {
        "id": checkin.pk,
        "team": checkin.team.slug,
        "name": checkin.name,
        "questions": checkin.questions,
        "weekdays": checkin.weekdays,
        "ask_time": checkin.ask_time,
        "ask_mood": checkin.ask_mood,
        "archived": checkin.archived_at is not None,
        "warnings": [
            {
                "member_id": s.member.pk,
                "weekday": s.weekday,
                "asked_at": s.moment,
                "message": s.message,
            }
            for s in shifts
        ],
    }


def _prompt(viewer: Membership, prompt: CheckinPrompt) -> dict[str, Any]:
    own = prompt.membership_id == viewer.pk
    return {
        "id": prompt.pk,
        "checkin_id": prompt.checkin_id,
        "member": _person(prompt.membership),
        "local_date": prompt.local_date,
        "asked_at": prompt.asked_at,
        "answerable_until": prompt.local_deadline,
        "answered_at": prompt.responded_at,
        "answers": prompt.answers,
        "mood": prompt.mood if own or prompt.mood_shared else None,
    }


def _blocker(row: BlockerRow) -> dict[str, Any]:
    b = row.blocker
    return {
        "id": b.pk,
        "checkin_id": b.checkin_id,
        "raised_by": _person(b.raised_by),
        "text": b.text,
        "task_id": b.task_id,
        "person": _person(b.person),
        "seen": b.seen,
        "opened_at": b.opened_at,
        "resolved_at": b.resolved_at,
        "open_working_hours": round(row.open_hours, 2),
    }


@router.get("/checkins", response=list[CheckinOut])
@requires(MemberRole.GUEST)
def checkins(request: ApiRequest) -> list[dict[str, Any]]:
    """The workspace's current check-ins."""
    return [_checkin(c) for c in checkin_list_for(viewer=request.membership)]


@router.post("/checkins", response={201: CheckinOut, 403: Problem, 404: Problem, 422: Problem})
@requires(MemberRole.MEMBER)
def checkin_new(request: ApiRequest, payload: CheckinIn) -> Status[dict[str, Any]]:
    """Define a check-in for a team; ``warnings`` name the members for whom the time falls
    outside their working hours, and when they are asked instead."""
    viewer = request.membership
    team = team_get_for(viewer, payload.team)
    checkin = checkin_create(
        acting=viewer,
        team=team,
        name=payload.name,
        questions=payload.questions,
        weekdays=payload.weekdays,
        ask_time=payload.ask_time,
        ask_mood=payload.ask_mood,
    )
    shifts = ask_time_shifts(
        team=team, weekdays=checkin.weekdays, ask_time=checkin.ask_time, now=timezone.now()
    )
    return Status(201, _checkin(checkin, shifts))


@router.patch(
    "/checkins/{int:checkin_id}",  # int: "/checkins/prompts" is another resource
    response={200: CheckinOut, 403: Problem, 404: Problem, 422: Problem},
)
@requires(MemberRole.MEMBER)
def checkin_change(request: ApiRequest, checkin_id: int, payload: CheckinPatch) -> dict[str, Any]:
    """Change a check-in: only the fields given, validated as the form does (422 naming each
    field: no questions, no weekdays, no time); ``warnings`` as when defining it. Prompts
    already asked keep their questions; ``archived`` stops asking, false asks again."""
    viewer = request.membership
    checkin = checkin_get_for(viewer, checkin_id)
    given = payload.model_dump(exclude_unset=True)
    values: dict[str, Any] = {
        "name": checkin.name,
        "questions": list(checkin.questions),
        "weekdays": list(checkin.weekdays),
        "ask_time": checkin.ask_time,
        "ask_mood": checkin.ask_mood,
        "archived": checkin.archived_at is not None,
    }
    for field, value in given.items():
        if value is None and field in ("name", "questions", "weekdays"):
            value = "" if field == "name" else []
        values[field] = bool(value) if field in ("ask_mood", "archived") else value
    checkin = checkin_update(acting=viewer, checkin=checkin, **values)
    shifts = ask_time_shifts(
        team=checkin.team, weekdays=checkin.weekdays, ask_time=checkin.ask_time, now=timezone.now()
    )
    return _checkin(checkin, shifts)


@router.get("/checkins/prompts", response=list[PromptOut])
@requires(MemberRole.GUEST)
def my_prompts(request: ApiRequest) -> list[dict[str, Any]]:
    """Your prompts that still wait for an answer (until your next one is asked)."""
    viewer = request.membership
    prompts = waiting_prompts_for(viewer=viewer, now=timezone.now()).select_related(
        "membership__profile"
    )
    return [_prompt(viewer, p) for p in prompts]


@router.post(
    "/checkins/prompts/{prompt_id}/answer",
    response={200: PromptOut, 404: Problem, 422: Problem},
)
@requires(MemberRole.GUEST)
def answer(request: ApiRequest, prompt_id: int, payload: CheckinAnswerIn) -> dict[str, Any]:
    """Answer your prompt (again: the answer is replaced, never doubled). A blocker naming a
    task or a person reaches them through their inbox; another workspace's task is a 404."""
    viewer = request.membership
    prompt = prompt_get_for(viewer, prompt_id)
    blocker = None
    if payload.blocker is not None:
        b = payload.blocker
        blocker = BlockerIn(b.text, b.task_id, b.person_id)
    prompt = prompt_answer(
        acting=viewer,
        prompt=prompt,
        answers=payload.answers,
        mood=payload.mood,
        mood_shared=payload.mood_shared,
        blocker=blocker,
    )
    prompt.membership = viewer
    return _prompt(viewer, prompt)


@router.get("/checkins/{checkin_id}/days/{day}", response={200: TeamDayOut, 404: Problem})
@requires(MemberRole.GUEST)
def team_day(request: ApiRequest, checkin_id: int, day: date) -> dict[str, Any]:
    """A team's day: the answers, who has not answered yet, open blockers, the mood aggregate
    (only for at least k moods)."""
    viewer = request.membership
    checkin = checkin_get_for(viewer, checkin_id)
    result = team_day_for(
        viewer=viewer,
        checkin=checkin,
        day=day,
        now=timezone.now(),
        slug=viewer.workspace.slug,
        fields=ANSWER_API_ROW,
    )
    mood = None
    if checkin.ask_mood:
        mood = {"average": result.mood.average, "count": result.mood.count, "k": result.mood.k}
    return {
        "day": result.day,
        "answers": [_prompt(viewer, p) for p in result.answered],
        "not_answered_yet": [_person(m) for m in result.waiting],
        "open_blockers": [_blocker(r) for r in result.blockers],
        "mood": mood,
    }


@router.get("/checkins/{checkin_id}/today", response={200: TeamDayOut, 404: Problem})
@requires(MemberRole.GUEST)
def team_today(request: ApiRequest, checkin_id: int) -> dict[str, Any]:
    """The team's day that is today in your zone."""
    viewer = request.membership
    today = local_date(timezone.now(), viewer.profile.time_zone)
    return team_day(request, checkin_id, today)


@router.post(
    "/checkins/blockers/{blocker_id}/resolve",
    response={200: BlockerOut, 403: Problem, 404: Problem},
)
@requires(MemberRole.GUEST)
def resolve(request: ApiRequest, blocker_id: int) -> dict[str, Any]:
    """Resolve a blocker (the blocked member, who can unblock them, or an admin); the blocked
    member is told."""
    viewer = request.membership
    blocker = blocker_resolve(acting=viewer, blocker=blocker_get_for(viewer, blocker_id))
    blocker = blocker_get_for(viewer, blocker.pk)
    return _blocker(blocker_rows([blocker], timezone.now(), viewer.workspace.slug)[0])
