"""The recorder's resumable upload on a flaky line, in a real browser.

The page uploads a real WebM (made with ffmpeg) through its file form in chunks of 8 KiB, and
Playwright stands between the page and the server: it drops chunks, answers for a failing
server, loses the server's answer to a chunk that arrived, or replays a chunk as a retrying
proxy would. Whatever happens on the line, the upload goes on from the server's offset, never
from the start, and the stored recording holds exactly the bytes of the file.
"""

import hashlib
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.core.files.storage import default_storage
from playwright.sync_api import Browser, Locator, Page, Request, Route, expect

from meridian.recordings.models import Recording, Upload, UploadStatus
from tests.briefs.factories import brief as make_brief
from tests.briefs.factories import person
from tests.browser.support import Watcher, axe_violations, sign_in, structure_problems
from tests.conftest import need
from tests.recordings.support import IMMEDIATE_TASKS, two_second_webm

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DESKTOP = {"width": 1280, "height": 900}
CHUNK = 8 * 1024

# Chromium reports every failed request on the console: the tests expect those they cause.
DROPPED = "Failed to load resource: net::ERR_FAILED"
ANSWERED = "Failed to load resource: the server responded with a status of {}"

# Reports every text the upload's status line shows, in order, to the test (the line changes
# faster than a test can look at it, and the page moves on to the recording at the end).
STATUS_LOG = """
document.addEventListener("DOMContentLoaded", () => {
  const line = document.querySelector("[data-status]");
  if (!line) return;
  new MutationObserver(() => window.reportStatus(line.textContent)).observe(line, {
    childList: true,
    characterData: true,
    subtree: true,
  });
});
"""


@dataclass
class Patch:
    """One chunk the page sent, and what the line did with it."""

    offset: int
    outcome: str
    arrived: float
    answered: float = 0.0
    answer: int = 0  # the status the page got, 0 for a dropped connection
    answer_offset: str | None = None


class Line:
    """Stands between the page and the upload API: logs each request, fails those planned.

    ``plan`` maps the index of a PATCH (0 for the first) to what happens to it: ``abort``
    (the connection drops before the server hears of it), ``503`` or ``500`` (a failing
    server answers), ``lost`` (the server stores the chunk, its answer is lost) or ``replay``
    (the server stores the chunk, then a retrying proxy sends it again and passes that
    answer on). ``fail_from`` answers 500 to every PATCH from that index on.
    """

    def __init__(self, page: Page, plan: dict[int, str], fail_from: int | None = None) -> None:
        self.plan = plan
        self.fail_from = fail_from
        self.patches: list[Patch] = []
        self.asked: list[float] = []  # when the page asked the server's offset (GET)
        page.route("**/api/v1/uploads/*", self._handle)

    def _handle(self, route: Route, request: Request) -> None:
        if request.method != "PATCH":
            self.asked.append(time.monotonic())
            route.continue_()
            return
        index = len(self.patches)
        failing = self.fail_from is not None and index >= self.fail_from
        outcome = "500" if failing else self.plan.get(index, "pass")
        patch = Patch(
            offset=int(request.header_value("Upload-Offset") or -1),
            outcome=outcome,
            arrived=time.monotonic(),
        )
        self.patches.append(patch)
        if outcome == "pass":
            answer = route.fetch()
            route.fulfill(response=answer)
            patch.answer, patch.answer_offset = answer.status, answer.headers.get("upload-offset")
        elif outcome == "abort":
            route.abort()
        elif outcome in {"500", "503"}:
            route.fulfill(
                status=int(outcome),
                content_type="text/html",
                body=f"<h1>Server Error ({outcome})</h1>",
            )
            patch.answer = int(outcome)
        elif outcome == "lost":
            route.fetch()
            route.abort()
        elif outcome == "replay":
            route.fetch()
            answer = route.fetch()
            route.fulfill(response=answer)
            patch.answer, patch.answer_offset = answer.status, answer.headers.get("upload-offset")
        patch.answered = time.monotonic()

    def offsets(self) -> list[int]:
        return [p.offset for p in self.patches]

    def stored_offsets(self) -> list[int]:
        """The offsets of the chunks the server stored, in the order it stored them."""
        return [
            p.offset
            for p in self.patches
            if (p.outcome == "pass" and p.answer == 200) or p.outcome in {"lost", "replay"}
        ]

    def pause_after(self, index: int) -> float:
        """Seconds between the answer to PATCH ``index`` and the next PATCH."""
        return self.patches[index + 1].arrived - self.patches[index].answered

    def asked_between(self, index: int) -> int:
        """GETs of the upload between PATCH ``index`` and the next."""
        start, end = self.patches[index].answered, self.patches[index + 1].arrived
        return sum(1 for t in self.asked if start <= t <= end)


@pytest.fixture
def clip(tmp_path) -> Path:
    need(shutil.which("ffmpeg") is not None and shutil.which("ffprobe") is not None, "ffmpeg")
    path = two_second_webm(tmp_path)
    assert path.stat().st_size > 4 * CHUNK  # several chunks, so failures land in the middle
    return path


@pytest.fixture
def upload_setup(settings, tmp_path, monkeypatch, workspace):
    # The live server runs in this process: files go to a fresh folder, processing runs as the
    # last chunk commits, and the record page asks for small chunks (data-chunk-bytes).
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.TASKS = IMMEDIATE_TASKS
    monkeypatch.setattr("meridian.recordings.views.CHUNK_BYTES", CHUNK)
    author = person(workspace, "Europe/Berlin")
    brief = make_brief(author, [person(workspace)], title="Checkout redesign walkthrough")
    return author, brief


@dataclass
class Recorder:
    """The brief's record page in a browser signed in as its author."""

    page: Page
    url: str
    watcher: Watcher
    statuses: list[str]  # every text the status line showed, in order


@pytest.fixture
def recorder(live_server, browser: Browser, upload_setup):
    author, brief = upload_setup
    watcher = Watcher()
    context = watcher.watch(browser.new_context(viewport=DESKTOP, base_url=live_server.url))
    statuses: list[str] = []
    context.expose_function("reportStatus", lambda text: statuses.append(text))
    context.add_init_script(STATUS_LOG)
    sign_in(context, live_server.url, author.user)
    url = f"/w/{brief.workspace.slug}/recordings/brief/{brief.pk}/record/"
    yield Recorder(context.new_page(), url, watcher, statuses)
    context.close()


def chunk_offsets(size: int) -> list[int]:
    return list(range(0, size, CHUNK))


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def stored_bytes(recording: Recording) -> bytes:
    with default_storage.open(recording.original.name, "rb") as handle:
        return handle.read()


def console_errors(recorder: Recorder) -> list[str]:
    """The console errors of the page, without the page's address in front."""
    return [e.split(": ", 1)[1] for e in recorder.watcher.errors]


def upload_file(page: Page, path: Path) -> None:
    page.get_by_label("Video or audio file").set_input_files(str(path))
    page.get_by_role("button", name="Upload file").click()


def run_clock_until_visible(page: Page, target: Locator, deadline_s: float = 60.0) -> None:
    """Move the page's (installed) clock on in steps until ``target`` shows, so backoff waits
    of minutes pass in seconds."""
    until = time.monotonic() + deadline_s
    while not target.is_visible():
        assert time.monotonic() < until, "the page never showed it"
        page.clock.fast_forward(2000)
        page.wait_for_timeout(25)


def test_dropped_and_refused_chunks_are_retried_with_backoff_from_the_servers_offset(
    recorder, screenshot, clip
):
    page, url = recorder.page, recorder.url
    data = clip.read_bytes()
    offsets = chunk_offsets(len(data))
    line = Line(page, plan={1: "abort", 2: "503"})

    page.goto(url)
    upload_file(page, clip)
    page.wait_for_url("**/recordings/*/", timeout=30000)

    # The second chunk is dropped on the way, then refused by a failing server; both times the
    # page waits (1 s, then 2 s), asks the server where it stands and sends the same chunk.
    assert line.offsets() == [0, offsets[1], offsets[1], *offsets[1:]]
    assert [p.outcome for p in line.patches[:4]] == ["pass", "abort", "503", "pass"]
    assert line.pause_after(1) >= 0.95
    assert line.pause_after(2) >= 1.95
    assert line.asked_between(1) == 1
    assert line.asked_between(2) == 1
    # After the failures the chunks go on in order, each stored once, none from the start.
    assert line.stored_offsets() == offsets
    assert all(p.answer == 200 for p in line.patches if p.outcome == "pass")
    shown = recorder.statuses
    assert "Connection lost; trying again in 1 s…" in shown
    assert "Resuming in 2 s…" in shown
    assert shown.index("Connection lost; trying again in 1 s…") < shown.index("Resuming in 2 s…")

    upload = Upload.objects.get()  # one upload: it never started over
    recording = Recording.objects.get()
    assert upload.status == UploadStatus.COMPLETE
    assert upload.recording == recording
    assert recording.size == len(data)
    assert sha256(stored_bytes(recording)) == sha256(data)
    expect(page.locator("video.player-media")).to_be_visible()
    screenshot(page, "uploaded")
    assert console_errors(recorder) == [DROPPED, ANSWERED.format("503 (Service Unavailable)")]


@pytest.mark.parametrize(
    ("loss", "answer", "told", "console"),
    [
        pytest.param("lost", (0, None), "Connection lost; trying again in 1 s…", [DROPPED]),
        pytest.param(
            "replay", (409, str(3 * CHUNK)), "Resuming in 1 s…", [ANSWERED.format("409 (Conflict)")]
        ),
    ],
)
def test_a_chunk_the_server_kept_is_not_sent_again_when_its_answer_goes_astray(
    recorder, screenshot, clip, loss, answer, told, console
):
    page, url = recorder.page, recorder.url
    data = clip.read_bytes()
    offsets = chunk_offsets(len(data))
    line = Line(page, plan={2: loss})

    page.goto(url)
    upload_file(page, clip)
    page.wait_for_url("**/recordings/*/", timeout=30000)

    # The third chunk reached the server, but the page never heard so: its answer was lost on
    # the way, or a proxy sent the chunk again and the page got the server's 409 (offset
    # mismatch, with the server's offset). Either way the page asks where the server stands
    # and goes on with the fourth chunk: the third is not sent twice.
    assert line.offsets() == offsets
    assert line.stored_offsets() == offsets
    assert line.asked_between(2) == 1
    # What the page got for the third chunk: nothing, or the 409 naming the fourth's offset.
    assert (line.patches[2].answer, line.patches[2].answer_offset) == answer
    assert told in recorder.statuses

    upload = Upload.objects.get()
    recording = Recording.objects.get()
    assert upload.status == UploadStatus.COMPLETE
    assert recording.size == len(data)
    assert sha256(stored_bytes(recording)) == sha256(data)
    screenshot(page, "uploaded")
    assert console_errors(recorder) == console


def test_a_server_that_keeps_failing_stops_the_upload_with_a_way_to_go_on(
    recorder, screenshot, clip, upload_setup
):
    page, url = recorder.page, recorder.url
    _, brief = upload_setup
    data = clip.read_bytes()
    offsets = chunk_offsets(len(data))
    # Two chunks arrive, then the server answers 500 to every chunk.
    line = Line(page, plan={}, fail_from=2)
    page.clock.install()  # the backoff waits minutes in all: the test moves the clock on

    page.goto(url)
    upload_file(page, clip)
    problem = page.get_by_role("alert")
    run_clock_until_visible(page, problem)

    expect(problem).to_have_text(
        "The upload stopped after 10 failed tries in a row. The server answered 500. "
        f"The 16.0 KiB of {len(data) / 1024:.1f} KiB sent so far are kept on the server. "
        "Press “Upload file” to go on from there."
    )
    expect(page.get_by_role("status")).to_have_text("The upload stopped.")
    expect(page.get_by_role("progressbar", name="Upload progress")).to_have_attribute(
        "value", str(2 * CHUNK * 100 // len(data))
    )
    expect(page.get_by_role("button", name="Upload file")).to_be_enabled()
    assert line.offsets() == [0, offsets[1], *[offsets[2]] * 10]
    # Each failure waited longer than the one before, up to half a minute.
    waits = [s for s in recorder.statuses if s.startswith("Resuming in")]
    assert waits == [f"Resuming in {s} s…" for s in (1, 2, 4, 8, 16, 30, 30, 30, 30)]
    assert structure_problems(page) == []
    assert axe_violations(page) == []
    screenshot(page, "stopped")

    # Nothing half-written became a recording: the bytes wait in the unfinished upload.
    upload = Upload.objects.get()
    assert (upload.status, upload.offset) == (UploadStatus.RECEIVING, 2 * CHUNK)
    assert not Recording.objects.exists()
    listing = page.context.new_page()
    listing.goto(url)
    expect(listing.get_by_role("heading", name="Recordings of this brief")).to_have_count(0)
    listing.goto(f"/w/{brief.workspace.slug}/briefs/{brief.pk}/")
    expect(listing.locator("video.player-media")).to_have_count(0)
    listing.close()

    # The server is well again: pressing the button goes on from the server's offset.
    line.fail_from = None
    page.get_by_role("button", name="Upload file").click()
    page.wait_for_url("**/recordings/*/", timeout=30000)
    assert line.offsets()[12:] == offsets[2:]
    assert line.stored_offsets() == offsets
    upload = Upload.objects.get()
    recording = Recording.objects.get()
    assert upload.status == UploadStatus.COMPLETE
    assert sha256(stored_bytes(recording)) == sha256(data)
    screenshot(page, "resumed")
    assert console_errors(recorder) == [ANSWERED.format("500 (Internal Server Error)")] * 10


def test_an_upload_created_but_whose_answer_was_lost_is_not_created_twice(recorder, clip):
    page, url = recorder.page, recorder.url
    data = clip.read_bytes()
    creations: list[tuple[str | None, int]] = []

    def lose_first_answer(route: Route, request: Request) -> None:
        if request.method != "POST":
            route.continue_()
            return
        answer = route.fetch()
        creations.append((request.header_value("Idempotency-Key"), answer.status))
        if len(creations) == 1:
            route.abort()  # the server made the upload; the page never hears of it
        else:
            route.fulfill(response=answer)

    page.route("**/api/v1/uploads", lose_first_answer)
    page.goto(url)
    upload_file(page, clip)
    page.wait_for_url("**/recordings/*/", timeout=30000)

    # The retry carried the same key, so the server answered with the upload it had made.
    (first_key, first_status), (second_key, second_status) = creations
    assert first_key and first_key == second_key
    assert first_status == second_status == 201
    upload = Upload.objects.get()
    assert upload.status == UploadStatus.COMPLETE
    assert sha256(stored_bytes(Recording.objects.get())) == sha256(data)
    assert "Connection lost; trying again in 1 s…" in recorder.statuses
    assert console_errors(recorder) == [DROPPED]
