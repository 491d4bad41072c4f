"""The check-in journey in a real browser, at 1280 px and on a phone (390 px): a member answers
with a blocker naming a task; the task's owner finds it in their inbox and resolves it; the
member sees it resolved; the team page shows the day. Screenshots go to docs/user/images/."""

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, expect

from meridian.core.moments import local_date
from tests import factories
from tests.browser.support import Watcher, axe_violations, docs_images, sign_in, structure_problems
from tests.checkins.factories import asked, checkin, person, team
from tests.work.factories import project, task

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
ALL_WEEK = {str(d): [[0, 1440]] for d in range(7)}


@pytest.fixture
def standup(transactional_db):
    ws = factories.workspace(name="Kestrel Labs")
    ada = person(ws, "Europe/Berlin", ALL_WEEK, display_name="Ada Okafor")
    chen = person(ws, "Asia/Shanghai", ALL_WEEK, display_name="Chen Wei")
    quinn = person(ws, "America/Los_Angeles", ALL_WEEK, display_name="Quinn Taylor")
    admin = factories.admin_of(ws)
    daily = checkin(admin, team(admin, ada, chen, quinn), weekdays=list(range(7)), ask_mood=True)
    the_task = task(
        admin, project(admin, name="Billing"), title="Approve the invoice template", owner=chen
    )
    now = timezone.now()
    prompts = {
        m.pk: asked(daily, m, local_date(now, m.profile.time_zone), now) for m in (ada, chen, quinn)
    }
    return ws, ada, chen, daily, the_task, prompts


def _check(page, name: str, viewport: str) -> None:
    page.wait_for_load_state("networkidle")
    assert structure_problems(page) + axe_violations(page) == [], name
    page.screenshot(path=str(docs_images() / f"checkins-{name}-{viewport}.png"), full_page=True)


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_a_blocker_reaches_the_task_owner_who_resolves_it(
    live_server, browser: Browser, standup, viewport
):
    ws, ada, chen, daily, the_task, prompts = standup
    size = DESKTOP if viewport == "desktop" else PHONE
    watcher = Watcher()
    # Ada answers, naming the task that blocks her.
    context = watcher.watch(browser.new_context(viewport=size, base_url=live_server.url))
    sign_in(context, live_server.url, ada.user)
    page = context.new_page()
    page.goto(f"/w/{ws.slug}/checkins/answer/{prompts[ada.pk].pk}/")
    page.get_by_label("What did you finish?").fill("Drafted the **invoice** emails")
    page.get_by_label("What's next?").fill("Send them to legal")
    page.get_by_label("Mood", exact=True).select_option("4")
    page.get_by_label("Anything blocking you?").fill("The template needs approval")
    page.get_by_label("Blocked on task").select_option(str(the_task.pk))
    _check(page, "answer", viewport)
    page.get_by_role("button", name="Send my check-in").click()
    expect(page.get_by_text("your check-in is in")).to_be_visible()
    context.close()

    # Chen, who owns the task, finds it in the inbox and resolves it.
    context = watcher.watch(browser.new_context(viewport=size, base_url=live_server.url))
    sign_in(context, live_server.url, chen.user)
    page = context.new_page()
    page.goto(f"/w/{ws.slug}/inbox/")
    page.get_by_role("link", name="Ada Okafor is blocked: The template needs approval").click()
    expect(page.get_by_role("heading", name="Ada Okafor is blocked", level=1)).to_be_visible()
    page.get_by_role("button", name="Mark resolved").click()
    expect(page.get_by_text("Resolved", exact=True)).to_be_visible()
    context.close()

    # Ada sees it resolved; the team page shows the day.
    context = watcher.watch(browser.new_context(viewport=size, base_url=live_server.url))
    sign_in(context, live_server.url, ada.user)
    page = context.new_page()
    page.goto(f"/w/{ws.slug}/inbox/")
    expect(page.get_by_role("link", name="Resolved: The template needs approval")).to_be_visible()
    page.goto(f"/w/{ws.slug}/checkins/{daily.pk}/")
    expect(page.get_by_role("heading", name="Ada Okafor")).to_be_visible()
    expect(page.get_by_text("No open blockers.")).to_be_visible()
    _check(page, "team", viewport)
    assert watcher.errors == []
    context.close()
