"""Forms of the work pages; the rules that matter (workflow, cycles, versions) live in services."""

from datetime import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django import forms
from django.utils.text import slugify

from meridian.work.models import DueKind, Project, Task

DUE_CHOICES = [
    (DueKind.NONE, "No due date"),
    (DueKind.LOCAL_DAY, "End of a day, in the owner's own time zone"),
    (DueKind.WORKING_TIME, "Working hours of the owner, counted from now"),
    (DueKind.INSTANT, "A moment (your time)"),
]
CATEGORY_CHOICES = [
    ("open", "Not started"),
    ("active", "In progress"),
    ("blocked", "Blocked"),
    ("done", "Done"),
]
DONE_MARK = "[x] "


def criteria_text(criteria: list[dict[str, Any]]) -> str:
    """Acceptance criteria as the form's text: one per line, "[x] " before the ticked ones."""
    return "\n".join(
        (DONE_MARK if item.get("done") else "") + str(item.get("text", "")) for item in criteria
    )


def criteria_parse(text: str) -> list[dict[str, Any]]:
    """The form's text back to criteria (blank lines dropped; "[x]"/"[ ]" prefixes read)."""
    items = []
    for line in text.splitlines():
        line = line.strip()
        done = line.lower().startswith("[x]")
        if done or line.startswith("[ ]"):
            line = line[3:].strip()
        if line:
            items.append({"text": line, "done": done})
    return items


def tags_parse(text: str) -> list[str]:
    seen: dict[str, None] = {}
    for name in text.replace("\n", ",").split(","):
        name = name.strip()
        if name:
            seen.setdefault(name, None)
    return list(seen)


class TaskForm(forms.Form):
    """Write or change a task; ``version`` carries what the editor saw (409 if it moved on)."""

    project = forms.TypedChoiceField(coerce=int, label="Project")
    title = forms.CharField(max_length=200)
    description = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text="Markdown. What the task is and the context someone picking it up needs.",
    )
    criteria = forms.CharField(
        required=False,
        label="Acceptance criteria",
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="One per line; start a line with [x] for a criterion already met.",
    )
    owner = forms.TypedChoiceField(coerce=int, required=False, empty_value=None, label="Owner")
    followers = forms.TypedMultipleChoiceField(
        coerce=int,
        required=False,
        label="Followers",
        widget=forms.SelectMultiple(attrs={"size": 5}),
        help_text="Hold Ctrl or ⌘ to choose several.",
    )
    status = forms.CharField(max_length=30, required=False, label="Status", widget=forms.Select)
    due_kind = forms.ChoiceField(
        choices=DUE_CHOICES, initial=DueKind.NONE, widget=forms.RadioSelect, label="Due"
    )
    due_date = forms.DateField(
        required=False, label="Day", widget=forms.DateInput(attrs={"type": "date"})
    )
    due_hours = forms.DecimalField(
        required=False,
        min_value=Decimal("0.25"),
        max_value=Decimal(2000),
        decimal_places=2,
        label="Working hours",
        help_text="Counted in the owner's working hours, from when you save.",
    )
    due_at = forms.DateTimeField(
        required=False,
        label="Moment",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
    )
    estimate_hours = forms.DecimalField(
        required=False,
        min_value=Decimal(0),
        max_value=Decimal(10000),
        decimal_places=2,
        label="Estimate (hours)",
    )
    tags = forms.CharField(required=False, max_length=500, help_text="Separated by commas.")
    parent = forms.IntegerField(
        required=False,
        min_value=1,
        label="Subtask of (task number)",
        help_text="Leave empty for a task of its own.",
    )
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(
        self,
        *args: Any,
        projects: list[Project],
        members: list[Any],
        statuses: list[dict[str, str]],
        zone: str,
        creating: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.zone = zone
        self.fields["project"].choices = [(p.pk, p.name) for p in projects]  # type: ignore[attr-defined]
        people = [(m.pk, m.profile.display_name) for m in members]
        self.fields["owner"].choices = [("", "Nobody yet"), *people]  # type: ignore[attr-defined]
        self.fields["followers"].choices = people  # type: ignore[attr-defined]
        status_choices = [(s["key"], s["label"]) for s in statuses]
        if creating:
            status_choices.insert(0, ("", "The project's first status"))
        self.fields["status"].widget.choices = status_choices
        self.fields["due_at"].help_text = f"In your time zone, {zone}."

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        kind = data.get("due_kind")
        needs = {
            DueKind.LOCAL_DAY: ("due_date", "Choose the day."),
            DueKind.WORKING_TIME: ("due_hours", "Say how many working hours."),
            DueKind.INSTANT: ("due_at", "Choose the date and time."),
        }
        if kind in needs:
            name, message = needs[kind]
            if not data.get(name) and name not in self.errors:
                self.add_error(name, message)
        return data

    def due(self) -> Any:
        """The due date as work.services.Due (None for none)."""
        from meridian.work.services import Due

        data = self.cleaned_data
        kind = data.get("due_kind")
        if kind == DueKind.LOCAL_DAY:
            return Due(kind, date=data["due_date"])
        if kind == DueKind.WORKING_TIME:
            return Due(kind, working_minutes=int(data["due_hours"] * 60))
        if kind == DueKind.INSTANT:
            moment: datetime = data["due_at"]
            # The browser sends wall-clock time; it is the writer's, in their profile's zone.
            return Due(kind, at=moment.replace(tzinfo=ZoneInfo(self.zone)))
        return None

    def estimate_minutes(self) -> int | None:
        hours = self.cleaned_data.get("estimate_hours")
        return None if hours is None else int(hours * 60)

    def values(self) -> dict[str, Any]:
        """Everything but project, owner, parent and version, as the services name them."""
        data = self.cleaned_data
        return {
            "title": data["title"],
            "description": data["description"],
            "criteria": criteria_parse(data["criteria"]),
            "follower_ids": list(data["followers"]),
            "status": data["status"] or None,
            "due": self.due(),
            "estimate_minutes": self.estimate_minutes(),
            "tags": tags_parse(data["tags"]),
        }


def task_initial(task: Task, zone: str) -> dict[str, Any]:
    """A task as its edit form's initial values (the due moment in the editor's zone)."""
    from meridian.core.moments import in_zone

    return {
        "project": task.project_id,
        "title": task.title,
        "description": task.description,
        "criteria": criteria_text(task.criteria or []),
        "owner": task.owner_id,
        "followers": [m.pk for m in task.followers.all()],
        "status": task.status,
        "due_kind": task.due_kind,
        "due_date": task.due_date,
        "due_hours": (Decimal(task.due_working_minutes) / 60 if task.due_working_minutes else None),
        "due_at": in_zone(task.due_at, zone).replace(tzinfo=None) if task.due_at else None,
        "estimate_hours": (
            Decimal(task.estimate_minutes) / 60 if task.estimate_minutes is not None else None
        ),
        "tags": ", ".join(t.name for t in task.tags.all()),
        "parent": task.parent_id,
        "version": task.version,
    }


class MoveForm(forms.Form):
    """A card's move on the board: to a status, between two cards, at the version it showed."""

    status = forms.CharField(max_length=30)
    version = forms.IntegerField(min_value=1)
    before = forms.IntegerField(required=False, min_value=1)
    after = forms.IntegerField(required=False, min_value=1)
    # Without JavaScript: "top" or "bottom" of the column instead of neighbours.
    place = forms.ChoiceField(
        required=False, choices=[("", "—"), ("top", "Top"), ("bottom", "Bottom")]
    )


class CommentForm(forms.Form):
    """Add to a task's thread: a comment, a question, or a reply."""

    body = forms.CharField(
        label="Comment",
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Markdown; mention people with @ and the first part of their email, e.g. @ada.",
    )
    is_question = forms.BooleanField(required=False, label="This is a question")
    parent = forms.IntegerField(required=False, widget=forms.HiddenInput)


class AnswerForm(forms.Form):
    body = forms.CharField(label="Your answer", widget=forms.Textarea(attrs={"rows": 3}))


class DependencyForm(forms.Form):
    """This task is blocked by (or blocks) another, named by its number."""

    direction = forms.ChoiceField(
        choices=[("blocked_by", "This task is blocked by"), ("blocks", "This task blocks")],
        label="Relation",
    )
    other = forms.IntegerField(min_value=1, label="Task number")


class LinkForm(forms.Form):
    """Link a brief, a decision or another task (through the link registry)."""

    kind = forms.ChoiceField(label="What")
    target_id = forms.IntegerField(min_value=1, label="Its number")
    note = forms.CharField(required=False, max_length=500)

    def __init__(self, *args: Any, kinds: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = kinds  # type: ignore[attr-defined]


class FileForm(forms.Form):
    file = forms.FileField(label="File")


class SavedFilterForm(forms.Form):
    name = forms.CharField(max_length=100, label="Save these filters as")


class ProjectForm(forms.Form):
    """A project: description, lead, members; its workflow is edited as rows (WorkflowRows)."""

    name = forms.CharField(max_length=200)
    description = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text="Markdown. What the project is for and how it is run.",
    )
    lead = forms.TypedChoiceField(coerce=int, required=False, empty_value=None, label="Lead")
    members = forms.TypedMultipleChoiceField(
        coerce=int,
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 6}),
        help_text="Hold Ctrl or ⌘ to choose several.",
    )
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, members: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        people = [(m.pk, m.profile.display_name) for m in members]
        self.fields["lead"].choices = [("", "Nobody yet"), *people]  # type: ignore[attr-defined]
        self.fields["members"].choices = people  # type: ignore[attr-defined]


def _new_key(label: str, taken: set[str]) -> str:
    """A key for a status added in the editor: its label as a slug, unique in the workflow."""
    base = (slugify(label).replace("-", "_") or "status")[:24]
    key, n = base, 2
    while key in taken:
        key, n = f"{base}_{n}", n + 1
    return key


def workflow_rows(data: Any, statuses: list[dict[str, str]]) -> list[dict[str, str]]:
    """The workflow editor's rows as posted: key, label, category, in order; blank names dropped.

    Each row is ``wf-<i>-key`` (empty for a new status: one is made from its name),
    ``wf-<i>-label``, ``wf-<i>-category`` and ``wf-<i>-order``; rows are sorted by order,
    then as they came. Without posted data, the project's workflow as it is.
    """
    if data is None:
        return statuses
    count = str(data.get("wf-count", "0"))
    rows = []
    for index in range(min(int(count), 50) if count.isdigit() else 0):
        label = (data.get(f"wf-{index}-label") or "").strip()
        if not label:
            continue
        order = str(data.get(f"wf-{index}-order") or "")
        rows.append(
            (
                int(order) if order.isdigit() else index + 1,
                index,
                {
                    "key": (data.get(f"wf-{index}-key") or "").strip(),
                    "label": label[:50],
                    "category": data.get(f"wf-{index}-category") or "open",
                },
            )
        )
    rows.sort(key=lambda row: (row[0], row[1]))
    taken = {row[2]["key"] for row in rows if row[2]["key"]}
    for row in rows:
        if not row[2]["key"]:
            row[2]["key"] = _new_key(row[2]["label"], taken)
            taken.add(row[2]["key"])
    return [row[2] for row in rows]
