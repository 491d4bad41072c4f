"""A brief's life: written with its ask, changed by its author while open, closed with a summary."""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from meridian.asks.deadlines import Deadline, deadline_problem
from meridian.asks.people import Asked, Invitee, local_deadlines
from meridian.briefs import events
from meridian.briefs.models import AskKind, Brief, BriefParticipant, BriefStatus, Comment
from meridian.briefs.search import brief_search_index, draft_audience
from meridian.briefs.selectors import recording_processing, recording_reindex
from meridian.briefs.services.common import (
    MAX_BODY,
    MAX_MEETING_MINUTES,
    MAX_MEETING_PEOPLE,
    MAX_QUESTION,
    MAX_QUESTIONS,
    MAX_SUMMARY,
    MAX_TITLE,
    _clean_text,
    _locked,
    _name,
    _require_author,
    _require_open,
    _zone,
    asked_cause,
    brief_changed,
    brief_url,
)
from meridian.briefs.services.participants import (
    _check_not_passed,
    _resolve_participants,
    _respond_by,
    _tell_asked,
)
from meridian.core import registry
from meridian.core.errors import Conflict, FieldErrors, ValidationFailed
from meridian.core.markdown import render_markdown
from meridian.core.moments import moment_text
from meridian.core.services import audit_record
from meridian.notifications.services import inbox_due_change, inbox_resolve, notification_send
from meridian.search.services import search_audience_open
from meridian.search.text import excerpt
from meridian.workspaces.access import require_role
from meridian.workspaces.models import Membership, Role
from meridian.workspaces.services import has_control_characters


@dataclass(frozen=True)
class Meeting:
    """The synchronous meeting a brief replaces: how many people, for how many minutes."""

    people: int | None = None
    minutes: int | None = None


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
    urgent: bool = False,
    draft: bool = False,
) -> Brief:
    """Write a brief: the walkthrough, the ask, who is asked and by when; each is told.

    ``urgent`` tells them at once even outside their working hours, spending one of the
    author's weekly urgent notifications; over budget nothing is written (HTTP 429).

    ``draft`` keeps it to its author: nobody is told and nobody else can see it until
    :func:`brief_send` (so the author can record the walkthrough first); ``urgent`` is then
    given to the send.
    """
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
    if urgent and not draft:
        # Before anything is written: over budget, the author gets a 429 and no brief.
        registry.urgent_check(author, now)

    brief = Brief.all_objects.create(
        status=BriefStatus.DRAFT if draft else BriefStatus.OPEN,
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
        data={"participants": sorted(resolved), "deadline": deadline.kind, "draft": draft},
    )
    brief_search_index(brief)
    if not draft:
        brief_changed(brief)
        _tell_asked(brief, members.values(), deadlines, urgent=urgent)
        events.brief_created(brief, author)
    return brief


@dataclass(frozen=True)
class SendResult:
    """What :func:`brief_send` did: sent now, or waiting for its recording to be ready."""

    brief: Brief
    waiting: bool


def _recording_processing(brief: Brief) -> bool:
    return recording_processing(brief.pk)


def _deliver(brief: Brief, *, actor: Membership, urgent: bool = False) -> Brief:
    """Open a locked draft and tell its participants, once: the brief counts from now."""
    now = timezone.now()
    rows = list(BriefParticipant.objects.select_related("membership__profile").filter(brief=brief))
    members = {row.membership_id: row.membership for row in rows}
    deadline = Deadline(brief.deadline_at, brief.deadline_date)
    problems = FieldErrors()
    if not rows:
        problems.add("participants", "Ask at least one member or team (besides yourself).")
    if deadline.at is not None and deadline.at <= now:
        problems.add(
            "deadline_at",
            f"The deadline {moment_text(deadline.at, _zone(actor), 'stamp')} passed while this "
            "was a draft; set a new one before sending.",
        )
    deadlines = local_deadlines(deadline, members.values()) if not problems.errors else {}
    _check_not_passed(deadline, deadlines, members, now, problems)
    problems.raise_any()
    if urgent:
        registry.urgent_check(actor, now)
    for row in rows:
        BriefParticipant.objects.filter(pk=row.pk).update(
            local_deadline=deadlines[row.membership_id]
        )
    drafted = draft_audience(brief)
    brief.status = BriefStatus.OPEN
    brief.send_requested_at = None
    # Deadlines, reminders, response times and lists count from the send, not the drafting.
    brief.created_at = now
    brief.respond_by = max((d for d in deadlines.values() if d is not None), default=None)
    brief.save(
        update_fields=["status", "send_requested_at", "created_at", "respond_by", "updated_at"]
    )
    audit_record(actor=actor, action="brief.send", obj=brief)
    brief_search_index(brief)
    search_audience_open(audience=drafted)  # its transcript, found by everyone now
    brief_changed(brief)
    _tell_asked(brief, members.values(), deadlines, urgent=urgent)
    events.brief_created(brief, brief.author)
    return brief


@transaction.atomic
def brief_send(*, acting: Membership, brief: Brief, urgent: bool = False) -> SendResult:
    """The author sends a draft: its participants are told once, with the recording ready.

    While the brief's recording is still processing, the send is kept and happens when the
    recording is ready (:func:`brief_send_when_ready`). Sending again changes nothing.
    """
    brief = _locked(brief)
    _require_author(acting, brief, "send it")
    if brief.status != BriefStatus.DRAFT:
        return SendResult(brief, waiting=False)  # already sent: one send, one notification
    if brief.send_requested_at is not None:
        return SendResult(brief, waiting=True)
    if _recording_processing(brief):
        if urgent:
            registry.urgent_check(acting, timezone.now())
        brief.send_requested_at = timezone.now()
        brief.save(update_fields=["send_requested_at", "updated_at"])
        audit_record(actor=acting, action="brief.send_requested", obj=brief)
        return SendResult(brief, waiting=True)
    return SendResult(_deliver(brief, actor=acting, urgent=urgent), waiting=False)


@transaction.atomic
def brief_send_when_ready(*, brief_id: int, problem: str = "") -> Brief | None:
    """A recording of the brief finished processing: a send its author asked for goes out now.

    ``problem`` (the recording failed) keeps the brief a draft and tells its author why, so
    nobody is asked to watch a recording that does not play. Called by the recordings area.
    """
    brief = Brief.all_objects.filter(pk=brief_id).first()
    if brief is None:
        return None
    brief = _locked(brief)
    if brief.status != BriefStatus.DRAFT or brief.send_requested_at is None:
        return brief
    if not problem and _recording_processing(brief):
        return brief
    reason = problem
    if not reason:
        try:
            return _deliver(brief, actor=brief.author)
        except ValidationFailed as exc:
            reason = "; ".join(m for ms in exc.errors.values() for m in ms)
    brief.send_requested_at = None
    brief.save(update_fields=["send_requested_at", "updated_at"])
    notification_send(
        recipient=brief.author,
        kind="brief.unsent",
        subject=f"Not sent yet: {brief.title}",
        url=brief_url(brief),
        body=f"Your brief is still a draft: {reason}",
    )
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
    title_before = brief.title
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
    if title is not None and title_before != brief.title:
        recording_reindex(brief.pk)  # each transcript hit shows the brief's title
    if not brief.is_draft:
        brief_changed(brief)
        _tell_asked(brief, (r.member for r in added.values()), deadlines)
    return brief


@transaction.atomic
def brief_close(*, acting: Membership, brief: Brief, summary: str) -> Brief:
    """The author closes the brief with what was learned or agreed; it is read-only afterwards."""
    brief = _locked(brief)
    _require_author(acting, brief, "close it")
    _require_open(brief, acting)
    if brief.is_draft:
        raise Conflict("This brief is a draft: send it before closing it.")
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
    brief_changed(brief)
    # Nothing on a closed brief awaits anyone: the ask and its open questions leave inboxes.
    questions = Comment.objects.filter(brief=brief, is_question=True).values_list("pk", flat=True)
    inbox_resolve(cause=[asked_cause(brief), *(f"briefs.question:{pk}" for pk in questions)])
    text = excerpt(summary)
    for participant in BriefParticipant.objects.select_related("membership").filter(brief=brief):
        notification_send(
            recipient=participant.membership,
            kind="brief.closed",
            subject=f"Closed with a summary: {brief.title}",
            url=brief_url(brief),
            excerpt=text,
        )
    events.brief_closed(brief, acting)
    return brief
