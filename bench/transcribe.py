"""Transcription: real-time factor, worker memory, and upload finished → transcript searchable.

    .venv/bin/python bench/transcribe.py
    .venv/bin/python bench/transcribe.py --minutes 5 --threads 2

It makes a spoken recording of ``--minutes`` (5) minutes: espeak-ng reads a fixed text of a
software company's week, sentence after sentence with pauses, until the length is reached,
and ffmpeg muxes it into WebM (Opus), as the browser recorder sends it. On a fresh SQLite
database (``var/bench-transcribe/``) one workspace, its admin and a brief are made through the
real services. Then, in this process as the media worker would: the recording is stored from
the file (the moment the upload is finished), processed (``recording_process``: probe,
thumbnail), transcribed (``transcript_make``: ffmpeg's 16 kHz audio, the packaged Whisper
tiny.en with ``--threads`` CTranslate2 threads) and searched for a word it said
(``search_for``). The model is loaded before the clock starts, as a running worker has it.

Figures: the real-time factor (transcription seconds per second of audio; below 1 is faster
than real time), the process's peak resident memory while transcribing (sampled every 50 ms,
the whole worker process: Django, the model and the audio window), and the seconds from
"upload finished" to the first search hit.

Targets (issue 14): real-time factor < 1 with tiny.en on 2 cores, peak memory ≤ 1 GB.
Needs the extra meridian[transcribe], ffmpeg and espeak-ng; exit code 0 when the targets are
met, 1 when not, 2 when it cannot run here. Writes bench/results/transcribe.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "src"))

from bench.generate import configure, fresh_database  # noqa: E402

DEFAULT_DATA_DIR = ROOT / "var" / "bench-transcribe"
RESULTS = ROOT / "bench" / "results"
TARGET_RTF = 1.0
TARGET_RSS_MB = 1024.0
SEARCHED = "roadmap"
SENTENCES = (
    "Good morning everyone, this is the weekly walkthrough of the product roadmap.",
    "The onboarding flow now asks for the company name before the team size.",
    "Customers told us the pricing page was hard to read on a phone.",
    "So the pricing toggle moves to the top and stays there while you scroll.",
    "Support tickets about invoices went down by a third since the last release.",
    "Next quarter we focus on search, faster pages, and the mobile recorder.",
    "Please leave a comment at the moment you disagree, and I will answer by Friday.",
    "The database migration runs on Sunday night, when traffic is lowest.",
)


def spoken_clip(folder: Path, minutes: float) -> tuple[Path, float]:
    """A WebM of espeak-ng reading SENTENCES over and over until ``minutes`` are filled."""
    text = folder / "script.txt"
    needed = minutes * 60
    # espeak-ng reads about 2.5 sentences of these in 10 s; write more than enough.
    rounds = max(1, int(needed / 25) + 1)
    text.write_text("\n".join(SENTENCES * rounds) + "\n")
    wav, webm = folder / "said.wav", folder / "said.webm"
    subprocess.run(["espeak-ng", "-f", str(text), "-w", str(wav)], check=True)
    subprocess.run(
        ["ffmpeg", "-nostdin", "-v", "error", "-y", "-i", str(wav), "-t", str(needed),
         "-c:a", "libopus", "-b:a", "32k", str(webm)],
        check=True,
    )  # fmt: skip
    probe = subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", str(webm)],
        check=True,
        capture_output=True,
        text=True,
    )
    return webm, float(probe.stdout.strip())


class PeakRss:
    """This process's resident memory, sampled in a thread; the peak in MB."""

    def __init__(self) -> None:
        self.peak = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _now(self) -> float:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
        return 0.0

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self._now())
            self._stop.wait(0.05)

    def __enter__(self) -> PeakRss:
        self.peak = self._now()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def measure(*, minutes: float = 5.0, threads: int = 2, data_dir: Path = DEFAULT_DATA_DIR) -> dict:
    """Make the clip and the data, run the pipeline once, return the figures and the verdict."""
    database = fresh_database(data_dir=data_dir)
    os.environ["MERIDIAN_TRANSCRIBE_THREADS"] = str(threads)
    os.environ["MERIDIAN_MEDIA_ROOT"] = str(data_dir / "media")
    configure(data_dir=data_dir)
    from django.core.management import call_command

    from meridian.accounts.models import User
    from meridian.briefs.services import Invitee, brief_create
    from meridian.recordings import transcription
    from meridian.recordings.models import TranscriptStatus
    from meridian.recordings.services import (
        recording_create_from_file,
        recording_process,
        transcript_make,
    )
    from meridian.search.selectors import search_for
    from meridian.workspaces.models import Membership, Role
    from meridian.workspaces.services import membership_add, workspace_create

    reason = transcription.unavailable_reason()
    if reason:
        raise SystemExit(f"Transcripts are off here: {reason}.")
    call_command("migrate", interactive=False, verbosity=0)
    owner = User.objects.create_user(email="admin@bench.example", password="bench-password-x")
    ws = workspace_create(user=owner, name="Bench Company", slug="bench-transcribe")
    admin = Membership.objects.get(workspace=ws, user=owner)
    other = User.objects.create_user(email="peer@bench.example", password="bench-password-x")
    peer = membership_add(workspace=ws, user=other, role=Role.MEMBER, display_name="Peer")
    brief = brief_create(
        author=admin, title="Weekly walkthrough", participants=[Invitee(member_id=peer.pk)]
    )
    engine = transcription.engine()
    load_started = time.perf_counter()
    transcription._model(str(engine.model_path), threads)  # a running worker has it loaded
    load_s = time.perf_counter() - load_started
    load_at_start = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp:
        clip, duration = spoken_clip(Path(tmp), minutes)
        print(
            f"==> {database}: a {duration:.0f} s spoken WebM; {engine.model_name}, {threads} threads"
        )
        with PeakRss() as rss:
            finished = time.perf_counter()
            recording = recording_create_from_file(
                acting=admin, brief=brief, path=clip, filename="walkthrough.webm"
            )
            recording_process(recording_id=recording.pk)
            started = time.perf_counter()
            transcript = transcript_make(recording_id=recording.pk)
            transcribe_s = time.perf_counter() - started
            hits = search_for(viewer=admin, q=SEARCHED, kinds=["transcript"])
            searchable_s = time.perf_counter() - finished
    assert transcript is not None and transcript.status == TranscriptStatus.DONE, transcript
    found = list(hits)
    rtf = transcribe_s / duration
    return {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs",
        "load_average": [round(load_at_start, 2), round(os.getloadavg()[0], 2)],
        "model": engine.model_name,
        "threads": threads,
        "audio_s": round(duration, 1),
        "model_load_s": round(load_s, 2),
        "transcribe_s": round(transcribe_s, 1),
        "real_time_factor": round(rtf, 3),
        "segments": transcript.segments.count(),
        "peak_rss_mb": round(rss.peak),
        "upload_to_searchable_s": round(searchable_s, 1),
        "search_hits": len(found),
        "targets": f"real-time factor < {TARGET_RTF:g}, peak RSS ≤ {TARGET_RSS_MB:,.0f} MB",
        "passed": rtf < TARGET_RTF and rss.peak <= TARGET_RSS_MB and bool(found),
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=5.0, help="length of the spoken clip")
    parser.add_argument("--threads", type=int, default=2, help="CTranslate2 threads")
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    args = parser.parse_args(argv)
    missing = [t for t in ("ffmpeg", "ffprobe", "espeak-ng") if shutil.which(t) is None]
    if missing:
        print(f"SKIP  bench/transcribe.py needs {', '.join(missing)}")
        return 2
    try:
        r: dict[str, Any] = measure(
            minutes=args.minutes, threads=args.threads, data_dir=args.data_dir
        )
    except SystemExit as exc:
        print(f"SKIP  bench/transcribe.py: {exc}")
        return 2
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "transcribe.json").write_text(json.dumps(r, indent=2) + "\n")
    print(
        f"    load average {r['load_average'][0]:.2f} at start, {r['load_average'][1]:.2f} at end"
    )
    print(f"model load (once per worker)  {r['model_load_s']:>8.2f} s")
    print(
        f"transcription                 {r['transcribe_s']:>8.1f} s for {r['audio_s']:.0f} s of audio"
    )
    print(f"real-time factor              {r['real_time_factor']:>8.3f}")
    print(f"peak worker memory            {r['peak_rss_mb']:>8} MB")
    print(f"upload finished → searchable  {r['upload_to_searchable_s']:>8.1f} s")
    verdict = "PASS" if r["passed"] else "FAIL"
    print(f"{verdict}  {r['targets']}: {r['real_time_factor']:.3f}, {r['peak_rss_mb']} MB")
    return 0 if r["passed"] else 1


if __name__ == "__main__":
    sys.exit(main())
