"""Work in search: each project (name and description) and each task (title, description,
acceptance criteria, tags), under its project's name.

The work services call ``project_search_index`` and ``task_search_index`` inside their
transactions; ``meridian search_reindex`` rebuilds both kinds from the tables. Every member of a
workspace may read its work, so nothing here is restricted.
"""

from collections.abc import Iterator

from meridian.search.registry import Document
from meridian.search.services import search_index_relabel, search_index_upsert
from meridian.work.models import Project, Task
from meridian.work.services.common import project_url, task_url


def _project_document(project: Project) -> Document:
    return Document(
        workspace_id=project.workspace_id,
        kind="project",
        object_id=project.pk,
        title=project.name,
        body=project.description,
        url=project_url(project),
        created_at=project.created_at,
    )


def _task_document(task: Task, tags: list[str]) -> Document:
    criteria = [str(item.get("text", "")) for item in task.criteria or []]
    body = "\n\n".join(
        part for part in (task.description, "\n".join(criteria), " ".join(tags)) if part
    )
    return Document(
        workspace_id=task.workspace_id,
        kind="task",
        object_id=task.pk,
        parent_id=task.project_id,
        title=task.title,
        body=body,
        context=task.project.name,
        url=task_url(task),
        created_at=task.created_at,
    )


def project_search_index(project: Project) -> None:
    """Index the project as it is now, and show its current name with each of its tasks."""
    search_index_upsert(**vars(_project_document(project)))
    search_index_relabel(kind="task", parent_id=project.pk, context=project.name)


def task_search_index(task: Task) -> None:
    """Index a task as it is now."""
    tags = list(task.tags.order_by("name").values_list("name", flat=True))
    search_index_upsert(**vars(_task_document(task, tags)))


def project_documents() -> Iterator[Document]:
    """Every project of every workspace."""
    for project in Project.objects.select_related("workspace").order_by("pk").iterator(2000):
        yield _project_document(project)


def task_documents() -> Iterator[Document]:
    """Every task of every workspace."""
    tasks = Task.objects.select_related("workspace", "project").prefetch_related("tags")
    for task in tasks.order_by("pk").iterator(2000):
        yield _task_document(task, sorted(tag.name for tag in task.tags.all()))
