"""The account pages allauth serves, inside Meridian's layout: password reset by email, change and
set password, sign-out. Each is checked for structure and axe rules and photographed."""

import re

import pytest
from django.core import mail
from playwright.sync_api import Browser, expect

from tests import factories
from tests.browser.support import Watcher, axe_violations, sign_in, structure_problems

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_password_reset_change_set_and_sign_out_pages(
    live_server, browser: Browser, screenshot, transactional_db
):
    admin = factories.admin_of(factories.workspace(name="Acme"))
    email = admin.user.email
    watcher = Watcher()
    context = watcher.watch(browser.new_context(base_url=live_server.url))
    page = context.new_page()
    problems: dict[str, list[str]] = {}

    def look(name: str) -> None:
        found = structure_problems(page) + axe_violations(page)
        if found:
            problems[name] = found
        screenshot(page, name)

    # Forgotten password: ask for a link, follow it from the email, choose a new password.
    page.goto("/accounts/login/")
    page.get_by_role("link", name="Forgot your password?").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Password Reset")
    look("01-password-reset")
    page.get_by_label("Email").fill(email)
    page.get_by_role("button", name="Reset My Password").click()
    expect(page.get_by_text("We have sent you an email.")).to_be_visible()
    look("02-password-reset-sent")
    link = re.search(r"https?://\S+/accounts/password/reset/key/\S+", mail.outbox[-1].body)
    assert link is not None
    page.goto(link.group(0).replace("http://testserver", live_server.url))
    expect(page.get_by_role("heading", level=1)).to_have_text("Change Password")
    look("03-password-reset-new-password")
    page.get_by_label("New Password", exact=True).fill("reset-and-remembered-5")
    page.get_by_label("New Password (again)").fill("reset-and-remembered-5")
    page.get_by_role("button", name="Change Password").click()
    expect(page.get_by_text("Your password is now changed.")).to_be_visible()
    look("04-password-reset-done")

    # Sign in with it; change it from the profile page.
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill("reset-and-remembered-5")
    page.get_by_role("button", name="Sign In").click()
    page.goto(f"/w/{admin.workspace.slug}/profile/")
    page.get_by_role("link", name="Change your password").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Change Password")
    look("05-password-change")
    page.get_by_label("Current Password").fill("reset-and-remembered-5")
    page.get_by_label("New Password", exact=True).fill("changed-on-purpose-6")
    page.get_by_label("New Password (again)").fill("changed-on-purpose-6")
    page.get_by_role("button", name="Change Password").click()
    expect(page.get_by_text("Password successfully changed.")).to_be_visible()

    # Sign-out asks first when reached by a link.
    page.goto("/accounts/logout/")
    expect(page.get_by_text("Are you sure you want to sign out?")).to_be_visible()
    look("06-sign-out")
    page.get_by_role("main").get_by_role("button", name="Sign Out").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign In")

    # Someone without a usable password (e.g. created by an admin command) sets one.
    person = factories.user(email="nopass@example.com")
    person.set_unusable_password()
    person.save()
    sign_in(context, live_server.url, person)
    page.goto("/accounts/password/set/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Set Password")
    look("07-set-password")
    page.get_by_label("Password", exact=True).fill("first-password-ever-7")
    page.get_by_label("Password (again)").fill("first-password-ever-8")
    page.get_by_role("button", name="Set Password").click()
    expect(page.get_by_role("alert")).to_contain_text("You must type the same password each time.")
    look("08-set-password-mismatch")

    context.close()
    assert problems == {}
    assert watcher.errors == []
