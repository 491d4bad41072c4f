"""Time-based work of the briefs area: reminders to people who have not responded yet.

The rules (working hours only, at most once per local working day, one last "overdue"
reminder after the person's own deadline) are meridian.asks's (deadlines and reminders). The once-only
keys name the participant and their local date, e.g. ``brief.reminder:42:2026-03-12``, or
``brief.reminder:42:overdue`` for the last one.
"""

from collections.abc import Iterator
from datetime import datetime
from functools import partial

from meridian.asks.reminders import reminders_due
from meridian.briefs.models import BriefParticipant, BriefStatus, ParticipantKind
from meridian.briefs.services import participant_remind
from meridian.core.scheduler import Occurrence, run_key

JOB = "brief.reminder"


def brief_reminders(now: datetime) -> Iterator[Occurrence]:
    """Required participants of open briefs with a deadline, in their working hours, not yet reminded today."""
    waiting = BriefParticipant.objects.filter(
        brief__status=BriefStatus.OPEN, kind=ParticipantKind.REQUIRED
    )
    for participant, due in reminders_due(waiting, now, asked_at=lambda p: p.added_at):
        yield Occurrence(
            run_key(JOB, due.discriminator),
            partial(
                participant_remind, participant_id=participant.pk, now=now, overdue=due.overdue
            ),
        )
