"""The briefs pages in a real browser: screenshots to look at, accessibility, and XSS that runs nothing.

Each page is checked with axe-core and Meridian's structure rules on a desktop and a phone; the
brief's body and thread carry an XSS payload corpus, and the browser must raise no dialog, no
console error and no CSP violation while showing them.
"""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, expect

from meridian.briefs.models import Brief, BriefParticipant
from meridian.briefs.services import (
    Deadline,
    Invitee,
    Meeting,
    brief_close,
    brief_create,
    comment_add,
    link_add,
    question_answer,
    respond,
)
from meridian.workspaces.services import team_add_member, team_create
from tests import factories
from tests.briefs.factories import NINE_TO_FIVE
from tests.browser.support import Watcher, axe_violations, sign_in, structure_problems
from tests.decisions.factories import decided, proposal

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}

XSS = (
    "<script>alert('body')</script> <img src=x onerror=alert('img')> "
    "[click me](javascript:alert('link')) <svg onload=alert('svg')> "
    "![pixel](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+) &#60;script&#62;alert(2)"
)


@pytest.fixture
def acme(transactional_db):
    """An author in Berlin asking a teammate in Kathmandu and one in New York."""
    ws = factories.workspace(name="Acme")
    author = factories.member(ws, time_zone="Europe/Berlin", working_hours=NINE_TO_FIVE)
    ktm = factories.member(ws, time_zone="Asia/Kathmandu", working_hours=NINE_TO_FIVE)
    nyc = factories.member(ws, time_zone="America/New_York", working_hours=NINE_TO_FIVE)
    team = team_create(acting=author, name="Design")
    team_add_member(acting=author, team=team, member=nyc)
    day = (timezone.now() + timedelta(days=6)).date()
    brief = brief_create(
        author=author,
        title="Pricing page: three plans instead of five",
        body="Our five plans **confuse** buyers.\n\n1. Keep three\n2. Grandfather 12 months\n\n"
        + XSS,
        ask_kind="decision",
        questions=["Is three plans enough?", "Is 12 months fair?"],
        participants=[Invitee(member_id=ktm.pk), Invitee(team="design")],
        deadline=Deadline(day=day),
        meeting=Meeting(people=6, minutes=60),
    )
    q = comment_add(
        acting=ktm, brief=brief, body="What about annual *Pro* contracts? " + XSS, is_question=True
    )
    a = comment_add(acting=author, brief=brief, body="They keep Pro until renewal.", parent=q)
    question_answer(acting=author, question=q, answer=a)
    comment_add(acting=nyc, brief=brief, body="Is the Team plan price final?", is_question=True)
    respond(acting=ktm, brief=brief, body="Three plans, yes. " + XSS)
    link_add(
        acting=author, brief=brief, url="https://example.com/pricing-analysis", note="The numbers"
    )
    earlier = decided(proposal(author, [ktm], title="Grandfather old plans for a year"))
    link_add(
        acting=author, brief=brief, target="decision", target_id=earlier.pk, note="Still holds"
    )
    closed = brief_create(
        author=author, title="Hiring plan", participants=[Invitee(member_id=ktm.pk)]
    )
    brief_close(acting=author, brief=closed, summary="Approved: support lead first.")
    late = brief_create(
        author=nyc,
        title="On-call rotation",
        participants=[Invitee(member_id=ktm.pk)],
        deadline=Deadline(day=day),
    )
    past = timezone.now() - timedelta(hours=2)
    BriefParticipant.objects.filter(brief=late).update(local_deadline=past)
    Brief.objects.filter(pk=late.pk).update(respond_by=past)
    return {"ws": ws, "author": author, "ktm": ktm, "nyc": nyc, "brief": brief, "closed": closed}


def open_context(browser: Browser, live_server, viewport, watcher: Watcher, dialogs: list[str]):
    context = watcher.watch(browser.new_context(viewport=viewport, base_url=live_server.url))
    context.on(
        "page", lambda page: page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    )
    return context


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_brief_pages_look_right_pass_accessibility_checks_and_run_no_payload(
    live_server, browser: Browser, acme, viewport, screenshot
):
    watcher, dialogs = Watcher(), []
    context = open_context(browser, live_server, viewport, watcher, dialogs)
    sign_in(context, live_server.url, acme["author"].user)
    page = context.new_page()
    slug, brief = acme["ws"].slug, acme["brief"]
    tag = "phone" if viewport is PHONE else "desktop"
    found = {}
    pages = [
        ("list", f"/w/{slug}/briefs/"),
        ("new", f"/w/{slug}/briefs/new/"),
        ("brief", f"/w/{slug}/briefs/{brief.pk}/"),
        (
            "reply",
            f"/w/{slug}/briefs/{brief.pk}/?reply={brief.comments.filter(parent=None).first().pk}",
        ),
        ("close", f"/w/{slug}/briefs/{brief.pk}/close/"),
        ("closed", f"/w/{slug}/briefs/{acme['closed'].pk}/"),
    ]
    for name, path in pages:
        page.goto(path)
        screenshot(page, f"{tag}-{name}")
        problems = structure_problems(page) + axe_violations(page)
        if problems:
            found[name] = problems
    assert found == {}
    assert dialogs == []
    assert watcher.errors == []
    context.close()


def test_participant_comments_with_htmx_and_responds(
    live_server, browser: Browser, acme, screenshot
):
    watcher, dialogs = Watcher(), []
    context = open_context(browser, live_server, DESKTOP, watcher, dialogs)
    sign_in(context, live_server.url, acme["nyc"].user)
    page = context.new_page()
    page.goto(f"/w/{acme['ws'].slug}/briefs/{acme['brief'].pk}/")
    expect(page.get_by_text("For you that is")).to_be_visible()

    page.get_by_label("Comment", exact=True).fill("Could we show **yearly** prices first?")
    page.get_by_label("This is a question").check()
    page.get_by_role("button", name="Comment", exact=True).click()
    expect(page.locator("#thread")).to_contain_text("Could we show yearly prices first?")
    expect(page.get_by_label("Comment", exact=True)).to_have_value("")

    page.get_by_label("Your response").fill("Approved from New York.")
    page.get_by_role("button", name="Send your response").click()
    expect(page.get_by_role("status")).to_contain_text("your response is in")
    expect(page.locator(".completeness")).to_contain_text("2 of 2")
    screenshot(page, "responded")
    assert dialogs == [] and watcher.errors == []
    context.close()


def test_author_writes_a_follow_the_sun_brief_in_the_form(
    live_server, browser: Browser, acme, screenshot
):
    watcher, dialogs = Watcher(), []
    context = open_context(browser, live_server, DESKTOP, watcher, dialogs)
    sign_in(context, live_server.url, acme["author"].user)
    page = context.new_page()
    page.goto(f"/w/{acme['ws'].slug}/briefs/new/")
    page.get_by_label("Title").fill("Docs restructure")
    page.get_by_label("Walkthrough").fill("Organise the docs by task.")
    page.get_by_label("Who must respond").select_option(["team:design", f"member:{acme['ktm'].pk}"])
    page.get_by_label("End of a day, in each person's own time zone").check()
    day = (timezone.now() + timedelta(days=3)).date().isoformat()
    page.get_by_label("Day", exact=True).fill(day)
    page.get_by_role("button", name="Send brief").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Docs restructure")
    expect(page.locator(".participants")).to_contain_text("Asia/Kathmandu")
    expect(page.locator(".participants")).to_contain_text("America/New_York")
    screenshot(page, "sent")
    assert dialogs == [] and watcher.errors == []
    context.close()


def test_author_links_a_decision_from_the_related_box(
    live_server, browser: Browser, acme, screenshot
):
    record = decided(proposal(acme["author"], [acme["ktm"]], title="Annual billing only"))
    watcher, dialogs = Watcher(), []
    context = open_context(browser, live_server, DESKTOP, watcher, dialogs)
    sign_in(context, live_server.url, acme["author"].user)
    page = context.new_page()
    page.goto(f"/w/{acme['ws'].slug}/briefs/{acme['brief'].pk}/")
    page.get_by_text("Link a brief, a decision or a web address").click()
    page.get_by_label("or a decision").select_option(label=f"{record.adr_id} Annual billing only")
    page.get_by_role("button", name="Add link").click()
    related = page.locator("#links")
    expect(related.get_by_role("link", name=f"{record.adr_id} Annual billing only")).to_be_visible()
    expect(related.get_by_role("link", name="Grandfather old plans for a year")).to_be_visible()
    screenshot(page, "decision-linked")
    assert dialogs == [] and watcher.errors == []
    context.close()
