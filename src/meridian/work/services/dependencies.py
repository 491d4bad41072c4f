"""Dependencies between tasks, across the projects of a workspace; a cycle is refused by name."""

from django.db import IntegrityError, transaction

from meridian.core.errors import Conflict, ValidationFailed
from meridian.core.services import audit_record
from meridian.work.graph import cycle_text, dependency_cycle
from meridian.work.history import task_changed
from meridian.work.models import Dependency, Task
from meridian.work.services.common import require_writer
from meridian.workspaces.models import Membership


@transaction.atomic
def dependency_add(*, actor: Membership, blocker: Task, blocked: Task) -> Dependency:
    """``blocker`` must be done before ``blocked``; a loop of blocking is a 422 naming it."""
    require_writer(actor, blocked.workspace_id)
    if blocker.workspace_id != blocked.workspace_id:
        raise ValidationFailed.field("blocker", "Choose a task of this workspace as the blocker.")
    if blocker.pk == blocked.pk:
        raise ValidationFailed.field("blocker", "A task cannot block itself.")
    # Everyone adding a dependency in this workspace waits here, so two halves of a cycle
    # cannot both pass the check (the lock on the blocked task's row serialises per task; the
    # workspace-wide read below sees what committed before).
    Task.objects.select_for_update().filter(pk__in=[blocker.pk, blocked.pk]).count()
    if Dependency.objects.filter(blocker=blocker, blocked=blocked).exists():
        raise Conflict(f"“{blocker.title}” already blocks “{blocked.title}”.")
    edges = Dependency.objects.filter(workspace_id=blocked.workspace_id).values_list(
        "blocker_id", "blocked_id"
    )
    cycle = dependency_cycle(list(edges), blocker.pk, blocked.pk)
    if cycle:
        titles = dict(Task.objects.filter(pk__in=cycle).values_list("id", "title"))
        message = f"That would make a cycle of blocking tasks: {cycle_text(cycle, titles)}."
        raise ValidationFailed.field("blocker", message)
    try:
        with transaction.atomic():
            dependency = Dependency.objects.create(
                workspace_id=blocked.workspace_id,
                blocker=blocker,
                blocked=blocked,
                created_by=actor,
            )
    except IntegrityError:
        raise Conflict(f"“{blocker.title}” already blocks “{blocked.title}”.") from None
    task_changed(blocked, actor, "blocked_by_added", "", blocker.title)
    task_changed(blocker, actor, "blocks_added", "", blocked.title)
    audit_record(
        actor=actor,
        action="work.dependency_add",
        obj=blocked,
        data={"blocker": blocker.pk, "blocked": blocked.pk},
    )
    return dependency


@transaction.atomic
def dependency_remove(*, actor: Membership, dependency: Dependency) -> None:
    """The blocked task no longer waits for its blocker."""
    require_writer(actor, dependency.workspace_id)
    dependency = Dependency.objects.select_related("blocker", "blocked").get(pk=dependency.pk)
    blocker, blocked = dependency.blocker, dependency.blocked
    dependency.delete()
    task_changed(blocked, actor, "blocked_by_removed", blocker.title, "")
    task_changed(blocker, actor, "blocks_removed", blocked.title, "")
    audit_record(
        actor=actor,
        action="work.dependency_remove",
        obj=blocked,
        data={"blocker": blocker.pk, "blocked": blocked.pk},
    )
