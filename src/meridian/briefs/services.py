"""Every write to briefs: the ask and who is asked, the thread, links, reminders and closing.

Each service checks who acts, runs in one transaction, writes the audit log, and tells people
through meridian.notifications (notification_send), which also keeps each member's inbox. Input problems are collected and
raised together as one ValidationFailed naming each field, before anything is written.
"""

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from meridian.asks.deadlines import Deadline, deadline_problem
from meridian.asks.people import (
    Asked,
    DayOffShift,
    Invitee,
    deadline_day_off_shifts,
    local_deadlines,
    people_resolve,
)
from meridian.asks.reminders import reminder_take
from meridian.briefs import events, files, links
from meridian.briefs.models import (
    AskKind,
    Brief,
    BriefLink,
    BriefParticipant,
    BriefStatus,
    Comment,
    CommentRevision,
    LinkRelation,
    LinkTarget,
    Mention,
)
from meridian.briefs.search import brief_search_index, comment_search_index
from meridian.core.errors import Conflict, FieldErrors, NotFound, PermissionDenied, ValidationFailed
from meridian.core.markdown import MENTION_RE, render_markdown
from meridian.core.moments import deadline_text, moment_text
from meridian.core.services import audit_record
from meridian.notifications.services import inbox_due_change, inbox_resolve, notification_send
from meridian.workspaces.access import require_role
from meridian.workspaces.models import Membership, Role
from meridian.workspaces.services import has_control_characters

MAX_TITLE = 200
MAX_BODY = 50_000
MAX_COMMENT = 20_000
MAX_SUMMARY = 20_000
MAX_QUESTIONS = 20
MAX_QUESTION = 500
MAX_NOTE = 500
MAX_MEETING_PEOPLE = 1000
MAX_MEETING_MINUTES = 24 * 60
MAX_PIN_SECONDS = 24 * 60 * 60
MAX_MENTIONS = 50


@dataclass(frozen=True)
class Meeting:
    """The synchronous meeting a brief replaces: how many people, for how many minutes."""

    people: int | None = None
    minutes: int | None = None


def brief_url(brief: Brief) -> str:
    """The site-relative address of a brief's page."""
    return reverse("brief_detail", kwargs={"workspace": brief.workspace.slug, "brief_id": brief.pk})


def _name(member: Membership) -> str:
    return str(member.profile.display_name)


def _zone(member: Membership) -> str:
    """The member's zone, in which every time a service tells them is written."""
    return str(member.profile.time_zone)


# --- Checks -------------------------------------------------------------------------------


def _require_author(acting: Membership, brief: Brief, doing: str) -> None:
    if acting.pk != brief.author_id:
        raise PermissionDenied(f"Only the brief's author can {doing}.")


def _require_open(brief: Brief, acting: Membership) -> None:
    if brief.status == BriefStatus.CLOSED:
        when = moment_text(brief.closed_at or timezone.now(), _zone(acting), "stamp")
        raise Conflict(f"This brief was closed on {when}; it is read-only now.")


def _locked(brief: Brief) -> Brief:
    """The brief as the database has it now, locked until the transaction ends."""
    return (
        Brief.objects.select_for_update(of=("self",))
        .select_related("workspace", "author__profile")
        .get(pk=brief.pk)
    )


def _participant(brief: Brief, member: Membership) -> BriefParticipant | None:
    return BriefParticipant.objects.filter(brief=brief, membership=member).first()


def _require_can_take_part(acting: Membership, brief: Brief) -> None:
    """Members take part in any brief of their workspace; guests only in those they are asked in."""
    if acting.workspace_id != brief.workspace_id:
        raise NotFound("No such brief in this workspace.")
    if not acting.has_role(Role.MEMBER) and _participant(brief, acting) is None:
        raise PermissionDenied("Guests can take part only in briefs they are asked in.")


def _clean_title(title: str, problems: FieldErrors) -> str:
    title = title.strip()
    if not title:
        problems.add("title", "A brief needs a title.")
    elif len(title) > MAX_TITLE:
        problems.add("title", f"A title has at most {MAX_TITLE} characters, not {len(title)}.")
    elif has_control_characters(title):
        # A line break in a title would break the subject line of every email about the brief.
        problems.add("title", "A title is one line of visible characters.")
    return title


def _clean_text(field: str, text: str, limit: int, problems: FieldErrors, what: str) -> str:
    if len(text) > limit:
        problems.add(field, f"{what} has at most {limit:,} characters, not {len(text):,}.")
    return text


def _clean_questions(questions: Iterable[str], problems: FieldErrors) -> list[str]:
    cleaned = [q.strip() for q in questions if q.strip()]
    if len(cleaned) > MAX_QUESTIONS:
        problems.add("questions", f"Ask at most {MAX_QUESTIONS} questions, not {len(cleaned)}.")
    for number, question in enumerate(cleaned, start=1):
        if len(question) > MAX_QUESTION:
            problems.add(
                "questions", f"Question {number} is longer than {MAX_QUESTION} characters."
            )
    return cleaned


def _clean_ask_kind(ask_kind: str, problems: FieldErrors) -> str:
    if ask_kind not in AskKind.values:
        problems.add(
            "ask_kind", f"Unknown kind of ask “{ask_kind}”; use {', '.join(AskKind.values)}."
        )
    return ask_kind


def _clean_meeting(meeting: Meeting, problems: FieldErrors) -> Meeting:
    people, minutes = meeting.people or None, meeting.minutes or None
    if people is not None and not 1 <= people <= MAX_MEETING_PEOPLE:
        problems.add("meeting_people", f"Give 1 to {MAX_MEETING_PEOPLE} people.")
    if minutes is not None and not 1 <= minutes <= MAX_MEETING_MINUTES:
        problems.add("meeting_minutes", f"Give 1 to {MAX_MEETING_MINUTES} minutes.")
    if (people is None) != (minutes is None):
        field = "meeting_minutes" if minutes is None else "meeting_people"
        problems.add(field, "Give both the number of people and the minutes, or neither.")
    return Meeting(people, minutes)


def _clean_deadline(
    deadline: Deadline, now: datetime, problems: FieldErrors, *, zone: str | None
) -> None:
    """``zone`` is the writer's: an error about a moment names it in their own time."""
    if deadline.at is not None and deadline.day is not None:
        problems.add("deadline", "Give either a moment or a day as the deadline, not both.")
    out_of_bounds = deadline_problem(at=deadline.at, day=deadline.day, now=now)
    if out_of_bounds is not None:
        problems.add(*out_of_bounds)
        return
    if deadline.at is not None:
        if timezone.is_naive(deadline.at):
            problems.add(
                "deadline_at", "The deadline needs a time zone offset, e.g. 2026-03-12T17:00+01:00."
            )
        elif deadline.at <= now:
            problems.add(
                "deadline_at",
                f"The deadline {moment_text(deadline.at, zone, 'stamp')} has already passed.",
            )


# --- Participants ---------------------------------------------------------------------------


def _resolve_participants(
    acting: Membership, invitees: Sequence[Invitee], problems: FieldErrors
) -> dict[int, Asked]:
    """Members and teams named by the author, as members of the workspace (the author excepted).

    A person named as both required and optional is required; one named directly rather than
    through a team counts as named directly (meridian.asks.people).
    """
    return people_resolve(acting=acting, invitees=invitees, problems=problems).people


def brief_day_off_shifts(
    *,
    acting: Membership,
    participants: Sequence[Invitee],
    deadline: Deadline,
    brief: Brief | None = None,
) -> list[DayOffShift]:
    """:func:`deadline_day_off_shifts` for a brief being sent, or edited (``brief``)."""
    already: set[int] = set()
    if brief is not None and brief.deadline_date == deadline.day:
        already = set(
            BriefParticipant.objects.filter(brief=brief).values_list("membership_id", flat=True)
        )
    return deadline_day_off_shifts(
        acting=acting, participants=participants, deadline=deadline, already_asked=already
    )


def _check_not_passed(
    deadline: Deadline,
    deadlines: dict[int, datetime | None],
    members: dict[int, Membership],
    now: datetime,
    problems: FieldErrors,
) -> None:
    """A follow-the-sun day that has already ended for someone is named with that person."""
    if deadline.day is None:
        return
    for member_id, due in deadlines.items():
        if due is not None and due <= now:
            member = members[member_id]
            problems.add(
                "deadline_date",
                f"The end of {deadline.day:%A %d %B %Y} has already passed for {_name(member)} "
                f"({member.profile.time_zone}).",
            )


def _respond_by(brief: Brief) -> datetime | None:
    latest = (
        BriefParticipant.objects.filter(brief=brief, local_deadline__isnull=False)
        .order_by("-local_deadline")
        .values_list("local_deadline", flat=True)
        .first()
    )
    return latest


def asked_cause(brief: Brief) -> str:
    """The inbox cause of being asked in a brief (one item per participant)."""
    return f"briefs.asked:{brief.pk}"


def _tell_asked(
    brief: Brief, members: Iterable[Membership], deadlines: dict[int, datetime | None]
) -> None:
    author = _name(brief.author)
    for member in members:
        due = deadlines.get(member.pk)
        notification_send(
            recipient=member,
            kind="brief.asked",
            actor=brief.author,
            due_at=due,
            cause=asked_cause(brief),
            subject=f"{author} asks for your {brief.get_ask_kind_display().lower()}: {brief.title}",
            url=brief_url(brief),
            # Each person's own deadline, in their own zone: the one the brief page shows them.
            body=f"Respond by {deadline_text(due, _zone(member))}." if due is not None else "",
        )


# --- Briefs ---------------------------------------------------------------------------------


def brief_check_editable(*, acting: Membership, brief: Brief) -> None:
    """Refuse unless the acting member wrote the brief and it is still open (writes nothing)."""
    _require_author(acting, brief, "change it")
    _require_open(brief, acting)


@transaction.atomic
def brief_create(
    *,
    author: Membership,
    title: str,
    participants: Sequence[Invitee],
    body: str = "",
    ask_kind: str = AskKind.FEEDBACK,
    questions: Sequence[str] = (),
    deadline: Deadline = Deadline(),
    meeting: Meeting = Meeting(),
) -> Brief:
    """Write a brief: the walkthrough, the ask, who is asked and by when; each is told."""
    require_role(author, Role.MEMBER)
    now = timezone.now()
    problems = FieldErrors()
    title = _clean_title(title, problems)
    body = _clean_text("body", body, MAX_BODY, problems, "The body")
    ask_kind = _clean_ask_kind(ask_kind, problems)
    cleaned_questions = _clean_questions(questions, problems)
    meeting = _clean_meeting(meeting, problems)
    _clean_deadline(deadline, now, problems, zone=_zone(author))
    resolved = _resolve_participants(author, participants, problems)
    if not resolved and "participants" not in problems.errors:
        problems.add("participants", "Ask at least one member or team (besides yourself).")
    members = {pk: r.member for pk, r in resolved.items()}
    deadlines = local_deadlines(deadline, members.values()) if not problems.errors else {}
    _check_not_passed(deadline, deadlines, members, now, problems)
    problems.raise_any()

    brief = Brief.objects.create(
        workspace_id=author.workspace_id,
        author=author,
        title=title,
        body=body,
        body_html=render_markdown(body),
        ask_kind=ask_kind,
        questions=cleaned_questions,
        deadline_kind=deadline.kind,
        deadline_at=deadline.at,
        deadline_date=deadline.day,
        respond_by=max((d for d in deadlines.values() if d is not None), default=None),
        meeting_people=meeting.people,
        meeting_minutes=meeting.minutes,
    )
    BriefParticipant.objects.bulk_create(
        BriefParticipant(
            workspace_id=author.workspace_id,
            brief=brief,
            membership=r.member,
            kind=r.kind,
            via_team=r.via_team,
            local_deadline=deadlines[pk],
        )
        for pk, r in resolved.items()
    )
    audit_record(
        actor=author,
        action="brief.create",
        obj=brief,
        data={"participants": sorted(resolved), "deadline": deadline.kind},
    )
    brief_search_index(brief)
    _tell_asked(brief, members.values(), deadlines)
    events.brief_created(brief, author)
    return brief


@transaction.atomic
def brief_update(
    *,
    acting: Membership,
    brief: Brief,
    title: str | None = None,
    body: str | None = None,
    ask_kind: str | None = None,
    questions: Sequence[str] | None = None,
    participants: Sequence[Invitee] | None = None,
    deadline: Deadline | None = None,
    meeting: Meeting | None = None,
) -> Brief:
    """The author changes what they send (None leaves a field as it is), while the brief is open.

    A new participant list replaces the old one; people who already responded stay.
    """
    brief = _locked(brief)
    brief_check_editable(acting=acting, brief=brief)
    now = timezone.now()
    problems = FieldErrors()
    changed: list[str] = []
    if title is not None:
        brief.title = _clean_title(title, problems)
        changed.append("title")
    if body is not None:
        brief.body = _clean_text("body", body, MAX_BODY, problems, "The body")
        brief.body_html = render_markdown(brief.body)
        changed += ["body", "body_html"]
    if ask_kind is not None:
        brief.ask_kind = _clean_ask_kind(ask_kind, problems)
        changed.append("ask_kind")
    if questions is not None:
        brief.questions = _clean_questions(questions, problems)
        changed.append("questions")
    if meeting is not None:
        meeting = _clean_meeting(meeting, problems)
        brief.meeting_people, brief.meeting_minutes = meeting.people, meeting.minutes
        changed += ["meeting_people", "meeting_minutes"]
    if deadline is not None:
        _clean_deadline(deadline, now, problems, zone=_zone(acting))
        brief.deadline_kind, brief.deadline_at, brief.deadline_date = (
            deadline.kind,
            deadline.at,
            deadline.day,
        )
        changed += ["deadline_kind", "deadline_at", "deadline_date"]
    current_deadline = Deadline(brief.deadline_at, brief.deadline_date)

    existing = {
        p.membership_id: p
        for p in BriefParticipant.objects.select_related("membership__profile").filter(brief=brief)
    }
    added: dict[int, Asked] = {}
    removed: list[BriefParticipant] = []
    kind_changes: list[BriefParticipant] = []
    if participants is not None:
        resolved = _resolve_participants(acting, participants, problems)
        if not resolved and "participants" not in problems.errors:
            problems.add("participants", "Ask at least one member or team (besides yourself).")
        added = {pk: r for pk, r in resolved.items() if pk not in existing}
        for pk, row in existing.items():
            if pk not in resolved:
                if row.responded_at is not None:
                    problems.add(
                        "participants",
                        f"{_name(row.membership)} has already responded and stays on the brief.",
                    )
                removed.append(row)
            elif row.kind != resolved[pk].kind:
                row.kind = resolved[pk].kind
                kind_changes.append(row)
        changed.append("participants")

    # Deadlines are recomputed for everyone when the deadline changes, else for newcomers only.
    to_compute: dict[int, Membership] = (
        {pk: r.member for pk, r in added.items()}
        if deadline is None
        else {
            **{pk: p.membership for pk, p in existing.items() if p not in removed},
            **{pk: r.member for pk, r in added.items()},
        }
    )
    deadlines = (
        local_deadlines(current_deadline, to_compute.values()) if not problems.errors else {}
    )
    pending = {
        pk: due
        for pk, due in deadlines.items()
        if pk not in existing or existing[pk].responded_at is None
    }
    _check_not_passed(current_deadline, pending, to_compute, now, problems)
    problems.raise_any()

    for row in removed:
        row.delete()
        inbox_resolve(cause=asked_cause(brief), recipient=row.membership)
    for row in kind_changes:
        row.save(update_fields=["kind"])
    for pk, due in deadlines.items():
        if pk in existing:
            BriefParticipant.objects.filter(pk=existing[pk].pk).update(local_deadline=due)
            inbox_due_change(
                cause=asked_cause(brief), recipient=existing[pk].membership, due_at=due
            )
    BriefParticipant.objects.bulk_create(
        BriefParticipant(
            workspace_id=brief.workspace_id,
            brief=brief,
            membership=r.member,
            kind=r.kind,
            via_team=r.via_team,
            local_deadline=deadlines.get(pk),
        )
        for pk, r in added.items()
    )
    brief.respond_by = _respond_by(brief)
    brief.save(update_fields=[*dict.fromkeys(f for f in changed if f != "participants"),
                              "respond_by", "updated_at"])  # fmt: skip
    audit_record(
        actor=acting,
        action="brief.update",
        obj=brief,
        data={
            "fields": changed,
            "added": sorted(added),
            "removed": [r.membership_id for r in removed],
        },
    )
    brief_search_index(brief)
    _tell_asked(brief, (r.member for r in added.values()), deadlines)
    return brief


@transaction.atomic
def brief_mark_seen(*, acting: Membership, brief: Brief) -> BriefParticipant | None:
    """A participant opened the brief: the first time is kept (others' visits change nothing)."""
    participant = _participant(brief, acting)
    if participant is None or participant.first_seen_at is not None:
        return participant
    updated = BriefParticipant.objects.filter(pk=participant.pk, first_seen_at__isnull=True).update(
        first_seen_at=timezone.now()
    )
    if updated:
        participant.refresh_from_db(fields=["first_seen_at"])
        audit_record(actor=acting, action="brief.seen", obj=brief)
    return participant


@transaction.atomic
def brief_close(*, acting: Membership, brief: Brief, summary: str) -> Brief:
    """The author closes the brief with what was learned or agreed; it is read-only afterwards."""
    brief = _locked(brief)
    _require_author(acting, brief, "close it")
    _require_open(brief, acting)
    summary = summary.strip()
    problems = FieldErrors()
    if not summary:
        problems.add("summary", "Write a summary of what was learned or agreed before closing.")
    _clean_text("summary", summary, MAX_SUMMARY, problems, "The summary")
    problems.raise_any()
    brief.status = BriefStatus.CLOSED
    brief.closed_at = timezone.now()
    brief.closed_by = acting
    brief.summary = summary
    brief.summary_html = render_markdown(summary)
    brief.save(
        update_fields=["status", "closed_at", "closed_by", "summary", "summary_html", "updated_at"]
    )
    audit_record(actor=acting, action="brief.close", obj=brief)
    brief_search_index(brief)
    # Nothing on a closed brief awaits anyone: the ask and its open questions leave inboxes.
    questions = Comment.objects.filter(brief=brief, is_question=True).values_list("pk", flat=True)
    inbox_resolve(cause=[asked_cause(brief), *(f"briefs.question:{pk}" for pk in questions)])
    for participant in BriefParticipant.objects.select_related("membership").filter(brief=brief):
        notification_send(
            recipient=participant.membership,
            kind="brief.closed",
            subject=f"Closed with a summary: {brief.title}",
            url=brief_url(brief),
        )
    events.brief_closed(brief, acting)
    return brief


# --- The thread -----------------------------------------------------------------------------


def _resolve_mentions(acting: Membership, text: str) -> list[Membership]:
    handles = list(dict.fromkeys(h.lower() for h in MENTION_RE.findall(text)))[:MAX_MENTIONS]
    if not handles:
        return []
    members = Membership.objects.select_related("user", "workspace").filter(
        workspace_id=acting.workspace_id, is_active=True
    )
    by_handle: dict[str, Membership] = {}
    candidates = members.filter(
        user__email__iregex=r"^(" + "|".join(re.escape(h) for h in handles) + r")@"
    )
    for member in candidates:
        by_handle.setdefault(member.user.email.split("@")[0].lower(), member)
    return [by_handle[h] for h in handles if h in by_handle]


def _handles(members: Iterable[Membership]) -> list[str]:
    """The handles the comment's Markdown highlights: only members who really exist."""
    return [m.user.email.split("@")[0].lower() for m in members]


def _clean_pin(at_seconds: float | None, brief: Brief, problems: FieldErrors) -> float | None:
    if at_seconds is None:
        return None
    if not math.isfinite(at_seconds) or not 0 <= at_seconds <= MAX_PIN_SECONDS:
        problems.add("at_seconds", "A moment in the recording is 0 seconds or more.")
        return None
    from meridian.briefs.selectors import recording_for

    recording = recording_for(brief)
    duration = getattr(recording, "duration", None) if recording is not None else None
    if recording is None:
        problems.add("at_seconds", "This brief has no recording to pin a comment to.")
    elif duration is not None and at_seconds > duration + 0.5:
        problems.add(
            "at_seconds",
            f"The recording is {duration:.0f} seconds long; {at_seconds:.0f} s is past its end.",
        )
    return round(at_seconds, 2)


def _write_comment(
    *,
    acting: Membership,
    brief: Brief,
    body: str,
    parent: Comment | None,
    at_seconds: float | None,
    is_question: bool,
    is_response: bool,
) -> Comment:
    problems = FieldErrors()
    body = body.strip()
    if not body:
        problems.add("body", "Write something first.")
    _clean_text("body", body, MAX_COMMENT, problems, "A comment")
    if parent is not None and parent.brief_id != brief.pk:
        problems.add("parent", "You can only reply to a comment on the same brief.")
    pin = _clean_pin(at_seconds, brief, problems)
    problems.raise_any()
    root = parent.parent if parent is not None and parent.parent_id is not None else parent
    resolved = _resolve_mentions(acting, body)
    comment = Comment.objects.create(
        workspace_id=brief.workspace_id,
        brief=brief,
        author=acting,
        parent=root,
        body=body,
        body_html=render_markdown(body, mentions=_handles(resolved)),
        at_seconds=pin,
        is_question=is_question,
        is_response=is_response,
    )
    comment_search_index(comment, brief)
    mentioned = [m for m in resolved if m.pk != acting.pk]
    Mention.objects.bulk_create(
        Mention(workspace_id=brief.workspace_id, comment=comment, membership=m) for m in mentioned
    )
    _tell_about_comment(acting, brief, comment, root, mentioned)
    events.comment_added(comment, brief, acting)
    return comment


def _tell_about_comment(
    acting: Membership,
    brief: Brief,
    comment: Comment,
    root: Comment | None,
    mentioned: list[Membership],
) -> None:
    url = f"{brief_url(brief)}#comment-{comment.pk}"
    who = _name(acting)
    told: set[int] = {acting.pk}
    for member in mentioned:
        told.add(member.pk)
        notification_send(
            recipient=member,
            kind="brief.mention",
            subject=f"{who} mentioned you on {brief.title}",
            url=url,
            actor=acting,
            cause=f"briefs.mention:comment:{comment.pk}",
        )
    if root is not None and root.author_id not in told:
        told.add(root.author_id)
        notification_send(
            recipient=root.author,
            kind="brief.reply",
            subject=f"{who} replied on {brief.title}",
            url=url,
            actor=acting,
            cause=f"briefs.reply:comment:{comment.pk}",
        )
    if brief.author_id not in told:
        what = (
            "responded to"
            if comment.is_response
            else ("asked a question on" if comment.is_question else "commented on")
        )
        notification_send(
            recipient=brief.author,
            kind="brief.comment",
            subject=f"{who} {what} {brief.title}",
            url=url,
            actor=acting,
            # A question awaits the author until it is marked answered.
            cause=f"briefs.question:{comment.pk}" if comment.is_question else "",
        )


@transaction.atomic
def comment_add(
    *,
    acting: Membership,
    brief: Brief,
    body: str,
    parent: Comment | None = None,
    at_seconds: float | None = None,
    is_question: bool = False,
    answers_parent: bool = False,
) -> Comment:
    """Add to the thread: a comment, a reply, or a question, optionally pinned to a moment.

    ``answers_parent`` marks the parent question answered by this reply in the same step.
    """
    brief = _locked(brief)
    _require_open(brief, acting)
    _require_can_take_part(acting, brief)
    if answers_parent and (parent is None or not parent.is_question):
        raise ValidationFailed.field("answers_parent", "Only a reply to a question can answer it.")
    comment = _write_comment(
        acting=acting,
        brief=brief,
        body=body,
        parent=parent,
        at_seconds=at_seconds,
        is_question=is_question,
        is_response=False,
    )
    audit_record(
        actor=acting,
        action="brief.comment",
        obj=comment,
        data={"brief": brief.pk, "question": is_question, "pin": comment.at_seconds},
    )
    if answers_parent and parent is not None:
        _mark_answered(acting=acting, question=parent, answer=comment)
    return comment


@transaction.atomic
def respond(
    *, acting: Membership, brief: Brief, body: str, at_seconds: float | None = None
) -> Comment:
    """A participant gives their response to the brief's ask; they count as having responded."""
    brief = _locked(brief)
    _require_open(brief, acting)
    participant = _participant(brief, acting)
    if participant is None:
        raise PermissionDenied(
            "Only the people this brief asks can respond to it; comment instead."
        )
    comment = _write_comment(
        acting=acting,
        brief=brief,
        body=body,
        parent=None,
        at_seconds=at_seconds,
        is_question=False,
        is_response=True,
    )
    now = timezone.now()
    BriefParticipant.objects.filter(pk=participant.pk, responded_at__isnull=True).update(
        responded_at=now
    )
    inbox_resolve(cause=asked_cause(brief), recipient=acting)
    BriefParticipant.objects.filter(pk=participant.pk, first_seen_at__isnull=True).update(
        first_seen_at=now
    )
    audit_record(actor=acting, action="brief.respond", obj=comment, data={"brief": brief.pk})
    return comment


@transaction.atomic
def comment_edit(*, acting: Membership, comment: Comment, body: str) -> Comment:
    """The comment's author changes its text; the text it replaces is kept as a revision."""
    comment = (
        Comment.objects.select_for_update(of=("self",)).select_related("brief").get(pk=comment.pk)
    )
    if comment.author_id != acting.pk:
        raise PermissionDenied("Only the comment's author can edit it.")
    _require_open(comment.brief, acting)
    problems = FieldErrors()
    body = body.strip()
    if not body:
        problems.add("body", "A comment cannot be empty; write something.")
    _clean_text("body", body, MAX_COMMENT, problems, "A comment")
    problems.raise_any()
    if body == comment.body:
        return comment
    now = timezone.now()
    CommentRevision.objects.create(
        workspace_id=comment.workspace_id,
        comment=comment,
        body=comment.body,
        written_at=comment.edited_at or comment.created_at,
    )
    resolved = _resolve_mentions(acting, body)
    comment.body = body
    comment.body_html = render_markdown(body, mentions=_handles(resolved))
    comment.edited_at = now
    comment.save(update_fields=["body", "body_html", "edited_at"])
    comment_search_index(comment, comment.brief)
    known = set(Mention.objects.filter(comment=comment).values_list("membership_id", flat=True))
    new = [m for m in resolved if m.pk != acting.pk and m.pk not in known]
    Mention.objects.bulk_create(
        Mention(workspace_id=comment.workspace_id, comment=comment, membership=m) for m in new
    )
    for member in new:
        notification_send(
            recipient=member,
            kind="brief.mention",
            subject=f"{_name(acting)} mentioned you on {comment.brief.title}",
            url=f"{brief_url(comment.brief)}#comment-{comment.pk}",
            actor=acting,
            cause=f"briefs.mention:comment:{comment.pk}",
        )
    audit_record(
        actor=acting, action="brief.comment_edit", obj=comment, data={"brief": comment.brief_id}
    )
    return comment


def _mark_answered(*, acting: Membership, question: Comment, answer: Comment | None) -> Comment:
    updated = Comment.objects.filter(pk=question.pk, answered_at__isnull=True).update(
        answered_at=timezone.now(), answered_by=acting, answer=answer
    )
    if not updated:
        raise Conflict("This question has already been marked answered.")
    question.refresh_from_db(fields=["answered_at", "answered_by", "answer"])
    inbox_resolve(cause=f"briefs.question:{question.pk}")
    audit_record(
        actor=acting,
        action="brief.answer",
        obj=question,
        data={"answer": answer.pk if answer is not None else None},
    )
    if question.author_id != acting.pk:
        brief = question.brief
        notification_send(
            recipient=question.author,
            kind="brief.answered",
            actor=acting,
            subject=f"{_name(acting)} answered your question on {brief.title}",
            url=f"{brief_url(brief)}#comment-{question.pk}",
        )
    return question


@transaction.atomic
def question_answer(
    *, acting: Membership, question: Comment, answer: Comment | None = None
) -> Comment:
    """Mark a question answered, by the acting member and, if one says it, with a given reply."""
    question = (
        Comment.objects.select_for_update(of=("self",))
        .select_related("brief__workspace", "author")
        .get(pk=question.pk)
    )
    brief = question.brief
    _require_open(brief, acting)
    _require_can_take_part(acting, brief)
    if not question.is_question:
        raise ValidationFailed.field("comment", "This comment is not a question.")
    if answer is not None and (answer.brief_id != brief.pk or answer.pk == question.pk):
        raise ValidationFailed.field(
            "answer", "The answer must be another comment on the same brief."
        )
    return _mark_answered(acting=acting, question=question, answer=answer)


# --- Links ----------------------------------------------------------------------------------


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


# --- Reminders (called by the scheduler) ---------------------------------------------------------


def participant_remind(*, participant_id: int, now: datetime, overdue: bool) -> None:
    """Remind one participant who has not responded yet (the scheduler decided it is due)."""
    taken = reminder_take(
        BriefParticipant.objects.select_related(
            "brief__workspace", "brief__author__profile", "membership__profile"
        ).filter(pk=participant_id, responded_at__isnull=True, brief__status=BriefStatus.OPEN),
        now,
    )
    if taken is None:
        return
    participant, zone = taken
    brief = participant.brief
    audit_record(
        actor=None,
        action="brief.remind",
        obj=brief,
        data={"participant": participant.membership_id, "overdue": overdue},
    )
    due = participant.local_deadline
    if overdue:
        subject = (
            f"Overdue: {_name(brief.author)} is still waiting for your response to {brief.title}"
        )
    else:
        subject = f"Reminder: {_name(brief.author)} asks for your response to {brief.title}"
    body = ""
    if due is not None:
        body = f"It is due {moment_text(due, zone, 'long')}."
    notification_send(
        recipient=participant.membership,
        kind="brief.overdue" if overdue else "brief.reminder",
        subject=subject,
        url=brief_url(brief),
        body=body,
        actor=brief.author,
        due_at=due,
        cause=asked_cause(brief),
    )
