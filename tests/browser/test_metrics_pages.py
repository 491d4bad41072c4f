"""An admin defines a metric, enters a value by hand and follows a number of the catalogue to the
items behind it, on a phone-width screen; the pages pass the accessibility checks."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, expect

from meridian.metrics.models import MetricFact
from tests import factories
from tests.browser.support import Watcher, axe_violations, sign_in, structure_problems

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_define_a_metric_enter_a_value_and_drill_into_it_at_phone_width(
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
        page.goto(f"/w/{ws.slug}/metrics/")
        expect(page.get_by_role("heading", level=1)).to_have_text("Metrics")
        expect(
            page.get_by_role("rowheader", name="Tasks completed (Work, tasks_completed)")
        ).to_be_visible()
        assert structure_problems(page) + axe_violations(page) == []
        screenshot(page, "01-catalogue")

        page.get_by_role("link", name="Define a metric of your own").click()
        page.get_by_label("Key").fill("nps")
        page.get_by_label("Label").fill("Net promoter score")
        page.get_by_label("Definition").fill("From the quarterly customer survey.")
        assert structure_problems(page) + axe_violations(page) == []
        page.get_by_role("button", name="Define the metric").click()
        expect(page.get_by_text("Metric “Net promoter score” defined.")).to_be_visible()

        page.get_by_role("link", name="Enter a value by hand").click()
        page.get_by_label("Value").fill("41")
        # Yesterday, whatever today is (the admin's zone is UTC): inside the last 7 days.
        yesterday = timezone.now() - timedelta(days=1)
        page.get_by_label("When").fill(yesterday.strftime("%Y-%m-%dT%H:%M"))
        page.get_by_label("Note").fill("Q4 survey, 212 answers")
        page.get_by_role("button", name="Save the value").click()
        expect(page.get_by_text("Value of “Net promoter score” saved.")).to_be_visible()
        assert MetricFact.objects.get(metric="nps").value == 41

        page.get_by_role("link", name="30 days").click()
        expect(page.get_by_role("cell", name="Q4 survey, 212 answers")).to_be_visible()
        assert structure_problems(page) + axe_violations(page) == []
        screenshot(page, "02-items")
        assert watcher.errors == []
    finally:
        context.close()
