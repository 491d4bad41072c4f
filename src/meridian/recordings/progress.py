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


# A retention chart has at most this many points: longer recordings are counted per bucket of
# several seconds, so the page stays small for a two-hour recording.
MAX_RETENTION_POINTS = 1200


def retention_step(duration: float | None) -> int:
    """Seconds per point of the retention chart: 1, or more for recordings past 20 minutes."""
    if not duration or not math.isfinite(duration) or duration <= 0:
        return 1
    return max(1, math.ceil(duration / MAX_RETENTION_POINTS))


def retention(
    viewers: Iterable[Iterable[Sequence[float]]], duration: float | None, step: int = 1
) -> list[int]:
    """How many viewers watched each moment: one count per ``step`` seconds from 0.

    A viewer counts at a point when their watched ranges cover its middle (the moment
    ``i·step + step/2``; for a last, shorter point, the middle of what is left), each viewer
    at most once per point, however often they re-watched it.
    """
    if not duration or not math.isfinite(duration) or duration <= 0 or step < 1:
        return []
    points = math.ceil(duration / step)
    final = points - 1
    final_middle = (final * step + duration) / 2
    counts = [0] * points
    for ranges in viewers:
        for start, end in merge_ranges(clip_ranges(ranges, duration), join=0.0):
            # Points whose middle lies in [start, end).
            first = max(0, math.ceil((start - step / 2) / step))
            last = min(final - 1, math.ceil((end - step / 2) / step) - 1)
            if start <= final_middle < end:
                last = final
            for i in range(first, last + 1):
                counts[i] += 1
    return counts
