"""The delivery channel: held for the right moment, emailed once, digests, urgent budgets."""

from datetime import UTC, datetime, time, timedelta
from email.message import EmailMessage
from typing import Any, cast
from urllib.parse import urlsplit

import pytest
from aiosmtpd.controller import Controller
from django.db import connection
from django.test.utils import CaptureQueriesContext

from meridian.core import registry
from meridian.core.errors import ValidationFailed
from meridian.delivery.models import Delivery, DeliverySettings, Digest
from meridian.delivery.schedule import digest_build
from meridian.delivery.selectors import hold_for, urgent_budget_for
from meridian.delivery.services import (
    UrgentBudgetExceeded,
    delivery_accept,
    delivery_preferences_update,
    urgent_budget_check,
    urgent_policy_set,
)
from meridian.delivery.tasks import digest_email_send
from tests import factories
from tests.core.test_email import Inbox, free_port
from tests.delivery.support import WEEKDAYS_9_TO_5, notice, run_tick

pytestmark = pytest.mark.django_db

# Saturday 27 March 2027, 23:00 in Berlin; Europe's clocks go forward that night.
SATURDAY_NIGHT_BERLIN = datetime(2027, 3, 27, 22, 0, tzinfo=UTC)
MONDAY_0900_BERLIN = datetime(2027, 3, 29, 7, 0, tzinfo=UTC)


def plain(message: EmailMessage) -> str:
    return cast(EmailMessage, message.get_body(preferencelist=("plain",))).get_content()


def html(message: EmailMessage) -> str:
    return cast(EmailMessage, message.get_body(preferencelist=("html",))).get_content()


@pytest.fixture
def berliner(workspace):
    return factories.member(workspace, time_zone="Europe/Berlin", working_hours=WEEKDAYS_9_TO_5)


def test_a_notice_on_saturday_night_is_emailed_at_nine_on_monday_in_the_recipients_zone(
    berliner,
    time_machine,
    immediate_tasks,
    smtp_inbox,
    django_capture_on_commit_callbacks,
    settings,
):
    time_machine.move_to(SATURDAY_NIGHT_BERLIN, tick=False)
    delivery_accept(
        notice(
            berliner,
            body="Ada asks for your feedback on the plan.",
            excerpt="We propose to ship in two steps.",
            due_at=datetime(2027, 3, 31, 15, 0, tzinfo=UTC),
        )
    )

    run_tick(django_capture_on_commit_callbacks, SATURDAY_NIGHT_BERLIN + timedelta(minutes=10))
    run_tick(django_capture_on_commit_callbacks, MONDAY_0900_BERLIN - timedelta(minutes=1))
    assert smtp_inbox.received == []
    time_machine.move_to(MONDAY_0900_BERLIN, tick=False)
    run_tick(django_capture_on_commit_callbacks, MONDAY_0900_BERLIN)

    [(recipients, message)] = smtp_inbox.received
    assert recipients == [berliner.user.email]
    assert message["Subject"] == "[Acme] Review the Q3 plan"
    text = plain(message)
    assert "Needed by: Wednesday 31 March 2027, 17:00 Europe/Berlin" in text
    assert "Ada asks for your feedback on the plan." in text
    assert "> We propose to ship in two steps." in text
    assert f"{settings.BASE_URL}/w/acme/briefs/1/" in text
    assert f"{settings.BASE_URL}/w/acme/profile/notifications/" in text
    assert f'href="{settings.BASE_URL}/w/acme/briefs/1/"' in html(message)
    assert "17:00 Europe/Berlin" in html(message)
    delivery = Delivery.objects.get()
    assert delivery.emailed_at == MONDAY_0900_BERLIN
    # The same Message-ID on every try, so a mail program can drop a duplicate.
    host = urlsplit(settings.BASE_URL).hostname
    assert message["Message-ID"] == f"<meridian.delivery.{delivery.pk}@{host}>"


def test_a_second_tick_sends_nothing_again(
    berliner, time_machine, immediate_tasks, smtp_inbox, django_capture_on_commit_callbacks
):
    time_machine.move_to(MONDAY_0900_BERLIN, tick=False)
    delivery_accept(notice(berliner))

    run_tick(django_capture_on_commit_callbacks, MONDAY_0900_BERLIN)
    again = run_tick(django_capture_on_commit_callbacks, MONDAY_0900_BERLIN + timedelta(hours=1))

    assert len(smtp_inbox.received) == 1
    assert again.ran == []


def test_the_delivery_layer_is_a_registered_notification_channel():
    assert delivery_accept in registry.items(registry.NOTIFICATION_CHANNELS)


def test_inbox_only_kinds_write_nothing_and_a_members_choice_wins_over_the_default(berliner):
    assert delivery_accept(notice(berliner, kind="test.mentioned")) is None

    delivery_preferences_update(acting=berliner, channels={"test.mentioned": "digest"})
    accepted = delivery_accept(notice(berliner, kind="test.mentioned"))

    assert accepted is not None
    assert accepted.channel == "digest"


def test_the_same_cause_waiting_is_one_delivery_with_the_latest_text(berliner, time_machine):
    time_machine.move_to(SATURDAY_NIGHT_BERLIN, tick=False)
    delivery_accept(notice(berliner, cause="briefs.participant:1", subject="Please review"))
    delivery_accept(notice(berliner, cause="briefs.participant:1", subject="Reminder: review"))

    [delivery] = Delivery.objects.all()
    assert delivery.subject == "Reminder: review"
    assert delivery.deliver_after == MONDAY_0900_BERLIN


def test_focus_blocks_and_quiet_hours_hold_a_notice(workspace, time_machine):
    member = factories.member(
        workspace,
        time_zone="America/New_York",
        working_hours=WEEKDAYS_9_TO_5,
        focus_blocks={"0": [[540, 720]]},
    )
    delivery_preferences_update(acting=member, quiet_hours="12:00-13:00")
    # Monday 15 March 2027, 10:00 in New York (the day after the US clocks went forward).
    time_machine.move_to(datetime(2027, 3, 15, 14, tzinfo=UTC), tick=False)

    delivery = delivery_accept(notice(member))

    assert delivery is not None
    assert delivery.deliver_after == datetime(2027, 3, 15, 17, tzinfo=UTC)  # 13:00 EDT


def test_a_recipient_whose_hours_changed_is_held_again_at_send_time(
    berliner, time_machine, immediate_tasks, smtp_inbox, django_capture_on_commit_callbacks
):
    time_machine.move_to(SATURDAY_NIGHT_BERLIN, tick=False)
    delivery_accept(notice(berliner))
    factories.profile_update(acting=berliner, member=berliner, working_hours={"0": [[600, 960]]})

    run_tick(django_capture_on_commit_callbacks, MONDAY_0900_BERLIN)

    assert smtp_inbox.received == []
    assert Delivery.objects.get().deliver_after == MONDAY_0900_BERLIN + timedelta(hours=1)


def test_held_email_goes_sooner_when_the_member_widens_their_hours(
    berliner, time_machine, immediate_tasks, smtp_inbox, django_capture_on_commit_callbacks
):
    time_machine.move_to(SATURDAY_NIGHT_BERLIN, tick=False)
    delivery_accept(notice(berliner))
    assert Delivery.objects.get().deliver_after == MONDAY_0900_BERLIN
    # On Sunday morning they add Sunday 10:00-12:00 to their week: it need not wait for Monday.
    sunday_0800 = datetime(2027, 3, 28, 6, 0, tzinfo=UTC)  # 08:00 CEST, after the change
    time_machine.move_to(sunday_0800, tick=False)
    factories.profile_update(
        acting=berliner, member=berliner, working_hours={**WEEKDAYS_9_TO_5, "6": [[600, 720]]}
    )

    sunday_1000 = datetime(2027, 3, 28, 8, 0, tzinfo=UTC)
    assert Delivery.objects.get().deliver_after == sunday_1000
    run_tick(django_capture_on_commit_callbacks, sunday_1000)
    assert len(smtp_inbox.received) == 1


def test_held_email_follows_quiet_hours_taken_back_and_a_new_zone(workspace, time_machine):
    member = factories.member(
        workspace, time_zone="America/New_York", working_hours=WEEKDAYS_9_TO_5
    )
    delivery_preferences_update(acting=member, quiet_hours="12:00-13:00")
    noon = datetime(2027, 3, 15, 16, 10, tzinfo=UTC)  # Monday 12:10 EDT
    time_machine.move_to(noon, tick=False)
    delivery_accept(notice(member))
    assert Delivery.objects.get().deliver_after == datetime(2027, 3, 15, 17, tzinfo=UTC)

    # No more quiet hours: it goes at the next tick, not at 13:00.
    delivery_preferences_update(acting=member, quiet_hours="")
    assert Delivery.objects.get().deliver_after == noon

    # Moving to Tokyo (02:10 on Tuesday there) holds it to 09:00 Tokyo, later than before.
    delivery_preferences_update(acting=member, quiet_hours="12:00-13:00")
    factories.profile_update(acting=member, member=member, time_zone="Asia/Tokyo")
    assert Delivery.objects.get().deliver_after == datetime(2027, 3, 16, 0, tzinfo=UTC)


def test_a_member_quiet_all_day_still_gets_email_rather_than_never(
    berliner, time_machine, immediate_tasks, smtp_inbox, django_capture_on_commit_callbacks
):
    delivery_preferences_update(acting=berliner, quiet_hours="00:00-24:00")
    time_machine.move_to(SATURDAY_NIGHT_BERLIN, tick=False)
    delivery_accept(notice(berliner))

    run_tick(django_capture_on_commit_callbacks, SATURDAY_NIGHT_BERLIN + timedelta(minutes=5))

    assert len(smtp_inbox.received) == 1


def test_a_member_whose_working_hours_are_all_quiet_is_still_not_emailed_in_quiet_hours(
    berliner, time_machine, immediate_tasks, smtp_inbox, django_capture_on_commit_callbacks
):
    # Quiet 08:00-18:00 covers every working hour (09:00-17:00): no moment is inside both.
    delivery_preferences_update(acting=berliner, quiet_hours="08:00-18:00")
    time_machine.move_to(MONDAY_0900_BERLIN + timedelta(hours=1), tick=False)

    delivery = delivery_accept(notice(berliner))
    run_tick(django_capture_on_commit_callbacks, MONDAY_0900_BERLIN + timedelta(hours=1))

    assert smtp_inbox.received == []
    # Monday 18:00 in Berlin (CEST), when the quiet hours end.
    assert delivery is not None
    assert Delivery.objects.get().deliver_after == datetime(2027, 3, 29, 16, 0, tzinfo=UTC)


def test_the_sender_sees_held_until_in_their_own_zone(workspace, berliner, time_machine):
    sender = factories.member(workspace, time_zone="Asia/Kathmandu")
    time_machine.move_to(SATURDAY_NIGHT_BERLIN, tick=False)

    hold = hold_for(viewer=sender, recipient=berliner, now=SATURDAY_NIGHT_BERLIN)

    assert hold.until == MONDAY_0900_BERLIN
    assert hold.text == "Held until Mon 29 Mar, 12:45 Asia/Kathmandu (your time)"
    assert hold_for(viewer=sender, recipient=berliner, now=MONDAY_0900_BERLIN).text == ""


def test_an_urgent_notice_goes_out_at_once_and_names_who_used_it(
    workspace,
    berliner,
    time_machine,
    immediate_tasks,
    smtp_inbox,
    django_capture_on_commit_callbacks,
):
    ada = factories.member(workspace, time_zone="Europe/London")
    factories.profile_update(acting=ada, member=ada, display_name="Ada")
    time_machine.move_to(SATURDAY_NIGHT_BERLIN, tick=False)

    delivery_accept(notice(berliner, actor_id=ada.pk, urgent=True, cause="incident:1"))
    run_tick(django_capture_on_commit_callbacks, SATURDAY_NIGHT_BERLIN)

    [(_, message)] = smtp_inbox.received
    assert message["Subject"] == "[Acme] Urgent — sent by Ada: Review the Q3 plan"
    assert "Urgent — sent by Ada" in plain(message)
    assert "Urgent — sent by Ada" in html(message)


def test_the_urgent_budget_is_three_a_week_and_says_when_it_refills(
    workspace, berliner, time_machine
):
    sender = factories.member(workspace, time_zone="America/New_York")
    # Wednesday 10 March 2027, noon in New York.
    now = datetime(2027, 3, 10, 17, tzinfo=UTC)
    time_machine.move_to(now, tick=False)
    for n in range(3):
        delivery_accept(notice(berliner, actor_id=sender.pk, urgent=True, cause=f"incident:{n}"))
    # The same cause to another person costs nothing again.
    other = factories.member(workspace)
    delivery_accept(notice(other, actor_id=sender.pk, urgent=True, cause="incident:2"))

    with pytest.raises(UrgentBudgetExceeded) as refused:
        urgent_budget_check(sender=sender, now=now)

    assert refused.value.status_code == 429
    assert "refills on Mon 15 Mar, 00:00 America/New_York" in refused.value.detail
    assert refused.value.refills_at == datetime(2027, 3, 15, 4, tzinfo=UTC)  # EDT by then
    with pytest.raises(UrgentBudgetExceeded):
        delivery_accept(notice(berliner, actor_id=sender.pk, urgent=True, cause="incident:9"))
    assert Delivery.objects.filter(cause="incident:9").count() == 0
    assert urgent_budget_check(sender=sender, now=datetime(2027, 3, 15, 4, tzinfo=UTC)) == 3


def test_an_admin_sets_the_weekly_urgent_budget(workspace, admin, member, time_machine):
    now = datetime(2027, 3, 10, 17, tzinfo=UTC)
    urgent_policy_set(acting=admin, weekly_budget=1)

    assert urgent_budget_for(viewer=member, now=now).left == 1
    with pytest.raises(ValidationFailed) as refused:
        urgent_policy_set(acting=admin, weekly_budget=-1)
    assert "weekly_budget" in refused.value.errors


def test_the_api_answers_429_when_over_budget(rf, member):
    from meridian.api import api

    response = api.on_exception(
        rf.get("/api/v1/urgent-budget"),
        UrgentBudgetExceeded("No urgent left; refills Monday.", refills_at=datetime.now(UTC)),
    )

    assert response.status_code == 429
    assert b"refills Monday" in response.content


def test_invalid_quiet_hours_or_digest_time_change_nothing(berliner):

    with pytest.raises(ValidationFailed) as refused:
        delivery_preferences_update(
            acting=berliner,
            channels={"test.asked": "digest"},
            quiet_hours="22:00-31:00",
            digest_time=time(8, 0, tzinfo=UTC),
        )

    assert set(refused.value.errors) == {"quiet_hours", "digest_time"}
    assert "31:00 is not a time of day" in refused.value.errors["quiet_hours"][0]
    assert not DeliverySettings.objects.exists()
    assert delivery_accept(notice(berliner)).channel == "now"  # type: ignore[union-attr]


def _digest_setup(workspace):
    member = factories.member(
        workspace, time_zone="Asia/Kathmandu", working_hours=WEEKDAYS_9_TO_5, digest_time=time(8)
    )
    return member


# Tuesday 16 March 2027, 08:00 in Kathmandu (UTC+05:45) is 02:15 UTC.
KATHMANDU_0800 = datetime(2027, 3, 16, 2, 15, tzinfo=UTC)


def test_the_digest_arrives_once_at_the_members_time_grouped_by_kind_with_counts(
    workspace, time_machine, immediate_tasks, smtp_inbox, django_capture_on_commit_callbacks
):
    member = _digest_setup(workspace)
    time_machine.move_to(KATHMANDU_0800 - timedelta(hours=10), tick=False)
    for n in range(3):
        delivery_accept(notice(member, kind="test.replied", subject=f"Reply {n}"))
    delivery_preferences_update(acting=member, channels={"test.asked": "digest"})
    delivery_accept(
        notice(member, subject="Decide on hiring", due_at=KATHMANDU_0800 + timedelta(days=1))
    )

    run_tick(django_capture_on_commit_callbacks, KATHMANDU_0800 - timedelta(minutes=1))
    assert smtp_inbox.received == []
    time_machine.move_to(KATHMANDU_0800, tick=False)
    run_tick(django_capture_on_commit_callbacks, KATHMANDU_0800)
    run_tick(django_capture_on_commit_callbacks, KATHMANDU_0800 + timedelta(hours=5))

    [(_, message)] = smtp_inbox.received
    assert message["Subject"] == "[Acme] Your digest: 4 notifications"
    text = plain(message)
    assert "Replies to you (3)" in text
    assert "Asked for input (1)" in text
    assert text.index("Replies to you (3)") < text.index("Asked for input (1)")
    assert "Needed by: Wednesday 17 March 2027, 08:00 Asia/Kathmandu" in text
    assert "Reply 2" in html(message)
    assert Digest.objects.get().local_date.isoformat() == "2027-03-16"


def test_an_item_after_the_digest_time_waits_for_tomorrows_digest(
    workspace, time_machine, immediate_tasks, smtp_inbox, django_capture_on_commit_callbacks
):
    member = _digest_setup(workspace)
    time_machine.move_to(KATHMANDU_0800 + timedelta(hours=1), tick=False)
    delivery_accept(notice(member, kind="test.replied"))

    run_tick(django_capture_on_commit_callbacks, KATHMANDU_0800 + timedelta(hours=2))
    assert smtp_inbox.received == []
    tomorrow = KATHMANDU_0800 + timedelta(days=1)
    time_machine.move_to(tomorrow, tick=False)
    run_tick(django_capture_on_commit_callbacks, tomorrow)

    assert len(smtp_inbox.received) == 1
    assert Digest.objects.get().local_date.isoformat() == "2027-03-17"


def test_a_digest_never_repeats_what_already_reached_the_member(
    workspace, time_machine, immediate_tasks, smtp_inbox, django_capture_on_commit_callbacks
):
    member = _digest_setup(workspace)
    time_machine.move_to(KATHMANDU_0800 - timedelta(hours=1), tick=False)
    delivery_accept(notice(member, kind="test.replied", cause="c:1", subject="Old news"))
    delivery_accept(notice(member, kind="test.replied", cause="c:2", subject="Fresh"))
    run_tick(django_capture_on_commit_callbacks, KATHMANDU_0800)
    # The same causes again, and one that was emailed at once.
    delivery_accept(notice(member, cause="c:3", subject="Sent at once"))
    run_tick(django_capture_on_commit_callbacks, KATHMANDU_0800 + timedelta(hours=1))
    delivery_accept(notice(member, kind="test.replied", cause="c:1", subject="Old news again"))
    delivery_accept(notice(member, kind="test.replied", cause="c:3", subject="Once more"))
    delivery_accept(notice(member, kind="test.replied", cause="c:4", subject="New tomorrow"))

    tomorrow = KATHMANDU_0800 + timedelta(days=1)
    time_machine.move_to(tomorrow, tick=False)
    run_tick(django_capture_on_commit_callbacks, tomorrow)

    first, at_once, second = (plain(m) for _, m in smtp_inbox.received)
    assert "Old news" in first and "Fresh" in first
    assert "Sent at once" in at_once
    assert "New tomorrow" in second
    assert "Old news" not in second and "Once more" not in second
    assert "Your digest for Wednesday 17 March: 1 notification" in second


def test_moving_west_across_the_date_line_after_a_digest_gives_no_second_one_that_day(
    workspace, time_machine, immediate_tasks, smtp_inbox, django_capture_on_commit_callbacks
):
    # 09:00 on Tuesday 16 March 2027 in Kiritimati (UTC+14) is 19:00 UTC on Monday 15.
    kiritimati_0900 = datetime(2027, 3, 15, 19, tzinfo=UTC)
    member = factories.member(workspace, time_zone="Pacific/Kiritimati", digest_time=time(9))
    time_machine.move_to(kiritimati_0900 - timedelta(hours=2), tick=False)
    delivery_accept(notice(member, kind="test.replied", subject="Before the move"))
    run_tick(django_capture_on_commit_callbacks, kiritimati_0900)
    # The member flies to Pago Pago (UTC-11): it is 08:05 on Monday 15 there, a day they
    # already had a digest for (the digest of their Tuesday came an hour ago).
    time_machine.move_to(kiritimati_0900 + timedelta(minutes=5), tick=False)
    factories.profile_update(acting=member, member=member, time_zone="Pacific/Pago_Pago")
    delivery_accept(notice(member, kind="test.replied", subject="After the move"))

    pago_pago_0900 = datetime(2027, 3, 15, 20, tzinfo=UTC)
    run_tick(django_capture_on_commit_callbacks, pago_pago_0900)
    assert len(smtp_inbox.received) == 1
    # Tuesday 16 had its digest (in Kiritimati); Wednesday 17 in Pago Pago brings the next.
    run_tick(django_capture_on_commit_callbacks, pago_pago_0900 + timedelta(days=1))
    assert len(smtp_inbox.received) == 1
    run_tick(django_capture_on_commit_callbacks, pago_pago_0900 + timedelta(days=2))

    first, second = (plain(m) for _, m in smtp_inbox.received)
    assert "Before the move" in first
    assert "After the move" in second
    assert [d.local_date.isoformat() for d in Digest.objects.order_by("pk")] == [
        "2027-03-16",  # Tuesday in Kiritimati
        "2027-03-17",  # Wednesday in Pago Pago
    ]


def test_a_failed_send_is_retried_with_backoff_until_the_mail_server_takes_it(
    berliner,
    time_machine,
    immediate_tasks,
    smtp_inbox,
    django_capture_on_commit_callbacks,
    settings,
):
    working = settings.MAILERS
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": 9, "timeout": 2},
        }
    }
    time_machine.move_to(MONDAY_0900_BERLIN, tick=False)
    delivery_accept(notice(berliner))
    run_tick(django_capture_on_commit_callbacks, MONDAY_0900_BERLIN)
    failed = Delivery.objects.get()
    assert (failed.attempts, failed.emailed_at) == (1, None)
    assert failed.last_error

    settings.MAILERS = working
    later = MONDAY_0900_BERLIN + timedelta(minutes=3)
    time_machine.move_to(later, tick=False)
    run_tick(django_capture_on_commit_callbacks, later)

    assert len(smtp_inbox.received) == 1
    assert Delivery.objects.get().attempts == 2


def test_an_email_whose_task_was_lost_is_sent_once_by_a_later_tick(
    berliner, time_machine, immediate_tasks, smtp_inbox, django_capture_on_commit_callbacks
):
    from meridian.core.scheduler import tick
    from tests.delivery.support import delivery_jobs

    time_machine.move_to(MONDAY_0900_BERLIN, tick=False)
    delivery_accept(notice(berliner))
    with django_capture_on_commit_callbacks(execute=False):
        tick(MONDAY_0900_BERLIN, jobs=delivery_jobs())  # the worker dies before enqueueing
    later = MONDAY_0900_BERLIN + timedelta(minutes=5)
    time_machine.move_to(later, tick=False)
    run_tick(django_capture_on_commit_callbacks, later)
    run_tick(django_capture_on_commit_callbacks, later + timedelta(minutes=10))

    assert len(smtp_inbox.received) == 1


def test_emails_carry_only_what_the_notice_carries(
    workspace,
    berliner,
    time_machine,
    immediate_tasks,
    smtp_inbox,
    django_capture_on_commit_callbacks,
):
    voter = factories.member(workspace)
    factories.profile_update(acting=voter, member=voter, display_name="Zed Secretvoter")
    time_machine.move_to(MONDAY_0900_BERLIN, tick=False)
    delivery_preferences_update(acting=berliner, channels={"test.replied": "digest"})
    delivery_accept(notice(berliner, subject="A stance was given", actor_id=voter.pk))
    delivery_accept(notice(berliner, kind="test.replied", subject="Anonymous reply"))

    run_tick(django_capture_on_commit_callbacks, MONDAY_0900_BERLIN)
    run_tick(django_capture_on_commit_callbacks, MONDAY_0900_BERLIN + timedelta(days=1))

    assert len(smtp_inbox.received) == 2
    for _, message in smtp_inbox.received:
        for part in (plain(message), html(message), message["Subject"]):
            assert "Zed" not in part and "Secretvoter" not in part
            assert voter.user.email not in part


def test_notification_send_reaches_the_delivery_channel_and_holds_the_email(
    berliner, time_machine, immediate_tasks, smtp_inbox, django_capture_on_commit_callbacks
):
    from meridian.notifications.services import notification_send

    time_machine.move_to(SATURDAY_NIGHT_BERLIN, tick=False)
    with django_capture_on_commit_callbacks(execute=True):
        notification_send(
            recipient=berliner, kind="test.asked", subject="Weigh in", url="/w/acme/briefs/1/"
        )

    assert smtp_inbox.received == []  # not emailed on a Saturday night in Berlin
    assert Delivery.objects.get().deliver_after == MONDAY_0900_BERLIN
    time_machine.move_to(MONDAY_0900_BERLIN, tick=False)
    run_tick(django_capture_on_commit_callbacks, MONDAY_0900_BERLIN)
    [(_, message)] = smtp_inbox.received
    assert message["Subject"] == "[Acme] Weigh in"


def test_a_held_email_whose_cause_is_gone_is_never_sent(
    berliner, time_machine, immediate_tasks, smtp_inbox, django_capture_on_commit_callbacks
):
    from meridian.notifications.services import inbox_resolve, notification_send

    time_machine.move_to(SATURDAY_NIGHT_BERLIN, tick=False)
    with django_capture_on_commit_callbacks(execute=True):
        for cause in ("briefs.asked:1", "briefs.asked:2"):
            notification_send(
                recipient=berliner,
                kind="test.asked",
                subject=f"Weigh in on {cause}",
                url="/w/acme/briefs/1/",
                cause=cause,
            )
    # Sunday: the member answered the first in Meridian (its inbox item is gone).
    inbox_resolve(cause="briefs.asked:1", recipient=berliner)

    time_machine.move_to(MONDAY_0900_BERLIN, tick=False)
    run_tick(django_capture_on_commit_callbacks, MONDAY_0900_BERLIN)
    run_tick(django_capture_on_commit_callbacks, MONDAY_0900_BERLIN + timedelta(hours=1))

    [(_, message)] = smtp_inbox.received
    assert message["Subject"] == "[Acme] Weigh in on briefs.asked:2"
    assert list(Delivery.objects.values_list("cause", flat=True)) == ["briefs.asked:2"]


def test_a_digest_leaves_out_what_is_no_longer_waiting(
    workspace, time_machine, immediate_tasks, smtp_inbox, django_capture_on_commit_callbacks
):
    from meridian.notifications.services import inbox_resolve, notification_send

    member = _digest_setup(workspace)
    time_machine.move_to(KATHMANDU_0800 - timedelta(hours=3), tick=False)
    for cause in ("decisions.asked:1", "decisions.asked:2"):
        notification_send(
            recipient=member,
            kind="test.replied",
            subject=f"Take a stance on {cause}",
            url="/w/acme/decisions/1/",
            cause=cause,
        )
    # The proposal closed before the digest time.
    inbox_resolve(cause="decisions.asked:1")

    time_machine.move_to(KATHMANDU_0800, tick=False)
    run_tick(django_capture_on_commit_callbacks, KATHMANDU_0800)

    [(_, message)] = smtp_inbox.received
    assert message["Subject"] == "[Acme] Your digest: 1 notification"
    assert "decisions.asked:1" not in plain(message)


def test_a_cause_asked_again_after_it_was_gone_is_emailed(
    berliner, time_machine, immediate_tasks, smtp_inbox, django_capture_on_commit_callbacks
):
    from meridian.notifications.services import inbox_resolve, notification_send

    def ask() -> None:
        notification_send(
            recipient=berliner,
            kind="test.asked",
            subject="Weigh in",
            url="/w/acme/briefs/1/",
            cause="briefs.asked:1",
        )

    time_machine.move_to(SATURDAY_NIGHT_BERLIN, tick=False)
    ask()
    inbox_resolve(cause="briefs.asked:1", recipient=berliner)  # removed from the ask…
    ask()  # …and asked again

    time_machine.move_to(MONDAY_0900_BERLIN, tick=False)
    run_tick(django_capture_on_commit_callbacks, MONDAY_0900_BERLIN)

    [(_, message)] = smtp_inbox.received
    assert message["Subject"] == "[Acme] Weigh in"


def test_a_subject_with_a_line_break_is_emailed_on_one_line(
    berliner, time_machine, immediate_tasks, smtp_inbox, django_capture_on_commit_callbacks
):
    # A proposal's title may hold a line break; a mail header may not.
    time_machine.move_to(MONDAY_0900_BERLIN, tick=False)
    delivery_accept(notice(berliner, subject="Ship in two steps?\r\nBcc: all@example.com"))

    run_tick(django_capture_on_commit_callbacks, MONDAY_0900_BERLIN)

    [(to, message)] = smtp_inbox.received
    assert to == [berliner.user.email]
    assert message["Subject"] == "[Acme] Ship in two steps? Bcc: all@example.com"
    assert message["Bcc"] is None


def test_the_html_part_escapes_what_members_wrote(
    berliner, time_machine, immediate_tasks, smtp_inbox, django_capture_on_commit_callbacks
):
    time_machine.move_to(MONDAY_0900_BERLIN, tick=False)
    delivery_accept(
        notice(
            berliner,
            subject="<b>Plan</b>",
            body="Ada <ada@example.com> asks",
            excerpt="&lt;b&gt; <img src=x onerror=alert(1)>",
        )
    )

    run_tick(django_capture_on_commit_callbacks, MONDAY_0900_BERLIN)

    [(_, message)] = smtp_inbox.received
    page = html(message)
    assert "<img" not in page and "<b>Plan" not in page and "<ada@" not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page
    assert "&lt;b&gt;Plan&lt;/b&gt;" in page
    assert "> &lt;b&gt; <img src=x onerror=alert(1)>" in plain(message)  # text part: as written


def test_sending_digests_reads_their_recipients_once_whatever_their_number(
    workspace, time_machine, smtp_inbox
):
    time_machine.move_to(KATHMANDU_0800, tick=False)
    digests = []
    for n in range(4):
        member = _digest_setup(workspace)
        delivery_accept(notice(member, kind="test.replied", subject=f"Reply {n}"))
        digests.append(
            digest_build(
                recipient_id=member.pk,
                workspace_id=workspace.pk,
                day=KATHMANDU_0800.date(),
                now=KATHMANDU_0800,
            ).pk
        )

    with CaptureQueriesContext(connection) as one:
        digest_email_send.call(digest_ids=digests[:1])
    with CaptureQueriesContext(connection) as three:
        digest_email_send.call(digest_ids=digests[1:])

    # Each more digest costs only its own "accepted" record, nothing read per recipient.
    assert len(three) - len(one) == 2
    assert len(smtp_inbox.received) == 4
    boundaries = {message.get_boundary() for _, message in smtp_inbox.received}
    assert len(boundaries) == 4  # a random MIME boundary of its own per email
    assert all(plain(message) and html(message) for _, message in smtp_inbox.received)


class _RefusingOne(Inbox):
    """A mail server that refuses, for a while, every message to one address."""

    def __init__(self, refused: str) -> None:
        super().__init__()
        self.refused = refused

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.refused in envelope.rcpt_tos:
            return "451 Try again later"
        return await super().handle_DATA(server, session, envelope)


def test_a_digest_the_mail_server_refuses_mid_batch_waits_while_the_others_are_recorded(
    workspace, time_machine, settings
):
    time_machine.move_to(KATHMANDU_0800, tick=False)
    members = [_digest_setup(workspace) for _ in range(3)]
    digests = []
    for n, member in enumerate(members):
        delivery_accept(notice(member, kind="test.replied", subject=f"Reply {n}"))
        digests.append(
            digest_build(
                recipient_id=member.pk,
                workspace_id=workspace.pk,
                day=KATHMANDU_0800.date(),
                now=KATHMANDU_0800,
            ).pk
        )
    server = _RefusingOne(members[1].user.email)
    port = free_port()
    controller = Controller(server, hostname="127.0.0.1", port=port)
    controller.start()
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": port, "timeout": 5},
        }
    }
    try:
        digest_email_send.call(digest_ids=digests)
    finally:
        controller.stop()

    assert [to for to, _ in server.received] == [[members[0].user.email], [members[2].user.email]]
    first, refused, third = (Digest.objects.get(pk=pk) for pk in digests)
    assert first.emailed_at == third.emailed_at == KATHMANDU_0800
    assert refused.emailed_at is None
    assert "Try again later" in refused.last_error
    assert refused.lease_until == KATHMANDU_0800 + timedelta(minutes=1)  # retried after backoff


def test_many_notices_at_once_reach_inboxes_and_channels_as_one_at_a_time(
    workspace, berliner, time_machine
):
    from meridian.notifications.models import InboxItem, InboxState
    from meridian.notifications.services import notification_send, notification_send_many

    time_machine.move_to(SATURDAY_NIGHT_BERLIN, tick=False)
    emailed = factories.member(workspace, time_zone="Europe/Berlin", working_hours=WEEKDAYS_9_TO_5)
    delivery_preferences_update(acting=emailed, channels={"test.mentioned": "now"})
    gone = factories.member(workspace)
    gone.is_active = False
    gone.save(update_fields=["is_active"])
    notification_send(
        recipient=berliner, kind="test.mentioned", subject="Old", url="/a/", cause="test:1"
    )

    notification_send_many(
        [
            notice(berliner, kind="test.mentioned", subject="New", cause="test:1"),
            notice(emailed, kind="test.mentioned", subject="For you", cause="test:2"),
            notice(gone, kind="test.mentioned", subject="Nobody", cause="test:3"),
        ]
    )

    items = InboxItem.objects.filter(state=InboxState.OPEN).order_by("cause")
    # The open cause is updated (a reminder), not doubled; who left gets nothing.
    assert [(i.recipient_id, i.cause, i.title) for i in items] == [
        (berliner.pk, "test:1", "New"),
        (emailed.pk, "test:2", "For you"),
    ]
    # Inbox-only stays in the inbox; "at once" is held for Monday 09:00 in Berlin.
    [delivery] = Delivery.objects.all()
    assert (delivery.recipient_id, delivery.subject) == (emailed.pk, "For you")
    assert delivery.deliver_after == MONDAY_0900_BERLIN


def test_many_notices_cost_the_same_queries_for_two_recipients_or_twenty(workspace):
    from meridian.notifications.services import notification_send_many

    people = [factories.member(workspace) for _ in range(22)]
    counts = []
    for group, tag in ((people[:2], "a"), (people[2:], "b")):
        with CaptureQueriesContext(connection) as queries:
            notification_send_many(
                [notice(m, kind="test.mentioned", cause=f"test:{tag}{m.pk}") for m in group]
            )
        counts.append(len(queries))
    assert counts[0] == counts[1]
