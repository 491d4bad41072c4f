"""The first browser journey: two people, two browsers, one workspace.

Ada signs up and starts a workspace, invites Bikram; Bikram opens the link in his own browser,
sets his name and password, his time zone (Kathmandu, UTC+05:45) and split working hours, and
creates an API token he sees once. Ada then finds him in the members list. Every page is checked
for console errors and CSP violations, for its accessible structure, and photographed (also at
phone width and in dark mode) into test-artifacts/.
"""

import re

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.support import Watcher, axe_violations, nav_menu, nav_to, structure_problems

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
ADA = ("ada@kestrel.example", "ada-passes-the-test-1")
BIKRAM = ("bikram@kestrel.example", "bikram-passes-too-2")


@pytest.fixture
def watcher() -> Watcher:
    return Watcher()


def test_sign_up_invite_accept_profile_token_journey(
    live_server, browser: Browser, screenshot, watcher: Watcher
):
    base = live_server.url

    def look(page: Page, name: str) -> None:
        """Every page: it has loaded, its structure is sound, and a person can look at it."""
        page.wait_for_load_state("networkidle")
        assert structure_problems(page) + axe_violations(page) == [], name
        screenshot(page, name)

    # --- Ada signs up and starts a workspace ----------------------------------------------
    ada_context = watcher.watch(browser.new_context(viewport=DESKTOP, base_url=base))
    ada = ada_context.new_page()
    ada.goto("/accounts/signup/")
    expect(ada.get_by_role("heading", level=1)).to_have_text("Sign Up")
    look(ada, "01-sign-up")
    # Keyboard: the first Tab reaches the skip link, which moves focus to the main content.
    ada.keyboard.press("Tab")
    expect(ada.get_by_role("link", name="Skip to content")).to_be_focused()
    screenshot(ada, "01b-skip-link-focused")
    ada.keyboard.press("Enter")
    expect(ada.locator("main")).to_be_focused()

    ada.get_by_label("Email").fill(ADA[0])
    ada.get_by_label("Password", exact=True).fill(ADA[1])
    ada.get_by_label("Password (again)").fill(ADA[1])
    ada.get_by_role("button", name="Sign Up").click()
    expect(ada.get_by_role("heading", level=1)).to_have_text("Your workspaces")
    expect(ada.get_by_text("You are not in a workspace yet.")).to_be_visible()
    look(ada, "02-home-no-workspace")

    ada.get_by_role("link", name="Create a workspace").click()
    look(ada, "03-create-workspace")
    ada.get_by_label("Workspace name").fill("Kestrel Labs")
    ada.get_by_role("button", name="Create workspace").click()
    expect(ada).to_have_url(f"{base}/w/kestrel-labs/members/")
    expect(ada.get_by_text("Welcome to Kestrel Labs.")).to_be_visible()
    look(ada, "04-members-new-workspace")

    # --- Ada invites Bikram; the link is shown once -----------------------------------------
    ada.get_by_role("link", name="Invite someone").click()
    look(ada, "05-invite")
    ada.get_by_label("Email address").fill(BIKRAM[0])
    ada.get_by_label("Role").select_option("member")
    ada.get_by_role("button", name="Send invitation").click()
    expect(ada.get_by_role("heading", level=1)).to_have_text("Invitation sent")
    link = ada.get_by_label("Invitation link").input_value()
    assert re.fullmatch(rf"{re.escape(base)}/invitations/\S+/", link)
    look(ada, "06-invitation-sent")

    # --- Bikram, in his own browser, accepts ------------------------------------------------
    bikram_context = watcher.watch(browser.new_context(viewport=DESKTOP, base_url=base))
    bikram = bikram_context.new_page()
    bikram.goto(link)
    expect(bikram.get_by_role("heading", level=1)).to_have_text("Join Kestrel Labs")
    expect(bikram.get_by_label("Email address")).to_have_value(BIKRAM[0])
    look(bikram, "07-accept-invitation")
    bikram.get_by_label("Your name").fill("Bikram Thapa")
    bikram.get_by_label("Password").fill(BIKRAM[1])
    bikram.get_by_role("button", name="Create account and join").click()
    expect(bikram).to_have_url(f"{base}/w/kestrel-labs/profile/")
    expect(bikram.get_by_text("You joined Kestrel Labs.")).to_be_visible()
    look(bikram, "08-profile-after-joining")

    # --- Bikram sets his time zone and split working hours ----------------------------------
    # First a typo: the form says what is wrong and keeps what he typed.
    bikram.get_by_label("Time zone").fill("Asia/Kathmandoo")
    watcher.expect_once("status of 422")
    bikram.get_by_role("button", name="Save profile").click()
    expect(bikram.get_by_role("alert")).to_contain_text("Unknown time zone: “Asia/Kathmandoo”.")
    expect(bikram.get_by_label("Time zone")).to_have_attribute("aria-invalid", "true")
    look(bikram, "09-profile-invalid-zone")

    bikram.get_by_label("Time zone").fill("Asia/Kathmandu")
    bikram.get_by_label("Monday working hours").fill("09:00-12:30, 14:00-18:00")
    bikram.get_by_role("button", name="Copy Monday's hours to Tuesday–Friday").click()
    expect(bikram.get_by_label("Friday working hours")).to_have_value("09:00-12:30, 14:00-18:00")
    bikram.get_by_label("Wednesday focus time").fill("09:00-11:00")
    bikram.get_by_label("Daily digest at").fill("08:30")
    bikram.get_by_role("button", name="Save profile").click()
    expect(bikram.get_by_text("Profile saved.")).to_be_visible()
    expect(bikram.get_by_label("Time zone")).to_have_value("Asia/Kathmandu")
    expect(bikram.get_by_label("Thursday working hours")).to_have_value("09:00-12:30, 14:00-18:00")
    expect(bikram.get_by_text("in Asia/Kathmandu (UTC+05:45)")).to_be_visible()
    look(bikram, "10-profile-saved")
    bikram.set_viewport_size(PHONE)
    look(bikram, "10-profile-phone")
    bikram.set_viewport_size(DESKTOP)

    # --- Bikram creates an API token and sees it once ---------------------------------------
    nav_to(bikram, "You", "API tokens")
    look(bikram, "11-tokens-empty")
    bikram.get_by_label("Token name").fill("laptop tracker")
    bikram.get_by_role("button", name="Create token").click()
    secret = bikram.get_by_label("Token", exact=True).input_value()
    assert secret.startswith("mer")
    look(bikram, "12-token-created")
    me = bikram.request.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"})
    assert me.ok and me.json()["email"] == BIKRAM[0]
    bikram.goto("/w/kestrel-labs/tokens/")
    expect(bikram.get_by_label("Token", exact=True)).to_have_count(0)
    expect(bikram.get_by_role("rowheader", name="laptop tracker")).to_be_visible()
    assert secret not in bikram.content()

    # --- Ada sees Bikram among the members, with his local time ----------------------------
    ada.get_by_role("link", name="Back to members").click()
    row = ada.get_by_role("row").filter(has_text="Bikram Thapa")
    expect(row).to_contain_text("Asia/Kathmandu · UTC+05:45")
    expect(row).to_contain_text("Member")
    expect(ada.get_by_text("Open invitations")).to_have_count(0)
    # The search filters the table in place through htmx, and the address follows it.
    ada.locator("#q").fill("bikram")
    expect(ada.get_by_role("row").filter(has_text="ada@kestrel.example")).to_have_count(0)
    expect(ada).to_have_url(re.compile(r"\?q=bikram"))
    expect(ada.locator("#member-table")).to_have_count(1)
    look(ada, "13-members-search-htmx")
    ada.locator("#q").fill("")
    expect(ada.get_by_role("row").filter(has_text="ada@kestrel.example")).to_have_count(1)
    look(ada, "14-members")
    ada.set_viewport_size(PHONE)
    look(ada, "14-members-phone")
    ada.set_viewport_size(DESKTOP)

    # --- Teams ------------------------------------------------------------------------------
    nav_to(ada, "Workspace", "Teams")
    look(ada, "15-teams-empty")
    ada.get_by_label("Team name").fill("Platform")
    ada.get_by_label("Description").fill("Keeps the lights on, in every time zone.")
    ada.get_by_role("button", name="Create team").click()
    expect(ada.get_by_role("heading", level=1)).to_have_text("Platform")
    ada.get_by_label("Member to add to Platform").select_option(label="Bikram Thapa")
    ada.get_by_role("button", name="Add", exact=True).click()
    expect(ada.get_by_text("Bikram Thapa joined Platform.")).to_be_visible()
    look(ada, "16-team")
    ada.get_by_role("link", name="Teams", exact=True).first.click()
    expect(ada.get_by_text("1 member", exact=True)).to_be_visible()
    look(ada, "17-teams")

    # --- The audit log, filtered with htmx ---------------------------------------------------
    nav_to(ada, "Workspace", "Audit log")
    expect(ada.get_by_role("row").filter(has_text="invitation.accept")).to_have_count(1)
    ada.get_by_label("Action").select_option("team.create")
    expect(ada.get_by_role("row").filter(has_text="invitation.accept")).to_have_count(0)
    expect(ada.get_by_role("row").filter(has_text="team.create")).to_have_count(1)
    expect(ada).to_have_url(re.compile(r"action=team.create"))
    look(ada, "18-audit-log-filtered")

    # --- Dark mode: Ada signs in through the form in a dark-themed browser ------------------
    dark_context = watcher.watch(
        browser.new_context(viewport=DESKTOP, base_url=base, color_scheme="dark")
    )
    dark = dark_context.new_page()
    dark.goto("/w/kestrel-labs/members/")
    expect(dark).to_have_url(re.compile(r"/accounts/login/\?next=/w/kestrel-labs/members/"))
    look(dark, "19-sign-in-dark")
    dark.get_by_label("Email").fill(ADA[0])
    dark.get_by_label("Password").fill(ADA[1])
    dark.get_by_role("button", name="Sign In").click()
    expect(dark).to_have_url(f"{base}/w/kestrel-labs/members/")
    look(dark, "20-members-dark")
    dark.goto("/w/kestrel-labs/profile/")
    look(dark, "21-profile-dark")
    dark.set_viewport_size(PHONE)
    look(dark, "21-profile-dark-phone")

    # --- Sign out --------------------------------------------------------------------------
    nav_menu(ada, "You").click()
    ada.get_by_role("button", name="Sign out").click()
    expect(ada.get_by_role("heading", level=1)).to_have_text("Sign In")
    look(ada, "22-signed-out")

    for context in (ada_context, bikram_context, dark_context):
        context.close()
    assert watcher.errors == []
    assert watcher.allowed == [], "an expected console error did not happen"
