"""The open tasks a member owns with a due date, as entries of their calendar feed."""

from django.conf import settings

from meridian.core.calendar import CalendarEntry
from meridian.work.models import Task
from meridian.work.services.common import task_url
from meridian.workspaces.models import Membership


def task_deadlines(member: Membership) -> list[CalendarEntry]:
    """Open tasks the member owns, each at their own due moment (``due_by``)."""
    rows = (
        Task.objects.filter(owner=member, is_done=False, due_by__isnull=False)
        .select_related("workspace", "project")
        .order_by("due_by", "pk")
    )
    entries = []
    for task in rows:
        assert task.due_by is not None  # filtered above
        url = settings.BASE_URL + task_url(task)
        entries.append(
            CalendarEntry(
                uid=f"work-task-{task.pk}",
                at=task.due_by,
                summary=f"Task due: {task.title}",
                url=url,
                description=f"{task.project.name}: {task.title}\n{url}",
                stamp=task.updated_at,
            )
        )
    return entries
