"""Pages of check-ins: the list, defining one, answering a prompt, the team's day and week, a
person's history, a blocker and resolving it."""

from datetime import date, timedelta

from django.contrib import messages
from django.http import HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from meridian.checkins.access import blocker_get_for, checkin_get_for, prompt_get_for
from meridian.checkins.cards import answer_cards
from meridian.checkins.forms import AnswerForm, CheckinForm, checkin_initial
from meridian.checkins.models import Checkin
from meridian.checkins.selectors import (
    blocker_rows,
    checkin_list_for,
    person_history_for,
    previous_answer,
    task_choices_for,
    team_day_for,
    team_members,
    team_week_for,
    waiting_prompts_for,
)
from meridian.checkins.services import (
    BlockerIn,
    ask_time_shifts,
    blocker_resolve,
    checkin_create,
    checkin_update,
    may_resolve,
    prompt_answer,
)
from meridian.core.errors import MeridianError, NotFound
from meridian.core.forms import add_service_errors
from meridian.core.moments import local_date
from meridian.core.submission import once_per_submission, saved
from meridian.workspaces.access import WorkspaceRequest, member_get_for, requires
from meridian.workspaces.models import Role as MemberRole
from meridian.workspaces.selectors import team_list_for


def _today(request: WorkspaceRequest) -> date:
    return local_date(timezone.now(), request.membership.profile.time_zone)


def _day(request: WorkspaceRequest, name: str = "day") -> date:
    text = request.GET.get(name, "")
    if not text:
        return _today(request)
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise NotFound("No such day: write it as 2027-03-15.") from None


@requires(MemberRole.GUEST)
def checkin_list(request: WorkspaceRequest, workspace: str) -> HttpResponse:
    """The workspace's check-ins, and the viewer's prompts waiting for an answer."""
    viewer = request.membership
    context = {
        "checkins": checkin_list_for(viewer=viewer),
        "waiting": waiting_prompts_for(viewer=viewer, now=timezone.now()),
    }
    return render(request, "checkins/list.html", context)


def _definition(request: WorkspaceRequest, form: CheckinForm, checkin: Checkin | None) -> object:
    data = form.cleaned_data
    values = {
        "name": data["name"],
        "questions": form.question_list(),
        "weekdays": data["weekdays"],
        "ask_time": data["ask_time"],
        "ask_mood": data["ask_mood"],
    }
    if checkin is None:
        return checkin_create(acting=request.membership, team=data["team"], **values)
    return checkin_update(
        acting=request.membership, checkin=checkin, archived=data["archived"], **values
    )


def _define(request: WorkspaceRequest, workspace: str, checkin: Checkin | None) -> HttpResponse:
    initial = checkin_initial(checkin) if checkin else {}
    form = CheckinForm(
        request.POST or None, initial=initial, teams=team_list_for(viewer=request.membership)
    )
    if checkin is None:
        del form.fields["archived"]
    else:
        form.fields["team"].disabled = True
    shifts = []
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        team = checkin.team if checkin else data["team"]
        if data["ask_time"] and data["weekdays"]:
            shifts = ask_time_shifts(
                team=team, weekdays=data["weekdays"], ask_time=data["ask_time"], now=timezone.now()
            )
        if shifts and not data["confirmed"]:
            pass  # shown first; the page carries the confirmation
        else:
            try:
                saved_checkin = _definition(request, form, checkin)
            except MeridianError as exc:
                add_service_errors(form, exc)
            else:
                assert isinstance(saved_checkin, Checkin)
                messages.success(request, f"Check-in “{saved_checkin.name}” saved.")
                return saved(
                    request,
                    redirect("checkin_team", workspace=workspace, checkin_id=saved_checkin.pk),
                )
    status = 422 if request.method == "POST" and form.errors else 200
    context = {"form": form, "checkin": checkin, "shifts": shifts}
    return render(request, "checkins/form.html", context, status=status)


@requires(MemberRole.MEMBER)
@once_per_submission
def checkin_new(request: WorkspaceRequest, workspace: str) -> HttpResponse:
    """Define a check-in for a team (admins and members of the team)."""
    return _define(request, workspace, None)


@requires(MemberRole.MEMBER)
def checkin_edit(request: WorkspaceRequest, workspace: str, checkin_id: int) -> HttpResponse:
    """Change a check-in's questions, days and time, or archive it."""
    return _define(request, workspace, checkin_get_for(request.membership, checkin_id))


def _answer_form(request: WorkspaceRequest, prompt: object, data: object = None) -> AnswerForm:
    checkin = prompt.checkin  # type: ignore[attr-defined]
    chosen = None
    value = data.get("blocker_task") if isinstance(data, QueryDict) else None
    if isinstance(value, str) and value.isdigit():
        chosen = int(value)
    tasks = task_choices_for(viewer=request.membership, chosen=chosen)
    people = [m for m in team_members(checkin) if m.pk != request.membership.pk]
    answers = prompt.answers or []  # type: ignore[attr-defined]
    initial: dict[str, object] = {f"answer_{n}": a for n, a in enumerate(answers)}
    initial.update(mood=prompt.mood, mood_shared=prompt.mood_shared)  # type: ignore[attr-defined]
    return AnswerForm(
        data,
        initial=initial,
        questions=prompt.questions,  # type: ignore[attr-defined]
        ask_mood=checkin.ask_mood,
        tasks=tasks,
        people=people,
    )


@requires(MemberRole.GUEST)
def checkin_task_options(request: WorkspaceRequest, workspace: str, prompt_id: int) -> HttpResponse:
    """The answer form's task picker (htmx): the <option>s of the tasks matching ``task_q``."""
    prompt_get_for(request.membership, prompt_id)  # one's own prompt only (404 otherwise)
    q = request.GET.get("task_q", "")
    context = {"tasks": task_choices_for(viewer=request.membership, q=q), "q": q.strip()}
    return render(request, "checkins/_task_options.html", context)


@requires(MemberRole.GUEST)
def checkin_answer(request: WorkspaceRequest, workspace: str, prompt_id: int) -> HttpResponse:
    """Answer one's own prompt, with the last answer's "next" beside today's "finished"."""
    prompt = prompt_get_for(request.membership, prompt_id)
    prompt.questions = prompt.checkin.questions  # type: ignore[attr-defined]
    form = _answer_form(request, prompt, request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        blocker = None
        if data["blocker"] or data["blocker_task"] or data["blocker_person"]:
            blocker = BlockerIn(data["blocker"], data["blocker_task"], data["blocker_person"])
        try:
            prompt_answer(
                acting=request.membership,
                prompt=prompt,
                answers=form.answers(),
                mood=data.get("mood"),
                mood_shared=data.get("mood_shared", False),
                blocker=blocker,
            )
        except NotFound:
            raise
        except MeridianError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "Thanks — your check-in is in.")
            return redirect("checkin_team", workspace=workspace, checkin_id=prompt.checkin_id)
    context = {
        "prompt": prompt,
        "form": form,
        "previous": previous_answer(prompt),
        "late": prompt.responded_at is None and prompt.local_date < _today(request),
    }
    status = 422 if request.method == "POST" else 200
    return render(request, "checkins/answer.html", context, status=status)


@requires(MemberRole.GUEST)
def checkin_team(request: WorkspaceRequest, workspace: str, checkin_id: int) -> HttpResponse:
    """The team's day: answers, who has not answered yet, open blockers, moods if allowed."""
    viewer = request.membership
    checkin = checkin_get_for(viewer, checkin_id)
    day = _day(request)
    team_day = team_day_for(
        viewer=viewer, checkin=checkin, day=day, now=timezone.now(), slug=workspace
    )
    context = {
        "checkin": checkin,
        "team_day": team_day,
        "answer_cards": answer_cards(
            team_day.answered,
            checkin=checkin,
            viewer_id=viewer.pk,
            zone=viewer.profile.time_zone,
            slug=workspace,
        ),
        "day": day,
        "previous_day": day - timedelta(days=1),
        "next_day": day + timedelta(days=1),
        "today": _today(request),
    }
    return render(request, "checkins/team.html", context)


@requires(MemberRole.GUEST)
def checkin_week(request: WorkspaceRequest, workspace: str, checkin_id: int) -> HttpResponse:
    """Who answered on which day of a week, per member (no counts, no ranking)."""
    viewer = request.membership
    checkin = checkin_get_for(viewer, checkin_id)
    day = _day(request, "week")
    monday = day - timedelta(days=day.weekday())
    rows = team_week_for(viewer=viewer, checkin=checkin, monday=monday)
    context = {
        "checkin": checkin,
        "rows": rows,
        "days": [monday + timedelta(days=n) for n in range(7)],
        "previous_week": monday - timedelta(days=7),
        "next_week": monday + timedelta(days=7),
    }
    return render(request, "checkins/week.html", context)


@requires(MemberRole.GUEST)
def checkin_person(
    request: WorkspaceRequest, workspace: str, checkin_id: int, member_id: int
) -> HttpResponse:
    """A member's answers to a check-in, newest first."""
    viewer = request.membership
    checkin = checkin_get_for(viewer, checkin_id)
    member = member_get_for(viewer, member_id)
    before = date.fromisoformat(request.GET["before"]) if request.GET.get("before") else None
    history = person_history_for(viewer=viewer, checkin=checkin, member=member, before=before)
    context = {"checkin": checkin, "member": member, "history": history}
    return render(request, "checkins/person.html", context)


@requires(MemberRole.GUEST)
def checkin_blocker(request: WorkspaceRequest, workspace: str, blocker_id: int) -> HttpResponse:
    """A blocker: who is blocked, on what, for how long in working hours; resolve it."""
    viewer = request.membership
    blocker = blocker_get_for(viewer, blocker_id)
    row = blocker_rows([blocker], timezone.now(), workspace)[0]
    context = {"row": row, "checkin": blocker.checkin, "can_resolve": may_resolve(viewer, blocker)}
    return render(request, "checkins/blocker.html", context)


@require_POST
@requires(MemberRole.GUEST)
def checkin_blocker_resolve(
    request: WorkspaceRequest, workspace: str, blocker_id: int
) -> HttpResponse:
    """Mark the blocker resolved; the blocked member is told through their inbox."""
    blocker = blocker_get_for(request.membership, blocker_id)
    blocker_resolve(acting=request.membership, blocker=blocker)
    messages.success(request, "Blocker resolved — they have been told.")
    return redirect("checkin_blocker", workspace=workspace, blocker_id=blocker.pk)
