"""A key result's forecast and status: pure functions over its daily values, no database.

The series is the key result's value at the end of each day from its start to today (for a
summed metric the running sum since the start, for a mean the running mean, for a level the
running total). The forecast is a Theil–Sen line through those points — the median of the
slopes between every pair of days, and the median intercept — read at the due date, so one
odd day does not swing it. Status compares how far the forecast gets from the baseline
towards the target:

- ``on_track``: the forecast reaches the target (100 % of the way or more);
- ``at_risk``: it gets at least 85 % of the way;
- ``off_track``: less than that;
- ``no_data``: no fact fed the key result yet (never read as 0).
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from statistics import median

from meridian.metrics.rollup import percentile

ON_TRACK = "on_track"
AT_RISK = "at_risk"
OFF_TRACK = "off_track"
NO_DATA = "no_data"
AT_RISK_SHARE = 0.85
EPSILON = 1e-9
MAX_PAIRS_DAYS = 400  # pairs grow as n²; older days beyond this say little about the pace
BAND_QUANTILES = (25, 75)  # of the pairwise slopes: how wide a forecast band opens
FITS_REMEMBERED = 512  # series whose fit is kept in each process (a few KB each)


@dataclass(frozen=True)
class Fit:
    """A Theil–Sen line through (x, y) points — the median of the pairwise slopes and the median
    intercept — with the lower and upper quartile of those slopes (a forecast band's edges)."""

    slope: float
    intercept: float
    low_slope: float
    high_slope: float


@dataclass(frozen=True)
class Forecast:
    """The value now, the value forecast at the due date, and the share of the way there."""

    status: str
    current: float | None = None
    forecast: float | None = None
    share: float | None = None  # of the way from baseline to target, forecast at the due date
    progress: float | None = None  # of the way from baseline to target, today
    # The line through the series (x: days since the start), when the due date is still ahead:
    # a chart's forecast band reuses it rather than fitting the series again.
    fit: Fit | None = None


def fit(points: Sequence[tuple[int, float]]) -> Fit:
    """The Theil–Sen :class:`Fit` through (x, y) points (x distinct): the pairwise slopes are
    computed and sorted once for the median and both quartiles.

    Its n² slopes were most of a dashboard's own time, for a series that changes at most once
    a day or when a fact arrives, so the fits of the last few hundred series are remembered
    (a pure function of the points: nothing to invalidate)."""
    return _fit(tuple(points))


@lru_cache(maxsize=FITS_REMEMBERED)
def _fit(points: tuple[tuple[int, float], ...]) -> Fit:
    slopes: list[float] = []
    for i, (x1, y1) in enumerate(points):
        # One list comprehension per point: about twice as fast as one generator of all pairs.
        slopes += [(y2 - y1) / (x2 - x1) for x2, y2 in points[i + 1 :] if x2 != x1]
    slopes.sort()
    if not slopes:
        return Fit(0.0, points[0][1] if points else 0.0, 0.0, 0.0)
    slope = median(slopes)
    intercept = median(y - slope * x for x, y in points)
    low, high = (percentile(slopes, q) for q in BAND_QUANTILES)
    return Fit(slope, intercept, slope if low is None else low, slope if high is None else high)


def theil_sen(points: Sequence[tuple[int, float]]) -> tuple[float, float]:
    """The slope and intercept of the Theil–Sen line through (x, y) points (x distinct)."""
    line = fit(points)
    return line.slope, line.intercept


def share_of_way(value: float, baseline: float, target: float) -> float:
    """How far ``value`` is from the baseline towards the target (1.0: there; works both ways)."""
    return (value - baseline) / (target - baseline)


def status_of(share: float) -> str:
    if share >= 1.0 - EPSILON:  # a pace exactly on the line is on track, whatever the rounding
        return ON_TRACK
    if share >= AT_RISK_SHARE:
        return AT_RISK
    return OFF_TRACK


def forecast(
    series: list[tuple[date, float]], *, start: date, due: date, baseline: float, target: float
) -> Forecast:
    """The forecast at ``due`` from the series of (day, value at the end of that day).

    ``series`` holds only the days that have a value; empty means no data. A due date already
    past reads the last value itself.
    """
    if not series:
        return Forecast(NO_DATA)
    series = sorted(series)[-MAX_PAIRS_DAYS:]
    current = series[-1][1]
    progress = share_of_way(current, baseline, target)
    if series[-1][0] >= due:
        at_due = [v for d, v in series if d <= due]
        final = at_due[-1] if at_due else series[0][1]
        share = share_of_way(final, baseline, target)
        return Forecast(status_of(share), current, final, share, progress)
    line = fit([((d - start).days, v) for d, v in series])
    predicted = line.intercept + line.slope * (due - start).days
    share = share_of_way(predicted, baseline, target)
    return Forecast(status_of(share), current, predicted, share, progress, line)
