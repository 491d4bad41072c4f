"""Every write of the work area: projects, tasks and their timeline, dependencies, the thread,
links, files and followers.

Each service checks who acts (guests read only), runs in one transaction, records each changed
field of a task in its timeline (meridian.work.history) and tells people through
meridian.notifications. Input problems are collected and raised together as one
ValidationFailed naming each field, before anything is written.

One module per concept, re-exported here: ``projects``, ``tasks``, ``dependencies``,
``comments``, ``links`` (links, files, followers) and ``common`` (limits, due dates, checks).
The board's moves (``board``) and saved filters (``filters``) are the pages' own modules.
"""

from meridian.work.services.comments import comment_add, question_answer, question_cause
from meridian.work.services.common import (
    MAX_COMMENT,
    MAX_DESCRIPTION,
    MAX_TITLE,
    Due,
    EditConflict,
    due_by_for,
    project_url,
    require_writer,
    status_check,
    task_cause,
    task_url,
)
from meridian.work.services.dependencies import dependency_add, dependency_remove
from meridian.work.services.links import (
    task_file_add,
    task_file_remove,
    task_follow,
    task_link_add,
    task_link_remove,
    task_unfollow,
)
from meridian.work.services.projects import project_create, project_update
from meridian.work.services.tasks import (
    changes_since,
    conflict,
    owner_inbox,
    task_create,
    task_owner_set,
    task_update,
)

__all__ = [
    "MAX_COMMENT",
    "MAX_DESCRIPTION",
    "MAX_TITLE",
    "Due",
    "EditConflict",
    "changes_since",
    "comment_add",
    "conflict",
    "dependency_add",
    "dependency_remove",
    "due_by_for",
    "owner_inbox",
    "project_create",
    "project_update",
    "project_url",
    "question_answer",
    "question_cause",
    "require_writer",
    "status_check",
    "task_cause",
    "task_create",
    "task_file_add",
    "task_file_remove",
    "task_follow",
    "task_link_add",
    "task_link_remove",
    "task_owner_set",
    "task_unfollow",
    "task_update",
    "task_url",
]
