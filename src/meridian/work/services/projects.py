"""Projects: their description, lead, members and workflow of statuses."""

import re
from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.db.models import Count

from meridian.core.errors import FieldErrors, ValidationFailed
from meridian.core.markdown import render_markdown
from meridian.core.services import audit_record
from meridian.work.models import Project, ProjectMember, StatusCategory, Task, default_workflow
from meridian.work.search import project_search_index
from meridian.work.services.common import (
    MAX_DESCRIPTION,
    MAX_NAME,
    MAX_STATUSES,
    EditConflict,
    clean_text,
    member_of,
    members_of,
    require_writer,
)
from meridian.workspaces.models import Membership

_KEY = re.compile(r"^[a-z0-9][a-z0-9_-]{0,29}$")
PROJECT_FIELDS = {"name", "description", "lead", "member_ids", "workflow"}


def workflow_check(workflow: Any, problems: FieldErrors) -> list[dict[str, str]]:
    """A workflow as it is stored: statuses with a unique key, a label and a category, at least
    one not done and one done."""
    if not isinstance(workflow, list) or not workflow:
        problems.add(
            "workflow", "A workflow is a list of statuses, each with key, label and category."
        )
        return []
    if len(workflow) > MAX_STATUSES:
        problems.add("workflow", f"A workflow has at most {MAX_STATUSES} statuses.")
        return []
    cleaned: list[dict[str, str]] = []
    seen: set[str] = set()
    categories = ", ".join(StatusCategory.values)
    for n, status in enumerate(workflow, start=1):
        if not isinstance(status, dict):
            problems.add("workflow", f"Status {n} is not an object with key, label and category.")
            continue
        key = str(status.get("key", "")).strip()
        label = str(status.get("label", "")).strip() or key
        category = str(status.get("category", "")).strip()
        if not _KEY.match(key):
            problems.add(
                "workflow",
                f"Status {n}: the key “{key[:40]}” must be 1 to 30 lowercase letters, digits, - or _.",
            )
        elif key in seen:
            problems.add("workflow", f"Status {n}: the key “{key}” is used twice.")
        if len(label) > 50:
            problems.add("workflow", f"Status {n}: a label has at most 50 characters.")
        if category not in StatusCategory.values:
            problems.add(
                "workflow",
                f"Status {n}: the category “{category[:30]}” is not one of {categories}.",
            )
        seen.add(key)
        cleaned.append({"key": key, "label": label, "category": category})
    kinds = {s["category"] for s in cleaned}
    if cleaned and "done" not in kinds:
        problems.add("workflow", "A workflow needs a status in the done category.")
    if cleaned and not kinds - {"done"}:
        problems.add("workflow", "A workflow needs a status that is not done.")
    return cleaned


def _members_set(project: Project, members: Iterable[Membership]) -> None:
    wanted = {m.pk for m in members}
    ProjectMember.objects.filter(project=project).exclude(membership_id__in=wanted).delete()
    have = set(
        ProjectMember.objects.filter(project=project).values_list("membership_id", flat=True)
    )
    ProjectMember.objects.bulk_create(
        ProjectMember(workspace_id=project.workspace_id, project=project, membership_id=pk)
        for pk in wanted - have
    )


@transaction.atomic
def project_create(
    *,
    actor: Membership,
    name: str,
    description: str = "",
    lead: Membership | None = None,
    member_ids: Iterable[int] = (),
    workflow: list[dict[str, str]] | None = None,
) -> Project:
    """Start a project, with its members (and lead) and its own statuses (the default ones
    unless given)."""
    require_writer(actor, actor.workspace_id, "projects")
    problems = FieldErrors()
    name = clean_text("name", name, MAX_NAME, problems, "A project's name", required=True)
    description = clean_text("description", description, MAX_DESCRIPTION, problems, "A description")
    lead = member_of(actor.workspace_id, lead, "lead", problems)
    members = members_of(actor.workspace_id, member_ids, "member_ids", problems)
    statuses = default_workflow() if workflow is None else workflow_check(workflow, problems)
    problems.raise_any()
    project = Project.objects.create(
        workspace_id=actor.workspace_id,
        name=name,
        description=description,
        description_html=render_markdown(description),
        lead=lead,
        workflow=statuses,
        created_by=actor,
    )
    _members_set(project, [*members, *([lead] if lead else [])])
    project = Project.objects.select_related("workspace", "lead__profile").get(pk=project.pk)
    project_search_index(project)
    audit_record(actor=actor, action="work.project_create", obj=project, data={"name": name})
    return project


@transaction.atomic
def project_update(
    *, actor: Membership, project: Project, version: int, changes: dict[str, Any]
) -> Project:
    """Change a project's fields named in ``changes``; an older ``version`` is a 409 with the
    project as it is now, and a workflow dropping a status tasks still have is a 422 naming it."""
    require_writer(actor, project.workspace_id, "projects")
    project = (
        Project.objects.select_for_update(of=("self",))
        .select_related("workspace", "lead__profile")
        .get(pk=project.pk)
    )
    unknown = sorted(set(changes) - PROJECT_FIELDS)
    if unknown:
        raise ValidationFailed.field(
            unknown[0],
            f"“{unknown[0]}” cannot be changed; change {', '.join(sorted(PROJECT_FIELDS))}.",
        )
    if version != project.version:
        raise EditConflict(
            f"Someone else saved this project since you opened it (version {version}, now "
            f"{project.version}); look at their change, then save yours again.",
            current=project,
            changes=[],
        )
    problems = FieldErrors()
    fields: list[str] = []
    if "name" in changes:
        project.name = clean_text(
            "name", changes["name"], MAX_NAME, problems, "A project's name", required=True
        )
        fields.append("name")
    if "description" in changes:
        project.description = clean_text(
            "description", changes["description"], MAX_DESCRIPTION, problems, "A description"
        )
        project.description_html = render_markdown(project.description)
        fields += ["description", "description_html"]
    if "lead" in changes:
        project.lead = member_of(project.workspace_id, changes["lead"], "lead", problems)
        fields.append("lead")
    members = None
    if "member_ids" in changes:
        members = members_of(project.workspace_id, changes["member_ids"], "member_ids", problems)
    dones: dict[str, bool] = {}
    if "workflow" in changes:
        statuses = workflow_check(changes["workflow"], problems)
        if statuses:
            keys = {s["key"] for s in statuses}
            used = (
                Task.objects.filter(project=project)
                .exclude(status__in=keys)
                .values("status")
                .annotate(n=Count("id"))
                .order_by("status")
            )
            for row in used:
                old = project.status(row["status"])
                label = old["label"] if old else row["status"]
                tasks = "1 task" if row["n"] == 1 else f"{row['n']} tasks"
                problems.add(
                    "workflow",
                    f"The status “{label}” is still used by {tasks}; move them to another "
                    "status before removing it.",
                )
            dones = {s["key"]: s["category"] == StatusCategory.DONE for s in statuses}
            project.workflow = statuses
            fields.append("workflow")
    problems.raise_any()
    project.version += 1
    project.save(update_fields=[*fields, "version", "updated_at"])
    if members is not None or "lead" in changes:
        current = members
        if current is None:
            current = list(
                Membership.objects.filter(
                    pk__in=ProjectMember.objects.filter(project=project).values("membership_id")
                )
            )
        _members_set(project, [*current, *([project.lead] if project.lead else [])])
    for key, done in dones.items():
        # A status may have moved between done and not done: its tasks follow it.
        Task.objects.filter(project=project, status=key).exclude(is_done=done).update(is_done=done)
    project_search_index(project)
    audit_record(actor=actor, action="work.project_update", obj=project, data={"fields": fields})
    return project
