"""A spoken walkthrough in a real browser: transcribed on the server, chapters edited, found.

The author's recording is a clip espeak-ng speaks; the worker's task runs as processing
commits (the live server is in this process), with the real local model where the extra is
installed (always in CI). The author corrects a line and edits the chapters; the teammate
opens the brief, jumps to a chapter, and finds the words in the main search. The pictures
of docs/user/recordings.md come from here.
"""

import re
import shutil
import subprocess

import pytest
from playwright.sync_api import Browser, expect

from meridian.recordings import transcription
from meridian.recordings.models import PlayerSettings, Reaction, Transcript, TranscriptStatus
from meridian.recordings.services import recording_create_from_file
from tests.briefs.factories import brief as make_brief
from tests.briefs.factories import person
from tests.browser.support import (
    Watcher,
    axe_violations,
    docs_images,
    sign_in,
    structure_problems,
)
from tests.conftest import need
from tests.recordings.support import IMMEDIATE_TASKS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
SENTENCE = "Welcome to the weekly roadmap walkthrough. Pricing moves to the top of the page."


def test_a_spoken_walkthrough_is_transcribed_chaptered_and_found(
    live_server, browser: Browser, screenshot, settings, tmp_path, workspace
):
    reason = transcription.unavailable_reason()
    need(not reason, f"the transcription extra meridian[transcribe] ({reason})")
    need(shutil.which("espeak-ng") is not None, "espeak-ng (the spoken test clip)")
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.TASKS = IMMEDIATE_TASKS
    settings.TRANSCRIBE_THREADS = 1
    wav, clip = tmp_path / "said.wav", tmp_path / "said.webm"
    subprocess.run(["espeak-ng", "-w", str(wav), SENTENCE], check=True)
    subprocess.run(
        ["ffmpeg", "-nostdin", "-v", "error", "-y", "-f", "lavfi",
         "-i", "testsrc=size=320x240:rate=10", "-i", str(wav), "-shortest",
         "-c:v", "libvpx", "-c:a", "libopus", str(clip)],
        check=True,
    )  # fmt: skip
    author = person(workspace, "Europe/Berlin")
    teammate = person(workspace, "Asia/Kathmandu")
    brief = make_brief(author, [teammate], title="Weekly walkthrough")
    recording = recording_create_from_file(
        acting=author, brief=brief, path=clip, filename="walkthrough.webm"
    )
    transcript = Transcript.objects.get(recording=recording)
    assert transcript.status == TranscriptStatus.DONE
    slug = workspace.slug

    watcher = Watcher()
    context = watcher.watch(browser.new_context(viewport=DESKTOP, base_url=live_server.url))
    sign_in(context, live_server.url, author.user)
    page = context.new_page()
    page.goto(f"/w/{slug}/recordings/{recording.pk}/")
    expect(page.get_by_text("Transcribed automatically on this server with")).to_be_visible()
    expect(page.locator(".cues")).to_contain_text("roadmap")
    page.get_by_label("One chapter a line").fill("0:00 Welcome\n0:03 Pricing on top")
    page.get_by_role("button", name="Save chapters").click()
    expect(page.get_by_role("navigation", name="Chapters")).to_contain_text("Pricing on top")
    assert axe_violations(page) == []
    screenshot(page, "01-recording-page")

    page.get_by_role("link", name="Correct the transcript").click()
    first = page.get_by_role("textbox").first
    first.fill("Welcome to the weekly roadmap walk-through.")
    page.get_by_role("button", name="Save").first.click()
    expect(page.get_by_role("region", name="Corrections")).to_contain_text("walk-through")
    assert structure_problems(page) == []
    assert axe_violations(page) == []
    screenshot(page, "02-corrections")

    phone = watcher.watch(browser.new_context(viewport=PHONE, base_url=live_server.url))
    sign_in(phone, live_server.url, teammate.user)
    mobile = phone.new_page()
    mobile.goto(f"/w/{slug}/search/?q=roadmap")
    hit = mobile.get_by_role("link", name="Weekly walkthrough").first
    expect(hit).to_be_visible()
    hit.click()
    expect(mobile).to_have_url(re.compile(rf"/w/{slug}/briefs/{brief.pk}/\?t=[0-9.]+#player$"))
    chapters = mobile.get_by_role("navigation", name="Chapters")
    expect(chapters).to_contain_text("0:03")
    chapters.get_by_role("link", name="0:03").click()
    mobile.wait_for_function("document.querySelector('video').currentTime >= 2.9")
    mobile.get_by_role("button", name="React 🎉 at the current moment").click()
    expect(mobile.locator("[data-react-status]")).to_contain_text("🎉 at 0:0")
    expect(mobile.locator(".timeline-reaction")).to_have_count(1)
    # Drawn as an emoji is, not stretched with the timeline to the page's width.
    box = mobile.locator(".timeline-reaction").bounding_box()
    assert box is not None and 0.6 <= box["width"] / box["height"] <= 1.6, box
    mobile.get_by_label("Speed").select_option("1.5")
    mobile.locator("video").focus()
    mobile.keyboard.press("j")  # back 10 s: to the start
    mobile.wait_for_function("document.querySelector('video').currentTime < 1")
    assert mobile.evaluate("document.querySelector('video').playbackRate") == 1.5
    expect(mobile.locator("video")).to_have_js_property("playbackRate", 1.5)
    mobile.wait_for_function("document.querySelector('video').textTracks[0].mode === 'showing'")
    assert axe_violations(mobile) == []
    mobile.locator("#player").screenshot(path=str(docs_images() / "recordings-chapters.png"))
    screenshot(mobile, "03-phone-brief")
    assert watcher.errors == []
    assert PlayerSettings.objects.get(membership=teammate).rate == 1.5
    assert Reaction.objects.get(membership=teammate).emoji == "🎉"
