"""The people a brief asks: resolved through meridian.asks, told, seen, reminded."""

from collections.abc import Iterable, Sequence
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from meridian.asks.deadlines import Deadline
from meridian.asks.people import (
    Asked,
    AskTiming,
    DayOffShift,
    Invitee,
    deadline_day_off_shifts,
    deadlines_moved_by_time_off,
    people_resolve,
)
from meridian.asks.reminders import reminder_take
from meridian.briefs.models import Brief, BriefParticipant, BriefStatus
from meridian.briefs.services.common import _name, _participant, _zone, asked_cause, brief_url
from meridian.core.errors import FieldErrors
from meridian.core.moments import deadline_text, moment_text
from meridian.core.services import audit_record
from meridian.notifications.services import inbox_due_change, notification_send
from meridian.search.text import excerpt
from meridian.workspaces.models import Membership


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


def _tell_asked(
    brief: Brief,
    members: Iterable[Membership],
    deadlines: dict[int, datetime | None],
    *,
    urgent: bool = False,
) -> None:
    author = _name(brief.author)
    text = excerpt(brief.body)
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
            excerpt=text,
            urgent=urgent,
        )


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
        excerpt=excerpt(brief.body),
    )


def participant_deadlines_after_time_off(member: Membership, now: datetime) -> None:
    """Time off was just entered for ``member``: their deadlines on open briefs that now fall
    on a day away move to the end of their first working day back (never earlier), on the
    brief's page, in their inbox and in their reminders alike (registry.MEMBER_AWAY)."""
    rows = BriefParticipant.objects.filter(
        membership=member,
        responded_at__isnull=True,
        local_deadline__gt=now,
        brief__status=BriefStatus.OPEN,
        brief__deadline_kind="local_day",
    ).select_related("brief")
    moved = deadlines_moved_by_time_off(
        member,
        (
            (row, AskTiming("local_day", row.brief.created_at, None, row.brief.deadline_date))
            for row in rows
        ),
        now=now,
    )
    for row, due in moved:
        BriefParticipant.objects.filter(pk=row.pk).update(local_deadline=due)
        inbox_due_change(cause=asked_cause(row.brief), recipient=member, due_at=due)
