"""A task's related material: links through the link registry, attached files, followers."""

import uuid
from datetime import datetime

from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction

from meridian.briefs import files, links
from meridian.core.errors import Conflict, FieldErrors, PermissionDenied, ValidationFailed
from meridian.core.services import audit_record
from meridian.work.history import task_changed
from meridian.work.models import Task, TaskFile, TaskFollower, TaskLink
from meridian.work.services.common import MAX_NOTE, clean_text, require_writer
from meridian.workspaces.models import Membership, Role


def file_storage_name(workspace_id: int) -> str:
    """Where a task's new file is stored: made up by the server, nothing of the person's name."""
    return f"work/{workspace_id}/{uuid.uuid4().hex}"


@transaction.atomic
def task_link_add(
    *, actor: Membership, task: Task, kind: str, target_id: int, note: str = ""
) -> TaskLink:
    """Link a brief, a decision record or another task (any kind in the link registry)."""
    require_writer(actor, task.workspace_id)
    problems = FieldErrors()
    note = clean_text("note", note, MAX_NOTE, problems, "A note")
    registered = links.registered(kind)
    title = ""
    if registered is None:
        known = ", ".join(sorted(links_known()))
        problems.add("kind", f"“{str(kind)[:30]}” cannot be linked; link one of: {known}.")
    elif kind == "task" and target_id == task.pk:
        problems.add("target_id", "A task cannot be linked to itself.")
    else:
        title = (links.titles_for(kind, task.workspace_id, [target_id]) or {}).get(target_id, "")
        if not title:
            problems.add("target_id", f"No {registered.noun} #{target_id} in this workspace.")
    problems.raise_any()
    try:
        with transaction.atomic():
            link = TaskLink.objects.create(
                workspace_id=task.workspace_id,
                task=task,
                kind=kind,
                target_id=target_id,
                note=note,
                created_by=actor,
            )
    except IntegrityError:
        raise Conflict(f"This task already links to “{title}”.") from None
    task_changed(task, actor, "link_added", "", title)
    audit_record(
        actor=actor, action="work.link_add", obj=task, data={"kind": kind, "id": target_id}
    )
    return link


def links_known() -> list[str]:
    from meridian.core import registry

    return list(registry.link_kinds())


@transaction.atomic
def task_link_remove(*, actor: Membership, link: TaskLink) -> None:
    """Take a link off a task."""
    require_writer(actor, link.workspace_id)
    task = link.task
    title = (links.titles_for(link.kind, link.workspace_id, [link.target_id]) or {}).get(
        link.target_id, f"{link.kind} #{link.target_id}"
    )
    link.delete()
    task_changed(task, actor, "link_removed", title, "")
    audit_record(actor=actor, action="work.link_remove", obj=task, data={"kind": link.kind})


def task_file_add(*, actor: Membership, task: Task, upload: UploadedFile) -> TaskFile:
    """Attach a file; over ATTACHMENT_MAX_BYTES it is a 413 naming the limit, nothing stored.

    The file is stored first, outside any lock, and removed again if the row is not written.
    """
    require_writer(actor, task.workspace_id)
    size = upload.size or 0
    if size > files.max_bytes():
        raise files.too_large(size)
    if size == 0:
        raise ValidationFailed.field(
            "file", "The file is empty; choose a file that has something in it."
        )
    filename = files.clean_filename(upload.name or "")
    upload.seek(0)
    head = upload.read(files.SNIFF_BYTES)
    upload.seek(0)
    content_type = files.content_type_of(head, filename, upload.content_type or "")
    stored = default_storage.save(file_storage_name(task.workspace_id), upload)
    try:
        with transaction.atomic():
            row = TaskFile.objects.create(
                workspace_id=task.workspace_id,
                task=task,
                file=stored,
                filename=filename,
                file_size=size,
                content_type=content_type,
                uploaded_by=actor,
            )
            task_changed(task, actor, "file_added", "", filename)
            audit_record(actor=actor, action="work.file_add", obj=task, data={"size": size})
    except BaseException:
        default_storage.delete(stored)
        raise
    return row


@transaction.atomic
def task_file_remove(*, actor: Membership, file: TaskFile) -> None:
    """Remove an attached file (whoever attached it, the task's owner, or an admin)."""
    require_writer(actor, file.workspace_id)
    task = file.task
    if actor.pk not in (file.uploaded_by_id, task.owner_id) and not actor.has_role(Role.ADMIN):
        raise PermissionDenied(
            "Only whoever attached the file, the task's owner or an admin can remove it."
        )
    stored, filename = file.file.name, file.filename
    file.delete()
    task_changed(task, actor, "file_removed", filename, "")
    audit_record(actor=actor, action="work.file_remove", obj=task, data={"file": filename})
    if stored:
        transaction.on_commit(lambda: default_storage.delete(stored))


@transaction.atomic
def task_follow(*, actor: Membership, task: Task) -> None:
    """Follow a task: its thread and changes reach you (following twice is harmless)."""
    require_writer(actor, task.workspace_id)
    TaskFollower.objects.get_or_create(workspace_id=task.workspace_id, task=task, membership=actor)


@transaction.atomic
def task_unfollow(*, actor: Membership, task: Task) -> None:
    """Stop following a task."""
    require_writer(actor, task.workspace_id)
    TaskFollower.objects.filter(task=task, membership=actor).delete()


def member_departed(*, member: Membership, now: datetime) -> int:
    """A member left the workspace (inside the removal's transaction): they follow nothing more.
    The tasks they own stay theirs, shown as owned by someone who left, until handed over."""
    removed, _ = TaskFollower.objects.filter(
        workspace_id=member.workspace_id, membership=member
    ).delete()
    return removed
