"""The briefs journey in a real browser, three people in three time zones, each in their own context.

Ada (Berlin) signs in, writes a brief asking Bikram (Kathmandu) and Carmen (New York) for a
decision by the end of a day a few days ahead, in each one's own working hours, and records
two seconds of her (fake) camera on the brief's recorder page, which uploads it in chunks.
Bikram plays the recording to the end, goes back to 0:01, pins a question there with the
player's helper; Ada answers it in a reply; Bikram and then Carmen respond; Ada sees 2 of 2
responded and closes the brief with a summary, after which it is read-only.

Chromium runs with fake camera and microphone (tests/conftest.py). Every page is watched for
console errors, uncaught exceptions, CSP violations and dialogs, and photographed into
test-artifacts/.
"""

import re
from datetime import date, timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, BrowserContext, Page, expect

from meridian.briefs.models import Brief, BriefStatus, Comment
from meridian.recordings.models import Recording, RecordingStatus, RecordingView
from tests import factories
from tests.briefs.factories import person
from tests.browser.support import (
    Watcher,
    axe_violations,
    nav_menu,
    sign_in,
    structure_problems,
)
from tests.recordings.support import IMMEDIATE_TASKS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DESKTOP = {"width": 1280, "height": 900}
VIDEO = "video.player-media"


def a_weekday_ahead(days: int = 4) -> date:
    """A Monday-to-Friday day at least ``days`` ahead: a working day in every zone here."""
    day = timezone.now().date() + timedelta(days=days)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


@pytest.fixture
def team(settings, tmp_path, transactional_db):
    # The live server runs in this process: files go to a fresh folder, and a recording is
    # processed as its upload's last chunk commits, as the worker would do moments later.
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.TASKS = IMMEDIATE_TASKS
    ws = factories.workspace(name="Kestrel Labs")
    return {
        "ws": ws,
        "ada": person(ws, "Europe/Berlin", display_name="Ada Okafor"),
        "bikram": person(ws, "Asia/Kathmandu", display_name="Bikram Thapa"),
        "carmen": person(ws, "America/New_York", display_name="Carmen Díaz"),
    }


class People:
    """One browser context per person, all watched by one Watcher, with dialogs recorded."""

    def __init__(self, browser: Browser, base_url: str) -> None:
        self.browser, self.base_url = browser, base_url
        self.watcher, self.dialogs = Watcher(), []
        self.contexts: list[BrowserContext] = []

    def open(self, timezone_id: str) -> BrowserContext:
        context = self.watcher.watch(
            self.browser.new_context(
                viewport=DESKTOP, base_url=self.base_url, timezone_id=timezone_id
            )
        )
        context.on(
            "page",
            lambda page: page.on("dialog", lambda d: (self.dialogs.append(d.message), d.dismiss())),
        )
        self.contexts.append(context)
        return context

    def close(self) -> None:
        for context in self.contexts:
            context.close()


def sign_in_with_form(page: Page, email: str) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(factories.PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    # Someone in one workspace lands on it; the header's "You" menu now offers to sign out.
    nav_menu(page, "You").click()
    expect(page.get_by_role("button", name=f"Sign out {email}")).to_be_visible()
    page.keyboard.press("Escape")


def sound(page: Page) -> list[str]:
    """Structure and axe-core problems of the page as it is now."""
    return structure_problems(page) + axe_violations(page)


def test_record_ask_pin_answer_respond_and_close_across_three_time_zones(
    live_server, browser: Browser, screenshot, team
):
    ws, ada, bikram, carmen = team["ws"], team["ada"], team["bikram"], team["carmen"]
    people = People(browser, live_server.url)
    day = a_weekday_ahead()
    problems: dict[str, list[str]] = {}

    def step(page: Page, name: str) -> None:
        page.wait_for_load_state("networkidle")
        found = sound(page)
        if found:
            problems[name] = found
        screenshot(page, name)

    # --- Ada writes the ask: two teammates, follow-the-sun deadline ---------------------------
    author = people.open("Europe/Berlin").new_page()
    sign_in_with_form(author, ada.user.email)
    author.goto(f"/w/{ws.slug}/briefs/")
    author.get_by_role("link", name="Write a brief").click()
    expect(author.get_by_role("heading", level=1)).to_have_text("Write a brief")
    author.get_by_label("Title").fill("Checkout: move the pricing toggle above the fold")
    author.get_by_label("Walkthrough").fill(
        "Most people never see the **yearly** toggle: it sits below the fold.\n\n"
        "1. Move it to the top\n2. Default to yearly for teams of 10+\n\n"
        "The recording shows the page as it is today."
    )
    author.get_by_label("What you need").select_option("decision")
    author.get_by_label("Questions to answer").fill(
        "Do we move the toggle?\nShould teams of 10+ default to yearly?"
    )
    author.get_by_label("Who must respond").select_option(
        [f"member:{bikram.pk}", f"member:{carmen.pk}"]
    )
    author.get_by_label("End of a day, in each person's own time zone").check()
    author.get_by_label("Day", exact=True).fill(day.isoformat())
    author.get_by_label("People in the meeting this replaces").fill("3")
    author.get_by_label("Minutes the meeting would take").fill("30")
    step(author, "01-write-the-brief")
    author.get_by_role("button", name="Send brief").click()

    brief = Brief.objects.get()
    brief_path = f"/w/{ws.slug}/briefs/{brief.pk}/"
    expect(author).to_have_url(f"{live_server.url}{brief_path}")
    expect(author.get_by_role("status")).to_contain_text("Brief sent")
    expect(author.locator(".completeness")).to_contain_text("0 of 2 responded")
    participants = author.locator(".participants")
    expect(participants).to_contain_text("Asia/Kathmandu")
    expect(participants).to_contain_text("America/New_York")
    assert brief.deadline_kind == "local_day" and brief.deadline_date == day
    # Each is due at the end of their own working day: New York's is the last, and the brief's.
    local = {p.membership_id: p.local_deadline for p in brief.participants.all()}
    assert local[bikram.pk] < local[carmen.pk] == brief.respond_by
    step(author, "02-brief-sent")

    # --- Ada records two seconds of her camera in the page and uploads them -----------------
    author.get_by_role("link", name="Record a walkthrough").click()
    expect(author.get_by_role("heading", level=1)).to_have_text("Record a walkthrough")
    author.get_by_label("Camera", exact=True).check()
    author.get_by_role("button", name="Start recording").click()
    expect(author.locator("[data-clock]")).to_contain_text("Recording 0:01", timeout=6000)
    screenshot(author, "03-recording")  # (the page is checked once it has stopped)
    expect(author.locator("[data-clock]")).to_contain_text("Recording 0:02", timeout=6000)
    author.get_by_role("button", name="Stop").click()
    # Two seconds, give or take the moment it takes a busy machine to press Stop.
    expect(author.get_by_role("status")).to_contain_text(re.compile(r"Recorded 0:0[23] "))
    step(author, "04-preview")
    author.get_by_role("button", name="Upload recording").click()
    author.wait_for_function("() => document.querySelector('#upload-progress').value === 100")
    author.wait_for_url("**/recordings/*/")
    recording = Recording.objects.get(brief=brief)
    assert recording.status == RecordingStatus.READY and recording.content_type == "video/webm"
    assert 1.5 <= recording.duration <= 3.5
    expect(author.locator(VIDEO)).to_be_visible()
    step(author, "05-uploaded")
    author.get_by_role("link", name="Back to the brief and its comments").click()
    expect(author.locator(VIDEO)).to_be_visible()
    step(author, "06-brief-with-recording")

    # --- Bikram, in Kathmandu, plays it and pins a question at 0:01 ---------------------------
    a_context = people.open("Asia/Kathmandu")
    sign_in(a_context, live_server.url, bikram.user)
    a = a_context.new_page()
    a.goto(brief_path)
    expect(a.get_by_text("For you that is")).to_contain_text(f"{day.day} {day:%b}, 17:00")
    a.wait_for_function(f"() => document.querySelector('{VIDEO}').readyState >= 1")
    a.evaluate(
        f"() => {{ const v = document.querySelector('{VIDEO}'); v.muted = true; v.play(); }}"
    )
    a.wait_for_function(f"() => document.querySelector('{VIDEO}').ended", timeout=10000)
    step(a, "07-teammate-played-it")
    # Back to one second in (as dragging the scrubber would), then the player's pin helper.
    a.evaluate(f"() => {{ document.querySelector('{VIDEO}').currentTime = 1.2; }}")
    a.wait_for_function(
        f"() => {{ const v = document.querySelector('{VIDEO}');"
        " return !v.seeking && Math.abs(v.currentTime - 1.2) < 0.05; }"
    )
    a.get_by_role("button", name="Pin comment to current moment").click()
    expect(a.locator("[data-pin-status]")).to_contain_text("pinned at 0:01")
    expect(a.get_by_label("Pin to moment")).to_have_value("0:01.2")
    a.get_by_label("Comment", exact=True).fill(
        "At this moment the total jumps from **€12** to €120 — is that the yearly price?"
    )
    a.get_by_label("This is a question").check()
    step(a, "08-pinning-a-question")
    a.get_by_role("button", name="Comment", exact=True).click()
    question_row = a.locator("#thread .comment.question")
    expect(question_row).to_contain_text("is that the yearly price?")
    expect(question_row.get_by_role("link", name="0:01 into the recording")).to_be_visible()
    expect(a.get_by_label("Comment", exact=True)).to_have_value("")
    question = Comment.objects.get(brief=brief, is_question=True)
    assert question.at_seconds == pytest.approx(1.2, abs=0.05)
    assert RecordingView.objects.get(recording=recording, membership=bikram).fraction >= 0.9
    step(a, "09-question-pinned")

    # --- Ada sees the pin on the timeline and answers in a reply ------------------------------
    author.reload()
    expect(author.locator(f".timeline-pin[href='#comment-{question.pk}']")).to_have_count(1)
    expect(author.locator(".brief-side")).to_contain_text("Unanswered questions")
    author.locator(f"#comment-{question.pk}").get_by_role("link", name="Reply").click()
    author.get_by_label("Your reply").fill(
        "Yes: €120 is the yearly price (two months free). I'll label it “per year”."
    )
    author.get_by_label("This answers the question").check()
    step(author, "10-answering")
    author.get_by_role("button", name="Reply", exact=True).click()
    asked = author.locator(f"#comment-{question.pk}")
    expect(asked.locator(".badge")).to_have_text("Answered")
    expect(asked).to_contain_text(f"Answered by {ada.profile.display_name}")
    expect(author.locator(".brief-side")).not_to_contain_text("Unanswered questions")
    step(author, "11-answered")

    # --- Bikram sees the answer and responds; so does Carmen, in New York ---------------------
    a.reload()
    expect(a.locator(f"#comment-{question.pk} .badge")).to_have_text("Answered")
    a.get_by_label("Your response").fill("Move it. Yes to yearly by default for 10+.")
    a.get_by_role("button", name="Send your response").click()
    expect(a.locator(".messages")).to_contain_text("your response is in")
    step(a, "12-teammate-a-responded")

    b_context = people.open("America/New_York")
    sign_in(b_context, live_server.url, carmen.user)
    b = b_context.new_page()
    b.goto(brief_path)
    expect(b.get_by_text("For you that is")).to_contain_text(f"{day.day} {day:%b}, 17:00")
    b.get_by_label("Your response").fill("Agreed on both, if the label says **per year**.")
    step(b, "13-teammate-b-responding")
    b.get_by_role("button", name="Send your response").click()
    expect(b.locator(".messages")).to_contain_text("your response is in")
    expect(b.locator(".completeness")).to_contain_text("2 of 2 responded")
    step(b, "14-teammate-b-responded")

    # --- Ada sees 2 of 2 and closes with a summary; the brief is read-only -------------------
    author.reload()
    expect(author.locator(".completeness")).to_contain_text("2 of 2 responded")
    expect(author.locator("#completeness")).to_have_attribute("value", "2")
    rows = author.locator(".participants > li")
    expect(rows).to_have_count(2)
    for name in (bikram.profile.display_name, carmen.profile.display_name):
        row = rows.filter(has_text=name)
        expect(row.locator(".badge.ok")).to_have_text("Responded")
    expect(rows.filter(has_text=bikram.profile.display_name)).to_contain_text(
        re.compile(r"Watched (9\d|100)%")
    )
    step(author, "15-two-of-two")
    author.get_by_role("link", name="Close with a summary").click()
    expect(author.get_by_role("heading", level=1)).to_have_text("Close the brief")
    author.get_by_label("Summary").fill(
        "Decided: the toggle moves **above the fold**, and teams of 10+ default to yearly, "
        "labelled “per year”. Ships next sprint."
    )
    step(author, "16-closing")
    author.get_by_role("button", name="Close the brief").click()
    expect(author).to_have_url(f"{live_server.url}{brief_path}")
    summary = author.get_by_role("region", name="Summary")
    expect(summary).to_contain_text("the toggle moves above the fold")
    expect(summary).to_contain_text("This brief is read-only.")
    expect(author.get_by_text("This brief is closed; the discussion is read-only.")).to_be_visible()
    expect(author.get_by_role("button", name="Comment", exact=True)).to_have_count(0)
    expect(author.get_by_role("link", name="Close with a summary")).to_have_count(0)
    expect(author.get_by_role("link", name="Reply")).to_have_count(0)
    expect(author.locator(VIDEO)).to_be_visible()  # still linkable and watchable
    step(author, "17-closed-read-only")
    b.reload()
    expect(b.get_by_label("Your response")).to_have_count(0)
    expect(b.get_by_role("button", name="Comment", exact=True)).to_have_count(0)
    step(b, "18-closed-seen-by-teammate")

    brief.refresh_from_db()
    assert brief.status == BriefStatus.CLOSED and brief.meeting_hours_saved == 1.5
    assert problems == {}
    assert people.dialogs == []
    assert people.watcher.errors == [], "\n".join(people.watcher.errors)
    people.close()
