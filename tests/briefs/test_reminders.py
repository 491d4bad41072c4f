"""Reminders follow the sun: only inside each person's working hours, at most once a working day.

The clock is controlled: each tick passes its own instant to the scheduler. A participant in
Asia/Kathmandu (UTC+05:45) and one in America/New_York (UTC−04:00 in March 2026) both work
09:00–17:00 on weekdays; the brief is asked on Monday 9 March 2026 and due at the end of
Thursday 12 March, in each person's own zone.
"""

from datetime import UTC, date, datetime

import pytest

from meridian.asks.deadlines import reminder_due, week_of
from meridian.briefs.models import BriefParticipant
from meridian.briefs.schedule import JOB, brief_reminders
from meridian.briefs.services import brief_close, respond
from meridian.core.models import ScheduledRun
from meridian.core.scheduler import Job, tick
from tests.briefs.factories import NINE_TO_FIVE, brief, rewind

pytestmark = pytest.mark.django_db

REMINDERS = Job(JOB, brief_reminders)
ASKED = datetime(2026, 3, 9, 10, 0, tzinfo=UTC)  # Monday
THURSDAY = date(2026, 3, 12)


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 3, day, hour, minute, tzinfo=UTC)


@pytest.fixture
def asked(author, kathmandu, new_york):
    b = brief(author, [kathmandu, new_york], title="Pricing page rework")
    return rewind(b, asked_at=ASKED, day=THURSDAY)


def reminded_at(sent_mail, instant: datetime) -> list[str]:
    """Tick the scheduler at ``instant``; the addresses reminded by that tick."""
    before = len(sent_mail.messages)
    with sent_mail.capture():
        tick(instant, jobs=[REMINDERS])
    return sorted(address for m in sent_mail.messages[before:] for address in m.to)


def test_reminders_go_out_only_in_each_persons_working_hours_once_a_day(
    asked, author, kathmandu, new_york, sent_mail
):
    ktm, nyc = kathmandu.user.email, new_york.user.email

    # Monday, the day they were asked: no reminder, in or out of working hours.
    assert reminded_at(sent_mail, at(9, 12)) == []  # Kathmandu 17:45, New York 08:00
    assert reminded_at(sent_mail, at(9, 14)) == []  # New York 10:00, but asked this morning
    # Tuesday: each is reminded once, in their own morning.
    assert reminded_at(sent_mail, at(10, 4)) == [ktm]  # Kathmandu 09:45
    assert reminded_at(sent_mail, at(10, 6)) == []  # Kathmandu 11:45: once a day is enough
    assert reminded_at(sent_mail, at(10, 14)) == [nyc]  # New York 10:00
    assert reminded_at(sent_mail, at(10, 23)) == []  # New York 19:00, Kathmandu 04:45
    # Wednesday: Kathmandu again, then responds.
    assert reminded_at(sent_mail, at(11, 4)) == [ktm]
    respond(acting=kathmandu, brief=asked, body="Fine by me.")
    # Thursday, the due day: only New York still owes a response.
    assert reminded_at(sent_mail, at(12, 4)) == []
    assert reminded_at(sent_mail, at(12, 14)) == [nyc]
    assert "Reminder:" in sent_mail.messages[-1].subject
    assert "due Thursday 12 March 2026, 17:00 America/New_York" in sent_mail.messages[-1].body
    assert reminded_at(sent_mail, at(12, 22)) == []  # New York 18:00: after hours
    # Friday: New York's own deadline has passed; one last reminder says so.
    assert reminded_at(sent_mail, at(13, 14)) == [nyc]
    assert "Overdue:" in sent_mail.messages[-1].subject
    # And then no more.
    assert reminded_at(sent_mail, at(16, 14)) == []
    assert reminded_at(sent_mail, at(17, 14)) == []
    assert author.user.email not in [a for m in sent_mail.messages for a in m.to]


def test_the_brief_is_due_only_when_the_last_local_deadline_has_passed(asked):
    deadlines = sorted(BriefParticipant.objects.values_list("local_deadline", flat=True))
    assert deadlines == [at(12, 11, 15), at(12, 21)]  # 17:00 in Kathmandu, 17:00 in New York
    assert asked.respond_by == at(12, 21)


def test_each_reminder_is_recorded_once_under_the_persons_local_date(asked, kathmandu, sent_mail):
    reminded_at(sent_mail, at(10, 4))
    reminded_at(sent_mail, at(10, 4))  # a second worker, the same instant
    pid = BriefParticipant.objects.get(membership=kathmandu).pk
    assert list(ScheduledRun.objects.values_list("key", flat=True)) == [
        f"brief.reminder:{pid}:2026-03-10"
    ]
    assert len(sent_mail.messages) == 1
    assert BriefParticipant.objects.get(pk=pid).last_reminded_at == at(10, 4)


def test_weekends_bring_no_reminders(asked, sent_mail):
    saturday_everywhere = [at(14, 4), at(14, 14), at(15, 4), at(15, 14)]
    assert [reminded_at(sent_mail, t) for t in saturday_everywhere] == [[], [], [], []]


def test_optional_participants_and_closed_briefs_get_no_reminders(
    author, kathmandu, new_york, sent_mail
):
    optional_only = rewind(
        brief(author, optional=[kathmandu], required=[new_york]), asked_at=ASKED, day=THURSDAY
    )
    assert reminded_at(sent_mail, at(10, 4)) == []  # Kathmandu's morning: they are optional
    brief_close(acting=author, brief=optional_only, summary="Decided in the thread.")
    assert reminded_at(sent_mail, at(10, 14)) == []  # New York's morning: the brief is closed


def test_an_overdue_reminder_waits_for_the_next_working_day():
    week = week_of("America/New_York", NINE_TO_FIVE)
    morning_reminder = at(12, 13, 30)  # Thursday 09:30 in New York
    deadline = at(12, 16)  # Thursday 12:00 in New York, an instant deadline
    common = {"participant_id": 7, "asked_at": ASKED, "deadline": deadline}

    same_afternoon = reminder_due(week, at(12, 18), last_reminded_at=morning_reminder, **common)
    next_morning = reminder_due(week, at(13, 13, 30), last_reminded_at=morning_reminder, **common)

    assert same_afternoon is None
    assert next_morning is not None and next_morning.overdue
    assert next_morning.discriminator == "7:overdue"


def test_two_workers_deciding_on_two_reminders_send_only_one_that_day(asked, new_york, sent_mail):
    """Both read the state before either wrote: one chose the day's reminder, one the overdue."""
    from meridian.briefs.services import participant_remind
    from meridian.core.scheduler import NotNow

    pid = BriefParticipant.objects.get(membership=new_york).pk
    # Two ticks either side of New York's deadline (Thursday 17:00 there, 21:00 UTC).
    with sent_mail.capture():
        participant_remind(participant_id=pid, now=at(12, 20, 59), overdue=False)
        with pytest.raises(NotNow):  # the scheduler gives the overdue key back
            participant_remind(participant_id=pid, now=at(12, 21, 0), overdue=True)
    assert len(sent_mail.messages) == 1
    assert "Reminder:" in sent_mail.messages[0].subject
    # So the next working day, the scheduler finds the overdue reminder due and sends it.
    assert reminded_at(sent_mail, at(13, 14)) == [new_york.user.email]
    assert "Overdue:" in sent_mail.messages[-1].subject
