"""Moves on a project's board: a task into a status column, between two of its cards.

A card's place in its column is ``Task.position`` (smaller first). A move puts the task halfway
between the cards it lands between, so one row is written; when the gap between two cards has
worn too thin to halve, the column is renumbered first (rare, one bulk update).
"""

from django.db import transaction
from django.utils import timezone

from meridian.core.errors import ValidationFailed
from meridian.core.services import audit_record
from meridian.work import events as task_events
from meridian.work.history import task_changed, version_bump
from meridian.work.models import StatusCategory, Task
from meridian.work.services.common import require_writer, status_check
from meridian.work.services.tasks import conflict, locked, owner_inbox
from meridian.workspaces.models import Membership

# Gaps smaller than this are renumbered before halving (floats keep ~15 digits).
MIN_GAP = 1e-6
STEP = 1024.0


def _renumber(project_id: int, status: str) -> None:
    """Spread a column's cards STEP apart, keeping their order (one update per card)."""
    cards = list(
        Task.objects.filter(project_id=project_id, status=status)
        .order_by("position", "id")
        .only("pk", "position")
    )
    for index, card in enumerate(cards, start=1):
        card.position = index * STEP
    Task.objects.bulk_update(cards, ["position"], batch_size=500)


def _neighbour(task: Task, neighbour_id: int | None, status: str, field: str) -> Task | None:
    if neighbour_id is None:
        return None
    neighbour = (
        Task.objects.filter(project_id=task.project_id, status=status, pk=neighbour_id)
        .exclude(pk=task.pk)
        .only("pk", "position", "title")
        .first()
    )
    if neighbour is None:
        raise ValidationFailed.field(field, "That card is not in this column any more; reload.")
    return neighbour


def _position_between(
    task: Task, status: str, before_id: int | None, after_id: int | None
) -> tuple[float, Task | None]:
    """The position between the card above (``before_id``) and below (``after_id``)."""
    above = _neighbour(task, before_id, status, "before_id")
    below = _neighbour(task, after_id, status, "after_id")
    column = Task.objects.filter(project_id=task.project_id, status=status).exclude(pk=task.pk)
    if above is not None and below is None:
        below = column.filter(position__gt=above.position).order_by("position", "id").first()
    if below is not None and above is None:
        above = column.filter(position__lt=below.position).order_by("-position", "-id").first()
    if above is None and below is None:
        last = column.order_by("-position", "-id").only("position").first()
        return (last.position + STEP if last else STEP), None
    if above is None:
        assert below is not None
        return below.position - STEP, None
    if below is None:
        return above.position + STEP, above
    if below.position - above.position < MIN_GAP:
        _renumber(task.project_id, status)
        above.refresh_from_db(fields=["position"])
        below.refresh_from_db(fields=["position"])
    return (above.position + below.position) / 2, above


@transaction.atomic
def task_move(
    *,
    actor: Membership,
    task: Task,
    version: int,
    status: str,
    before_id: int | None = None,
    after_id: int | None = None,
) -> Task:
    """Move a task on its project's board: into ``status``, between two cards of that column.

    ``before_id`` is the card that ends up just above it, ``after_id`` the one just below
    (either or both may be None: the top, the bottom, an empty column). The status change is
    recorded in the task's timeline like any edit; a move naming another ``version`` than the
    task's is refused with the other change (``EditConflict``, 409), nothing written.
    """
    require_writer(actor, task.workspace_id, "the board")
    task = locked(task)
    if version != task.version:
        raise conflict(task, version)
    project = task.project
    new = status_check(project, status)
    if before_id is not None and before_id == after_id:
        raise ValidationFailed.field("after_id", "A card cannot be both above and below another.")
    position, above = _position_between(task, new["key"], before_id, after_id)
    old_status = task.status
    if not version_bump(task, version):
        raise conflict(task, version)
    task.status = new["key"]
    task.position = position
    fields = ["status", "position", "updated_at"]
    done = new.get("category") == StatusCategory.DONE
    done_changed = done != task.is_done
    if done_changed:
        task.is_done = done
        task.completed_at = timezone.now() if done else None
        fields += ["is_done", "completed_at"]
    task.save(update_fields=fields)
    if old_status != task.status:
        old = project.status(old_status)
        task_changed(task, actor, "status", old["label"] if old else old_status, new["label"])
    else:
        where = f"below “{above.title}”" if above is not None else "to the top"
        task_changed(task, actor, "position", "", f"{new['label']}: {where}")
    if done_changed:
        owner_inbox(task, actor, assigned=not done)
    if done_changed and done:
        task_events.task_completed(task, actor)
    audit_record(
        actor=actor,
        action="work.task_move",
        obj=task,
        data={"from": old_status, "to": task.status},
    )
    return task
