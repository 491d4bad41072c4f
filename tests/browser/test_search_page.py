"""The search page in a real browser: the header's box, live results while typing, accessibility."""

import pytest
from playwright.sync_api import Browser, expect

from meridian.briefs.services import Invitee, brief_create, comment_add
from tests import factories
from tests.browser.support import Watcher, axe_violations, sign_in, structure_problems

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
XSS = "<script>alert('snippet')</script> <img src=x onerror=alert('img')>"


@pytest.fixture
def acme(transactional_db):
    """A brief about pricing with a comment that carries an XSS payload next to the word."""
    ws = factories.workspace(name="Acme")
    author, reader = factories.member(ws), factories.member(ws)
    brief = brief_create(
        author=author,
        title="Pricing page: three plans instead of five",
        body="Our five plans confuse buyers.",
        participants=[Invitee(member_id=reader.pk)],
    )
    comment_add(acting=reader, brief=brief, body=f"{XSS} the pricing of the Pro plan")
    return {"ws": ws, "reader": reader, "brief": brief}


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_search_from_the_header_then_live_while_typing(
    live_server, browser: Browser, acme, viewport, screenshot
):
    watcher, dialogs = Watcher(), []
    context = watcher.watch(browser.new_context(viewport=viewport, base_url=live_server.url))
    context.on("page", lambda p: p.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss())))
    sign_in(context, live_server.url, acme["reader"].user)
    page = context.new_page()
    page.goto(f"/w/{acme['ws'].slug}/members/")
    page.get_by_role("searchbox", name="Search Acme").fill("five plans")
    page.keyboard.press("Enter")
    expect(page).to_have_url(f"{live_server.url}/w/{acme['ws'].slug}/search/?q=five+plans")
    expect(page.locator(".hit")).to_have_count(1)
    expect(page.locator(".hit-head mark")).to_have_text(["plans", "five"])

    page.get_by_label("Search for").fill("pric")  # no Enter: htmx asks as you type
    expect(page.locator(".hit")).to_have_count(2)
    # Shown as text (PostgreSQL's snippet starts a word later than SQLite's).
    expect(page.locator(".hit-snippet").last).to_contain_text("alert('img')> the pricing of")
    expect(page).to_have_url(f"{live_server.url}/w/{acme['ws'].slug}/search/?q=pric&kind=")
    screenshot(page, "desktop" if viewport is DESKTOP else "phone")
    assert structure_problems(page) + axe_violations(page) == []
    assert dialogs == []
    assert watcher.errors == []
    context.close()
