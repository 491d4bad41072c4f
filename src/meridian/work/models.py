"""Work: projects, their tasks, dependencies between tasks, and each task's history.

A project's workflow is its own list of statuses (``Project.workflow``), each with a category
(``open``, ``active``, ``blocked``, ``done``); a task's ``status`` is one of its project's keys,
and ``is_done`` mirrors the category so open work is one indexed filter. Markdown fields keep
the author's text; the ``*_html`` beside each is its sanitized rendering (meridian.core.markdown),
made by the service that writes the text.

Every write goes through meridian.work.services, which bumps ``version`` (optimistic
concurrency: a save naming an older version is refused with the other change shown) and records
each changed field in ``TaskEvent``, the task's timeline.
"""

from typing import Any

from django.db import models
from django.db.models import F, Q

from meridian.core.errors import size_label


class StatusCategory(models.TextChoices):
    OPEN = "open", "Not started"
    ACTIVE = "active", "In progress"
    BLOCKED = "blocked", "Blocked"
    DONE = "done", "Done"


# The workflow a new project starts with: to do → doing → in review → done, plus blocked.
DEFAULT_WORKFLOW: list[dict[str, str]] = [
    {"key": "todo", "label": "To do", "category": "open"},
    {"key": "doing", "label": "Doing", "category": "active"},
    {"key": "review", "label": "In review", "category": "active"},
    {"key": "blocked", "label": "Blocked", "category": "blocked"},
    {"key": "done", "label": "Done", "category": "done"},
]


def default_workflow() -> list[dict[str, str]]:
    return [dict(status) for status in DEFAULT_WORKFLOW]


class Project(models.Model):
    """A body of work with its own description, members and workflow of statuses."""

    workspace = models.ForeignKey(
        "workspaces.Workspace", on_delete=models.CASCADE, related_name="projects"
    )
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    description_html = models.TextField(blank=True)
    # Who answers for the project as a whole (handed over like a task).
    lead = models.ForeignKey(
        "workspaces.Membership",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="projects_led",
    )
    members = models.ManyToManyField(
        "workspaces.Membership", through="ProjectMember", related_name="projects", blank=True
    )
    workflow = models.JSONField(default=default_workflow)
    version = models.PositiveIntegerField(default=1)
    created_by = models.ForeignKey(
        "workspaces.Membership", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    archived_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["name", "id"]
        indexes = [models.Index(fields=["workspace", "archived_at", "name"])]

    def __str__(self) -> str:
        return self.name

    def statuses(self) -> list[dict[str, str]]:
        return list(self.workflow or DEFAULT_WORKFLOW)

    def status(self, key: str) -> dict[str, str] | None:
        return next((status for status in self.statuses() if status["key"] == key), None)


class ProjectMember(models.Model):
    workspace = models.ForeignKey(
        "workspaces.Workspace", on_delete=models.CASCADE, related_name="+"
    )
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="memberships")
    membership = models.ForeignKey(
        "workspaces.Membership", on_delete=models.CASCADE, related_name="+"
    )
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["project", "membership"], name="project_member_unique")
        ]

    def __str__(self) -> str:
        return f"{self.membership_id} in project {self.project_id}"


class Tag(models.Model):
    workspace = models.ForeignKey(
        "workspaces.Workspace", on_delete=models.CASCADE, related_name="+"
    )
    name = models.CharField(max_length=50)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["workspace", "name"], name="tag_unique_name")
        ]

    def __str__(self) -> str:
        return self.name


class DueKind(models.TextChoices):
    """How a task's due date is meant: none, one instant, or working time in the owner's week."""

    NONE = "none", "No due date"
    INSTANT = "instant", "A moment in time"
    LOCAL_DAY = "local_day", "End of a day, in the owner's own time zone"
    WORKING_TIME = "working_time", "Working hours of the owner, from when it is set"


class Task(models.Model):
    """A piece of work with one owner, followers, acceptance criteria and a timeline."""

    workspace = models.ForeignKey(
        "workspaces.Workspace", on_delete=models.CASCADE, related_name="tasks"
    )
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="tasks")
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="subtasks"
    )
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    description_html = models.TextField(blank=True)
    # Acceptance criteria: [{"text": "...", "done": false}, ...], in order.
    criteria = models.JSONField(default=list, blank=True)
    owner = models.ForeignKey(
        "workspaces.Membership",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="tasks_owned",
    )
    followers = models.ManyToManyField(
        "workspaces.Membership", through="TaskFollower", related_name="tasks_followed", blank=True
    )
    status = models.CharField(max_length=30, default="todo")
    is_done = models.BooleanField(default=False)
    # Where the task sits in its status column on the board (smaller first).
    position = models.FloatField(default=0)
    due_kind = models.CharField(max_length=12, choices=DueKind.choices, default=DueKind.NONE)
    due_at = models.DateTimeField(null=True, blank=True)  # INSTANT
    due_date = models.DateField(null=True, blank=True)  # LOCAL_DAY
    due_working_minutes = models.PositiveIntegerField(null=True, blank=True)  # WORKING_TIME
    # The due moment as it falls for the owner (their zone, their working hours): what "my work"
    # orders by and what the inbox and calendar show. Recomputed when owner or due change.
    due_by = models.DateTimeField(null=True, blank=True)
    estimate_minutes = models.PositiveIntegerField(null=True, blank=True)
    tags = models.ManyToManyField(Tag, related_name="tasks", blank=True)
    version = models.PositiveIntegerField(default=1)
    created_by = models.ForeignKey(
        "workspaces.Membership", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["position", "id"]
        indexes = [
            models.Index(fields=["workspace", "owner", "is_done", "due_by"]),
            models.Index(fields=["project", "status", "position"]),
            models.Index(fields=["workspace", "is_done", "-updated_at"]),
            # The API list (newest first, by cursor) and the task list page (board order) read
            # one page in index order instead of sorting every task of the workspace.
            models.Index(fields=["workspace", "-created_at", "-id"], name="task_ws_newest_idx"),
            models.Index(fields=["workspace", "position", "id"], name="task_ws_position_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    due_kind="none",
                    due_at__isnull=True,
                    due_date__isnull=True,
                    due_working_minutes__isnull=True,
                )
                | Q(
                    due_kind="instant",
                    due_at__isnull=False,
                    due_date__isnull=True,
                    due_working_minutes__isnull=True,
                )
                | Q(
                    due_kind="local_day",
                    due_at__isnull=True,
                    due_date__isnull=False,
                    due_working_minutes__isnull=True,
                )
                | Q(
                    due_kind="working_time",
                    due_at__isnull=True,
                    due_date__isnull=True,
                    due_working_minutes__isnull=False,
                ),
                name="task_due_matches_kind",
            ),
            models.CheckConstraint(condition=~Q(parent=F("id")), name="task_not_own_parent"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def criteria_done(self) -> int:
        return sum(1 for item in self.criteria or [] if item.get("done"))


class TaskFollower(models.Model):
    workspace = models.ForeignKey(
        "workspaces.Workspace", on_delete=models.CASCADE, related_name="+"
    )
    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="follower_rows")
    membership = models.ForeignKey(
        "workspaces.Membership", on_delete=models.CASCADE, related_name="+"
    )
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["task", "membership"], name="task_follower_unique")
        ]

    def __str__(self) -> str:
        return f"{self.membership_id} follows task {self.task_id}"


class Dependency(models.Model):
    """``blocker`` must be done before ``blocked`` can be (across projects of a workspace)."""

    workspace = models.ForeignKey(
        "workspaces.Workspace", on_delete=models.CASCADE, related_name="+"
    )
    blocker = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="blocks_rows")
    blocked = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="blocked_by_rows")
    created_by = models.ForeignKey(
        "workspaces.Membership", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["blocker", "blocked"], name="dependency_unique"),
            models.CheckConstraint(
                condition=~Q(blocker=F("blocked")), name="dependency_not_on_itself"
            ),
        ]
        indexes = [models.Index(fields=["blocked", "blocker"])]

    def __str__(self) -> str:
        return f"{self.blocker_id} blocks {self.blocked_id}"


class TaskEvent(models.Model):
    """One change to a task: the field, its value before and after, who and when (the timeline).

    ``field`` is the task's field name ("status", "owner", "title"...) or an action
    ("created", "comment", "dependency_added", "handover"...). ``old``/``new`` are the values
    as a person reads them (a status label, a member's name), kept as they were then.
    """

    workspace = models.ForeignKey(
        "workspaces.Workspace", on_delete=models.CASCADE, related_name="+"
    )
    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(
        "workspaces.Membership", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    field = models.CharField(max_length=40)
    old = models.TextField(blank=True)
    new = models.TextField(blank=True)
    # The task's version once this change was saved: a save naming an older version is shown
    # the events after it (the other change, in an edit conflict).
    version = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["task", "-created_at"]),
            models.Index(fields=["workspace", "actor", "-created_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.field} of task {self.task_id}"


class TaskComment(models.Model):
    """A message in a task's thread: a reply or a question (answered or not), with mentions."""

    workspace = models.ForeignKey(
        "workspaces.Workspace", on_delete=models.CASCADE, related_name="+"
    )
    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(
        "workspaces.Membership", on_delete=models.RESTRICT, related_name="task_comments"
    )
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="replies"
    )
    body = models.TextField()
    body_html = models.TextField(blank=True)
    is_question = models.BooleanField(default=False)
    answered_at = models.DateTimeField(null=True, blank=True)
    answered_by = models.ForeignKey(
        "workspaces.Membership", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    mentions = models.ManyToManyField(
        "workspaces.Membership", through="TaskMention", related_name="+", blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)
    edited_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["task", "created_at"]),
            models.Index(fields=["task", "is_question", "answered_at"]),
        ]

    def __str__(self) -> str:
        return f"Comment {self.pk} on task {self.task_id}"

    @property
    def is_answered(self) -> bool:
        return self.answered_at is not None


class TaskMention(models.Model):
    workspace = models.ForeignKey(
        "workspaces.Workspace", on_delete=models.CASCADE, related_name="+"
    )
    comment = models.ForeignKey(TaskComment, on_delete=models.CASCADE, related_name="mention_rows")
    membership = models.ForeignKey(
        "workspaces.Membership", on_delete=models.CASCADE, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["comment", "membership"], name="task_mention_unique")
        ]

    def __str__(self) -> str:
        return f"{self.membership_id} in task comment {self.comment_id}"


class TaskLink(models.Model):
    """A task's link to another object through the link registry: a brief, a decision, a task.

    ``kind`` is a registered link kind (meridian.core.registry.LINK_KINDS); ``target_id`` its
    id. Tasks linking tasks are plain links ("related"); blocking is a ``Dependency``.
    """

    workspace = models.ForeignKey(
        "workspaces.Workspace", on_delete=models.CASCADE, related_name="+"
    )
    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="links")
    kind = models.CharField(max_length=20)
    target_id = models.PositiveBigIntegerField()
    note = models.CharField(max_length=500, blank=True)
    created_by = models.ForeignKey(
        "workspaces.Membership", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["workspace", "kind", "target_id"])]
        constraints = [
            models.UniqueConstraint(fields=["task", "kind", "target_id"], name="task_link_unique")
        ]

    def __str__(self) -> str:
        return f"task {self.task_id} → {self.kind} {self.target_id}"


class TaskFile(models.Model):
    """A file attached to a task, stored under a name the server makes up, served as a download."""

    workspace = models.ForeignKey(
        "workspaces.Workspace", on_delete=models.CASCADE, related_name="+"
    )
    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="files")
    file = models.FileField(max_length=300)
    filename = models.CharField(max_length=255)
    file_size = models.PositiveBigIntegerField()
    content_type = models.CharField(max_length=100, blank=True)
    uploaded_by = models.ForeignKey(
        "workspaces.Membership", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.filename

    @property
    def file_size_label(self) -> str:
        return size_label(self.file_size)


class SavedFilter(models.Model):
    """A member's named task list filter (the list page's query string), e.g. "My blocked"."""

    workspace = models.ForeignKey(
        "workspaces.Workspace", on_delete=models.CASCADE, related_name="+"
    )
    membership = models.ForeignKey(
        "workspaces.Membership", on_delete=models.CASCADE, related_name="saved_task_filters"
    )
    name = models.CharField(max_length=100)
    query = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["membership", "name"], name="saved_filter_unique_name")
        ]

    def __str__(self) -> str:
        return self.name

    def as_params(self) -> dict[str, Any]:
        return dict(self.query or {})
