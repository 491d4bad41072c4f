"""A brief's related items: links to other briefs and to other areas' objects, and attached files."""

import re

from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction

from meridian.briefs import files, links
from meridian.briefs.models import Brief, BriefLink, LinkRelation, LinkTarget
from meridian.briefs.services.common import (
    MAX_NOTE,
    _clean_text,
    _locked,
    _require_can_take_part,
    _require_open,
)
from meridian.core.errors import Conflict, FieldErrors, NotFound, PermissionDenied, ValidationFailed
from meridian.core.services import audit_record
from meridian.workspaces.models import Membership


@transaction.atomic
def link_add(
    *,
    acting: Membership,
    brief: Brief,
    relation: str = LinkRelation.CONTEXT,
    target_brief: Brief | None = None,
    url: str = "",
    target: str | None = None,
    target_id: int | None = None,
    note: str = "",
) -> BriefLink:
    """Relate material to a brief: another brief, a web address, a decision record or a task.

    A decision or task must be one of the workspace's (its area registers how to check that in
    ``meridian.briefs.links``); files are attached with ``file_link_add``.
    """
    brief = _locked(brief)
    _require_open(brief, acting)
    _require_can_take_part(acting, brief)
    problems = FieldErrors()
    note = _clean_link(relation, note, problems)
    url = url.strip()
    if target is None:
        target = LinkTarget.BRIEF if target_brief is not None else LinkTarget.URL
    if target == LinkTarget.BRIEF:
        if target_brief is None or target_brief.workspace_id != brief.workspace_id:
            problems.add("target_brief", "Choose a brief of this workspace to link.")
        elif target_brief.pk == brief.pk:
            problems.add("target_brief", "A brief cannot be linked to itself.")
        url, target_id = "", None
    elif target == LinkTarget.URL:
        if not re.match(r"^https?://[^\s/$.?#][^\s]*$", url, re.IGNORECASE) or len(url) > 2000:
            problems.add(
                "url", f"“{url[:80]}” is not a web address starting with http:// or https://."
            )
        target_brief, target_id = None, None
    elif target in (LinkTarget.TASK, LinkTarget.DECISION):
        target_brief, url = None, ""
        _clean_target_id(target, target_id, brief.workspace_id, problems)
    elif target == LinkTarget.FILE:
        problems.add("target", "Attach a file by uploading it (file_link_add).")
    else:
        problems.add("target", f"Unknown link target “{target}”.")
    problems.raise_any()
    duplicate = BriefLink.objects.filter(
        brief=brief, target=target, target_brief=target_brief, url=url, target_id=target_id
    )
    if duplicate.exists():
        raise Conflict("This brief already links to that.")
    try:
        with transaction.atomic():
            link = BriefLink.objects.create(
                workspace_id=brief.workspace_id,
                brief=brief,
                relation=relation,
                target=target,
                target_brief=target_brief,
                url=url,
                target_id=target_id,
                note=note,
                created_by=acting,
            )
    except IntegrityError:
        raise ValidationFailed.field("target", "That link does not fit its target kind.") from None
    audit_record(
        actor=acting, action="brief.link_add", obj=brief, data={"link": link.pk, "target": target}
    )
    return link


def _clean_target_id(
    target: str, target_id: int | None, workspace_id: int, problems: FieldErrors
) -> None:
    """Check that a task or decision link points at one of the workspace's objects.

    Those objects live in areas built on briefs, which register their kind in
    ``meridian.briefs.links``; a kind nobody registered cannot be linked at all.
    """
    kind = links.registered(target)
    if kind is None:
        plural = f"{LinkTarget(target).label}s"
        problems.add("target", f"{plural} cannot be linked yet; link their web address instead.")
    elif target_id is None or target_id < 1:
        problems.add("target_id", f"Give the id of the {kind.noun} to link.")
    elif target_id not in (links.titles_for(target, workspace_id, [target_id]) or {}):
        problems.add("target_id", f"No {kind.noun} #{target_id} in this workspace.")


def _clean_link(relation: str, note: str, problems: FieldErrors) -> str:
    """Check what every kind of link has, its relation and note; the note as it is kept."""
    if relation not in LinkRelation.values:
        problems.add(
            "relation", f"Unknown relation “{relation}”; use {', '.join(LinkRelation.values)}."
        )
    note = note.strip()
    _clean_text("note", note, MAX_NOTE, problems, "A note")
    return note


def file_link_add(
    *,
    acting: Membership,
    brief: Brief,
    file: UploadedFile,
    relation: str = LinkRelation.CONTEXT,
    note: str = "",
) -> BriefLink:
    """Attach a file to a brief as related material, with its relation and a note.

    Everything is checked before a byte is stored (a file over ATTACHMENT_MAX_BYTES is a 413
    naming the limit). The file is stored outside the brief's lock — on SQLite that lock is
    the database's one write lock, and copying a large file would hold up every other write —
    then the link is written under the lock after checking again that the brief is still
    open; the stored file is removed again whenever the link is not written.
    """
    _require_open(brief, acting)
    _require_can_take_part(acting, brief)
    size = file.size or 0
    if size > files.max_bytes():
        raise files.too_large(size)
    problems = FieldErrors()
    if size == 0:
        problems.add("file", "The file is empty; choose a file that has something in it.")
    note = _clean_link(relation, note, problems)
    problems.raise_any()
    filename = files.clean_filename(file.name or "")
    file.seek(0)
    head = file.read(files.SNIFF_BYTES)
    file.seek(0)
    content_type = files.content_type_of(head, filename, file.content_type or "")
    stored = default_storage.save(files.storage_name(brief.workspace_id), file)
    try:
        with transaction.atomic():
            brief = _locked(brief)
            _require_open(brief, acting)  # it may have closed while the file was being stored
            _require_can_take_part(acting, brief)
            link = BriefLink.objects.create(
                workspace_id=brief.workspace_id,
                brief=brief,
                relation=relation,
                target=LinkTarget.FILE,
                file=stored,
                filename=filename,
                file_size=size,
                content_type=content_type,
                note=note,
                created_by=acting,
            )
            audit_record(
                actor=acting,
                action="brief.link_add",
                obj=brief,
                data={"link": link.pk, "target": LinkTarget.FILE, "size": size},
            )
    except BaseException:
        default_storage.delete(stored)
        raise
    return link


@transaction.atomic
def link_remove(*, acting: Membership, link: BriefLink) -> None:
    """Take a link off a brief (whoever added it, or the brief's author); an attached file goes too."""
    brief = _locked(link.brief)
    _require_open(brief, acting)
    if acting.pk not in (link.created_by_id, brief.author_id):
        raise PermissionDenied("Only whoever added the link, or the brief's author, can remove it.")
    link_id, stored = link.pk, link.file.name if link.file else ""
    link.delete()
    audit_record(actor=acting, action="brief.link_remove", obj=brief, data={"link": link_id})
    if stored:
        # Only once the link is gone for good: a rolled-back removal keeps its file.
        transaction.on_commit(lambda: default_storage.delete(stored))


@transaction.atomic
def decision_link_add(
    *, acting: Membership, brief: Brief, record_id: int, note: str = ""
) -> BriefLink:
    """Link the decision record a brief led to (called by the decisions app), even once closed.

    Where a brief led is a fact about it, not an edit of it, so unlike ``link_add`` this takes
    a closed brief too. Linking the same decision twice is harmless.
    """
    if brief.workspace_id != acting.workspace_id:
        raise NotFound("No such brief in this workspace.")
    link, created = BriefLink.objects.get_or_create(
        workspace_id=brief.workspace_id,
        brief=brief,
        target=LinkTarget.DECISION,
        target_id=record_id,
        defaults={"relation": LinkRelation.CONTEXT, "note": note[:MAX_NOTE], "created_by": acting},
    )
    if created:
        audit_record(
            actor=acting,
            action="brief.link_add",
            obj=brief,
            data={"link": link.pk, "target": LinkTarget.DECISION},
        )
    return link
