"""When email stops: a removed member's inbox is resolved and nothing more is emailed to them; a
digest the mail server keeps refusing gives its notifications to the next digest."""

from datetime import UTC, datetime, time, timedelta
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from meridian.delivery.models import MAX_ATTEMPTS, Delivery, Digest
from meridian.delivery.services import delivery_accept
from meridian.notifications.models import InboxItem, InboxState
from meridian.workspaces.services import member_deactivate
from tests import factories
from tests.briefs.factories import brief, person
from tests.core.test_email import free_port
from tests.delivery.support import WEEKDAYS_9_TO_5, notice, run_tick
from tests.delivery.test_services import plain

pytestmark = pytest.mark.django_db

# Saturday 27 March 2027, 23:00 in Berlin; Monday 09:00 there.
SATURDAY_NIGHT_BERLIN = datetime(2027, 3, 27, 22, 0, tzinfo=UTC)
MONDAY_0900_BERLIN = datetime(2027, 3, 29, 7, 0, tzinfo=UTC)
# Tuesday 16 March 2027, 08:00 in Kathmandu (UTC+05:45) is 02:15 UTC.
KATHMANDU_0800 = datetime(2027, 3, 16, 2, 15, tzinfo=UTC)


class Refusing:
    """An SMTP server that takes the conversation but refuses every message."""

    def __init__(self) -> None:
        self.refused = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.refused += 1
        return "554 5.7.1 Refused for this test"


@pytest.fixture
def refusing_smtp(settings):
    handler = Refusing()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    yield (
        handler,
        {
            "default": {
                "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
                "OPTIONS": {"host": "127.0.0.1", "port": port, "timeout": 5},
            }
        },
    )
    controller.stop()


def test_a_removed_members_inbox_is_resolved_and_nothing_more_is_emailed_to_them(
    workspace,
    admin,
    time_machine,
    immediate_tasks,
    smtp_inbox,
    django_capture_on_commit_callbacks,
):
    time_machine.move_to(SATURDAY_NIGHT_BERLIN, tick=False)
    author = person(workspace, "Europe/Lisbon")
    leaving = person(workspace, "Europe/Berlin")
    staying = person(workspace, "Europe/Berlin")
    brief(author, [leaving, staying])  # emails held until Monday 09:00 in Berlin
    delivery_accept(notice(leaving, kind="test.replied", subject="For the digest"))
    assert InboxItem.objects.filter(recipient=leaving, state=InboxState.OPEN).count() == 1

    member_deactivate(acting=admin, member=leaving)
    for at in (MONDAY_0900_BERLIN, MONDAY_0900_BERLIN + timedelta(days=1)):
        time_machine.move_to(at, tick=False)
        run_tick(django_capture_on_commit_callbacks, at)

    # Resolved, not deleted: the item is kept as gone, and Undo cannot bring it back.
    assert list(InboxItem.objects.filter(recipient=leaving).values_list("state", flat=True)) == [
        InboxState.GONE
    ]
    assert [to for to, _ in smtp_inbox.received] == [[staying.user.email]]
    assert not Delivery.objects.filter(recipient=leaving).exists()
    assert not Digest.objects.filter(recipient=leaving).exists()


def test_a_digest_built_before_the_removal_is_never_sent(
    workspace,
    admin,
    time_machine,
    immediate_tasks,
    smtp_inbox,
    refusing_smtp,
    settings,
    django_capture_on_commit_callbacks,
):
    member = factories.member(
        workspace, time_zone="Asia/Kathmandu", working_hours=WEEKDAYS_9_TO_5, digest_time=time(8)
    )
    time_machine.move_to(KATHMANDU_0800 - timedelta(hours=2), tick=False)
    delivery_accept(notice(member, kind="test.replied"))
    working = settings.MAILERS
    settings.MAILERS = refusing_smtp[1]
    time_machine.move_to(KATHMANDU_0800, tick=False)
    run_tick(django_capture_on_commit_callbacks, KATHMANDU_0800)  # built; the send is refused

    member_deactivate(acting=admin, member=member)
    settings.MAILERS = working
    for minutes in range(5, 24 * 60, 30):
        at = KATHMANDU_0800 + timedelta(minutes=minutes)
        time_machine.move_to(at, tick=False)
        run_tick(django_capture_on_commit_callbacks, at)

    assert smtp_inbox.received == []
    digest = Digest.objects.get()
    assert digest.emailed_at is None and digest.attempts == MAX_ATTEMPTS


def test_a_digest_refused_five_times_gives_its_items_to_the_next_digest(
    workspace,
    time_machine,
    immediate_tasks,
    smtp_inbox,
    refusing_smtp,
    settings,
    django_capture_on_commit_callbacks,
):
    refusing, refusing_mailers = refusing_smtp
    member = factories.member(
        workspace, time_zone="Asia/Kathmandu", working_hours=WEEKDAYS_9_TO_5, digest_time=time(8)
    )
    time_machine.move_to(KATHMANDU_0800 - timedelta(hours=10), tick=False)
    for n in range(3):
        delivery_accept(notice(member, kind="test.replied", subject=f"Reply {n}", cause=f"r:{n}"))
    working = settings.MAILERS
    settings.MAILERS = refusing_mailers

    # A tick every 5 minutes for the rest of the day: the retries back off 1, 4, 16, 64 minutes.
    for minutes in range(0, 12 * 60, 5):
        at = KATHMANDU_0800 + timedelta(minutes=minutes)
        time_machine.move_to(at, tick=False)
        run_tick(django_capture_on_commit_callbacks, at)

    failed = Digest.objects.get()
    assert refusing.refused == MAX_ATTEMPTS
    assert (failed.attempts, failed.emailed_at) == (MAX_ATTEMPTS, None)
    assert "Given up after 5 attempts" in failed.last_error and "554" in failed.last_error
    waiting = Delivery.objects.filter(recipient=member)
    assert [(d.sent_at, d.digest_id) for d in waiting] == [(None, None)] * 3

    settings.MAILERS = working
    tomorrow = KATHMANDU_0800 + timedelta(days=1)
    time_machine.move_to(tomorrow, tick=False)
    run_tick(django_capture_on_commit_callbacks, tomorrow)

    [(_, message)] = smtp_inbox.received
    assert message["Subject"] == "[Acme] Your digest: 3 notifications"
    assert all(f"Reply {n}" in plain(message) for n in range(3))
    sent = Digest.objects.exclude(pk=failed.pk).get()
    assert sent.local_date.isoformat() == "2027-03-17" and sent.emailed_at == tomorrow
    assert set(Delivery.objects.values_list("digest_id", flat=True)) == {sent.pk}
