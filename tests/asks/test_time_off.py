"""Time off moves people's deadlines and silences their reminders, as a day off does.

Someone away on a brief's or a proposal's deadline day is due at the end of their next working
day after the time off; the form names them as away before sending; no reminder reaches them
while they are away. Time off is whole days of the member's own calendar.
"""

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine

from meridian.asks.deadlines import Deadline, week_of
from meridian.asks.people import Invitee, deadline_day_off_shifts, local_deadlines, member_weeks
from meridian.asks.reminders import reminder_take, reminders_due
from meridian.briefs.models import BriefParticipant
from meridian.core.workingtime import is_working
from meridian.decisions.models import ProposalParticipant
from meridian.decisions.services import Deadline as ProposalDeadline
from meridian.notifications.models import InboxItem
from meridian.workspaces.models import TimeOff
from meridian.workspaces.services import time_off_add, time_off_remove
from tests.briefs.factories import NINE_TO_FIVE, brief, person
from tests.decisions.factories import proposal

pytestmark = pytest.mark.django_db

MONDAY = datetime(2026, 3, 9, 10, 0, tzinfo=UTC)
THURSDAY = date(2026, 3, 12)


def away(member, first: date, last: date) -> TimeOff:
    return TimeOff.objects.create(
        workspace_id=member.workspace_id, membership=member, first_day=first, last_day=last
    )


@pytest.fixture
def asker(workspace):
    return person(workspace, "Europe/Berlin", display_name="Ada")


@time_machine.travel(MONDAY, tick=False)
def test_someone_away_on_the_deadline_day_is_due_at_the_end_of_their_first_day_back(
    workspace, asker
):
    tokyo = person(workspace, "Asia/Tokyo", display_name="Kenji")
    lima = person(workspace, "America/Lima", display_name="Rosa")
    away(tokyo, THURSDAY, date(2026, 3, 13))  # Thursday and Friday

    deadlines = local_deadlines(Deadline(day=THURSDAY), [tokyo, lima])

    # Back on Monday 16 March: due at 17:00 in Tokyo that day.
    assert deadlines[tokyo.pk] == datetime(2026, 3, 16, 8, 0, tzinfo=UTC)
    # Rosa is not away: the end of her Thursday's working hours, 17:00 in Lima.
    assert deadlines[lima.pk] == datetime(2026, 3, 12, 22, 0, tzinfo=UTC)


@time_machine.travel(MONDAY, tick=False)
def test_a_brief_sent_to_someone_away_stores_their_moved_deadline(workspace, asker):
    tokyo = person(workspace, "Asia/Tokyo", display_name="Kenji")
    away(tokyo, THURSDAY, THURSDAY)

    sent = brief(asker, [tokyo], deadline=Deadline(day=THURSDAY))

    row = BriefParticipant.objects.get(brief=sent, membership=tokyo)
    assert row.local_deadline == datetime(2026, 3, 13, 8, 0, tzinfo=UTC)  # Friday 17:00 Tokyo


@time_machine.travel(MONDAY, tick=False)
def test_the_form_names_who_is_away_on_the_deadline_day_and_their_new_deadline(workspace, asker):
    tokyo = person(workspace, "Asia/Tokyo", display_name="Kenji")
    weekend = person(
        workspace, "Asia/Riyadh", {str(d): [[540, 1020]] for d in (6, 0, 1, 2)}, display_name="Noor"
    )
    away(tokyo, THURSDAY, THURSDAY)

    shifts = deadline_day_off_shifts(
        acting=asker,
        participants=[Invitee(member_id=tokyo.pk), Invitee(member_id=weekend.pk)],
        deadline=Deadline(day=THURSDAY),
    )

    by_name = {s.member.profile.display_name: s for s in shifts}
    assert "Kenji (Asia/Tokyo) is away on Thursday 12 March" in by_name["Kenji"].message
    assert by_name["Kenji"].due_day == date(2026, 3, 13)
    assert "Noor (Asia/Riyadh) does not work on Thursday 12 March" in by_name["Noor"].message


def test_time_off_that_is_over_or_someone_elses_changes_nobodys_week(workspace, asker):
    kenji = person(workspace, "Asia/Tokyo")
    rosa = person(workspace, "America/Lima")
    away(kenji, date(2026, 1, 5), date(2026, 1, 9))  # long over on 9 March
    away(rosa, date(2026, 3, 16), date(2026, 3, 20))

    weeks = member_weeks([kenji, rosa], now=MONDAY)

    assert weeks[kenji.pk] == week_of("Asia/Tokyo", NINE_TO_FIVE)
    assert weeks[rosa.pk] != week_of("America/Lima", NINE_TO_FIVE)
    assert not is_working(weeks[rosa.pk], datetime(2026, 3, 17, 15, 0, tzinfo=UTC))  # 10:00 Lima
    assert is_working(weeks[rosa.pk], datetime(2026, 3, 23, 15, 0, tzinfo=UTC))


def test_nobody_is_reminded_while_away(workspace, asker):
    kathmandu = person(workspace, "Asia/Kathmandu")
    with time_machine.travel(MONDAY, tick=False):
        sent = brief(asker, [kathmandu], deadline=Deadline(day=date(2026, 3, 20)))
    away(kathmandu, date(2026, 3, 10), date(2026, 3, 12))  # Tuesday to Thursday
    rows = BriefParticipant.objects.filter(brief=sent)
    week = week_of("Asia/Kathmandu", NINE_TO_FIVE)

    reminded = []
    for step in range(6 * 24 * 3):  # every 20 minutes, Monday to Saturday
        now = MONDAY + timedelta(minutes=20 * step)
        for participant, _ in reminders_due(rows, now, asked_at=lambda p: p.added_at):
            assert reminder_take(rows.filter(pk=participant.pk), now) is not None
            reminded.append(now.astimezone(week.zone).date())

    # Asked Monday (no reminder that day); away Tuesday to Thursday; reminded on Friday.
    assert reminded == [date(2026, 3, 13)]


# Time off entered after someone was asked: their deadline moves past it, never earlier.


@time_machine.travel(MONDAY, tick=False)
def test_time_off_entered_after_a_brief_moves_the_deadline_and_the_inbox_due(workspace, asker):
    tokyo = person(workspace, "Asia/Tokyo", display_name="Kenji")
    sent = brief(asker, [tokyo], deadline=Deadline(day=THURSDAY))
    row = BriefParticipant.objects.get(brief=sent, membership=tokyo)
    assert row.local_deadline == datetime(2026, 3, 12, 8, 0, tzinfo=UTC)  # Thursday 17:00 Tokyo

    time_off_add(acting=tokyo, member=tokyo, first_day=THURSDAY, last_day=date(2026, 3, 13))

    row.refresh_from_db()
    monday_back = datetime(2026, 3, 16, 8, 0, tzinfo=UTC)  # Monday 17:00 Tokyo
    assert row.local_deadline == monday_back
    item = InboxItem.objects.get(recipient=tokyo, cause=f"briefs.asked:{sent.pk}")
    assert item.due_at == monday_back


@time_machine.travel(MONDAY, tick=False)
def test_time_off_entered_after_a_proposal_opened_moves_the_deadline_and_the_close(
    workspace, asker
):
    tokyo = person(workspace, "Asia/Tokyo", display_name="Kenji")
    lima = person(workspace, "America/Lima", display_name="Rosa")
    opened = proposal(
        asker, [tokyo, lima], deadline=ProposalDeadline(kind="local_day", day=THURSDAY)
    )
    assert opened.close_at == datetime(2026, 3, 12, 22, 0, tzinfo=UTC)  # Lima's Thursday 17:00

    time_off_add(acting=tokyo, member=tokyo, first_day=THURSDAY, last_day=date(2026, 3, 13))

    opened.refresh_from_db()
    kenji = ProposalParticipant.objects.get(proposal=opened, membership=tokyo)
    assert kenji.local_deadline == datetime(2026, 3, 16, 8, 0, tzinfo=UTC)
    # The proposal now closes when Kenji's moved deadline has passed, not at Rosa's.
    assert opened.close_at == datetime(2026, 3, 16, 8, 0, tzinfo=UTC)
    rosa = ProposalParticipant.objects.get(proposal=opened, membership=lima)
    assert rosa.local_deadline == datetime(2026, 3, 12, 22, 0, tzinfo=UTC)


@time_machine.travel(MONDAY, tick=False)
def test_a_deadline_never_moves_earlier_nor_for_someone_who_responded_or_on_other_days(
    workspace, asker
):
    tokyo = person(workspace, "Asia/Tokyo", display_name="Kenji")
    done = person(workspace, "Asia/Tokyo", display_name="Aiko")
    away(tokyo, THURSDAY, THURSDAY)  # entered before: already moved to Friday
    sent = brief(asker, [tokyo, done], deadline=Deadline(day=THURSDAY))
    BriefParticipant.objects.filter(brief=sent, membership=done).update(responded_at=MONDAY)

    # Taking the time off back leaves Kenji's Friday (nobody is told an earlier deadline).
    time_off_remove(acting=tokyo, entry=TimeOff.objects.get(membership=tokyo))
    # Time off on other days leaves it too; Aiko has responded: hers stays.
    time_off_add(
        acting=tokyo, member=tokyo, first_day=date(2026, 3, 20), last_day=date(2026, 3, 20)
    )
    time_off_add(acting=done, member=done, first_day=THURSDAY, last_day=THURSDAY)

    rows = {r.membership_id: r.local_deadline for r in BriefParticipant.objects.filter(brief=sent)}
    assert rows[tokyo.pk] == datetime(2026, 3, 13, 8, 0, tzinfo=UTC)
    assert rows[done.pk] == datetime(2026, 3, 12, 8, 0, tzinfo=UTC)


def test_a_deadline_already_passed_stays_where_it_was(workspace, asker):
    tokyo = person(workspace, "Asia/Tokyo", display_name="Kenji")
    with time_machine.travel(MONDAY, tick=False):
        sent = brief(asker, [tokyo], deadline=Deadline(day=date(2026, 3, 10)))
    with time_machine.travel(datetime(2026, 3, 11, 10, 0, tzinfo=UTC), tick=False):
        time_off_add(
            acting=tokyo, member=tokyo, first_day=date(2026, 3, 10), last_day=date(2026, 3, 12)
        )

    row = BriefParticipant.objects.get(brief=sent, membership=tokyo)
    assert row.local_deadline == datetime(2026, 3, 10, 8, 0, tzinfo=UTC)  # overdue, as told
