"""The roles area's search documents: each role, with its responsibilities and duties."""

from collections.abc import Iterator

from django.urls import reverse

from meridian.roles.models import Role
from meridian.search.registry import Document
from meridian.search.services import search_index_upsert


def role_document(role: Role) -> Document:
    duties = "\n".join(duty.text for duty in role.duties.all())
    return Document(
        workspace_id=role.workspace_id,
        kind="role",
        object_id=role.pk,
        title=role.name,
        body=f"{role.responsibilities}\n{duties}".strip(),
        url=reverse("role_detail", kwargs={"workspace": role.workspace.slug, "role_id": role.pk}),
        context="Archived role" if role.is_archived else "Role",
        created_at=role.created_at,
    )


def role_documents() -> Iterator[Document]:
    """Every role of every workspace (archived ones too: their history is worth finding)."""
    roles = Role.objects.select_related("workspace").prefetch_related("duties").order_by("pk")
    for role in roles.iterator(500):
        yield role_document(role)


def role_search_index(role: Role) -> None:
    """Index the role as it is now (called by the services that change its text)."""
    search_index_upsert(**vars(role_document(role)))
