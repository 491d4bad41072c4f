"""The main navigation as people use it: a bar of menus on one row at 1280 px, a compact bar
on a phone, each menu a disclosure a keyboard opens and Escape closes, the page being read and
its menu marked, counts showing on a closed menu, and the links working without JavaScript."""

import pytest
from playwright.sync_api import Browser, Page, expect

from tests import factories
from tests.browser.support import (
    Watcher,
    axe_violations,
    docs_images,
    nav_menu,
    sign_in,
    structure_problems,
)
from tests.notifications.factories import many_items

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
GROUPS = ["Communicate", "Work", "Measure", "Workspace", "You"]


@pytest.fixture
def admin(transactional_db):
    ws = factories.workspace(name="Kestrel Labs")
    return factories.admin_of(ws)


def open_page(browser: Browser, live_server, member, viewport, **options) -> tuple[Watcher, Page]:
    watcher = Watcher()
    context = watcher.watch(
        browser.new_context(viewport=viewport, base_url=live_server.url, **options)
    )
    sign_in(context, live_server.url, member.user)
    return watcher, context.new_page()


def focused(page: Page) -> str:
    return page.evaluate("() => document.activeElement.textContent.trim()")


def test_on_a_desktop_the_menus_sit_on_one_row_and_a_keyboard_works_them(
    live_server, browser: Browser, admin
):
    watcher, page = open_page(browser, live_server, admin, DESKTOP)
    page.goto(f"/w/{admin.workspace.slug}/members/")
    nav = page.get_by_role("navigation", name="Main")
    bar = nav.locator(":scope > ul > li")
    # One row: every item overlaps every other vertically (items are centred on the row, and one
    # with a count may stand a few pixels taller; a wrapped item would lie wholly below).
    boxes = [box for box in (item.bounding_box() for item in bar.all()) if box]
    assert len(boxes) > len(GROUPS)  # the inbox, then the menus
    lowest_top = max(box["y"] for box in boxes)
    highest_bottom = min(box["y"] + box["height"] for box in boxes)
    assert lowest_top < highest_bottom, f"the bar wraps: {boxes}"
    # The links of closed menus are not shown; the page's own menu says it is current.
    expect(nav.get_by_role("link", name="Teams")).to_be_hidden()
    workspace = nav_menu(page, "Workspace")
    expect(workspace).to_have_attribute("aria-current", "true")
    expect(nav.locator('summary[aria-current="true"]')).to_have_count(1)

    # Tab to a menu, open it with Enter, Tab into it, follow a link with Enter.
    communicate = nav_menu(page, "Communicate")
    communicate.focus()
    page.keyboard.press("Enter")
    expect(nav.get_by_role("link", name="Decisions")).to_be_visible()
    page.wait_for_load_state("networkidle")
    assert structure_problems(page) + axe_violations(page) == []
    page.screenshot(path=str(docs_images() / "nav-desktop.png"))
    # Escape closes it and leaves the focus on its summary.
    page.keyboard.press("Tab")
    assert focused(page) == "Briefs"
    page.keyboard.press("Escape")
    expect(nav.get_by_role("link", name="Briefs")).to_be_hidden()
    assert focused(page) == "Communicate"
    # Opening one menu closes the other; a click elsewhere closes it too.
    page.keyboard.press("Space")
    expect(nav.get_by_role("link", name="Briefs")).to_be_visible()
    nav_menu(page, "Measure").click()
    expect(nav.get_by_role("link", name="Briefs")).to_be_hidden()
    expect(nav.get_by_role("link", name="Goals")).to_be_visible()
    page.get_by_role("heading", level=1).click()
    expect(nav.get_by_role("link", name="Goals")).to_be_hidden()

    communicate.focus()
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    expect(page).to_have_url(f"{live_server.url}/w/{admin.workspace.slug}/briefs/")
    expect(communicate).to_have_attribute("aria-current", "true")
    expect(nav_menu(page, "Workspace")).not_to_have_attribute("aria-current", "true")
    expect(nav.get_by_role("link", name="Briefs", include_hidden=True)).to_have_attribute(
        "aria-current", "page"
    )
    assert watcher.errors == []


def test_on_a_phone_one_menu_button_opens_every_menu_stacked_with_the_counts_shown(
    live_server, browser: Browser, admin, screenshot
):
    ws = admin.workspace
    many_items(admin, 1, actor=factories.member(ws))
    watcher, page = open_page(browser, live_server, admin, PHONE)
    page.goto(f"/w/{ws.slug}/members/")
    header = page.locator("body > header").bounding_box()
    assert header is not None and header["height"] < 0.15 * PHONE["height"]
    nav = page.get_by_role("navigation", name="Main")
    menu = nav.get_by_role("button", name="Menu", exact=True)
    # The inbox's count is on the bar beside the closed menu; nothing scrolls sideways.
    expect(page.locator("#inbox-count")).to_have_text("1 waiting")
    expect(page.locator("#inbox-count")).to_be_visible()
    expect(menu).to_have_attribute("aria-expanded", "false")
    expect(menu).to_have_attribute("aria-controls", "main-nav-list")
    expect(nav_menu(page, "You")).to_be_hidden()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    # A keyboard reaches the button, sees its focus, and opens it.
    menu.focus()
    outline = page.evaluate(
        "() => { const e = document.activeElement;"
        " return e.matches(':focus-visible') ? getComputedStyle(e).outlineStyle : ''; }"
    )
    assert outline == "solid"
    page.keyboard.press("Enter")
    expect(menu).to_have_attribute("aria-expanded", "true")
    # Every menu is open, stacked one under the other, inside the phone's width.
    summaries = [nav_menu(page, group) for group in GROUPS]
    boxes = [s.bounding_box() for s in summaries]
    assert all(b is not None for b in boxes)
    assert [round(b["y"]) for b in boxes] == sorted(round(b["y"]) for b in boxes)
    assert len({round(b["x"]) for b in boxes}) == 1, "the menus are not stacked"
    sign_out = nav.get_by_role("button", name="Sign out")
    teams = nav.get_by_role("link", name="Teams", exact=True)
    expect(sign_out).to_be_visible()
    expect(teams).to_be_visible()
    expect(nav.get_by_role("link", name="Briefs", exact=True)).to_be_visible()
    for element in (sign_out, teams):
        box = element.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.wait_for_load_state("networkidle")
    assert structure_problems(page) + axe_violations(page) == []
    shot = screenshot(page, "menu-open")
    page.screenshot(path=str(docs_images() / "nav-phone.png"))
    assert shot.exists()

    # Escape closes it and gives the focus back to the button.
    teams.focus()
    page.keyboard.press("Escape")
    expect(menu).to_have_attribute("aria-expanded", "false")
    expect(sign_out).to_be_hidden()
    assert page.evaluate("document.activeElement.textContent.trim()") == "Menu"

    # Reopened, a Workspace entry leads to its page.
    menu.click()
    teams.click()
    expect(page).to_have_url(f"{live_server.url}/w/{ws.slug}/teams/")
    expect(nav.get_by_role("button", name="Menu", exact=True)).to_have_attribute(
        "aria-expanded", "false"
    )
    assert watcher.errors == []


def test_on_a_phone_sign_out_is_reached_through_the_menu(live_server, browser: Browser, admin):
    _, page = open_page(browser, live_server, admin, PHONE)
    page.goto(f"/w/{admin.workspace.slug}/members/")
    nav = page.get_by_role("navigation", name="Main")

    nav.get_by_role("button", name="Menu", exact=True).click()
    nav.get_by_role("button", name="Sign out").click()

    expect(
        page.get_by_role("navigation", name="Main").get_by_role("link", name="Sign in")
    ).to_be_visible()


def test_on_a_phone_without_javascript_the_bar_wraps_and_shows_no_dead_button(
    live_server, browser: Browser, admin
):
    _, page = open_page(browser, live_server, admin, PHONE, java_script_enabled=False)
    page.goto(f"/w/{admin.workspace.slug}/members/")
    nav = page.get_by_role("navigation", name="Main")

    expect(nav.get_by_role("button", name="Menu", exact=True)).to_have_count(0)
    for group in GROUPS:
        box = nav_menu(page, group).bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    nav_menu(page, "You").click()
    expect(nav.get_by_role("button", name="Sign out")).to_be_visible()


def test_without_javascript_the_menus_still_open_and_lead_to_their_pages(
    live_server, browser: Browser, admin
):
    _, page = open_page(browser, live_server, admin, DESKTOP, java_script_enabled=False)
    page.goto(f"/w/{admin.workspace.slug}/members/")
    nav = page.get_by_role("navigation", name="Main")
    assert [s.split("\n")[0].strip() for s in nav.locator("summary").all_inner_texts()] == GROUPS

    nav_menu(page, "Measure").click()
    nav.get_by_role("link", name="Goals").click()

    expect(page).to_have_url(f"{live_server.url}/w/{admin.workspace.slug}/goals/")
