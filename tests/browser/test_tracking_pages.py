"""A member starts the timer from another page, stops it on the Time page, adds time by hand
and reads their reports, on a phone-width screen; the pages pass the accessibility checks."""

import re

import pytest
from playwright.sync_api import Browser, expect

from meridian.tracking.models import TimeEntry
from tests import factories
from tests.browser.support import (
    Watcher,
    axe_violations,
    nav_menu,
    sign_in,
    structure_problems,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_timer_from_any_page_then_an_entry_by_hand_at_phone_width(
    live_server, browser: Browser, screenshot, transactional_db
):
    ws = factories.workspace(name="Acme")
    member = factories.member(ws, time_zone="Europe/Berlin")
    watcher = Watcher()
    context = watcher.watch(
        browser.new_context(base_url=live_server.url, viewport={"width": 390, "height": 844})
    )
    sign_in(context, live_server.url, member.user)
    page = context.new_page()
    try:
        page.goto(f"/w/{ws.slug}/members/")
        page.get_by_role("button", name="Start timer").click()
        expect(page.get_by_role("button", name="Stop timer")).to_be_visible()
        assert page.url.endswith(f"/w/{ws.slug}/members/")
        assert TimeEntry.objects.get(member=member).ended_at is None
        # The running dot shows on the closed "Measure" menu that holds Time, and on a phone,
        # where the menus wait behind one button, on that "Menu" button.
        running = nav_menu(page, "Measure").locator(".nav-count")
        expect(running).to_have_text("● timer running")
        menu = page.get_by_role("navigation", name="Main").locator(".nav-toggle")
        expect(menu).to_have_accessible_name(re.compile(r"^Menu\s*● timer running$"))
        expect(menu.locator(".nav-count")).to_be_visible()

        page.goto(f"/w/{ws.slug}/tracking/")
        expect(page.get_by_role("heading", level=1)).to_have_text("Time")
        expect(page.get_by_text("Running since")).to_be_visible()
        page.get_by_role("button", name="Stop the timer").click()
        expect(page.get_by_role("button", name="Start the timer")).to_be_visible()
        expect(nav_menu(page, "Measure").locator(".nav-count")).to_have_count(0)
        expect(menu.locator(".nav-count")).to_have_count(0)
        assert TimeEntry.objects.get(member=member).ended_at is not None

        page.get_by_label("Start").fill("2026-01-05T09:00")
        page.get_by_label("Or duration (minutes)").fill("90")
        page.get_by_label("Note").fill("Quarterly planning")
        page.get_by_role("button", name="Add entry").click()
        expect(page.get_by_text("Time entry added.")).to_be_visible()
        expect(page.get_by_role("cell", name="Quarterly planning")).to_be_visible()
        assert structure_problems(page) + axe_violations(page) == []
        screenshot(page, "01-week-with-entry")

        page.goto(f"/w/{ws.slug}/tracking/reports/?first=2026-01-05&last=2026-01-11")
        expect(page.get_by_role("heading", name="By day")).to_be_visible()
        expect(page.get_by_text("1 h 30 min").first).to_be_visible()
        assert structure_problems(page) + axe_violations(page) == []
        page.goto(f"/w/{ws.slug}/tracking/privacy/")
        expect(page.get_by_text("Nobody else has looked at your figures.")).to_be_visible()
        assert structure_problems(page) + axe_violations(page) == []
        assert watcher.errors == []
    finally:
        context.close()


def test_an_admin_adds_a_category_rule_on_the_policy_page_at_phone_width(
    live_server, browser: Browser, screenshot, transactional_db
):
    ws = factories.workspace(name="Acme")
    admin = factories.admin_of(ws)
    watcher = Watcher()
    context = watcher.watch(
        browser.new_context(base_url=live_server.url, viewport={"width": 390, "height": 844})
    )
    sign_in(context, live_server.url, admin.user)
    page = context.new_page()
    try:
        page.goto(f"/w/{ws.slug}/tracking/policy/")
        expect(page.get_by_role("heading", name="Category rules")).to_be_visible()
        form = page.locator("form", has=page.get_by_role("button", name="Add the rule"))
        form.get_by_label("Search in").select_option("app")
        form.get_by_label("Pattern (regular expression)").fill("(a+)+")
        form.get_by_label("Category").fill("Slow")
        watcher.expect_once("status of 422")
        page.get_by_role("button", name="Add the rule").click()
        expect(page.get_by_text("repeats a repetition").first).to_be_visible()
        assert structure_problems(page) + axe_violations(page) == []
        form = page.locator("form", has=page.get_by_role("button", name="Add the rule"))
        form.get_by_label("Pattern (regular expression)").fill("zoom|jitsi")
        form.get_by_label("Category").fill("Meetings")
        page.get_by_role("button", name="Add the rule").click()
        expect(page.get_by_text("Rule added: app matching zoom|jitsi.")).to_be_visible()
        expect(page.get_by_role("cell", name="Category Meetings")).to_be_visible()
        assert structure_problems(page) + axe_violations(page) == []
        screenshot(page, "02-policy-category-rules")
        assert watcher.errors == []
    finally:
        context.close()
