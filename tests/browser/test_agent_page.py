"""The agent's own page (served by the real `meridian agent` process) in a browser at phone
width: the day is shown, excluding an app and a time range works from its forms, and the page
passes the accessibility checks. No Meridian server is involved."""

import os

import pytest
from playwright.sync_api import Browser, expect

from tests.agent.conftest import AgentProcess
from tests.browser.support import Watcher, axe_violations, structure_problems

pytestmark = pytest.mark.browser

DAY = "2026-12-03"


@pytest.fixture
def agent(tmp_path, monkeypatch):
    monkeypatch.setenv("TZ", "Europe/Berlin")
    running = AgentProcess(tmp_path)
    os.environ.pop("TZ", None)
    for bucket, kind in (("win", "currentwindow"), ("afk", "afkstatus")):
        running.request(
            "POST", f"/api/0/buckets/{bucket}", {"client": "t", "type": kind, "hostname": "h"}
        )
    windows = [
        ("2026-12-03T08:00:00Z", 3600, {"app": "Code", "title": "main.py"}),
        ("2026-12-03T09:00:00Z", 1800, {"app": "Slack", "title": "<img src=x onerror=alert(1)>"}),
        ("2026-12-03T09:30:00Z", 1800, {"app": "Zoom", "title": "Standup"}),
    ]
    running.request(
        "POST",
        "/api/0/buckets/win/events",
        [{"timestamp": t, "duration": d, "data": data} for t, d, data in windows],
    )
    running.request(
        "POST",
        "/api/0/buckets/afk/events",
        [{"timestamp": "2026-12-03T08:00:00Z", "duration": 7200, "data": {"status": "not-afk"}}],
    )
    yield running
    running.stop()


def test_the_day_and_its_curation_at_phone_width(agent, browser: Browser, screenshot):
    watcher = Watcher()
    context = watcher.watch(browser.new_context(viewport={"width": 390, "height": 844}))
    page = context.new_page()
    try:
        page.goto(f"http://127.0.0.1:{agent.port}/?day={DAY}")
        expect(page.get_by_role("heading", level=1)).to_have_text(
            "Your day: Thursday 03 December 2026"
        )
        expect(page.get_by_text("Europe/Berlin", exact=True)).to_be_visible()
        expect(page.get_by_role("img", name="Activity from 09:00 to 11:00")).to_be_visible()
        assert structure_problems(page) == []
        assert axe_violations(page) == []
        assert page.evaluate("document.documentElement.scrollWidth") <= 390

        page.get_by_role("button", name="Exclude Slack from sharing").click()
        expect(page.get_by_role("status")).to_have_text("“Slack” is excluded from sharing.")
        page.get_by_label("From", exact=True).fill("09:00")
        page.get_by_label("to", exact=True).fill("09:30")
        page.get_by_role("button", name="Exclude from sharing").first.click()
        expect(page.get_by_role("status")).to_have_text("09:00 to 09:30 is excluded from sharing.")
        expect(page.get_by_text("Excluded from sharing", exact=True)).to_be_visible()
        expect(page.locator("dl.totals")).to_contain_text("1 h 00 min")  # 30 + 30 excluded
        page.get_by_role("textbox", name="New category for Zoom").fill("Rituals")
        page.get_by_role("button", name="Relabel Zoom").click()
        expect(page.get_by_role("cell", name="Rituals").first).to_be_visible()
        assert axe_violations(page) == []
        screenshot(page, "agent-day-phone")
        assert watcher.errors == []
    finally:
        context.close()
