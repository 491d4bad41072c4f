"""Pure chart arithmetic of the dashboards: weeks, a week's value from daily rollups, a
histogram, and a key result's forecast band. No ORM here (CONVENTIONS 15): the selectors read
the rows, these turn them into the numbers a chart draws; hypothesis tests check them.
"""

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from meridian.goals.forecast import MAX_PAIRS_DAYS, Fit, fit
from meridian.metrics.rollup import percentile, ratio

# (day, count, total) of one metric for one subject
DayRow = tuple[date, int, float]


@dataclass(frozen=True)
class Week:
    """Seven of the workspace's days, ``first`` to ``last`` (both included)."""

    first: date
    last: date


def weeks_ending(today: date, count: int) -> list[Week]:
    """The ``count`` weeks of seven days that end today, oldest first (the current week is the
    last, so a chart's rightmost point is never a week still to come)."""
    return [
        Week(today - timedelta(days=7 * back + 6), today - timedelta(days=7 * back))
        for back in range(count - 1, -1, -1)
    ]


def _week_of(day: date, weeks: Sequence[Week]) -> int | None:
    """The index of the week ``day`` falls in (weeks of seven days, one after the other, as
    :func:`weeks_ending` makes them); None outside them."""
    if not weeks or day < weeks[0].first:
        return None
    i = (day - weeks[0].first).days // 7
    if i < len(weeks) and weeks[i].first <= day <= weeks[i].last:
        return i
    return None


def week_values(
    rows: Iterable[DayRow],
    weeks: Sequence[Week],
    aggregation: str,
    before: tuple[int, float] = (0, 0.0),
) -> list[float | None]:
    """Each week's value: ``sum`` of its days' totals, ``mean`` (Σ totals ÷ Σ counts), or
    ``level`` (the running total at the week's end, starting from ``before``, the count and
    total of every day before the first week). None is "no data": no fact in the week (for a
    level, none up to its end), never 0."""
    by_week: list[list[float]] = [[0, 0.0] for _ in weeks]
    for day, count, total in rows:
        i = _week_of(day, weeks)
        if i is not None:
            by_week[i][0] += count
            by_week[i][1] += total
    out: list[float | None] = []
    running_count, running_total = before
    for week_count, total in by_week:
        count = int(week_count)
        if aggregation == "level":
            running_count += count
            running_total += total
            out.append(running_total if running_count else None)
        elif aggregation == "mean":
            out.append(ratio(total, count))
        else:
            out.append(total if count else None)
    return out


def week_percentiles(
    facts: Iterable[tuple[date, float]], weeks: Sequence[Week]
) -> list[tuple[float | None, float | None]]:
    """(median, 85th percentile) of each week's values; (None, None) for a week without any."""
    per_week: list[list[float]] = [[] for _ in weeks]
    for day, value in facts:
        i = _week_of(day, weeks)
        if i is not None:
            per_week[i].append(value)
    return [(percentile(values, 50), percentile(values, 85)) for values in per_week]


@dataclass(frozen=True)
class Bin:
    """Values ``low`` ≤ v < ``high`` (the last bin includes its ``high``)."""

    low: float
    high: float
    count: int


def histogram(values: Sequence[float], bins: int = 8) -> list[Bin]:
    """``bins`` bins of equal width from the smallest to the largest value, each counting the
    values in it (every value lands in exactly one bin); no values, no bins."""
    if not values:
        return []
    low, high = min(values), max(values)
    if high == low:
        return [Bin(low, high, len(values))]
    width = (high - low) / bins
    counts = [0] * bins
    for value in values:
        counts[min(bins - 1, math.floor((value - low) / width))] += 1
    return [Bin(low + i * width, low + (i + 1) * width, c) for i, c in enumerate(counts)]


@dataclass(frozen=True)
class BandPoint:
    """The forecast on one day: the Theil–Sen line (``mid``) inside a band that widens by the
    lower and upper quartile of the pairwise slopes (``low`` ≤ ``mid`` ≤ ``high``)."""

    day: date
    low: float
    mid: float
    high: float


def forecast_band(
    series: Sequence[tuple[date, float]],
    *,
    start: date,
    due: date,
    step: int = 7,
    line: Fit | None = None,
) -> list[BandPoint]:
    """The forecast from the last day with a value to the due date, every ``step`` days and on
    the due date itself: the key result's own Theil–Sen line (so it meets the status sentence's
    number at the due date), widening from the last day of data by the quartile slopes. Empty
    without two days of data or when the due date is past. ``line``: the fit the key result's
    status already made of this series (``Forecast.fit``), so it is not fitted twice."""
    series = sorted(series)[-MAX_PAIRS_DAYS:]
    if len(series) < 2 or series[-1][0] >= due:
        return []
    if line is None:
        line = fit([((d - start).days, v) for d, v in series])
    below = min(0.0, line.low_slope - line.slope)
    above = max(0.0, line.high_slope - line.slope)
    last_day = series[-1][0]
    ahead = (due - last_day).days
    out = []
    for n in [*range(0, ahead, step), ahead]:
        x = (last_day - start).days + n
        mid = line.intercept + line.slope * x
        out.append(BandPoint(last_day + timedelta(days=n), mid + below * n, mid, mid + above * n))
    return out
