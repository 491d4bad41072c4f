"""The check-ins' search documents: each answered prompt, with its answers, under its check-in."""

from collections.abc import Iterator

from django.urls import reverse

from meridian.checkins.models import CheckinPrompt
from meridian.search.registry import Document
from meridian.search.services import search_index_upsert


def prompt_document(prompt: CheckinPrompt) -> Document:
    checkin = prompt.checkin
    lines = [
        f"{question}\n{answer}"
        for question, answer in zip(checkin.questions, prompt.answers, strict=False)
        if answer
    ]
    name = prompt.membership.profile.display_name
    return Document(
        workspace_id=prompt.workspace_id,
        kind="checkin",
        object_id=prompt.pk,
        title=f"{checkin.name}: {name}, {prompt.local_date.isoformat()}",
        body="\n".join(lines),
        url=reverse(
            "checkin_person",
            kwargs={
                "workspace": checkin.workspace.slug,
                "checkin_id": checkin.pk,
                "member_id": prompt.membership_id,
            },
        ),
        context="Check-in answer",
        created_at=prompt.responded_at,
    )


def _answered() -> "Iterator[CheckinPrompt]":
    prompts = (
        CheckinPrompt.objects.filter(responded_at__isnull=False)
        .select_related("checkin__workspace", "membership__profile")
        .order_by("pk")
    )
    yield from prompts.iterator(500)


def prompt_documents() -> Iterator[Document]:
    """Every answered prompt of every workspace."""
    for prompt in _answered():
        yield prompt_document(prompt)


def prompt_search_index(prompt: CheckinPrompt) -> None:
    """Index the answer as it is now (called once it is written)."""
    search_index_upsert(**vars(prompt_document(prompt)))
