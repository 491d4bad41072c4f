"""The goals API: goals, their key results (each with its computed status) and check-in notes.

Another workspace's goal, team, member or project is a 404; an unknown metric, a parent that
makes a cycle, a target equal to the baseline or a due date before the start is a 422 naming
the field, with nothing written."""

from datetime import date, datetime
from typing import Any

from ninja import Field, Router, Schema, Status

from meridian.core.schemas import Problem
from meridian.goals import selectors, services
from meridian.goals.models import Goal, GoalNote
from meridian.workspaces.access import ApiRequest, requires
from meridian.workspaces.models import Role

router = Router(tags=["goals"])
ERRORS: dict[int, Any] = {403: Problem, 404: Problem, 422: Problem}


class GoalIn(Schema):
    title: str = Field(..., max_length=200)
    description: str = Field("", max_length=10000, description="Markdown")
    due: date
    owner_id: int | None = Field(None, description="A member; the caller by default.")
    team_id: int | None = None
    parent_id: int | None = Field(None, description="The goal this one supports.")


class KeyResultIn(Schema):
    title: str = Field(..., max_length=200)
    metric: str = Field(..., max_length=60, description="A metric key from GET /metrics.")
    subject: str = Field("workspace", description="workspace, team, member or project")
    subject_id: int | None = None
    baseline: float
    target: float
    start: date
    due: date


class NoteIn(Schema):
    body: str = Field(..., max_length=10000, description="Markdown")


class KeyResultOut(Schema):
    id: int
    title: str
    metric: str
    subject: str
    subject_id: int | None
    aggregation: str
    baseline: float
    target: float
    start: date
    due: date
    status: str = Field(..., description="on_track, at_risk, off_track or no_data")
    current: float | None = Field(..., description="null: no data (never 0)")
    forecast: float | None
    explanation: str


class NoteOut(Schema):
    id: int
    author_id: int | None
    body: str
    created_at: datetime


class GoalOut(Schema):
    id: int
    title: str
    description: str
    owner_id: int
    team_id: int | None
    parent_id: int | None
    due: date
    created_at: datetime
    updated_at: datetime
    key_results: list[KeyResultOut]


def _kr_out(status: selectors.Status) -> dict[str, Any]:
    kr = status.key_result
    return {
        "id": kr.pk,
        "title": kr.title,
        "metric": kr.metric,
        "subject": kr.subject,
        "subject_id": kr.subject_id or None,
        "aggregation": kr.aggregation,
        "baseline": kr.baseline,
        "target": kr.target,
        "start": kr.start,
        "due": kr.due,
        "status": status.forecast.status,
        "current": status.forecast.current,
        "forecast": status.forecast.forecast,
        "explanation": status.sentence,
    }


def _goal_out(goal: Goal, today: date | None = None) -> dict[str, Any]:
    today = today or selectors.today_of(goal.workspace_id)
    return {
        **{k: getattr(goal, k) for k in GoalOut.model_fields if k != "key_results"},
        "key_results": [_kr_out(selectors.status_of(kr, today)) for kr in goal.key_results.all()],
    }


def _note_out(note: GoalNote) -> dict[str, Any]:
    return {k: getattr(note, k) for k in NoteOut.model_fields}


@router.get("/goals", response=list[GoalOut], summary="The workspace's goals, as a tree")
@requires(Role.GUEST)
def goal_list(request: ApiRequest) -> list[dict[str, Any]]:
    """Roots first, each followed by the goals that support it."""
    today = selectors.today_of(request.membership.workspace_id)
    return [_goal_out(goal, today) for goal, _depth in selectors.goal_list_for(request.membership)]


@router.post("/goals", response={201: GoalOut, **ERRORS}, summary="Create a goal")
@requires(Role.MEMBER)
def goal_create(request: ApiRequest, payload: GoalIn) -> Status:
    goal = services.goal_create(
        acting=request.membership, fields=services.GoalFields(**payload.model_dump())
    )
    return Status(201, _goal_out(goal))


@router.get("/goals/{goal_id}", response={200: GoalOut, **ERRORS}, summary="One goal")
@requires(Role.GUEST)
def goal_get(request: ApiRequest, goal_id: int) -> dict[str, Any]:
    return _goal_out(selectors.goal_get_for(request.membership, goal_id))


@router.put("/goals/{goal_id}", response={200: GoalOut, **ERRORS}, summary="Change a goal")
@requires(Role.MEMBER)
def goal_update(request: ApiRequest, goal_id: int, payload: GoalIn) -> dict[str, Any]:
    """The owner or an admin; a parent that would make the goal support itself is a 422."""
    goal = selectors.goal_get_for(request.membership, goal_id)
    services.goal_update(
        acting=request.membership, goal=goal, fields=services.GoalFields(**payload.model_dump())
    )
    return _goal_out(goal)


@router.delete("/goals/{goal_id}", response={204: None, **ERRORS}, summary="Delete a goal")
@requires(Role.MEMBER)
def goal_delete(request: ApiRequest, goal_id: int) -> Status:
    goal = selectors.goal_get_for(request.membership, goal_id)
    services.goal_delete(acting=request.membership, goal=goal)
    return Status(204, None)


@router.post(
    "/goals/{goal_id}/key-results",
    response={201: KeyResultOut, **ERRORS},
    summary="Add a key result to a goal",
)
@requires(Role.MEMBER)
def key_result_add(request: ApiRequest, goal_id: int, payload: KeyResultIn) -> Status:
    goal = selectors.goal_get_for(request.membership, goal_id)
    kr = services.key_result_add(
        acting=request.membership,
        goal=goal,
        fields=services.KeyResultFields(**payload.model_dump()),
    )
    return Status(201, _kr_out(selectors.status_of(kr)))


@router.put(
    "/goals/{goal_id}/key-results/{kr_id}",
    response={200: KeyResultOut, **ERRORS},
    summary="Change a key result",
)
@requires(Role.MEMBER)
def key_result_update(
    request: ApiRequest, goal_id: int, kr_id: int, payload: KeyResultIn
) -> dict[str, Any]:
    goal = selectors.goal_get_for(request.membership, goal_id)
    kr = selectors.key_result_get_for(request.membership, goal, kr_id)
    services.key_result_update(
        acting=request.membership,
        key_result=kr,
        fields=services.KeyResultFields(**payload.model_dump()),
    )
    return _kr_out(selectors.status_of(kr))


@router.delete(
    "/goals/{goal_id}/key-results/{kr_id}",
    response={204: None, **ERRORS},
    summary="Delete a key result",
)
@requires(Role.MEMBER)
def key_result_delete(request: ApiRequest, goal_id: int, kr_id: int) -> Status:
    goal = selectors.goal_get_for(request.membership, goal_id)
    kr = selectors.key_result_get_for(request.membership, goal, kr_id)
    services.key_result_delete(acting=request.membership, key_result=kr)
    return Status(204, None)


@router.get(
    "/goals/{goal_id}/notes", response={200: list[NoteOut], **ERRORS}, summary="Check-in notes"
)
@requires(Role.GUEST)
def note_list(request: ApiRequest, goal_id: int) -> list[dict[str, Any]]:
    goal = selectors.goal_get_for(request.membership, goal_id)
    return [_note_out(n) for n in goal.notes.all()]


@router.post(
    "/goals/{goal_id}/notes", response={201: NoteOut, **ERRORS}, summary="Add a check-in note"
)
@requires(Role.MEMBER)
def note_add(request: ApiRequest, goal_id: int, payload: NoteIn) -> Status:
    """By the goal's owner or an admin."""
    goal = selectors.goal_get_for(request.membership, goal_id)
    note = services.note_add(acting=request.membership, goal=goal, body=payload.body)
    return Status(201, _note_out(note))
