"""Pure rollup arithmetic: which rollup rows a fact feeds, merging deltas, period values, and
the histogram rows percentile metrics keep (log buckets, see :func:`bucket_of`).

No ORM here (CONVENTIONS 15): services turn rows into :class:`FactRow` and back, and the
property tests check that applying deltas fact by fact equals recomputing from the facts.
"""

import functools
import math
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from typing import NamedTuple

# (metric, subject, subject_id, day)
RollupKey = tuple[str, str, int, date]
# (metric, subject, subject_id, span, day, bucket): span is "day" (``day`` is the fact's day) or
# "month" (``day`` is the first of the fact's month).
HistogramKey = tuple[str, str, int, str, date, int]
# The subjects whose histograms also keep month rows. A member's or a project's percentiles
# over a period are read from its day rows (no more of them than its facts in the period;
# ``metrics.selectors.period_buckets``): their month rows, nearly one per fact, were a third
# of a percentile fact's histogram upserts and saved a read little.
MONTH_SUBJECTS = ("workspace", "team")

# Histogram buckets are ``GROWTH`` times as wide as the one below: a bucket holds the values
# in [GROWTH**k, GROWTH**(k+1)), so any value in it is within RELATIVE_ERROR of the bucket's
# mean, and a percentile read from buckets within RELATIVE_ERROR of the exact one (module
# docs of meridian.metrics.selectors and docs/architecture.md, "Aggregations").
GROWTH = 1.05
RELATIVE_ERROR = GROWTH - 1
_LOG_GROWTH = math.log(GROWTH)
# Magnitudes between GROWTH**-LIMIT (about 1e-32) and GROWTH**LIMIT (about 1e31) get their own
# buckets; smaller and larger ones share the first and last (the bound holds inside the range).
LIMIT = 1500


class FactRow(NamedTuple):
    """What of a fact the rollups depend on (a named tuple: made once per fact written, it is
    several times cheaper to build than a frozen dataclass)."""

    metric: str
    day: date
    value: float
    member_id: int | None = None
    project_id: int | None = None
    team_id: int | None = None


def keys_of(fact: FactRow) -> list[RollupKey]:
    """The rollup rows one fact feeds: its workspace's, and its member's, project's, team's.

    A fact of a percentile metric keeps no rollup rows of its own: their count and total are
    its histogram's day rows summed over the buckets (:func:`rollups_of_histograms`), so the
    services feed only the histogram rows of such a fact (:func:`histogram_change`)."""
    keys: list[RollupKey] = [(fact.metric, "workspace", 0, fact.day)]
    if fact.member_id is not None:
        keys.append((fact.metric, "member", fact.member_id, fact.day))
    if fact.project_id is not None:
        keys.append((fact.metric, "project", fact.project_id, fact.day))
    if fact.team_id is not None:
        keys.append((fact.metric, "team", fact.team_id, fact.day))
    return keys


def add(deltas: dict[RollupKey, list[float]], fact: FactRow, sign: int) -> None:
    """Add (``sign=1``) or take away (``sign=-1``) one fact's contribution to ``deltas``."""
    value = sign * fact.value
    metric, day, _value, member_id, project_id, team_id = fact
    for key in (
        (metric, "workspace", 0, day),
        (metric, "member", member_id, day) if member_id is not None else None,
        (metric, "project", project_id, day) if project_id is not None else None,
        (metric, "team", team_id, day) if team_id is not None else None,
    ):
        if key is None:
            continue
        entry = deltas.get(key)
        if entry is None:
            deltas[key] = [sign, value]
        else:
            entry[0] += sign
            entry[1] += value


def change(
    before: FactRow | None, after: FactRow | None, deltas: dict[RollupKey, list[float]]
) -> None:
    """The delta of a fact written (``before=None``), rewritten, or deleted (``after=None``)."""
    if before is not None:
        add(deltas, before, -1)
    if after is not None:
        add(deltas, after, 1)


def recompute(facts: Iterable[FactRow]) -> dict[RollupKey, tuple[int, float]]:
    """Every rollup row from scratch: (count, total) per key, rows without facts left out (what
    a reader sees: stored rows, and for a percentile metric :func:`rollups_of_histograms`)."""
    deltas: dict[RollupKey, list[float]] = {}
    for fact in facts:
        add(deltas, fact, 1)
    return {key: (int(c), t) for key, (c, t) in deltas.items() if c}


def rollups_of_histograms(
    histograms: Mapping[HistogramKey, tuple[int, float]],
) -> dict[RollupKey, tuple[int, float]]:
    """The rollup rows a percentile metric's histogram rows stand for: per (metric, subject,
    subject id, day), the count and total of its day rows summed over the buckets (its month
    rows left out); a day without rows has none. What the readers of a percentile metric's
    daily count and total (a key result's mean) sum in SQL instead of reading rollup rows."""
    sums: dict[RollupKey, list[float]] = {}
    for (metric, subject, subject_id, span, day, _bucket), (count, total) in histograms.items():
        if span != "day" or not count:
            continue
        entry = sums.setdefault((metric, subject, subject_id, day), [0, 0.0])
        entry[0] += count
        entry[1] += total
    return {key: (int(c), t) for key, (c, t) in sums.items() if c}


@functools.lru_cache(maxsize=1 << 16)
def bucket_of(value: float) -> int:
    """The histogram bucket of a value: 0 for zero, ``k + LIMIT + 1`` for a positive value in
    [GROWTH**k, GROWTH**(k+1)), the mirror image below zero for a negative one; buckets sort
    as their values do. Remembered per value (facts repeat values; a log per fact was a tenth of
    a write's time)."""
    if value == 0:
        return 0
    k = math.floor(math.log(abs(value)) / _LOG_GROWTH)
    k = max(-LIMIT, min(LIMIT, k)) + LIMIT + 1
    return k if value > 0 else -k


def histogram_keys_of(fact: FactRow) -> list[HistogramKey]:
    """The histogram rows one fact of a percentile metric feeds: per subject of
    :func:`keys_of`, its day's row and (for :data:`MONTH_SUBJECTS`) its month's row, in the
    value's bucket."""
    bucket = bucket_of(fact.value)
    month = fact.day.replace(day=1)
    out: list[HistogramKey] = []
    for metric, subject, subject_id, day in keys_of(fact):
        out.append((metric, subject, subject_id, "day", day, bucket))
        if subject in MONTH_SUBJECTS:
            out.append((metric, subject, subject_id, "month", month, bucket))
    return out


def histogram_change(
    before: FactRow | None, after: FactRow | None, deltas: dict[HistogramKey, list[float]]
) -> None:
    """The histogram delta of a fact written, rewritten or deleted (as :func:`change`): the
    rows of :func:`histogram_keys_of`, built inline (this runs once per fact written; the
    ``monthly`` flags are :data:`MONTH_SUBJECTS`)."""
    for fact, sign in ((before, -1), (after, 1)):
        if fact is None:
            continue
        metric, day, value, member_id, project_id, team_id = fact
        bucket = bucket_of(value)
        month = day.replace(day=1)
        signed = sign * value
        for subject, subject_id, monthly in (
            ("workspace", 0, True),
            ("member", member_id, False),
            ("project", project_id, False),
            ("team", team_id, True),
        ):
            if subject_id is None:
                continue
            day_key = (metric, subject, subject_id, "day", day, bucket)
            for key in (
                (day_key, (metric, subject, subject_id, "month", month, bucket))
                if monthly
                else (day_key,)
            ):
                entry = deltas.get(key)
                if entry is None:
                    deltas[key] = [sign, signed]
                else:
                    entry[0] += sign
                    entry[1] += signed


def histogram_recompute(facts: Iterable[FactRow]) -> dict[HistogramKey, tuple[int, float]]:
    """Every histogram row from scratch: (count, total) per key, empty rows left out."""
    deltas: dict[HistogramKey, list[float]] = {}
    for fact in facts:
        histogram_change(None, fact, deltas)
    return {key: (int(c), t) for key, (c, t) in deltas.items() if c}


def bucket_percentile(buckets: Iterable[tuple[int, int, float]], q: float) -> float | None:
    """The ``q``-th percentile (0-100) of the values behind ``(bucket, count, total)`` rows,
    as :func:`percentile` computes it with each value replaced by its bucket's mean; None when
    the rows hold no value. Within RELATIVE_ERROR of the exact percentile for values of one
    sign (exact when each bucket holds equal values)."""
    merged: dict[int, list[float]] = {}
    for bucket, count, total in buckets:
        entry = merged.setdefault(bucket, [0, 0.0])
        entry[0] += count
        entry[1] += total
    rows = [(b, int(c), t) for b, (c, t) in sorted(merged.items()) if c > 0]
    n = sum(c for _, c, _ in rows)
    if not n:
        return None
    rank = (n - 1) * q / 100
    low = math.floor(rank)
    high = min(low + 1, n - 1)

    def at(index: int) -> float:
        seen = 0
        for _, count, total in rows:
            seen += count
            if index < seen:
                return total / count
        return rows[-1][2] / rows[-1][1]

    low_value = at(low)
    return low_value + (at(high) - low_value) * (rank - low)


def range_bucket_percentiles(
    rows: Iterable[tuple[date, int, int, float]], ranges: Sequence[tuple[date, date]]
) -> list[tuple[float | None, float | None]]:
    """(median, 85th percentile) of the ``(day, bucket, count, total)`` day rows falling in
    each range of days (``first``, ``last``, both included); (None, None) for a range without
    any: what a chart of percentiles per week draws."""
    per_range: list[list[tuple[int, int, float]]] = [[] for _ in ranges]
    for day, bucket, count, total in rows:
        for i, (first, last) in enumerate(ranges):
            if first <= day <= last:
                per_range[i].append((bucket, count, total))
                break
    return [(bucket_percentile(b, 50), bucket_percentile(b, 85)) for b in per_range]


def bucket_bins(
    rows: Iterable[tuple[date, int, int, float]], bins: int = 8
) -> list[tuple[float, float, int]]:
    """``bins`` bins of equal width, (low, high, count), from the smallest to the largest
    bucket mean of the rows, each bucket's values counted in the bin of its mean (a value is
    within RELATIVE_ERROR of it); no rows, no bins."""
    merged: dict[int, list[float]] = {}
    for _day, bucket, count, total in rows:
        entry = merged.setdefault(bucket, [0, 0.0])
        entry[0] += count
        entry[1] += total
    points = [(t / c, int(c)) for c, t in merged.values() if c > 0]
    if not points:
        return []
    low, high = min(p for p, _ in points), max(p for p, _ in points)
    if high == low:
        return [(low, high, sum(c for _, c in points))]
    width = (high - low) / bins
    counts = [0] * bins
    for mean, count in points:
        counts[min(bins - 1, math.floor((mean - low) / width))] += count
    return [(low + i * width, low + (i + 1) * width, c) for i, c in enumerate(counts)]


def percentile(values: Sequence[float], q: float) -> float | None:
    """The ``q``-th percentile (0-100) by linear interpolation between closest ranks; None if
    there are no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100
    low = math.floor(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def ratio(numerator: float | None, denominator: float | None) -> float | None:
    """numerator / denominator, or None ("no data") when either is missing or the denominator
    is zero: a ratio over nothing is not 0."""
    if numerator is None or denominator is None or denominator == 0:
        return None
    return numerator / denominator
