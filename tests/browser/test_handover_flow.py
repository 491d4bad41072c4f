"""The handover journey in a real browser, with the briefs-based test kind (tests/handovers).

Ada (Berlin) hands her brief "Vendor migration" to Bikash (Kathmandu) with a note, after
reading the packet he will get. Bikash, in a second browser context, finds it in his inbox,
opens the packet — the description, the unanswered question on the item, Ada's note — asks Ada
a question, and acknowledges: the item is his. The readiness page shows Ada's other,
undocumented brief as something that would stall if she were away. Screenshots of the packet and
the readiness page, at desktop and phone width, go to test-artifacts/ (the pictures in
docs/user/images/handover-*.png come from the journey with a real task,
tests/browser/test_work_journey.py).
"""

from datetime import UTC, datetime

import pytest
import time_machine
from playwright.sync_api import Browser, expect

from meridian.briefs.models import Brief
from meridian.core import registry
from meridian.handovers.kinds import HANDOVER_KINDS
from meridian.handovers.models import Handover, HandoverComment, HandoverState
from tests import factories
from tests.briefs.factories import brief, comment, person
from tests.browser.support import Watcher, axe_violations, sign_in, structure_problems
from tests.handovers.kinds import BRIEF_KIND
from tests.support import IMMEDIATE_TASKS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
MONDAY = datetime(2026, 3, 9, 10, 0, tzinfo=UTC)  # 11:00 Berlin, 15:45 Kathmandu


def _pictures(page, screenshot, name: str) -> None:
    assert structure_problems(page) == []
    assert axe_violations(page) == []
    screenshot(page, f"handover-{name}-desktop")
    page.set_viewport_size(PHONE)
    assert structure_problems(page) == []
    screenshot(page, f"handover-{name}-phone")
    page.set_viewport_size(DESKTOP)


def test_hand_over_read_the_packet_ask_and_acknowledge(
    live_server, browser: Browser, settings, screenshot
):
    settings.TASKS = IMMEDIATE_TASKS
    with (
        registry.replaced(HANDOVER_KINDS, [BRIEF_KIND]),
        time_machine.travel(MONDAY, tick=True),
    ):
        ws = factories.workspace(name="Kestrel Labs")
        ada = person(ws, "Europe/Berlin", display_name="Ada Okafor")
        bikash = person(ws, "Asia/Kathmandu", display_name="Bikash Rai")
        carmen = person(ws, "America/New_York", display_name="Carmen Díaz")
        item = brief(
            ada,
            [carmen],
            title="Vendor migration",
            body="Move billing to the **new** vendor by March.\n\n- contract signed\n- data export",
            questions=["Is the export format final?"],
        )
        comment(item, carmen, "Do we keep the old invoices?", is_question=True)
        bare = brief(ada, [carmen], title="Office insurance renewal")
        Brief.objects.filter(pk=bare.pk).update(body="")

        watcher = Watcher()
        giving = watcher.watch(
            browser.new_context(
                viewport=DESKTOP, base_url=live_server.url, timezone_id="Europe/Berlin"
            )
        )
        sign_in(giving, live_server.url, ada.user)
        page = giving.new_page()

        # "Hand over everything" lists both of her briefs, each packet previewed (collapsed).
        page.goto(f"/w/{ws.slug}/handovers/everything/")
        expect(page.locator("details.packet-preview")).to_have_count(2)
        assert structure_problems(page) == []
        assert axe_violations(page) == []

        # Ada reads the packet Bikash will get, then hands the brief over with a note.
        page.goto(f"/w/{ws.slug}/handovers/new/?kind=brief&id={item.pk}")
        preview = page.get_by_role("region", name="What they will read: the packet")
        expect(preview).to_contain_text("Move billing to the new vendor by March.")
        expect(preview).to_contain_text("Do we keep the old invoices?")
        assert structure_problems(page) == []
        assert axe_violations(page) == []
        page.get_by_label("Hand over to").select_option(label="Bikash Rai")
        page.get_by_label("Note for them").fill(
            "The vendor call is **Thursday**; Carmen knows the history."
        )
        page.get_by_role("button", name="Hand over").click()
        expect(page.locator(".messages")).to_contain_text("Bikash Rai has been told")
        expect(page.locator(".byline")).to_contain_text("Ada Okafor → Bikash Rai")
        handover = Handover.objects.get()

        # Bikash finds it in his inbox and opens the packet.
        receiving = watcher.watch(
            browser.new_context(
                viewport=DESKTOP, base_url=live_server.url, timezone_id="Asia/Kathmandu"
            )
        )
        sign_in(receiving, live_server.url, bikash.user)
        his = receiving.new_page()
        his.goto(f"/w/{ws.slug}/inbox/")
        his.get_by_role("link", name="Ada Okafor is handing you the brief Vendor migration").click()
        expect(his).to_have_url(f"{live_server.url}/w/{ws.slug}/handovers/{handover.pk}/")
        expect(his.get_by_role("region", name="Note from Ada Okafor")).to_contain_text(
            "The vendor call is Thursday"
        )
        expect(his.get_by_role("region", name="Unanswered questions")).to_contain_text(
            "Do we keep the old invoices?"
        )
        expect(his.locator("body")).to_contain_text("Asia/Kathmandu")

        # He asks Ada a question on the handover.
        his.get_by_label("Ask Ada Okafor a question").fill("Who at the vendor signs the contract?")
        his.get_by_role("button", name="Ask", exact=True).click()
        expect(his.locator(".thread")).to_contain_text("Who at the vendor signs the contract?")
        expect(his.locator(".thread")).to_contain_text("Open question")
        assert HandoverComment.objects.get().is_open_question
        _pictures(his, screenshot, "packet")

        # And acknowledges: the brief is his now.
        his.get_by_role("button", name="Acknowledge: take it over").click()
        expect(his.locator(".messages")).to_contain_text("It is yours now: Vendor migration")
        expect(his.locator(".byline")).to_contain_text("Acknowledged")
        handover.refresh_from_db()
        assert handover.state == HandoverState.ACKNOWLEDGED
        assert Brief.objects.get(pk=item.pk).author_id == bikash.pk
        his.goto(f"/w/{ws.slug}/inbox/")
        expect(
            his.get_by_role("link", name="Ada Okafor is handing you the brief Vendor migration")
        ).to_have_count(0)

        # The readiness page: Ada's undocumented brief would stall without her.
        page.goto(f"/w/{ws.slug}/handovers/readiness/")
        ada_section = page.get_by_role("region", name="Ada Okafor 1 at risk")
        expect(ada_section).to_contain_text("Office insurance renewal")
        expect(ada_section).to_contain_text("No description")
        _pictures(page, screenshot, "readiness")

        assert watcher.errors == []
        giving.close()
        receiving.close()
