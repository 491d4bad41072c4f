"""Reads of briefs that the pages and the API share, always through the viewer's membership."""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db.models import (
    Count,
    Exists,
    F,
    FilteredRelation,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from meridian.asks.deadlines import deadline_label, week_of
from meridian.briefs import links as link_kinds
from meridian.briefs.access import sees_who_watched
from meridian.briefs.models import (
    Brief,
    BriefLink,
    BriefParticipant,
    BriefStatus,
    Comment,
    CommentRevision,
    LinkTarget,
    ParticipantKind,
)
from meridian.briefs.services.common import asked_cause
from meridian.core import registry
from meridian.core.timebounds import in_zone
from meridian.workspaces.models import Membership

SCOPES = {
    "all": "All briefs",
    "to_answer": "Waiting for my response",
    "involved": "Asked of me",
    "authored": "Written by me",
}
STATUSES = {
    "": "Any state",
    "open": "Open",
    "overdue": "Overdue",
    "closed": "Closed",
    "draft": "My drafts",
}


@dataclass(frozen=True)
class BriefFilters:
    """The brief list filters shared by the list page and the API."""

    scope: str = "all"
    status: str = ""
    q: str = ""


def _count(qs: QuerySet[Any]) -> Coalesce:
    """A correlated count of rows per brief (no join multiplication between several counts)."""
    counted = qs.filter(brief=OuterRef("pk")).values("brief").annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def _pending_required(now: datetime) -> Exists:
    """A required participant has not responded and their local deadline has passed."""
    return Exists(
        BriefParticipant.objects.filter(
            brief=OuterRef("pk"),
            kind=ParticipantKind.REQUIRED,
            responded_at__isnull=True,
            local_deadline__lte=now,
        )
    )


def _overdue(now: datetime) -> Q:
    """Open, past the last participant's local deadline, and someone required has not responded."""
    return Q(status=BriefStatus.OPEN, respond_by__lte=now) & Q(_pending_required(now))


def brief_list_for(
    *, viewer: Membership, filters: BriefFilters, now: datetime | None = None
) -> QuerySet[Brief]:
    """The workspace's briefs, newest first, with response counts and the viewer's own part."""
    now = now or timezone.now()
    # Sent briefs, and the viewer's own drafts (nobody else's).
    qs = Brief.all_objects.visible_to(viewer)
    mine = BriefParticipant.objects.filter(brief=OuterRef("pk"), membership_id=viewer.pk)
    if filters.scope == "to_answer":
        qs = qs.filter(
            Exists(mine.filter(kind=ParticipantKind.REQUIRED, responded_at__isnull=True)),
            status=BriefStatus.OPEN,
        )
    elif filters.scope == "involved":
        qs = qs.filter(Exists(mine))
    elif filters.scope == "authored":
        qs = qs.filter(author_id=viewer.pk)
    if filters.status == "open":
        qs = qs.filter(status=BriefStatus.OPEN).exclude(_overdue(now))
    elif filters.status == "overdue":
        qs = qs.filter(_overdue(now))
    elif filters.status == "closed":
        qs = qs.filter(status=BriefStatus.CLOSED)
    elif filters.status == "draft":
        qs = qs.filter(status=BriefStatus.DRAFT)
    if filters.q:
        qs = qs.filter(Q(title__icontains=filters.q) | Q(body__icontains=filters.q))
    required = BriefParticipant.objects.filter(kind=ParticipantKind.REQUIRED)
    return (
        qs.select_related("author__profile")
        # The viewer's own participant row (at most one: brief and member are unique together)
        # as one join rather than a subquery per column: the list is built for every page view,
        # and each subquery costs as much to build and compile in Python as to run.
        .annotate(
            mine=FilteredRelation("participants", condition=Q(participants__membership=viewer))
        )
        .annotate(
            required_count=_count(required),
            responded_count=_count(required.filter(responded_at__isnull=False)),
            comment_count=_count(Comment.objects.all()),
            is_overdue=Q(_overdue(now)),
            my_kind=F("mine__kind"),
            my_responded_at=F("mine__responded_at"),
            my_deadline=F("mine__local_deadline"),
        )
        .order_by("-created_at", "-id")
    )


def briefs_linked_to(*, viewer: Membership, target: str, target_id: int) -> QuerySet[Brief]:
    """The briefs that link to one task or decision: the hook the work and decisions apps use."""
    links = BriefLink.objects.filter(
        workspace_id=viewer.workspace_id, target=target, target_id=target_id
    )
    return Brief.objects.filter(
        workspace_id=viewer.workspace_id, pk__in=links.values("brief_id")
    ).order_by("-created_at", "-id")


def sync_hours_saved_for(*, viewer: Membership) -> float:
    """Person-hours of meetings that the workspace's briefs replaced (people × minutes ÷ 60)."""
    total = Brief.objects.filter(
        workspace_id=viewer.workspace_id,
        meeting_people__isnull=False,
        meeting_minutes__isnull=False,
    ).aggregate(minutes=Sum(F("meeting_people") * F("meeting_minutes")))["minutes"]
    return round((total or 0) / 60, 1)


# The area that records walkthroughs builds on briefs, so briefs cannot import it. It tells a
# brief about its recording at this registry point instead (from its hooks.py), with a
# BriefMedia; the player itself is that area's panel on the brief page ("brief.detail").
BRIEF_MEDIA = "brief_media"


@dataclass(frozen=True)
class BriefMedia:
    """How briefs learn about a brief's recording without knowing its model.

    ``latest(brief_id)`` is the brief's current recording or None (any object with ``pk`` and
    ``duration`` in seconds); ``watched(recording, member_ids)`` is ``{member_id: 0..1}``,
    how much of it each of those members has watched, in one query; ``processing(brief_id)``
    is whether a recording of the brief is still being processed (a send waits for it);
    ``reindex(brief_id)`` indexes its transcripts again after the brief's title changed.
    """

    latest: Callable[[int], Any]
    watched: Callable[[Any, list[int]], dict[int, float]]
    processing: Callable[[int], bool] = lambda _brief_id: False
    # Index again what is indexed under the brief (its transcripts): its title changed.
    reindex: Callable[[int], None] = lambda _brief_id: None


def _media() -> BriefMedia | None:
    found = registry.items(BRIEF_MEDIA)
    return found[0] if found else None


def recording_for(brief: Brief) -> Any:
    """The brief's latest recording, or None (also while no area provides recordings)."""
    media = _media()
    return media.latest(brief.pk) if media is not None else None


def recording_processing(brief_id: int) -> bool:
    """Whether a recording of the brief is still processing (False without a recordings area)."""
    media = _media()
    return media.processing(brief_id) if media is not None else False


def recording_reindex(brief_id: int) -> None:
    """Tell the recordings area that the brief's title changed (its transcripts show it)."""
    media = _media()
    if media is not None:
        media.reindex(brief_id)


def _watched(recording: Any, member_ids: list[int]) -> dict[int, float]:
    """How much of the recording each member has watched, 0 to 1."""
    media = _media()
    if media is None or recording is None or not member_ids:
        return {}
    return media.watched(recording, member_ids)


# --- One brief --------------------------------------------------------------------------------


@dataclass
class ParticipantRow:
    """One participant as the brief page shows them: where they are with it, in their own time."""

    participant: BriefParticipant
    state: str  # "not_seen", "seen" or "responded"
    watched: float | None  # share of the recording watched, 0..1; None without a recording
    overdue: bool
    local_deadline: datetime | None  # in the participant's own zone
    # For the author: when this participant's email is held until, in the author's zone ("").
    held: str = ""

    @property
    def member(self) -> Membership:
        return self.participant.membership

    @property
    def deadline_label(self) -> str:
        """The deadline as the participant's clock shows it, e.g. "Thu 12 Mar, 17:00"."""
        return deadline_label(self.local_deadline)

    @property
    def watched_percent(self) -> int | None:
        return None if self.watched is None else round(self.watched * 100)


@dataclass
class ThreadItem:
    """A top-level comment with its replies, oldest first."""

    comment: Comment
    replies: list[Comment] = field(default_factory=list)


@dataclass
class Completeness:
    """How many required participants have responded, for "5 of 7 responded"."""

    responded: int
    required: int
    seen: int
    total: int

    @property
    def percent(self) -> int:
        return round(100 * self.responded / self.required) if self.required else 100

    @property
    def complete(self) -> bool:
        return self.responded >= self.required


@dataclass
class BriefDetail:
    """Everything the brief page and the API show about one brief, read in a constant number of queries."""

    brief: Brief
    participants: list[ParticipantRow]
    thread: list[ThreadItem]
    comment_count: int
    open_questions: list[Comment]
    links: list[BriefLink]
    recording: Any
    pins: list[dict[str, Any]]
    completeness: Completeness
    me: BriefParticipant | None
    viewer_deadline: datetime | None  # the viewer's own deadline, in their zone
    now: datetime

    @property
    def viewer_deadline_label(self) -> str:
        return deadline_label(self.viewer_deadline)

    @property
    def is_overdue(self) -> bool:
        """Open, past the last participant's deadline, and someone required has not responded."""
        return (
            self.brief.is_open
            and self.brief.respond_by is not None
            and self.brief.respond_by <= self.now
            and any(r.overdue and r.participant.is_required for r in self.participants)
        )

    @property
    def comments(self) -> list[Comment]:
        flat: list[Comment] = []
        for item in self.thread:
            flat.append(item.comment)
            flat.extend(item.replies)
        return flat


_WEEK_FIELDS = ("working_hours", "focus_blocks")


def brief_detail_for(
    *, viewer: Membership, brief: Brief, now: datetime | None = None
) -> BriefDetail:
    """One brief (already through the access helper) with participants, thread and links."""
    now = now or timezone.now()
    participants = list(
        BriefParticipant.objects.filter(brief=brief)
        .select_related("membership__profile", "membership__user", "via_team")
        .order_by("membership__profile__display_name", "id")
    )
    comments = list(Comment.objects.filter(brief=brief).order_by("created_at", "id"))
    # The people of a thread are few and mostly its participants (already loaded above): each
    # comment gets the same Membership object rather than a copy of it joined onto every row,
    # which halves the cost of reading a long thread. The author and anyone else who wrote
    # come in one more query, made always so that the count of queries stays the same.
    people = {p.membership_id: p.membership for p in participants}
    wrote = {c.author_id for c in comments}
    wrote |= {c.answered_by_id for c in comments if c.answered_by_id is not None}
    others = (wrote - people.keys()) | {brief.author_id}
    people.update(
        (m.pk, m)
        for m in Membership.objects.filter(pk__in=others)
        .select_related("profile")
        # A thread shows names only; each profile's week would be JSON decoded for nothing.
        .defer(*(f"profile__{f}" for f in _WEEK_FIELDS))
    )
    author_field, answered_by_field = Comment.author.field, Comment.answered_by.field
    for c in comments:
        author_field.set_cached_value(c, people[c.author_id])
        if c.answered_by_id is not None:
            answered_by_field.set_cached_value(c, people.get(c.answered_by_id))
    links = links_titled(
        viewer=viewer,
        links=list(
            BriefLink.objects.filter(brief=brief)
            .select_related("target_brief", "created_by__profile")
            .order_by("created_at", "id")
        ),
    )
    recording = recording_for(brief)
    # Who watched how much is the author's and admins' to see; others see only their own.
    sees_all = sees_who_watched(viewer, brief)
    watched = _watched(
        recording,
        [p.membership_id for p in participants if sees_all or p.membership_id == viewer.pk],
    )

    # The author sees who is not yet told, and until when (the delivery layer knows): one query.
    held: dict[int, str] = {}
    if viewer.pk == brief.author_id and brief.is_open:
        held = registry.held_notes(viewer, asked_cause(brief), now)

    rows: list[ParticipantRow] = []
    me: BriefParticipant | None = None
    viewer_deadline: datetime | None = None
    for p in participants:
        profile = p.membership.profile
        zone = week_of(profile.time_zone, profile.working_hours).zone
        state = "responded" if p.responded_at else "seen" if p.first_seen_at else "not_seen"
        rows.append(
            ParticipantRow(
                participant=p,
                state=state,
                watched=watched.get(p.membership_id, 0.0)
                if recording is not None and (sees_all or p.membership_id == viewer.pk)
                else None,
                overdue=p.is_overdue(now),
                local_deadline=in_zone(p.local_deadline, zone) if p.local_deadline else None,
                held=held.get(p.membership_id, ""),
            )
        )
        if p.membership_id == viewer.pk:
            me, viewer_deadline = p, rows[-1].local_deadline

    by_id: dict[int, ThreadItem] = {}
    thread: list[ThreadItem] = []
    for c in comments:
        if c.parent_id is None:
            by_id[c.pk] = ThreadItem(c)
            thread.append(by_id[c.pk])
    for c in comments:
        if c.parent_id is not None and c.parent_id in by_id:
            by_id[c.parent_id].replies.append(c)

    required = [p for p in participants if p.kind == ParticipantKind.REQUIRED]
    completeness = Completeness(
        responded=sum(1 for p in required if p.responded_at is not None),
        required=len(required),
        seen=sum(1 for p in participants if p.first_seen_at is not None),
        total=len(participants),
    )
    pins = [
        {
            "seconds": c.at_seconds,
            "comment_id": c.pk,
            "label": f"{c.pin_label} {c.author.profile.display_name}"
            + (" (question)" if c.is_question else ""),
        }
        for c in comments
        if c.at_seconds is not None
    ]
    return BriefDetail(
        brief=brief,
        participants=rows,
        thread=thread,
        comment_count=len(comments),
        open_questions=[c for c in comments if c.is_question and c.answered_at is None],
        links=links,
        recording=recording,
        pins=pins,
        completeness=completeness,
        me=me,
        viewer_deadline=viewer_deadline,
        now=now,
    )


def comment_list_for(*, viewer: Membership, brief: Brief) -> QuerySet[Comment]:
    """A brief's comments in the order they were written (the brief passed the access helper)."""
    return (
        Comment.objects.filter(workspace_id=viewer.workspace_id, brief=brief)
        .select_related("author__profile")
        .order_by("created_at", "id")
    )


def revision_list_for(*, viewer: Membership, comment: Comment) -> QuerySet[CommentRevision]:
    """A comment's earlier texts, oldest first."""
    return CommentRevision.objects.filter(
        workspace_id=viewer.workspace_id, comment=comment
    ).order_by("written_at", "id")


def link_list_for(*, viewer: Membership, brief: Brief) -> list[BriefLink]:
    """A brief's links in the order they were added, each with its ``target_title``."""
    return links_titled(
        viewer=viewer,
        links=list(
            BriefLink.objects.filter(workspace_id=viewer.workspace_id, brief=brief)
            .select_related("target_brief")
            .order_by("created_at", "id")
        ),
    )


def links_titled(*, viewer: Membership, links: list[BriefLink]) -> list[BriefLink]:
    """Give each link the ``target_title`` a person reads: a brief's title, a record's label.

    One query per kind of object present (however many links), through the reads the other
    areas registered (``meridian.briefs.links``); an object that is gone, or a kind nobody
    registered, leaves the title None. Links to a registered kind also get the object's page
    (``target_url``) and what its kind is called (``target_noun``).
    """
    wanted: dict[str, set[int]] = {}
    for link in links:
        if link.target == LinkTarget.BRIEF and link.target_brief is not None:
            link.target_title = link.target_brief.title
        elif link.target_id is not None and link_kinds.registered(link.target):
            wanted.setdefault(link.target, set()).add(link.target_id)
    titles = {
        kind: link_kinds.titles_for(kind, viewer.workspace_id, ids) or {}
        for kind, ids in wanted.items()
    }
    for link in links:
        if link.target in titles and link.target_id is not None:
            link.target_title = titles[link.target].get(link.target_id)
            kind = link_kinds.registered(link.target)
            if kind is not None:
                link.target_noun = kind.noun
                if kind.url is not None:
                    link.target_url = kind.url(viewer.workspace.slug, link.target_id)
    return links


def linkable_targets_for(
    *, viewer: Membership, kind: str, limit: int = 50
) -> list[tuple[int, str]] | None:
    """Recent objects of another area's kind (e.g. decision records) for a "link" menu.

    None when no area registered the kind, so the page leaves the menu out.
    """
    return link_kinds.recent_for(kind, viewer.workspace_id, limit)


def participant_list_for(*, viewer: Membership, brief: Brief) -> QuerySet[BriefParticipant]:
    """A brief's participants by name, with their profiles."""
    return (
        BriefParticipant.objects.filter(workspace_id=viewer.workspace_id, brief=brief)
        .select_related("membership__profile", "via_team")
        .order_by("membership__profile__display_name", "id")
    )


def linkable_briefs_for(*, viewer: Membership, brief: Brief, limit: int = 50) -> list[Brief]:
    """Recent other briefs of the workspace, for the "link a brief" menu."""
    return list(
        Brief.objects.filter(workspace_id=viewer.workspace_id)
        .exclude(pk=brief.pk)
        .order_by("-created_at", "-id")
        .only("pk", "title")[:limit]
    )
