"""Reminders of unanswered check-ins: once, inside the member's working hours and outside their
focus blocks and quiet hours, four working hours after they were asked, and never once their
next check-in has been asked. The clock is frozen and moved by hand."""

from datetime import UTC, datetime, time

import pytest
import time_machine

from meridian.checkins.models import CheckinPrompt
from meridian.checkins.services import prompt_answer
from meridian.core.scheduler import registered_jobs, tick
from meridian.delivery.services import delivery_preferences_update
from meridian.notifications.models import InboxItem, InboxState
from tests.checkins.factories import checkin, person, team

pytestmark = pytest.mark.django_db

# Monday 7 December 2026. In Berlin (UTC+1) the check-in asks at 09:30 = 08:30 UTC.
ASKED = datetime(2026, 12, 7, 8, 30, tzinfo=UTC)


def _tick(now: datetime) -> list[str]:
    jobs = [job for job in registered_jobs() if job.name in ("checkins.ask", "checkins.remind")]
    with time_machine.travel(now, tick=False):
        return tick(now, jobs=jobs).ran


def _reminders(now: datetime) -> list[str]:
    return [key for key in _tick(now) if key.startswith("checkins.remind:")]


@pytest.fixture
def ana_prompt(workspace, admin):
    ana = person(workspace, "Europe/Berlin", display_name="Ana Berlin")
    checkin(admin, team(admin, ana))
    assert _tick(ASKED)  # asked at 09:30 her time
    return ana, CheckinPrompt.objects.get(membership=ana)


def _item(member) -> InboxItem:
    return InboxItem.objects.get(recipient=member, state=InboxState.OPEN)


def test_an_unanswered_checkin_is_reminded_once_four_working_hours_later(ana_prompt):
    ana, prompt = ana_prompt
    assert _item(ana).title == "Check-in: Daily check-in"
    assert _reminders(datetime(2026, 12, 7, 12, 25, tzinfo=UTC)) == []  # 13:25 in Berlin
    assert _reminders(datetime(2026, 12, 7, 12, 35, tzinfo=UTC)) == [f"checkins.remind:{prompt.pk}"]
    item = _item(ana)
    assert item.title == "Reminder: check-in Daily check-in"
    assert item.url.endswith(f"/answer/{prompt.pk}/")
    assert InboxItem.objects.filter(recipient=ana).count() == 1  # the same item, not a second
    prompt.refresh_from_db()
    assert prompt.last_reminded_at == datetime(2026, 12, 7, 12, 35, tzinfo=UTC)
    # Once: later ticks that day and the next morning remind nobody.
    assert _reminders(datetime(2026, 12, 7, 15, 0, tzinfo=UTC)) == []
    assert _reminders(datetime(2026, 12, 8, 8, 10, tzinfo=UTC)) == []


def test_an_answered_checkin_is_not_reminded(ana_prompt):
    ana, prompt = ana_prompt
    with time_machine.travel(datetime(2026, 12, 7, 10, 0, tzinfo=UTC), tick=False):
        prompt_answer(acting=ana, prompt=prompt, answers=["Shipped it", "Review"])
    assert _reminders(datetime(2026, 12, 7, 12, 35, tzinfo=UTC)) == []
    assert not InboxItem.objects.filter(recipient=ana, state=InboxState.OPEN).exists()


def test_no_reminder_in_quiet_hours_it_waits_for_their_end(ana_prompt):
    ana, prompt = ana_prompt
    with time_machine.travel(ASKED, tick=False):
        delivery_preferences_update(acting=ana, quiet_hours="13:00-15:00")
    assert _reminders(datetime(2026, 12, 7, 12, 35, tzinfo=UTC)) == []  # 13:35 in Berlin
    assert _reminders(datetime(2026, 12, 7, 13, 55, tzinfo=UTC)) == []  # 14:55
    assert _reminders(datetime(2026, 12, 7, 14, 5, tzinfo=UTC)) == [f"checkins.remind:{prompt.pk}"]


def test_no_reminder_outside_working_hours(workspace, admin):
    # Asked at 16:30, half an hour before the end of her day: four working hours later is
    # Tuesday 12:30, before Tuesday's check-in at 16:30. Nothing in the evening or night.
    late = person(workspace, "Europe/Berlin", display_name="Lea Berlin")
    checkin(admin, team(admin, late, name="Late"), ask_time=time(16, 30))
    assert _tick(datetime(2026, 12, 7, 15, 30, tzinfo=UTC))
    monday = CheckinPrompt.objects.get(membership=late)
    for hour in (17, 20, 23):  # Monday evening and night in Berlin: outside her hours
        assert _reminders(datetime(2026, 12, 7, hour, 0, tzinfo=UTC)) == []
    assert _reminders(datetime(2026, 12, 8, 7, 30, tzinfo=UTC)) == []  # Tuesday 08:30
    assert _reminders(datetime(2026, 12, 8, 11, 25, tzinfo=UTC)) == []  # Tuesday 12:25
    assert _reminders(datetime(2026, 12, 8, 11, 35, tzinfo=UTC)) == [f"checkins.remind:{monday.pk}"]


def test_never_reminded_once_the_next_checkin_is_asked(workspace, admin):
    # Two working hours a day (09:00-11:00): four working hours after Monday 09:30 is
    # Wednesday 09:30, long after Tuesday's check-in ended Monday's. Tuesday's likewise.
    short = person(workspace, "Europe/Berlin", hours={str(d): [[540, 660]] for d in range(5)})
    checkin(admin, team(admin, short, name="Short"))
    for day in (7, 8, 9, 10):
        for hour in (8, 9, 10, 12):
            _tick(datetime(2026, 12, day, hour, 35, tzinfo=UTC))
    prompts = CheckinPrompt.objects.filter(membership=short)
    assert prompts.count() == 4
    assert not prompts.filter(last_reminded_at__isnull=False).exists()
    assert not InboxItem.objects.filter(recipient=short, title__startswith="Reminder").exists()
