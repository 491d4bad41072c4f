"""Step 4 of the inbox journey: the daily digest reaches a real SMTP server at the member's time.

Bikash (Kathmandu, 09:00–17:00 on weekdays) chooses, on his Notifications page in the browser,
to get briefs that ask for his input in a daily digest at 08:30. On Monday afternoon his time
Ada asks him in a brief. Nothing is emailed then, nor at 08:29 on Tuesday in Kathmandu; at
08:30 a scheduler tick sends one digest to the local SMTP server (aiosmtpd) with the brief,
his own deadline and a link; a later tick sends nothing again.

The live server runs in this process, so the test's clock (time_machine) is the server's. The
delivery channel is the real one here (tests/conftest.py replaces it outside tests/delivery).
"""

from datetime import UTC, date, datetime, timedelta
from email.message import EmailMessage
from typing import cast

import pytest
import time_machine
from playwright.sync_api import Browser, expect

from meridian.briefs.services import Deadline
from meridian.core import registry
from meridian.core.scheduler import tick
from meridian.delivery.models import Digest
from meridian.delivery.services import delivery_accept
from tests import factories
from tests.briefs.factories import brief, person
from tests.browser.support import Watcher
from tests.core.test_email import smtp_inbox  # noqa: F401  (the local SMTP server fixture)
from tests.delivery.support import delivery_jobs
from tests.support import IMMEDIATE_TASKS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

MONDAY = datetime(2026, 3, 9, 10, 0, tzinfo=UTC)  # 15:45 in Kathmandu
TUESDAY_0830_KATHMANDU = datetime(2026, 3, 10, 2, 45, tzinfo=UTC)


def plain(message: EmailMessage) -> str:
    return cast(EmailMessage, message.get_body(preferencelist=("plain",))).get_content()


def test_the_digest_reaches_the_smtp_server_at_the_members_own_digest_time(
    live_server,
    browser: Browser,
    settings,
    monkeypatch,
    smtp_inbox,  # noqa: F811
):
    settings.TASKS = IMMEDIATE_TASKS
    monkeypatch.setitem(registry._points, registry.NOTIFICATION_CHANNELS, [delivery_accept])
    with time_machine.travel(MONDAY, tick=True) as clock:
        ws = factories.workspace(name="Kestrel Labs")
        ada = person(ws, "Europe/Berlin", display_name="Ada Okafor")
        bikash = person(ws, "Asia/Kathmandu", display_name="Bikash Rai")

        # He chooses the digest for being asked in a brief, at 08:30 his time.
        watcher = Watcher()
        context = watcher.watch(
            browser.new_context(base_url=live_server.url, timezone_id="Asia/Kathmandu")
        )
        page = context.new_page()
        page.goto("/accounts/login/")
        page.get_by_label("Email").fill(bikash.user.email)
        page.get_by_label("Password").fill(factories.PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.goto(f"/w/{ws.slug}/profile/notifications/")
        # The kind's radio buttons, one per channel ("Daily digest" among them).
        digest_choice = page.locator('input[name="channel_brief.asked"][value="digest"]')
        digest_choice.check()
        page.get_by_label("Daily digest at").fill("08:30")
        page.get_by_role("button", name="Save preferences").click()
        expect(page.get_by_label("Daily digest at")).to_have_value("08:30")
        expect(digest_choice).to_be_checked()
        assert watcher.errors == []
        context.close()

        asked = brief(
            ada,
            [bikash],
            title="Yearly plans on the pricing page",
            ask_kind="decision",
            body="Should yearly plans be the **default**?",
            deadline=Deadline(day=date(2026, 3, 12)),
        )

        # Monday afternoon and Tuesday 08:29 in Kathmandu: nothing is emailed.
        tick(MONDAY + timedelta(minutes=5), jobs=delivery_jobs())
        clock.move_to(TUESDAY_0830_KATHMANDU - timedelta(minutes=1))
        tick(TUESDAY_0830_KATHMANDU - timedelta(minutes=1), jobs=delivery_jobs())
        assert smtp_inbox.received == []

        # 08:30 his time: one digest, with the brief, his own deadline and a link to it.
        clock.move_to(TUESDAY_0830_KATHMANDU)
        tick(TUESDAY_0830_KATHMANDU, jobs=delivery_jobs())
        [(recipients, message)] = smtp_inbox.received
        assert recipients == [bikash.user.email]
        assert message["Subject"] == "[Kestrel Labs] Your digest: 1 notification"
        text = plain(message)
        assert "Asked for input in a brief (1)" in text
        assert "Ada Okafor asks for your decision: Yearly plans on the pricing page" in text
        assert "Thursday 12 March 2026, 17:00 Asia/Kathmandu" in text
        assert "Should yearly plans be the default?" in text
        assert f"{settings.BASE_URL}/w/{ws.slug}/briefs/{asked.pk}/" in text
        assert Digest.objects.get().local_date == date(2026, 3, 10)

        # A later tick sends nothing again.
        clock.move_to(TUESDAY_0830_KATHMANDU + timedelta(hours=1))
        tick(TUESDAY_0830_KATHMANDU + timedelta(hours=1), jobs=delivery_jobs())
        assert len(smtp_inbox.received) == 1
