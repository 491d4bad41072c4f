"""Chapters as pure logic: proposed from a transcript, and read from the author's edit.

The proposal is deliberately simple (documented in docs/user/recordings.md): walk the
segments in order and start a new chapter before a segment that follows a pause of at least
``PAUSE_SECONDS``, or whose words share little with the words just said (a topic shift:
Jaccard overlap of the content words of the next and the previous ``WINDOW`` segments below
``SHIFT_OVERLAP``), but never less than ``MIN_CHAPTER_SECONDS`` after the previous chapter.
A chapter is titled with the first words of its first segment. Fewer than two chapters is
no chapters.

The author edits chapters as text, one a line: a time (``1:05``, ``0:01:05`` or seconds) and
a title, as video sites write them in descriptions.
"""

import re
from collections.abc import Sequence
from dataclasses import dataclass

PAUSE_SECONDS = 2.0
MIN_CHAPTER_SECONDS = 30.0
WINDOW = 3
SHIFT_OVERLAP = 0.05
TITLE_WORDS = 6
MAX_TITLE = 120
MAX_CHAPTERS = 200
_WORD = re.compile(r"[a-z0-9']+")
_STOP = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "but",
        "by",
        "for",
        "from",
        "has",
        "have",
        "i",
        "in",
        "is",
        "it",
        "its",
        "of",
        "on",
        "or",
        "so",
        "that",
        "the",
        "this",
        "to",
        "was",
        "we",
        "were",
        "will",
        "with",
        "you",
        "your",
        "our",
        "they",
        "he",
        "she",
        "them",
        "then",
        "there",
        "here",
        "what",
        "which",
        "who",
        "not",
        "no",
        "do",
        "does",
        "did",
        "can",
        "just",
        "about",
        "into",
        "up",
        "out",
        "if",
    ]
)
# A time, then the title after spaces, or after a dash between spaces ("1:05 - Pricing").
_LINE = re.compile(
    r"^\s*(?P<time>\d+(?::\d{1,2}){0,2}(?:\.\d+)?)(?:\s+[-–—](?=\s))?\s+(?P<title>.*)$"
)
_LEADING = "-–—:;,.!? \t"


class BadChapters(ValueError):
    """The chapters text cannot be read; the message names the line and why."""


@dataclass(frozen=True)
class Timed:
    """What the proposal needs of a transcript segment."""

    start: float
    end: float
    text: str


@dataclass(frozen=True)
class ChapterMark:
    """A chapter: where it starts, and its title."""

    start: float
    title: str


def _content(text: str) -> set[str]:
    return {w for w in _WORD.findall(text.lower()) if w not in _STOP and len(w) > 2}


def _title(text: str) -> str:
    # No leading dash or colon: the text form would read it as the separator.
    words = text.lstrip(_LEADING).split()
    title = " ".join(words[:TITLE_WORDS]).rstrip(".,;:!?")
    return (title + ("…" if len(words) > TITLE_WORDS else ""))[:MAX_TITLE] or "Chapter"


def propose(segments: Sequence[Timed]) -> list[ChapterMark]:
    """Chapters for a transcript's segments (in time order); [] when fewer than two arise."""
    if not segments:
        return []
    marks = [ChapterMark(0.0, _title(segments[0].text))]
    for i in range(1, len(segments)):
        segment = segments[i]
        if segment.start - marks[-1].start < MIN_CHAPTER_SECONDS:
            continue
        pause = segment.start - segments[i - 1].end >= PAUSE_SECONDS
        before = set().union(*(_content(s.text) for s in segments[max(0, i - WINDOW) : i]))
        after = set().union(*(_content(s.text) for s in segments[i : i + WINDOW]))
        union = before | after
        overlap = len(before & after) / len(union) if union else 1.0
        if pause or (before and after and overlap < SHIFT_OVERLAP):
            marks.append(ChapterMark(round(segment.start, 3), _title(segment.text)))
    return marks if len(marks) >= 2 else []


def seconds(stamp: str) -> float:
    """``1:05`` / ``0:01:05`` / ``65`` / ``65.5`` as seconds."""
    parts = stamp.split(":")
    total = 0.0
    for part in parts:
        total = total * 60 + float(part)
    return total


def stamp(value: float) -> str:
    """Seconds as the text form writes them: 1:05, 1:02:03."""
    total = max(0, int(value))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def as_text(marks: Sequence[ChapterMark]) -> str:
    """The chapters as the author edits them."""
    return "\n".join(f"{stamp(m.start)} {m.title}" for m in marks)


def parse(text: str, duration: float | None) -> list[ChapterMark]:
    """Chapters from the author's text; BadChapters names the first line that is wrong."""
    marks: list[ChapterMark] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        found = _LINE.match(line)
        if found is None:
            if re.match(r"^\s*\d+(?::\d{1,2}){0,2}(?:\.\d+)?\s*$", line):
                raise BadChapters(f"Line {number} has a time but no title.")
            raise BadChapters(f"Line {number} must start with a time such as 1:05, then its title.")
        title = " ".join(found["title"].split())
        if not title:
            raise BadChapters(f"Line {number} has a time but no title.")
        if len(title) > MAX_TITLE:
            raise BadChapters(f"Line {number}: a title may be at most {MAX_TITLE} characters.")
        at = seconds(found["time"])
        if duration is not None and at >= duration:
            raise BadChapters(
                f"Line {number} starts at {stamp(at)}, after the recording ends ({stamp(duration)})."
            )
        if marks and at <= marks[-1].start:
            raise BadChapters(f"Line {number} must start later than the line before it.")
        marks.append(ChapterMark(at, title))
    if len(marks) > MAX_CHAPTERS:
        raise BadChapters(f"A recording has at most {MAX_CHAPTERS} chapters.")
    return marks
