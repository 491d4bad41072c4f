"""The decisions journey in a real browser: from a brief to a blind consent proposal to the log.

Ada (Berlin) turns her brief into a blind consent proposal that closes at the end of a working
day in each person's zone, and gives her own stance. Bikram (Kathmandu) opens it and sees no
other stance, in the page nor in the API; he objects with a reason. Carmen (New York) sees
neither his objection nor Ada's stance until she has agreed; then she sees both. Ada closes
it, writes the outcome and its rationale; the record is in the log, found by search, offers no
edit control, and the API refuses to change it.

Every page is checked for structure and axe-core violations, watched for console errors and
CSP violations, and photographed into test-artifacts/.
"""

from datetime import date, timedelta

import pytest
from django.conf import settings
from django.utils import timezone
from playwright.sync_api import Browser, BrowserContext, Page, expect

from meridian.decisions.models import DecisionRecord, Proposal
from tests import factories
from tests.briefs.factories import brief, comment, person
from tests.browser.support import Watcher, axe_violations, sign_in, structure_problems

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


def a_weekday_ahead(days: int = 4) -> date:
    day = timezone.now().date() + timedelta(days=days)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


@pytest.fixture
def team(transactional_db):
    ws = factories.workspace(name="Kestrel Labs")
    ada = person(ws, "Europe/Berlin", display_name="Ada Okafor")
    bikram = person(ws, "Asia/Kathmandu", display_name="Bikram Thapa")
    carmen = person(ws, "America/New_York", display_name="Carmen Díaz")
    b = brief(ada, [bikram, carmen], title="Four-day week for the support team")
    comment(b, bikram, "Fridays need cover from the other regions.")
    return {"ws": ws, "ada": ada, "bikram": bikram, "carmen": carmen, "brief": b}


def api(page: Page, context: BrowserContext, method: str, path: str, workspace: str) -> object:
    """Call the API with the page's session, as a script on the page would (with CSRF)."""
    csrf = next(
        (c["value"] for c in context.cookies() if c["name"] == settings.CSRF_COOKIE_NAME), ""
    )
    headers = {"X-Meridian-Workspace": workspace, "X-CSRFToken": csrf}
    return page.request.fetch(f"/api/v1{path}", method=method, headers=headers, data="{}")


def test_from_brief_to_blind_consent_to_an_immutable_record(
    live_server, browser: Browser, screenshot, team
):
    ws, ada, bikram, carmen = team["ws"], team["ada"], team["bikram"], team["carmen"]
    watcher = Watcher()
    problems: dict[str, list[str]] = {}
    day = a_weekday_ahead()

    def open_as(member, zone: str, viewport=DESKTOP) -> tuple[BrowserContext, Page]:
        context = watcher.watch(
            browser.new_context(viewport=viewport, base_url=live_server.url, timezone_id=zone)
        )
        sign_in(context, live_server.url, member.user)
        return context, context.new_page()

    def step(page: Page, name: str) -> None:
        page.wait_for_load_state("networkidle")
        found = structure_problems(page) + axe_violations(page)
        if found:
            problems[name] = found
        screenshot(page, name)

    # --- Ada turns the brief into a blind consent proposal -----------------------------------
    owner_context, owner = open_as(ada, "Europe/Berlin")
    owner.goto(f"/w/{ws.slug}/briefs/{team['brief'].pk}/")
    owner.get_by_role("link", name="Turn into a proposal").click()
    expect(owner.get_by_role("heading", level=1)).to_contain_text("into a proposal")
    expect(owner.get_by_label("Question")).to_have_value("Four-day week for the support team")
    owner.get_by_label("Passes with no blocks").check()
    owner.get_by_label("Blind: you see others' stances once you have given yours").check()
    owner.get_by_label("End of a day, in each participant's own time zone").check()
    owner.get_by_label("Day", exact=True).fill(day.isoformat())
    owner.get_by_label("Tags").fill("support, schedule")
    step(owner, "dec-01-turn-brief-into-proposal")
    owner.get_by_role("button", name="Open the proposal").click()

    proposal = Proposal.objects.get()
    path = f"/w/{ws.slug}/decisions/proposals/{proposal.pk}/"
    expect(owner).to_have_url(f"{live_server.url}{path}")
    expect(owner.locator(".rule-text")).to_have_text("Passes with no blocks.")
    assert proposal.visibility == "blind" and proposal.brief == team["brief"]
    owner.get_by_label("Agree").check()
    owner.get_by_role("button", name="Give your stance").click()
    expect(owner.get_by_role("status")).to_contain_text("Your stance is in")
    step(owner, "dec-02-owner-gave-her-stance")

    # --- Bikram sees no other stance, in the page or the API, then objects ---------------------
    b_context, b = open_as(bikram, "Asia/Kathmandu")
    b.goto(path)
    expect(b.get_by_text("For you that is")).to_contain_text(f"{day.day} {day:%b}, 17:00")
    expect(b.locator("#stances")).to_contain_text("Others' stances are not shown to you yet.")
    assert "Ada Okafor</span>: Agree" not in b.content()
    seen = api(b, b_context, "GET", f"/proposals/{proposal.pk}", ws.slug).json()
    assert seen["stances"] == [] and seen["tally"] is None
    step(b, "dec-03-blind-before-voting")
    b.get_by_label("Object (give a reason)").check()
    watcher.expect_once("422")
    b.get_by_role("button", name="Give your stance").click()
    expect(b.locator(".form-errors")).to_contain_text("Give a reason to object.")
    b.get_by_label("Reason", exact=True).fill("Nobody covers Kathmandu's Friday mornings yet.")
    b.get_by_role("button", name="Give your stance").click()
    expect(b.locator("#stances")).to_contain_text("Ada Okafor: Agree")
    step(b, "dec-04-objected-and-sees-others")

    # --- Carmen sees Bikram's objection only once she has agreed --------------------------------
    c_context, c = open_as(carmen, "America/New_York", viewport=PHONE)
    c.goto(path)
    assert "Kathmandu's Friday mornings" not in c.content()
    c.get_by_label("Agree").check()
    c.get_by_role("button", name="Give your stance").click()
    expect(c.locator("#stances")).to_contain_text("Nobody covers Kathmandu's Friday mornings yet.")
    step(c, "dec-05-phone-after-voting")

    # --- Ada closes, writes the outcome, and the record is permanent ----------------------------
    owner.goto(path)
    owner.get_by_role("link", name="Close early").click()
    owner.get_by_label("Why close before the deadline?").fill("All three have answered.")
    owner.get_by_role("button", name="Close the proposal").click()
    expect(owner.get_by_role("heading", level=1)).to_have_text("Write the outcome")
    owner.get_by_label("What was decided").fill("Support tries a four-day week for one quarter.")
    owner.get_by_label("Why").fill("Passed with no blocks; Bikram's objection is met by a rota.")
    owner.get_by_label("Expected effect (optional)").fill("First-reply time unchanged")
    step(owner, "dec-06-outcome")
    owner.get_by_role("button", name="Record the decision").click()

    record = DecisionRecord.objects.get()
    expect(owner).to_have_url(f"{live_server.url}{record.get_absolute_url()}")
    expect(owner.get_by_role("heading", level=1)).to_contain_text("ADR-0001")
    assert owner.get_by_role("link", name="Edit").count() == 0
    assert owner.get_by_role("button", name="Edit").count() == 0
    step(owner, "dec-07-record")

    owner.goto(f"/w/{ws.slug}/decisions/log/")
    expect(owner.locator("#record-list")).to_contain_text("Four-day week for the support team")
    owner.goto(f"/w/{ws.slug}/search/?q=rota")
    expect(owner.locator("main")).to_contain_text("ADR-0001")
    step(owner, "dec-08-found-by-search")

    for method in ("PATCH", "PUT", "DELETE"):
        answer = api(owner, owner_context, method, f"/decisions/{record.pk}", ws.slug)
        assert answer.status == 405, (method, answer.status)
    assert (
        DecisionRecord.objects.get().statement == "Support tries a four-day week for one quarter."
    )

    for context in (owner_context, b_context, c_context):
        context.close()
    assert watcher.errors == []
    assert problems == {}
