"""A tiny HandoverKind for the handovers tests, built on briefs: a brief is "owned" by its author.

The handovers layer never imports work or roles; these tests install this kind instead with
``registry.replaced(HANDOVER_KINDS, [BRIEF_KIND])``, and the bench uses it for bulk handovers.
"""

from datetime import timedelta

from django.db.models import Count, F, Q
from django.urls import reverse
from django.utils import timezone

from meridian.briefs.models import Brief, BriefStatus, Comment
from meridian.handovers.kinds import (
    Check,
    HandoverKind,
    Packet,
    PacketEntry,
    PacketSection,
    Readiness,
)


def _titles(workspace_id: int, ids: list[int]) -> dict[int, str]:
    rows = Brief.objects.filter(workspace_id=workspace_id, pk__in=ids).values_list("pk", "title")
    return dict(rows)


def _url(slug: str, object_id: int) -> str:
    return reverse("brief_detail", kwargs={"workspace": slug, "brief_id": object_id})


def _owned(workspace_id: int, membership_id: int) -> list[tuple[int, str]]:
    rows = Brief.objects.filter(
        workspace_id=workspace_id, author_id=membership_id, status=BriefStatus.OPEN
    ).order_by("pk")
    return list(rows.values_list("pk", "title"))


def _owners(workspace_id: int, ids: list[int]) -> dict[int, list[int]]:
    rows = Brief.objects.filter(workspace_id=workspace_id, pk__in=ids).values_list(
        "pk", "author_id"
    )
    return {pk: [author] for pk, author in rows}


def _packet(viewer, object_id: int) -> Packet:
    brief = Brief.objects.select_related("workspace", "author__profile").get(
        workspace_id=viewer.workspace_id, pk=object_id
    )
    questions = Comment.objects.filter(
        brief=brief, is_question=True, answered_at__isnull=True
    ).select_related("author__profile")
    url = _url(brief.workspace.slug, brief.pk)
    return Packet(
        kind="brief",
        object_id=brief.pk,
        title=brief.title,
        url=url,
        status=brief.get_status_display(),
        sections=[
            PacketSection(
                "description",
                "Description",
                [PacketEntry(text=brief.title, html=brief.body_html)] if brief.body else [],
                empty="No description.",
            ),
            PacketSection(
                "criteria",
                "Acceptance criteria",
                [PacketEntry(text=q, done=False) for q in brief.questions],
            ),
            PacketSection(
                "questions",
                "Unanswered questions",
                [
                    PacketEntry(
                        text=q.body,
                        html=q.body_html,
                        url=f"{url}#comment-{q.pk}",
                        person=q.author.profile.display_name,
                        at=q.created_at,
                    )
                    for q in questions
                ],
                empty="No unanswered questions.",
            ),
            PacketSection(
                "people",
                "People involved",
                [PacketEntry(text=brief.author.profile.display_name, detail="author")],
            ),
        ],
    )


def _transfer(object_id: int, giver, receiver, actor) -> None:
    Brief.objects.filter(pk=object_id, author_id=giver.pk).update(author_id=receiver.pk)


def _readiness(workspace_id: int, ids: list[int] | None) -> list[Readiness]:
    since = timezone.now() - timedelta(days=90)
    rows = Brief.objects.filter(workspace_id=workspace_id, status=BriefStatus.OPEN)
    if ids is not None:
        rows = rows.filter(pk__in=ids)
    rows = rows.select_related("workspace").annotate(
        open_questions=Count(
            "comments", filter=Q(comments__is_question=True, comments__answered_at__isnull=True)
        ),
        others=Count(
            "comments__author",
            filter=Q(comments__created_at__gte=since) & ~Q(comments__author=F("author")),
            distinct=True,
        ),
    )
    result = []
    for brief in rows:
        checks = [
            Check("description", "Has a description", bool(brief.body), 2, "No description"),
            Check(
                "no_open_questions",
                "No unanswered questions",
                brief.open_questions == 0,
                1,
                f"{brief.open_questions} unanswered question(s)",
            ),
            Check("contributors", "More than one contributor", brief.others > 0, 1, "One person"),
        ]
        result.append(
            Readiness(
                kind="brief",
                object_id=brief.pk,
                title=brief.title,
                url=_url(brief.workspace.slug, brief.pk),
                checks=checks,
                holder_ids=[brief.author_id],
                contributors_90d=1 + brief.others,
                group="Briefs",
            )
        )
    return result


BRIEF_KIND = HandoverKind(
    kind="brief",
    noun="brief",
    titles=_titles,
    url=_url,
    owned=_owned,
    owners=_owners,
    packet=_packet,
    transfer=_transfer,
    readiness=_readiness,
)
