"""Record before you send, in a real browser: a draft, its walkthrough recorded and transcribed,
a chapter edited, then sent; the participant opens it from their inbox.

The fake microphone speaks a sentence (tests/conftest.py: espeak-ng into Chromium's fake
audio capture), processing and transcription run in this process as the upload commits, with
the real local model. Nobody is told before the send; the pictures of docs/user/recordings.md
come from here.
"""

import re
import shutil
import time

import pytest
from playwright.sync_api import Browser, expect

from meridian.briefs.models import Brief, BriefStatus
from meridian.notifications.models import InboxItem
from meridian.recordings import transcription
from meridian.recordings.models import Recording, Transcript, TranscriptStatus
from tests.briefs.factories import person
from tests.browser.support import Watcher, axe_violations, docs_images, sign_in
from tests.conftest import need
from tests.recordings.support import IMMEDIATE_TASKS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
ALWAYS = {str(d): [[0, 1440]] for d in range(7)}  # told at once, whatever the hour


def test_a_draft_is_recorded_transcribed_chaptered_sent_and_opened_from_the_inbox(
    live_server, browser: Browser, settings, tmp_path, workspace
):
    reason = transcription.unavailable_reason()
    need(not reason, f"the transcription extra meridian[transcribe] ({reason})")
    need(shutil.which("espeak-ng") is not None, "espeak-ng (the fake microphone's words)")
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.TASKS = IMMEDIATE_TASKS
    settings.TRANSCRIBE_THREADS = 1
    author = person(workspace, "Europe/Berlin", hours=ALWAYS, display_name="Ada Author")
    teammate = person(workspace, "Asia/Kathmandu", hours=ALWAYS, display_name="Bikash Teammate")
    slug = workspace.slug
    images = docs_images()

    watcher = Watcher()
    context = watcher.watch(browser.new_context(viewport=DESKTOP, base_url=live_server.url))
    sign_in(context, live_server.url, author.user)
    page = context.new_page()
    page.goto(f"/w/{slug}/briefs/new/")
    page.get_by_label("Title").fill("Budget walkthrough")
    page.get_by_label("Who must respond").select_option(value=f"member:{teammate.pk}")
    page.get_by_label("No deadline").check()
    page.get_by_role("button", name="Save as a draft").click()
    expect(page.get_by_role("heading", name="Draft: only you can see this brief")).to_be_visible()
    brief = Brief.all_objects.get(title="Budget walkthrough")
    assert brief.status == BriefStatus.DRAFT
    assert not InboxItem.objects.filter(recipient=teammate).exists()
    page.screenshot(path=str(images / "recordings-draft.png"), full_page=True)

    page.get_by_role("link", name="Record a walkthrough").click()
    page.get_by_label("Camera", exact=True).check()
    page.get_by_role("button", name="Start recording").click()
    expect(page.locator("[data-clock]")).to_contain_text("Recording 0:05", timeout=10000)
    page.get_by_role("button", name="Stop").click()
    page.get_by_role("button", name="Upload recording").click()
    # Processing and transcription run as the upload commits, before the page moves on.
    page.wait_for_url("**/recordings/*/", timeout=120_000)
    recording = Recording.objects.get(brief=brief)
    transcript = Transcript.objects.get(recording=recording)
    assert transcript.status == TranscriptStatus.DONE, transcript.problem
    words = " ".join(transcript.segments.values_list("text", flat=True)).lower()
    assert "budget" in words, words
    expect(page.get_by_text("Transcribed automatically on this server with")).to_be_visible()

    page.get_by_label("One chapter a line").fill("0:00 Welcome\n0:02 The budget")
    page.get_by_role("button", name="Save chapters").click()
    expect(page.get_by_role("navigation", name="Chapters")).to_contain_text("The budget")
    assert axe_violations(page) == []
    page.screenshot(path=str(images / "recordings-draft-checked.png"), full_page=True)

    page.get_by_role("link", name="Back to the brief and its comments").click()
    assert not InboxItem.objects.filter(recipient=teammate).exists()  # still nobody told
    page.get_by_role("button", name="Send brief").click()
    expect(page.get_by_text("Brief sent. Everyone you asked has been told.")).to_be_visible()
    expect(page.get_by_role("heading", name="Draft: only you can see this brief")).to_have_count(0)

    phone = watcher.watch(browser.new_context(viewport=PHONE, base_url=live_server.url))
    sign_in(phone, live_server.url, teammate.user)
    mobile = phone.new_page()
    until = time.monotonic() + 10
    while not InboxItem.objects.filter(recipient=teammate).exists() and time.monotonic() < until:
        time.sleep(0.1)
    assert InboxItem.objects.filter(recipient=teammate, kind="brief.asked").count() == 1
    mobile.goto(f"/w/{slug}/inbox/")
    item = mobile.locator(".inbox-item").filter(has_text="Budget walkthrough")
    expect(item).to_have_count(1)
    mobile.screenshot(path=str(images / "recordings-sent-inbox.png"), full_page=True)
    item.get_by_role("link", name=re.compile("Budget walkthrough")).first.click()
    expect(mobile.get_by_role("heading", level=1)).to_have_text("Budget walkthrough")
    expect(mobile.locator("video.player-media")).to_be_visible()
    expect(mobile.get_by_role("navigation", name="Chapters")).to_contain_text("The budget")
    assert axe_violations(mobile) == []
    assert watcher.errors == []
    context.close()
    phone.close()
