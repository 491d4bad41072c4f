"""Automatic transcripts: a real spoken clip transcribed by the local model, and its faults.

The clip is made here: espeak-ng speaks a known sentence, ffmpeg muxes it into WebM. The real
model runs in the test only where the extra ``meridian[transcribe]`` is installed (always in
CI, where its absence fails); the fault cases replace the engine's inference and need ffmpeg.
"""

import itertools
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.files.storage import default_storage
from django.test import Client
from hypothesis import given
from hypothesis import strategies as st

from meridian.recordings import chapters, transcription
from meridian.recordings.models import (
    Caption,
    Recording,
    RecordingStatus,
    RecordingView,
    Transcript,
    TranscriptSegment,
    TranscriptStatus,
)
from meridian.recordings.services import (
    recording_create_from_file,
    recording_process,
    transcript_failed,
    transcript_make,
)
from tests.api.support import bearer, get, problem, send
from tests.conftest import need
from tests.recordings.support import IMMEDIATE_TASKS

pytestmark = pytest.mark.django_db

SENTENCE = "The quarterly roadmap review starts on Monday morning"


def run(*args: str) -> None:
    subprocess.run(list(args), check=True, capture_output=True)


@pytest.fixture(scope="session")
def spoken(tmp_path_factory) -> Path:
    """About three seconds of espeak-ng saying SENTENCE, as Opus in WebM."""
    need(shutil.which("ffmpeg") is not None, "ffmpeg")
    need(shutil.which("espeak-ng") is not None, "espeak-ng (the spoken test clip)")
    folder = tmp_path_factory.mktemp("spoken")
    wav, webm = folder / "said.wav", folder / "said.webm"
    run("espeak-ng", "-w", str(wav), SENTENCE)
    run("ffmpeg", "-nostdin", "-v", "error", "-y", "-i", str(wav), "-c:a", "libopus", str(webm))
    return webm


@pytest.fixture(scope="session")
def quiet(tmp_path_factory) -> Path:
    """Two seconds of a test picture with a silent audio track, as WebM."""
    need(shutil.which("ffmpeg") is not None, "ffmpeg")
    path = tmp_path_factory.mktemp("quiet") / "quiet.webm"
    run(
        "ffmpeg", "-nostdin", "-v", "error", "-y",
        "-f", "lavfi", "-i", "testsrc=duration=2:size=160x120:rate=10",
        "-f", "lavfi", "-i", "anullsrc=r=48000:cl=mono", "-t", "2",
        "-c:v", "libvpx", "-c:a", "libopus", str(path),
    )  # fmt: skip
    return path


@pytest.fixture
def engine_installed() -> None:
    reason = transcription.unavailable_reason()
    need(not reason, f"the transcription extra meridian[transcribe] ({reason})")


@pytest.fixture
def fake_engine(monkeypatch) -> list[float]:
    """The engine reported installed, its inference replaced: one phrase at 0.2–1.4 s."""
    calls: list[float] = []

    def transcribe(pcm, duration, *, on_progress=lambda share: None):
        calls.append(duration)
        on_progress(0.5)
        words = (transcription.Word(0.2, 0.7, "Budget"), transcription.Word(0.7, 1.4, "first"))
        segment = transcription.Segment(0.2, 1.4, "Budget first.", words)
        return transcription.Result(language="en", duration=duration, segments=[segment])

    monkeypatch.setattr(
        transcription, "engine", lambda: transcription.Engine(Path("/nowhere"), "Whisper fake")
    )
    monkeypatch.setattr(transcription, "transcribe", transcribe)
    return calls


def processed(author, brief, path: Path) -> Recording:
    copy = path.parent / f"copy-{path.name}"
    shutil.copy(path, copy)
    recording = recording_create_from_file(
        acting=author, brief=brief, path=copy, filename=path.name
    )
    result = recording_process(recording_id=recording.pk)
    assert result is not None
    return result


def signed_in(member) -> Client:
    client = Client()
    client.force_login(member.user)
    return client


def test_a_spoken_recording_is_transcribed_with_its_words_at_times_within_the_clip(
    settings, engine_installed, author, brief, spoken, django_capture_on_commit_callbacks
):
    settings.TASKS = IMMEDIATE_TASKS
    settings.TRANSCRIBE_THREADS = 1

    with django_capture_on_commit_callbacks(execute=True):
        recording = processed(author, brief, spoken)

    transcript = Transcript.objects.get(recording=recording)
    text = " ".join(s.text for s in transcript.segments.all()).lower()
    words = [w for s in transcript.segments.all() for w in s.words]
    assert transcript.status == TranscriptStatus.DONE
    assert transcript.model_name == "Whisper tiny.en"
    assert transcript.progress == 1.0
    assert {"quarterly", "roadmap", "monday", "morning"} <= set(text.replace(".", "").split())
    assert words
    assert all(0 <= start <= end <= recording.duration for start, end, _word in words)
    assert all(0 <= s.start <= s.end <= recording.duration for s in transcript.segments.all())
    caption = Caption.objects.get(recording=recording)
    assert caption.label == "Automatic transcript (en)"
    page = signed_in(author).get(f"/w/{brief.workspace.slug}/recordings/{recording.pk}/")
    assert "roadmap" in page.content.decode().lower()
    assert "Transcribed automatically on this server with Whisper tiny.en" in page.content.decode()


def test_a_silent_recording_gets_an_empty_transcript_labelled_silent(
    engine_installed, author, brief, quiet
):
    recording = processed(author, brief, quiet)

    transcript = transcript_make(recording_id=recording.pk)

    assert transcript is not None
    assert transcript.status == TranscriptStatus.SILENT
    assert transcript.segments.count() == 0
    assert not Caption.objects.filter(recording=recording).exists()
    page = signed_in(author).get(f"/w/{brief.workspace.slug}/recordings/{recording.pk}/")
    assert "Transcript: silent" in page.content.decode()


def test_without_the_extra_the_page_says_transcripts_are_off_and_the_recording_plays(
    monkeypatch, author, brief, clips
):
    monkeypatch.setitem(sys.modules, "faster_whisper", None)  # import fails as when not installed

    recording = processed(author, brief, clips["webm"])

    transcript = Transcript.objects.get(recording=recording)
    page = signed_in(author).get(f"/w/{brief.workspace.slug}/recordings/{recording.pk}/")
    html = page.content.decode()
    assert recording.status == RecordingStatus.READY
    assert transcript.status == TranscriptStatus.OFF
    assert page.status_code == 200
    assert "Transcripts are off on this server: the transcription extra is not installed" in html
    assert "<video" in html


def test_a_corrupt_audio_track_fails_the_transcript_with_the_reason_and_keeps_the_recording(
    fake_engine, author, brief, clips
):
    recording = processed(author, brief, clips["webm"])
    with default_storage.open(str(recording.original.name), "wb") as broken:
        broken.write(b"\x1aE\xdf\xa3" + b"\x00garbage" * 500)

    transcript = transcript_make(recording_id=recording.pk)

    assert transcript is not None
    assert transcript.status == TranscriptStatus.FAILED
    assert transcript.problem.startswith("the audio track could not be decoded")
    assert transcript.segments.count() == 0
    assert Recording.objects.get(pk=recording.pk).status == RecordingStatus.READY
    assert fake_engine == []
    page = signed_in(author).get(f"/w/{brief.workspace.slug}/recordings/{recording.pk}/")
    assert "Transcription failed: the audio track could not be decoded" in page.content.decode()


def test_a_run_restarted_after_a_killed_worker_writes_the_transcript_once(
    fake_engine, author, brief, clips
):
    recording = processed(author, brief, clips["webm"])
    # What a worker killed midway leaves: the transcript claimed and part done, nothing written.
    Transcript.objects.filter(recording=recording).update(
        status=TranscriptStatus.RUNNING, progress=0.4
    )

    transcript_make(recording_id=recording.pk, task_id="t1", attempt=2)
    again = transcript_make(recording_id=recording.pk, task_id="t1", attempt=3)

    assert again is not None
    assert again.status == TranscriptStatus.DONE
    assert len(fake_engine) == 1
    assert list(TranscriptSegment.objects.values_list("text", "start", "end")) == [
        ("Budget first.", 0.2, 1.4)
    ]
    assert Caption.objects.filter(recording=recording).count() == 1
    hits = signed_in(author).get(f"/w/{brief.workspace.slug}/search/?q=budget").content.decode()
    assert hits.count(f"/briefs/{brief.pk}/?t=0.200#player") == 1


def test_a_transcription_task_that_fails_for_good_marks_the_transcript_failed(
    fake_engine, author, brief, clips
):
    recording = processed(author, brief, clips["webm"])

    transcript_failed(recording_id=recording.pk)

    transcript = Transcript.objects.get(recording=recording)
    assert transcript.status == TranscriptStatus.FAILED
    assert transcript.problem == "the background worker transcribing it stopped before finishing"


def test_progress_shows_on_the_recording_page_and_its_status_is_asked_again(
    fake_engine, author, brief, teammate, clips, outsider
):
    recording = processed(author, brief, clips["webm"])
    Transcript.objects.filter(recording=recording).update(
        status=TranscriptStatus.RUNNING, progress=0.4, model_name="Whisper tiny.en"
    )
    slug = brief.workspace.slug

    page = signed_in(teammate).get(f"/w/{slug}/recordings/{recording.pk}/").content.decode()
    status = signed_in(teammate).get(f"/w/{slug}/recordings/{recording.pk}/transcript/status/")
    foreign = signed_in(outsider).get(f"/w/{slug}/recordings/{recording.pk}/transcript/status/")

    assert "Transcribing with Whisper tiny.en: 40 %" in page
    assert 'hx-trigger="every 3s"' in page
    assert "Transcribing with Whisper tiny.en: 40 %" in status.content.decode()
    assert foreign.status_code == 404


@given(
    start=st.floats(-5, 400),
    length=st.floats(0, 30),
    offset=st.floats(0, 7200),
    duration=st.floats(0.1, 7500),
)
def test_a_clipped_segment_always_lies_within_the_recording(start, length, offset, duration):
    word = transcription.Word(start, start + length, " word ")
    segment = transcription.Segment(start, start + length, " some  words ", (word,))

    kept = transcription.clip_segment(segment, offset, duration)

    assert kept is not None
    assert 0 <= kept.start <= kept.end <= duration
    assert all(0 <= w.start <= w.end <= duration for w in kept.words)
    assert kept.text == "some words"
    assert kept.words[0].text == "word"


@pytest.fixture
def transcribed(fake_engine, author, brief, clips) -> Transcript:
    recording = processed(author, brief, clips["webm"])
    transcript = transcript_make(recording_id=recording.pk)
    assert transcript is not None
    return transcript


def test_the_author_corrects_a_line_and_the_captions_search_and_history_follow(
    author, teammate, brief, transcribed
):
    slug = brief.workspace.slug
    url = f"/w/{slug}/recordings/{transcribed.recording_id}/transcript/0/"

    answer = signed_in(author).post(url, {"text": "Budget <first>!", "start": "0.200"})

    page = signed_in(teammate).get(f"/w/{slug}/recordings/{transcribed.recording_id}/transcript/")
    html = page.content.decode()
    assert answer.status_code == 302
    assert TranscriptSegment.objects.get().text == "Budget <first>!"
    assert Caption.objects.get().cues.get().text == "Budget <first>!"
    assert "<del>Budget first.</del> → <ins>Budget &lt;first&gt;!</ins>" in html
    hits = signed_in(teammate).get(f"/w/{slug}/search/?q=budget").content.decode()
    assert "&lt;first&gt;" in hits


def test_a_correction_that_changes_the_timing_is_refused_with_a_message(author, brief, transcribed):
    slug = brief.workspace.slug
    url = f"/w/{slug}/recordings/{transcribed.recording_id}/transcript/0/"

    answer = signed_in(author).post(url, {"text": "Budget later.", "start": "0.900"})

    assert answer.status_code == 422
    assert "changes the words only, not the timing" in answer.content.decode()
    assert TranscriptSegment.objects.get().text == "Budget first."
    assert transcribed.corrections.count() == 0


def test_only_the_author_corrects_the_transcript(teammate, brief, transcribed):
    url = f"/w/{brief.workspace.slug}/recordings/{transcribed.recording_id}/transcript/0/"

    answer = signed_in(teammate).post(url, {"text": "Mine now."})

    assert answer.status_code == 403
    assert TranscriptSegment.objects.get().text == "Budget first."


def test_the_author_edits_chapters_and_the_player_lists_them_as_links_that_seek(
    author, teammate, brief, transcribed
):
    slug = brief.workspace.slug
    url = f"/w/{slug}/recordings/{transcribed.recording_id}/chapters/"

    answer = signed_in(author).post(url, {"chapters": "0:00 Why\n0:01 The <b>plan</b>"})

    page = signed_in(teammate).get(f"/w/{slug}/briefs/{brief.pk}/").content.decode()
    assert answer.status_code == 302
    assert 'data-seek="1.000">0:01</a> The &lt;b&gt;plan&lt;/b&gt;' in page
    assert 'class="timeline-chapter" data-chapter="1.000"' in page


def test_chapters_after_the_end_are_refused_naming_the_line(author, brief, transcribed):
    slug = brief.workspace.slug
    url = f"/w/{slug}/recordings/{transcribed.recording_id}/chapters/"

    answer = signed_in(author).post(url, {"chapters": "0:00 Start\n9:00 Far too late"})

    assert answer.status_code == 422
    assert "Line 2 starts at 9:00, after the recording ends (0:02)." in answer.content.decode()
    assert not transcribed.recording.chapters.exists()


def test_chapters_are_proposed_at_a_long_pause_and_titled_with_the_first_words():
    segments = [
        chapters.Timed(0, 20, "Welcome to the pricing review for this quarter"),
        chapters.Timed(20, 40, "Pricing tiers stay the same"),
        chapters.Timed(45, 60, "Hiring plans come next in this walkthrough today"),
    ]

    marks = chapters.propose(segments)

    assert marks == [
        chapters.ChapterMark(0.0, "Welcome to the pricing review for…"),
        chapters.ChapterMark(45.0, "Hiring plans come next in this…"),
    ]


@given(st.lists(st.tuples(st.floats(0, 100), st.floats(0, 20), st.text(max_size=40)), max_size=30))
def test_proposed_chapters_start_at_zero_in_order_at_least_the_minimum_apart(parts):
    start = 0.0
    segments = []
    for gap, length, text in parts:
        segments.append(chapters.Timed(start + gap, start + gap + length, text))
        start += gap + length

    marks = chapters.propose(segments)

    assert marks == [] or marks[0].start == 0.0
    assert all(
        b.start - a.start >= chapters.MIN_CHAPTER_SECONDS for a, b in itertools.pairwise(marks)
    )
    assert marks == [] or chapters.parse(chapters.as_text(marks), None) == [
        chapters.ChapterMark(float(int(m.start)), m.title.strip() or "Chapter") for m in marks
    ]


def test_the_api_gives_the_transcript_takes_corrections_and_refuses_a_timing_change(
    author, teammate, outsider, transcribed
):
    client = Client()
    base = f"/recordings/{transcribed.recording_id}/transcript"

    shown = get(client, base, bearer(teammate)).json()
    moved = send(client, "PATCH", f"{base}/segments/0", {"text": "X", "end": 9.0}, bearer(author))
    fixed = send(client, "PATCH", f"{base}/segments/0", {"text": "Budget, first!"}, bearer(author))
    history = get(client, f"{base}/corrections", bearer(teammate)).json()
    foreign = get(client, base, bearer(outsider))

    assert shown["status"] == "done"
    assert shown["model_name"] == "Whisper fake"
    assert shown["segments"] == [
        {
            "index": 0,
            "start": 0.2,
            "end": 1.4,
            "text": "Budget first.",
            "words": [[0.2, 0.7, "Budget"], [0.7, 1.4, "first"]],
        }
    ]
    assert "not the timing" in problem(moved, 422)["errors"]["end"][0]
    assert fixed.json()["text"] == "Budget, first!"
    assert [(h["index"], h["before"], h["after"]) for h in history] == [
        (0, "Budget first.", "Budget, first!")
    ]
    assert foreign.status_code == 404


def test_the_api_replaces_chapters_and_refuses_ones_out_of_order(author, teammate, transcribed):
    client = Client()
    path = f"/recordings/{transcribed.recording_id}/chapters"
    good = {"chapters": [{"start": 0, "title": "Intro"}, {"start": 1.5, "title": "Plan"}]}
    bad = {"chapters": [{"start": 1, "title": "Late"}, {"start": 0.5, "title": "Early"}]}

    saved = send(client, "PUT", path, good, bearer(author))
    refused = send(client, "PUT", path, bad, bearer(author))
    listed = get(client, path, bearer(teammate)).json()

    assert saved.status_code == 200
    assert "Line 2 must start later than the line before it." in str(problem(refused, 422))
    assert listed == [
        {"index": 0, "start": 0.0, "title": "Intro"},
        {"index": 1, "start": 1.5, "title": "Plan"},
    ]


def test_the_speed_is_remembered_per_member_and_the_player_resumes_where_they_stopped(
    author, teammate, brief, clips
):
    recording = processed(author, brief, clips["webm"])
    client = Client()
    RecordingView.objects.create(
        workspace=brief.workspace, recording=recording, membership=teammate, position=1.5
    )

    saved = send(client, "PUT", "/player-settings", {"rate": 1.75}, bearer(teammate))
    too_fast = send(client, "PUT", "/player-settings", {"rate": 3}, bearer(teammate))
    mine = signed_in(teammate).get(f"/w/{brief.workspace.slug}/briefs/{brief.pk}/").content.decode()
    theirs = signed_in(author).get(f"/w/{brief.workspace.slug}/briefs/{brief.pk}/").content.decode()

    assert saved.json() == {"rate": 1.75}
    assert too_fast.status_code == 422
    assert 'data-rate="1.75" data-resume="1.5"' in mine
    assert '<option value="1.75" selected>1.75×</option>' in mine
    assert 'data-rate="1" data-resume="0.0"' in theirs
    assert get(client, "/player-settings", bearer(teammate)).json() == {"rate": 1.75}


def test_a_reaction_at_a_moment_shows_on_the_timeline_and_a_double_click_counts_once(
    author, teammate, outsider, brief, clips
):
    recording = processed(author, brief, clips["webm"])
    client = Client()
    path = f"/recordings/{recording.pk}/reactions"

    first = send(client, "POST", path, {"seconds": 1.2, "emoji": "🎉"}, bearer(teammate))
    again = send(client, "POST", path, {"seconds": 1.5, "emoji": "🎉"}, bearer(teammate))
    odd = send(client, "POST", path, {"seconds": 1.0, "emoji": "<b>"}, bearer(teammate))
    late = send(client, "POST", path, {"seconds": 60, "emoji": "👍"}, bearer(teammate))
    foreign = send(client, "POST", path, {"seconds": 1.0, "emoji": "👍"}, bearer(outsider))
    page = signed_in(author).get(f"/w/{brief.workspace.slug}/briefs/{brief.pk}/").content.decode()

    assert first.status_code == 201
    assert again.json()["id"] == first.json()["id"]
    assert "Choose one of" in problem(odd, 422)["errors"]["emoji"][0]
    assert "between 0 and 2 seconds" in problem(late, 422)["errors"]["seconds"][0]
    assert foreign.status_code == 404
    assert 'data-at="1.20"><title>0:01 — 🎉' in page
    assert "0 comments and 1 reaction on the timeline" in page
