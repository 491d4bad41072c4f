"""The decisions pages as a new user sees them at 1280 px and on a phone (390 px).

The ranked-choice rounds fit a desktop card and scroll, with a hint, on a phone; consent
positions differ by colour and by a mark; the proposal form shows only the chosen kind's
fields; the phone header leaves the screen to the page.
"""

import pytest
from playwright.sync_api import Browser, Page, expect

from meridian.decisions.services import proposal_close
from tests import factories
from tests.briefs.factories import person
from tests.browser.support import (
    Watcher,
    axe_violations,
    nav_menu,
    sign_in,
    structure_problems,
)
from tests.decisions.factories import proposal, rank, vote

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
CITIES = ["Bangkok", "Buenos Aires", "Cape Town", "Kuala Lumpur", "Mexico City", "Reykjavik"]


@pytest.fixture
def team(transactional_db):
    ws = factories.workspace(name="Kestrel Labs")
    ada = person(ws, "Europe/Berlin", display_name="Ada Okafor")
    others = [person(ws, "Asia/Kathmandu") for _ in range(8)]
    return ws, ada, others


def open_page(browser: Browser, live_server, member, viewport) -> tuple[Watcher, Page]:
    watcher = Watcher()
    context = watcher.watch(browser.new_context(viewport=viewport, base_url=live_server.url))
    sign_in(context, live_server.url, member.user)
    return watcher, context.new_page()


def checked(page: Page, watcher: Watcher) -> None:
    page.wait_for_load_state("networkidle")
    assert structure_problems(page) + axe_violations(page) == []
    assert watcher.errors == []


def test_ranked_rounds_fit_on_a_desktop_and_scroll_with_a_hint_on_a_phone(
    live_server, browser: Browser, screenshot, team
):
    ws, ada, others = team
    p = proposal(ada, others, kind="ranked", options=CITIES, visibility="open", rule="majority")
    # Every ballot a different rotation: many rounds, each with a tie broken by lots.
    for shift, member in enumerate(others):
        rank(member, p, *(CITIES[shift % 6 :] + CITIES[: shift % 6]))
    proposal_close(acting=ada, proposal=p, reason="Everyone has ranked.")
    path = f"/w/{ws.slug}/decisions/proposals/{p.pk}/"

    watcher, desk = open_page(browser, live_server, ada, DESKTOP)
    desk.goto(path)
    rounds = desk.get_by_role("region", name="Instant-runoff, round by round")
    expect(rounds).to_contain_text("tie broken by")
    assert rounds.evaluate("el => el.scrollWidth <= el.clientWidth")
    expect(desk.get_by_text("Scroll sideways")).to_be_hidden()
    checked(desk, watcher)
    screenshot(desk, "ranked-desktop")

    watcher, phone = open_page(browser, live_server, ada, PHONE)
    phone.goto(path)
    rounds = phone.get_by_role("region", name="Instant-runoff, round by round")
    assert rounds.evaluate("el => el.scrollWidth > el.clientWidth")  # it scrolls, inside its card
    expect(phone.get_by_text("Scroll sideways to see every option's column.")).to_be_visible()
    rounds.focus()  # a keyboard reaches it, and the arrow keys scroll it
    phone.keyboard.press("ArrowRight")
    phone.wait_for_function(
        "() => document.querySelector('.table-wrap.scrolls').scrollLeft > 0", timeout=5000
    )
    checked(phone, watcher)
    screenshot(phone, "ranked-phone")


def test_consent_positions_differ_by_colour_and_by_a_mark(
    live_server, browser: Browser, screenshot, team
):
    ws, ada, others = team
    p = proposal(ada, others[:4], visibility="open")
    for member, position in zip(others[:4], ["agree", "abstain", "object", "block"], strict=True):
        vote(member, p, position=position, reason="Thursday is our support peak.")
    watcher, page = open_page(browser, live_server, ada, DESKTOP)
    page.goto(f"/w/{ws.slug}/decisions/proposals/{p.pk}/")

    looks = page.evaluate(
        """() => ["agree", "abstain", "object", "block"].map((p) => {
          const row = document.querySelector(`.bars .position-${p}`);
          const mark = getComputedStyle(row.querySelector(".position-mark"), "::before");
          return [getComputedStyle(row).getPropertyValue("--bar-fill").trim(),
                  mark.content, row.textContent.trim().split(/\\s+/)[0]];
        })"""
    )
    fills = [fill for fill, _, _ in looks]
    marks = [mark for _, mark, _ in looks]
    assert len(set(fills)) == 4 and len(set(marks)) == 4 and "none" not in marks
    assert [word for _, _, word in looks] == ["Agree", "Abstain", "Object", "Block"]
    checked(page, watcher)
    screenshot(page, "consent-bars")


def test_the_proposal_form_shows_only_the_fields_of_the_chosen_kind(
    live_server, browser: Browser, team
):
    ws, ada, _ = team
    watcher, page = open_page(browser, live_server, ada, DESKTOP)
    page.goto(f"/w/{ws.slug}/decisions/new/")
    expect(page.get_by_label("Kind")).to_have_value("consent")
    for label in ("Options", "Score: the highest score", "Dot vote: points per person"):
        expect(page.get_by_label(label)).to_be_hidden()

    page.get_by_label("Kind").select_option("score")
    expect(page.get_by_label("Options")).to_be_visible()
    expect(page.get_by_label("Score: the highest score")).to_be_visible()
    expect(page.get_by_label("Dot vote: points per person")).to_be_hidden()
    expect(page.get_by_label("Multiple choice: at most this many choices")).to_be_hidden()
    checked(page, watcher)


def test_on_a_phone_the_header_leaves_the_screen_to_the_page(live_server, browser: Browser, team):
    ws, ada, _ = team
    watcher, page = open_page(browser, live_server, ada, PHONE)
    page.goto(f"/w/{ws.slug}/members/")
    header = page.locator("body > header").bounding_box()
    assert header is not None and header["height"] < 0.15 * PHONE["height"]
    # Every menu is still there, one swipe away, and every entry in its menu.
    menu = page.get_by_role("navigation", name="Main")
    for group in ("Communicate", "Work", "Measure", "Workspace", "You"):
        expect(nav_menu(page, group)).to_be_attached()
    for name in ("Briefs", "Decisions", "Members", "Teams", "Profile", "Workspaces"):
        expect(menu.get_by_role("link", name=name, include_hidden=True)).to_be_attached()
    checked(page, watcher)
