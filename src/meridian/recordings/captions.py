"""WebVTT in and out: parse an uploaded file into plain-text cues, and write cues back as WebVTT.

Parsing uses webvtt-py. Cue markup (<v Ada>, <b>, <c.x>) is dropped and entities are decoded,
so a cue is plain text from here on: templates escape it, and the WebVTT the player gets is
written fresh from the cues, never the uploaded bytes.
"""

import html
import io
import re
from dataclasses import dataclass

import webvtt
from webvtt.errors import MalformedFileError
from webvtt.models import Timestamp

MAX_CUES = 10_000
MAX_CUE_CHARS = 2_000
_TAG = re.compile(r"<[^>]*>")


class BadCaptions(ValueError):
    """The file is not WebVTT Meridian can read; the message says why."""


@dataclass(frozen=True)
class Cue:
    """One timed piece of caption text."""

    start: float
    end: float
    text: str


def _seconds(stamp: Timestamp) -> float:
    return stamp.hours * 3600 + stamp.minutes * 60 + stamp.seconds + stamp.milliseconds / 1000


def parse_vtt(text: str) -> list[Cue]:
    """The cues of a WebVTT document, in order, as plain text."""
    if not text.lstrip("\ufeff").startswith("WEBVTT"):
        raise BadCaptions("A WebVTT file starts with the line “WEBVTT”.")
    try:
        document = webvtt.from_buffer(io.StringIO(text.lstrip("\ufeff")))
    except (MalformedFileError, ValueError) as exc:
        raise BadCaptions(f"This is not a valid WebVTT file: {exc}.") from None
    cues: list[Cue] = []
    for caption in document.captions:
        body = html.unescape(_TAG.sub("", caption.raw_text)).strip()
        start, end = _seconds(caption.start_time), _seconds(caption.end_time)
        if end < start:
            raise BadCaptions(f"The cue at {caption.start} ends before it starts.")
        if body:
            cues.append(Cue(start=start, end=end, text=body[:MAX_CUE_CHARS]))
    if not cues:
        raise BadCaptions("The WebVTT file has no cues with text.")
    if len(cues) > MAX_CUES:
        raise BadCaptions(f"A caption track has at most {MAX_CUES} cues.")
    return cues


def timestamp(seconds: float) -> str:
    """WebVTT's HH:MM:SS.mmm."""
    millis = round(seconds * 1000)
    hours, rest = divmod(millis, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    return f"{hours:02d}:{minutes:02d}:{rest // 1000:02d}.{rest % 1000:03d}"


def _escape(text: str) -> str:
    # In cue text "<" starts a tag and "&" an entity; "-->" may not appear at all.
    escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return "\n".join(line for line in escaped.splitlines() if line.strip())


def write_vtt(cues: list[Cue]) -> str:
    """A WebVTT document with the cues as plain text."""
    blocks = ["WEBVTT"]
    for cue in cues:
        blocks.append(f"{timestamp(cue.start)} --> {timestamp(cue.end)}\n{_escape(cue.text)}")
    return "\n\n".join(blocks) + "\n"
