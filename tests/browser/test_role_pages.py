"""A role's page at 1280 px and on a phone (390 px): the checklist ticks in place with htmx,
the page passes the accessibility checks, and its screenshots go to docs/user/images/."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, expect

from meridian.roles.services import holder_assign, holder_release
from meridian.workspaces.services import time_off_add
from tests import factories
from tests.briefs.factories import person
from tests.browser.support import Watcher, axe_violations, docs_images, sign_in, structure_problems
from tests.roles.factories import role, weekly_rota

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def on_call(transactional_db):
    ws = factories.workspace(name="Kestrel Labs")
    ada = person(ws, "Europe/Berlin", display_name="Ada Okafor")
    chen = person(ws, "Asia/Shanghai", display_name="Chen Wei")
    quinn = person(ws, "America/Los_Angeles", display_name="Quinn Taylor")
    r = role(
        ada,
        name="On-call",
        responsibilities=(
            "First responder for production incidents during your turn.\n\n"
            "1. Acknowledge pages within **15 minutes** in your working hours.\n"
            "2. Open an incident brief for anything customer-facing.\n"
            "3. Hand over unresolved incidents in writing at the end of your turn."
        ),
    )
    now = timezone.now()
    holder_assign(acting=ada, role=r, member=quinn, at=now - timedelta(days=40))
    holder_release(acting=ada, role=r, member=quinn, at=now - timedelta(days=12))
    holder_assign(acting=ada, role=r, member=chen, at=now - timedelta(days=12))
    today = now.date()
    time_off_add(
        acting=quinn,
        member=quinn,
        first_day=today + timedelta(days=8),
        last_day=today + timedelta(days=12),
        note="Conference",
    )
    weekly_rota(ada, r, [chen, quinn, ada], today, zone="Europe/Paris")
    return ws, chen, r


def test_the_role_page_ticks_a_duty_in_place_and_reads_well_on_a_phone(
    live_server, browser: Browser, on_call
):
    ws, chen, r = on_call
    for name, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
        watcher = Watcher()
        context = watcher.watch(browser.new_context(viewport=viewport, base_url=live_server.url))
        sign_in(context, live_server.url, chen.user)
        page = context.new_page()
        page.goto(f"/w/{ws.slug}/roles/{r.pk}/")
        expect(page.get_by_role("heading", name="On-call", level=1)).to_be_visible()
        expect(page.get_by_role("heading", name="Next turns")).to_be_visible()
        if name == "desktop":
            page.get_by_role("button", name="Mark done: Check the error budget").click()
            expect(page.get_by_text("1 of 3 done this period")).to_be_visible()
            expect(
                page.get_by_role("button", name="Mark not done: Check the error budget")
            ).to_have_attribute("aria-pressed", "true")
        page.wait_for_load_state("networkidle")
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        assert structure_problems(page) + axe_violations(page) == []
        assert watcher.errors == []
        page.screenshot(path=str(docs_images() / f"roles-{name}.png"), full_page=True)
        context.close()
