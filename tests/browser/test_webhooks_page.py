"""An admin adds a webhook to a private address, reads why it is refused, allows the host."""

import re

import pytest
from playwright.sync_api import Browser, expect

from meridian.webhooks.models import WebhookEndpoint
from tests import factories
from tests.browser.support import Watcher, axe_violations, nav_to, sign_in, structure_problems
from tests.webhooks.support import Receiver

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_admin_sees_why_a_private_address_is_refused_then_allows_the_host(
    live_server, browser: Browser, screenshot, transactional_db
):
    admin = factories.admin_of(factories.workspace(name="Acme"))
    receiver = Receiver()
    watcher = Watcher()
    context = watcher.watch(browser.new_context(base_url=live_server.url))
    sign_in(context, live_server.url, admin.user)
    page = context.new_page()
    try:
        page.goto(f"/w/{admin.workspace.slug}/members/")
        nav_to(page, "Workspace", "Webhooks")
        expect(page.get_by_role("heading", level=1)).to_have_text("Outgoing webhooks")

        page.get_by_label("Address (URL)").fill(receiver.url())
        page.get_by_label("brief.created").check()
        watcher.expect_once("422")
        page.get_by_role("button", name="Add endpoint").click()
        alert = page.get_by_role("alert")
        expect(alert).to_contain_text("127.0.0.1 resolves to 127.0.0.1, a loopback address")
        screenshot(page, "01-private-address-refused")
        assert not WebhookEndpoint.objects.exists()

        page.get_by_label("Host", exact=True).fill("127.0.0.1")
        page.get_by_role("button", name="Allow host").click()
        expect(page.get_by_text("127.0.0.1 may now receive webhooks.")).to_be_visible()
        page.get_by_label("Address (URL)").fill(receiver.url())
        page.get_by_label("brief.created").check()
        page.get_by_role("button", name="Add endpoint").click()
        expect(
            page.get_by_role("heading", name="Endpoint added — its signing secret")
        ).to_be_visible()
        expect(page.get_by_role("textbox", name="Signing secret")).to_have_value(
            re.compile(r"^whsec_")
        )
        expect(page.get_by_role("link", name=receiver.url())).to_be_visible()
        assert structure_problems(page) + axe_violations(page) == []
        screenshot(page, "02-host-allowed-endpoint-added")
        assert WebhookEndpoint.objects.get().url == receiver.url()
        assert watcher.errors == []
    finally:
        context.close()
        receiver.close()
