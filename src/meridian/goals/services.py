"""Every write of the goals area: goals, their key results and check-in notes.

Each checks everything first and writes nothing on a refusal: a goal, team, member or project
of another workspace is a 404; an unknown metric, a cycle of parent goals, a target equal to
the baseline or a due date before the start is a 422 naming the field.
"""

from dataclasses import dataclass
from datetime import date
from math import isfinite
from typing import Any

from django.db import transaction

from meridian.core.errors import FieldErrors, NotFound, PermissionDenied, ValidationFailed
from meridian.goals.models import Aggregation, Goal, GoalNote, KeyResult
from meridian.metrics.models import Subject
from meridian.workspaces.models import Membership, Role, Team

AGGREGATION_OF_METRIC = {
    "sum": Aggregation.SUM,
    "mean": Aggregation.MEAN,
    "percentiles": Aggregation.MEAN,
    "level": Aggregation.LATEST,
}


@dataclass(frozen=True)
class GoalFields:
    title: str
    due: date
    description: str = ""
    owner_id: int | None = None
    team_id: int | None = None
    parent_id: int | None = None


def _may_edit(acting: Membership, goal: Goal) -> None:
    if goal.workspace_id != acting.workspace_id:
        raise NotFound()
    if goal.owner_id != acting.pk and not acting.has_role(Role.ADMIN):
        raise PermissionDenied("Only the goal's owner or an admin may change it.")


def _in_workspace(acting: Membership, fields: GoalFields) -> None:
    ws = acting.workspace_id
    if (
        fields.owner_id is not None
        and not Membership.objects.filter(workspace_id=ws, pk=fields.owner_id).exists()
    ):
        raise NotFound("No such member in this workspace.")
    if (
        fields.team_id is not None
        and not Team.objects.filter(workspace_id=ws, pk=fields.team_id).exists()
    ):
        raise NotFound("No such team in this workspace.")
    if (
        fields.parent_id is not None
        and not Goal.objects.filter(workspace_id=ws, pk=fields.parent_id).exists()
    ):
        raise NotFound("No such parent goal in this workspace.")


def _check_title(fields: GoalFields, problems: FieldErrors) -> None:
    if not fields.title.strip():
        problems.add("title", "A goal needs a title.")


def _cycle(goal: Goal, parent_id: int | None) -> list[Goal] | None:
    """The chain goal → parent → … back to the goal, if making ``parent_id`` its parent closes
    a loop; None when it does not."""
    chain = [goal]
    seen = {goal.pk}
    current = parent_id
    parents = dict(Goal.objects.filter(workspace_id=goal.workspace_id).values_list("pk", "parent"))
    titles = dict(Goal.objects.filter(workspace_id=goal.workspace_id).values_list("pk", "title"))
    while current is not None:
        if current in seen:
            chain.append(goal)
            return chain
        seen.add(current)
        chain.append(Goal(pk=current, title=titles.get(current, "")))
        current = parents.get(current)
    return None


@transaction.atomic
def goal_create(*, acting: Membership, fields: GoalFields) -> Goal:
    """A goal of the acting member's workspace; they own it unless they name another owner."""
    problems = FieldErrors()
    _check_title(fields, problems)
    problems.raise_any()
    _in_workspace(acting, fields)
    return Goal.objects.create(
        workspace_id=acting.workspace_id,
        title=fields.title.strip(),
        description=fields.description,
        owner_id=fields.owner_id or acting.pk,
        team_id=fields.team_id,
        parent_id=fields.parent_id,
        due=fields.due,
    )


@transaction.atomic
def goal_update(*, acting: Membership, goal: Goal, fields: GoalFields) -> Goal:
    """Change a goal; a parent that would make it support itself is refused, naming the loop."""
    _may_edit(acting, goal)
    problems = FieldErrors()
    _check_title(fields, problems)
    problems.raise_any()
    _in_workspace(acting, fields)
    loop = _cycle(goal, fields.parent_id)
    if loop is not None:
        path = " → ".join(f"“{g.title}”" for g in loop)
        raise ValidationFailed.field("parent", f"That parent makes a cycle: {path}.")
    goal.title = fields.title.strip()
    goal.description = fields.description
    goal.owner_id = fields.owner_id or goal.owner_id
    goal.team_id = fields.team_id
    goal.parent_id = fields.parent_id
    goal.due = fields.due
    goal.save()
    return goal


@transaction.atomic
def goal_delete(*, acting: Membership, goal: Goal) -> None:
    """Delete a goal with its key results and notes; goals that supported it lose their parent."""
    _may_edit(acting, goal)
    goal.delete()


def _subject_check(acting: Membership, subject: str, subject_id: int | None) -> int:
    """The subject id to read rollups with (0 for the workspace); another workspace's: 404."""
    if subject not in Subject.values:
        raise ValidationFailed.field(
            "subject", f"A subject is one of: {', '.join(Subject.values)}."
        )
    if subject == Subject.WORKSPACE:
        return 0
    if subject_id is None:
        raise ValidationFailed.field("subject_id", f"Name the {subject} it is measured on.")
    from meridian.core import registry

    ws = acting.workspace_id
    found = False
    if subject == Subject.MEMBER:
        found = Membership.objects.filter(workspace_id=ws, pk=subject_id).exists()
    elif subject == Subject.TEAM:
        found = Team.objects.filter(workspace_id=ws, pk=subject_id).exists()
    else:
        kind = registry.link_kinds().get("project")
        found = bool(kind and kind.titles(ws, [subject_id]))
    if not found:
        raise NotFound(f"No such {subject} in this workspace.")
    return subject_id


@dataclass(frozen=True)
class KeyResultFields:
    title: str
    metric: str
    baseline: float
    target: float
    start: date
    due: date
    subject: str = Subject.WORKSPACE
    subject_id: int | None = None


def _key_result_checked(acting: Membership, fields: KeyResultFields) -> dict[str, Any]:
    from meridian.metrics import selectors as metric_selectors

    problems = FieldErrors()
    if not fields.title.strip():
        problems.add("title", "A key result needs a title.")
    aggregation = None
    try:
        info = metric_selectors.metric_get_for(acting, fields.metric)
        aggregation = AGGREGATION_OF_METRIC[info.aggregation]
    except NotFound:
        problems.add("metric", f"No metric “{fields.metric}” in this workspace.")
    for name in ("baseline", "target"):
        if not isfinite(getattr(fields, name)):
            problems.add(name, f"The {name} is a finite number.")
    if fields.target == fields.baseline:
        problems.add(
            "target",
            "The target equals the baseline, so there is no way to go: "
            "set a target above or below the baseline.",
        )
    if fields.due < fields.start:
        problems.add("due", "The due date is on or after the start date.")
    problems.raise_any()
    subject_id = _subject_check(acting, fields.subject, fields.subject_id)
    if not metric_selectors.may_read_by_all(acting, fields.metric, fields.subject, subject_id):
        # Every member reads every goal: a person's time may not become one.
        raise ValidationFailed.field(
            "subject",
            "This metric is about people's own time: a goal can measure it only for a team or "
            "the workspace with at least the tracking policy's minimum number of people.",
        )
    return {
        "title": fields.title.strip(),
        "metric": fields.metric,
        "subject": fields.subject,
        "subject_id": subject_id,
        "aggregation": aggregation,
        "baseline": fields.baseline,
        "target": fields.target,
        "start": fields.start,
        "due": fields.due,
    }


@transaction.atomic
def key_result_add(*, acting: Membership, goal: Goal, fields: KeyResultFields) -> KeyResult:
    """A key result measured on a metric for one subject; its aggregation follows the metric's."""
    _may_edit(acting, goal)
    return KeyResult.objects.create(goal=goal, **_key_result_checked(acting, fields))


@transaction.atomic
def key_result_update(
    *, acting: Membership, key_result: KeyResult, fields: KeyResultFields
) -> KeyResult:
    _may_edit(acting, key_result.goal)
    for name, value in _key_result_checked(acting, fields).items():
        setattr(key_result, name, value)
    key_result.save()
    return key_result


@transaction.atomic
def key_result_delete(*, acting: Membership, key_result: KeyResult) -> None:
    _may_edit(acting, key_result.goal)
    key_result.delete()


@transaction.atomic
def note_add(*, acting: Membership, goal: Goal, body: str) -> GoalNote:
    """A check-in note (Markdown) by the goal's owner (or an admin)."""
    _may_edit(acting, goal)
    if not body.strip():
        raise ValidationFailed.field("body", "A note needs some text.")
    return GoalNote.objects.create(goal=goal, author=acting, body=body)
