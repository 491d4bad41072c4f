"""Test data builders for the work area, made through the real services."""

from typing import Any

from meridian.work.models import Project, Task
from meridian.work.services import project_create, task_create
from meridian.workspaces.models import Membership


def project(actor: Membership, name: str = "Website relaunch", **kwargs: Any) -> Project:
    return project_create(actor=actor, name=name, **kwargs)


def task(
    actor: Membership, in_project: Project, title: str = "Write the copy", **kwargs: Any
) -> Task:
    return task_create(actor=actor, project=in_project, title=title, **kwargs)
