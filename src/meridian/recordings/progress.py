"""Watch progress as pure arithmetic: merging watched time ranges and the share they cover."""

import math
from collections.abc import Iterable, Sequence

Range = tuple[float, float]

# The playback speeds the player offers (a member's choice is remembered).
RATES = (1.0, 1.25, 1.5, 1.75, 2.0)

# Gaps shorter than this between two watched ranges are counted as watched (timer jitter).
JOIN_SECONDS = 1.0


def merge_ranges(ranges: Iterable[Sequence[float]], join: float = JOIN_SECONDS) -> list[Range]:
    """Sorted, non-overlapping ranges covering the same time (ranges closer than ``join`` fuse)."""
    ordered = sorted((float(a), float(b)) for a, b in ranges if b > a)
    merged: list[Range] = []
    for start, end in ordered:
        if merged and start <= merged[-1][1] + join:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def clip_ranges(ranges: Iterable[Sequence[float]], duration: float) -> list[Range]:
    """The ranges cut to [0, duration]; ranges wholly outside it disappear."""
    clipped = [(max(0.0, float(a)), min(float(duration), float(b))) for a, b in ranges]
    return [(a, b) for a, b in clipped if b > a]


def covered(ranges: Iterable[Sequence[float]]) -> float:
    """Seconds covered by the ranges, each moment counted once."""
    return sum(b - a for a, b in merge_ranges(ranges, join=0.0))


def watched_fraction(ranges: Iterable[Sequence[float]], duration: float | None) -> float:
    """The share of a recording of ``duration`` seconds the ranges cover, from 0 to 1.

    Within a second of the end counts as the end, so a player that stops a frame early still
    makes 100 %. Without a known duration nothing can be said: 0.
    """
    if not duration or not math.isfinite(duration) or duration <= 0:
        return 0.0
    seen = covered(clip_ranges(ranges, duration))
    if seen >= duration - JOIN_SECONDS:
        return 1.0
    return max(0.0, min(1.0, seen / duration))
