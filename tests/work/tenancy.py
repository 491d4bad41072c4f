"""The work part of tests/test_tenancy.py's victim workspace."""

from django.core.files.uploadedfile import SimpleUploadedFile

from meridian.work.services import comment_add, dependency_add, task_file_add
from meridian.work.services.filters import saved_filter_save
from meridian.workspaces.models import Membership
from tests.work.factories import project, task


def victim_work(admin: Membership, other: Membership) -> dict[str, int]:
    """A project with two tasks, one blocking the other, a question, a file, a saved filter."""
    p = project(admin, name="Zeta Secret Works launch", description="Zed Secretname plans")
    first = task(admin, p, title="Zeta Secret Works first step", owner=other)
    second = task(admin, p, title="Zeta Secret Works second step", owner=admin)
    dependency = dependency_add(actor=admin, blocker=first, blocked=second)
    comment_add(actor=other, task=first, body="Zed Secretname wonders?", is_question=True)
    saved = saved_filter_save(
        actor=other, name="Zeta Secret Works mine", query={"owner": str(other.pk)}
    )
    attached = task_file_add(
        actor=admin,
        task=first,
        upload=SimpleUploadedFile("Zeta-Secret-Works-plan.txt", b"Zeta Secret Works plan\n"),
    )
    return {
        "file_id": attached.pk,
        "project_id": p.pk,
        "task_id": first.pk,
        "dependency_id": dependency.pk,
        "filter_id": saved.pk,
    }
