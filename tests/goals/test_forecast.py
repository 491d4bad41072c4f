"""The key-result forecast: Theil–Sen over daily values, statuses by share of the way."""

from datetime import date, timedelta
from statistics import median

from hypothesis import given
from hypothesis import strategies as st

from meridian.goals import forecast as fc
from meridian.metrics.rollup import percentile

START = date(2027, 1, 1)


def test_no_values_is_no_data_never_zero():
    out = fc.forecast([], start=START, due=START + timedelta(days=30), baseline=0, target=60)
    assert out.status == fc.NO_DATA and out.forecast is None and out.current is None


def test_one_odd_day_does_not_swing_the_forecast():
    series = [(START + timedelta(days=i), float(i)) for i in range(10)]
    series[4] = (series[4][0], 500.0)
    out = fc.forecast(series, start=START, due=START + timedelta(days=20), baseline=0, target=20)
    assert out.forecast == 20.0 and out.status == fc.ON_TRACK


def test_thresholds():
    assert fc.status_of(1.0) == fc.ON_TRACK
    assert fc.status_of(0.85) == fc.AT_RISK
    assert fc.status_of(0.84) == fc.OFF_TRACK


@given(
    steps=st.lists(st.floats(0, 100), min_size=1, max_size=40),
    first=st.integers(1, 200),
    more=st.integers(0, 200),
)
def test_monotone_data_gives_a_forecast_that_never_falls_with_a_later_due_date(steps, first, more):
    total, series = 0.0, []
    for i, step in enumerate(steps):
        total += step
        series.append((START + timedelta(days=i), total))
    last = series[-1][0]
    kwargs = {"start": START, "baseline": 0.0, "target": 1.0}
    early = fc.forecast(series, due=last + timedelta(days=first), **kwargs)
    late = fc.forecast(series, due=last + timedelta(days=first + more), **kwargs)
    assert early.forecast is not None and late.forecast is not None
    assert late.forecast >= early.forecast - 1e-6


@given(
    baseline=st.floats(-1000, 1000),
    way=st.floats(1, 1000) | st.floats(-1000, -1),
    length=st.integers(10, 200),
    elapsed=st.integers(2, 200),
)
def test_progress_at_exactly_the_needed_pace_is_on_track(baseline, way, length, elapsed):
    target = baseline + way
    due = START + timedelta(days=length)
    days = min(elapsed, length - 1)
    series = [(START + timedelta(days=i), baseline + way * i / length) for i in range(days + 1)]
    out = fc.forecast(series, start=START, due=due, baseline=baseline, target=target)
    assert out.status == fc.ON_TRACK


@given(st.floats(0.0, 0.84))
def test_half_the_pace_is_off_track(share):
    series = [(START + timedelta(days=i), share * i) for i in range(5)]
    out = fc.forecast(series, start=START, due=START + timedelta(days=10), baseline=0, target=10)
    assert out.status == fc.OFF_TRACK


@given(
    st.lists(
        st.tuples(st.integers(0, 400), st.floats(-1e6, 1e6, allow_nan=False)),
        min_size=2,
        max_size=40,
        unique_by=lambda p: p[0],
    )
)
def test_a_fit_is_the_median_and_quartiles_of_the_pairwise_slopes_however_often_asked(points):
    slopes = [
        (y2 - y1) / (x2 - x1) for i, (x1, y1) in enumerate(points) for x2, y2 in points[i + 1 :]
    ]
    expected = fc.Fit(
        median(slopes),
        median(y - median(slopes) * x for x, y in points),
        percentile(slopes, 25),
        percentile(slopes, 75),
    )
    # The second answer comes from the fits remembered: the same as the first.
    assert fc.fit(points) == expected
    assert fc.fit(list(points)) == expected
