"""The inbox journey in a real browser, on a controlled clock.

Ada (Berlin) asks Bikash (Kathmandu, 09:00–17:00 on weekdays) for his input by the end of
Thursday. Bikash signs in and lands in his inbox: the brief is there with his own deadline,
"by the end of your Thursday (17:00 Asia/Kathmandu)", and the nav counts 1. He snoozes it to
his next working morning; the count goes at once. When the clock reaches Tuesday 09:00 in
Kathmandu it is back by itself. He opens it, responds, and it leaves his inbox.

The live server runs in this process, so the test's clock (time_machine) is the server's.
Screenshots of the inbox at desktop and phone width go to docs/user/images/.
"""

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from playwright.sync_api import Browser, expect

from meridian.briefs.services import Deadline
from meridian.notifications.models import InboxItem
from tests import factories
from tests.briefs.factories import brief, person
from tests.browser.support import Watcher, axe_violations, docs_images, structure_problems
from tests.support import IMMEDIATE_TASKS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
MONDAY = datetime(2026, 3, 9, 10, 0, tzinfo=UTC)  # 15:45 in Kathmandu
TUESDAY_MORNING = datetime(2026, 3, 10, 3, 15, tzinfo=UTC)  # 09:00 in Kathmandu


def test_asked_snoozed_back_by_itself_then_answered(live_server, browser: Browser, settings):
    settings.TASKS = IMMEDIATE_TASKS
    with time_machine.travel(MONDAY, tick=True) as clock:
        ws = factories.workspace(name="Kestrel Labs")
        ada = person(ws, "Europe/Berlin", display_name="Ada Okafor")
        bikash = person(ws, "Asia/Kathmandu", display_name="Bikash Rai")
        other = person(ws, "America/New_York", display_name="Carmen Díaz")
        asked = brief(
            ada,
            [bikash, other],
            title="Yearly plans on the pricing page",
            ask_kind="decision",
            deadline=Deadline(day=date(2026, 3, 12)),
        )
        brief(ada, [bikash], title="Onboarding checklist, second draft")

        watcher = Watcher()
        context = watcher.watch(
            browser.new_context(
                viewport=DESKTOP, base_url=live_server.url, timezone_id="Asia/Kathmandu"
            )
        )
        page = context.new_page()
        inbox = f"/w/{ws.slug}/inbox/"

        # Signing in lands in the inbox, deadlines in his own working time, a count in the nav.
        page.goto("/accounts/login/")
        page.get_by_label("Email").fill(bikash.user.email)
        page.get_by_label("Password").fill(factories.PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        expect(page).to_have_url(f"{live_server.url}{inbox}")
        item = page.locator(".inbox-item").filter(has_text="Yearly plans")
        expect(item).to_contain_text(
            "Ada Okafor asked you to respond by the end of your Thursday (17:00 Asia/Kathmandu)"
        )
        count = page.locator("#inbox-count")
        expect(count).to_have_text("2 waiting")
        assert structure_problems(page) == []
        assert axe_violations(page) == []
        page.reload()  # without the "signed in" message, for the pictures
        expect(count).to_have_text("2 waiting")
        page.screenshot(path=str(docs_images() / "inbox-desktop.png"), full_page=True)
        page.set_viewport_size(PHONE)
        assert structure_problems(page) == []
        page.screenshot(path=str(docs_images() / "inbox-phone.png"), full_page=True)
        page.set_viewport_size(DESKTOP)
        page.emulate_media(color_scheme="dark")
        assert axe_violations(page) == []
        page.emulate_media(color_scheme="light")

        # Snooze to the next working morning: the row offers Undo, the count drops at once.
        item.locator("summary").click()
        item.get_by_role("button", name="Next working morning").click()
        expect(page.get_by_role("status").filter(has_text="Snoozed: Ada Okafor")).to_be_visible()
        expect(count).to_have_text("1 waiting")
        expect(page.get_by_role("button", name="Undo")).to_be_visible()
        snoozed = InboxItem.objects.get(recipient=bikash, title__contains="Yearly plans")
        assert snoozed.snoozed_until == TUESDAY_MORNING

        # Still Monday: it stays away. At 09:00 his Tuesday it is back, by itself.
        page.reload()
        expect(page.locator(".inbox-item").filter(has_text="Yearly plans")).to_have_count(0)
        clock.move_to(TUESDAY_MORNING + timedelta(minutes=1))
        page.reload()
        expect(page.locator(".inbox-item").filter(has_text="Yearly plans")).to_have_count(1)
        expect(count).to_have_text("2 waiting")

        # He opens it and responds: it leaves his inbox.
        page.get_by_role("link", name="Ada Okafor asks for your decision: Yearly plans").click()
        page.get_by_label("Your response").fill("Yes to yearly by default.")
        page.get_by_role("button", name="Send your response").click()
        expect(page.locator(".messages")).to_contain_text("your response is in")
        page.get_by_role("link", name="Inbox").click()
        expect(page.locator(".inbox-item").filter(has_text="Yearly plans")).to_have_count(0)
        expect(page.locator(".inbox-item")).to_have_count(1)
        expect(count).to_have_text("1 waiting")
        assert asked.pk and watcher.errors == []
        context.close()
