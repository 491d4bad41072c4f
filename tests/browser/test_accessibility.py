"""Accessibility of every page in a real browser: axe-core's rules (served from node_modules,
never a CDN), Meridian's own structure rules, light and dark, desktop and phone, and keyboard use.
"""

import pytest
from playwright.sync_api import Browser, expect

from meridian.accounts.services import token_create
from meridian.workspaces.models import Role
from meridian.workspaces.services import invitation_create, team_add_member, team_create
from tests import factories
from tests.browser.support import AXE, Watcher, axe_violations, sign_in, structure_problems

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


@pytest.fixture
def acme(transactional_db):
    """A workspace with an admin, members in several zones, a team, a token and an invitation."""
    ws = factories.workspace(name="Acme")
    admin = factories.admin_of(ws)
    team = team_create(acting=admin, name="Platform", description="Keeps the lights on.")
    for zone in ("Asia/Kathmandu", "America/Sao_Paulo", "Pacific/Chatham"):
        member = factories.member(ws, time_zone=zone, title="Engineer")
        team_add_member(acting=admin, team=team, member=member)
    token_create(acting=admin, name="laptop tracker")
    _, invitation_token = invitation_create(acting=admin, email="new@example.com")
    return {"ws": ws, "admin": admin, "invitation": invitation_token}


def workspace_pages(slug: str) -> list[str]:
    return [
        "/",
        "/new/",
        f"/w/{slug}/inbox/",
        f"/w/{slug}/members/",
        f"/w/{slug}/members/invite/",
        f"/w/{slug}/profile/",
        f"/w/{slug}/teams/",
        f"/w/{slug}/teams/platform/",
        f"/w/{slug}/tokens/",
        f"/w/{slug}/audit/",
        f"/w/{slug}/teams/no-such-team/",
    ]


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_signed_in_pages_pass_axe_and_structure_checks(
    live_server, browser: Browser, acme, scheme, viewport
):
    assert AXE.exists(), "npm ci installs axe-core (package.json devDependencies)"
    watcher = Watcher()
    context = watcher.watch(
        browser.new_context(viewport=viewport, color_scheme=scheme, base_url=live_server.url)
    )
    sign_in(context, live_server.url, acme["admin"].user)
    page = context.new_page()
    found = {}
    for path in workspace_pages(acme["ws"].slug):
        if path.endswith("no-such-team/"):
            watcher.expect_once("status of 404")
        page.goto(path)
        problems = structure_problems(page) + axe_violations(page)
        if problems:
            found[path] = problems
    # A form with errors, as a person who made mistakes sees it.
    page.goto(f"/w/{acme['ws'].slug}/profile/")
    page.get_by_label("Time zone").fill("Nowhere/Special")
    page.get_by_label("Monday working hours").fill("17:00-09:00")
    watcher.expect_once("status of 422")
    page.get_by_role("button", name="Save profile").click()
    expect(page.get_by_role("alert")).to_contain_text("Unknown time zone")
    problems = structure_problems(page) + axe_violations(page)
    if problems:
        found["profile with errors"] = problems
    context.close()
    assert found == {}
    assert watcher.errors == []


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_anonymous_pages_pass_axe_and_structure_checks(live_server, browser: Browser, acme, scheme):
    watcher = Watcher()
    context = watcher.watch(
        browser.new_context(viewport=DESKTOP, color_scheme=scheme, base_url=live_server.url)
    )
    page = context.new_page()
    found = {}
    pages = [
        "/accounts/login/",
        "/accounts/signup/",
        "/accounts/password/reset/",
        f"/invitations/{acme['invitation']}/",
        "/invitations/not-a-real-link/",
    ]
    for path in pages:
        if "not-a-real" in path:
            watcher.expect_once("status of 404")
        page.goto(path)
        problems = structure_problems(page) + axe_violations(page)
        if problems:
            found[path] = problems
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill("nobody@example.com")
    page.get_by_label("Password").fill("wrong-password-1")
    page.get_by_role("button", name="Sign In").click()
    expect(page.get_by_role("alert")).to_contain_text("not correct")
    problems = structure_problems(page) + axe_violations(page)
    if problems:
        found["sign-in with errors"] = problems
    context.close()
    assert found == {}
    assert watcher.errors == []


def test_sign_in_and_a_form_work_from_the_keyboard_alone(live_server, browser: Browser, acme):
    admin = acme["admin"]
    watcher = Watcher()
    context = watcher.watch(browser.new_context(viewport=DESKTOP, base_url=live_server.url))
    page = context.new_page()
    page.goto("/accounts/login/")
    keys = page.keyboard

    def focused() -> str:
        return page.evaluate(
            "() => document.activeElement.id || document.activeElement.textContent.trim()"
        )

    keys.press("Tab")
    assert focused() == "Skip to content"
    keys.press("Enter")
    assert focused() == "main"
    # From the main content, the first stops are the sign-up link and the email field.
    while focused() != "id_login":
        keys.press("Tab")
    keys.type(admin.user.email)
    keys.press("Tab")
    assert focused() == "id_password"
    keys.type(factories.PASSWORD)
    keys.press("Enter")
    expect(page).to_have_url(f"{live_server.url}/w/{acme['ws'].slug}/inbox/")

    # A team, created with the keyboard alone: focus the field, type, Enter submits.
    page.goto(f"/w/{acme['ws'].slug}/teams/")
    while focused() != "id_name":
        keys.press("Tab")
    keys.type("Support")
    keys.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Support")
    # The skip link is the first stop on every page, and every stop shows a focus ring.
    keys.press("Tab")
    assert focused() == "Skip to content"
    for _ in range(12):
        keys.press("Tab")
        outline = page.evaluate("() => getComputedStyle(document.activeElement).outlineStyle")
        assert outline not in ("none", ""), focused()
    context.close()
    assert watcher.errors == []


def test_guest_sees_no_tokens_or_audit_links(live_server, browser: Browser, acme):
    guest = factories.member(acme["ws"], role=Role.GUEST)
    context = browser.new_context(viewport=DESKTOP, base_url=live_server.url)
    sign_in(context, live_server.url, guest.user)
    page = context.new_page()
    page.goto(f"/w/{acme['ws'].slug}/members/")
    nav = page.get_by_role("navigation", name="Main")
    # Not in any menu, open or closed (the closed menus' links count too).
    expect(nav.get_by_role("link", name="Profile", include_hidden=True)).to_have_count(1)
    expect(nav.get_by_role("link", name="API tokens", include_hidden=True)).to_have_count(0)
    expect(nav.get_by_role("link", name="Audit log", include_hidden=True)).to_have_count(0)
    expect(page.get_by_role("link", name="Invite someone")).to_have_count(0)
    context.close()
