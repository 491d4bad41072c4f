"""Time-based work of the briefs area: reminders to people who have not responded yet.

The rules (working hours only, at most once per local working day, one last "overdue"
reminder after the person's own deadline) are in meridian.briefs.deadlines. The once-only
keys name the participant and their local date, e.g. ``brief.reminder:42:2026-03-12``, or
``brief.reminder:42:overdue`` for the last one.
"""

from collections.abc import Iterator
from datetime import datetime
from functools import partial

from meridian.briefs.deadlines import participant_reminder_due
from meridian.briefs.models import BriefParticipant, BriefStatus, ParticipantKind
from meridian.briefs.services import participant_remind
from meridian.core.scheduler import Occurrence, run_key

JOB = "brief.reminder"


def brief_reminders(now: datetime) -> Iterator[Occurrence]:
    """Required participants of open briefs with a deadline, in their working hours, not yet reminded today."""
    waiting = (
        BriefParticipant.objects.filter(
            brief__status=BriefStatus.OPEN,
            kind=ParticipantKind.REQUIRED,
            responded_at__isnull=True,
            local_deadline__isnull=False,
            membership__is_active=True,
        )
        .select_related("membership__profile")
        .order_by("pk")
    )
    for participant in waiting.iterator(chunk_size=500):
        due = participant_reminder_due(participant, now, asked_at=participant.added_at)
        if due is not None:
            yield Occurrence(
                run_key(JOB, due.discriminator),
                partial(
                    participant_remind, participant_id=participant.pk, now=now, overdue=due.overdue
                ),
            )
