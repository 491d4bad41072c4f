"""Reminders to people who have not responded: only inside their working hours, at most once
per local working day, and one last reminder once their own deadline has passed.

The timing rules are pure (meridian.asks.deadlines: ``reminder_due``); this module applies
them to an area's participant rows (any ``meridian.asks.models.Participation``). An area's
scheduler job lists its waiting rows and calls :func:`reminders_due`; the effect of each
occurrence calls :func:`reminder_take`, which records the reminder once, and then tells the
person in the area's own words.
"""

from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any, NamedTuple

from django.db.models import Q, QuerySet

from meridian.asks.deadlines import ReminderDue, local_day_start, participant_reminder_due, week_of
from meridian.asks.models import Participation
from meridian.asks.people import member_weeks
from meridian.core.scheduler import NotNow
from meridian.core.workingtime import WorkingWeek


def reminder_claim(row: QuerySet[Any], week: WorkingWeek, now: datetime) -> bool:
    """Record a reminder to one participant row now, unless one went out this local day.

    At most one reminder a local day, even when two workers decided on two different ones (a
    day's reminder and the overdue one) from the same earlier state: the row's conditional
    update decides, and the loser sends nothing and gives its scheduler key back
    (``NotNow``), so an overdue reminder that lost today still goes out on the next working
    day.
    """
    earlier = Q(last_reminded_at__isnull=True) | Q(last_reminded_at__lt=local_day_start(week, now))
    return bool(row.filter(earlier).update(last_reminded_at=now))


class Taken[P: Participation](NamedTuple):
    """A participant whose reminder was just recorded, and the zone to write its times in."""

    participant: P
    zone: str


def reminder_take[P: Participation](rows: QuerySet[P], now: datetime) -> Taken[P] | None:
    """Record a reminder for the participant ``rows`` finds (select its ``membership__profile``).

    None if the row no longer waits (the query found nothing: responded, closed, removed);
    ``NotNow`` if they were reminded already this local day, so the scheduler gives the key
    back. Run it inside the scheduler's transaction, before telling the person.
    """
    participant = rows.first()
    if participant is None:
        return None
    profile = participant.membership.profile  # type: ignore[attr-defined]
    week = week_of(profile.time_zone, profile.working_hours)
    if not reminder_claim(type(participant)._default_manager.filter(pk=participant.pk), week, now):
        raise NotNow("Reminded already this local day.")
    return Taken(participant, week.zone.key)


def reminders_due[P: Participation](
    participants: QuerySet[P],
    now: datetime,
    *,
    asked_at: Callable[[P], datetime],
    overdue: bool = True,
) -> Iterator[tuple[P, ReminderDue]]:
    """The participants among ``participants`` to remind now, each with its once-only key part.

    Only active members who have not responded and have a deadline; ``asked_at`` says when each
    was asked (no reminder that local day). Without ``overdue``, nobody is reminded after their
    deadline (the ask ends there instead).
    """
    waiting = (
        participants.filter(
            responded_at__isnull=True,
            local_deadline__isnull=False,
            membership__is_active=True,
        )
        .select_related("membership__profile")
        .order_by("pk")
    )
    batch: list[P] = []
    for participant in waiting.iterator(chunk_size=CHUNK):
        batch.append(participant)
        if len(batch) == CHUNK:
            yield from _due_in(batch, now, asked_at=asked_at, overdue=overdue)
            batch = []
    yield from _due_in(batch, now, asked_at=asked_at, overdue=overdue)


CHUNK = 500


def _due_in[P: Participation](
    batch: list[P], now: datetime, *, asked_at: Callable[[P], datetime], overdue: bool
) -> Iterator[tuple[P, ReminderDue]]:
    """The reminders due in one batch of waiting rows, their members' time off read at once
    (nobody is reminded while away)."""
    weeks = member_weeks([p.membership for p in batch], now=now)  # type: ignore[attr-defined]
    for participant in batch:
        due = participant_reminder_due(
            participant,  # type: ignore[arg-type]  # the concrete row has its membership
            now,
            asked_at=asked_at(participant),
            week=weeks[participant.membership_id],  # type: ignore[attr-defined]
        )
        if due is not None and (overdue or not due.overdue):
            yield participant, due
