"""The dashboards' pure chart arithmetic: weeks, a week's value from daily rows ("no data" is
never 0), histograms, the forecast band."""

from datetime import date, timedelta
from itertools import pairwise

from hypothesis import given
from hypothesis import strategies as st

from meridian.dashboards.charts import (
    forecast_band,
    histogram,
    week_percentiles,
    week_values,
    weeks_ending,
)
from meridian.goals.forecast import forecast

TODAY = date(2026, 11, 5)


def test_twelve_weeks_end_today_and_touch_without_gaps():
    weeks = weeks_ending(TODAY, 12)
    assert weeks[-1].last == TODAY and weeks[0].first == TODAY - timedelta(days=83)
    assert all(b.first == a.last + timedelta(days=1) for a, b in pairwise(weeks))


def test_a_week_without_facts_is_no_data_and_a_mean_over_nothing_is_no_data():
    weeks = weeks_ending(TODAY, 2)
    rows = [(TODAY, 2, 6.0)]
    assert week_values(rows, weeks, "sum") == [None, 6.0]
    assert week_values(rows, weeks, "mean") == [None, 3.0]
    assert week_values([(TODAY, 0, 0.0)], weeks, "mean") == [None, None]  # ÷ 0 is no data


def test_a_level_carries_the_total_from_before_the_first_week():
    weeks = weeks_ending(TODAY, 2)
    assert week_values([(TODAY, 1, -1.0)], weeks, "level", before=(4, 4.0)) == [4.0, 3.0]
    assert week_values([], weeks, "level") == [None, None]


day_rows = st.lists(
    st.tuples(
        st.integers(min_value=0, max_value=27).map(lambda n: TODAY - timedelta(days=n)),
        st.integers(min_value=1, max_value=5),
        st.floats(min_value=-100, max_value=100, allow_nan=False),
    ),
    max_size=40,
)


@given(day_rows)
def test_the_weeks_of_a_sum_add_up_to_the_sum_of_the_days(rows):
    weeks = weeks_ending(TODAY, 4)
    values = week_values(rows, weeks, "sum")
    assert abs(sum(v or 0 for v in values) - sum(t for _, _, t in rows)) < 1e-6
    assert [v is None for v in values] == [
        not any(w.first <= d <= w.last for d, _, _ in rows) for w in weeks
    ]


@given(day_rows)
def test_the_last_level_is_the_total_of_every_day(rows):
    values = week_values(rows, weeks_ending(TODAY, 4), "level")
    if rows:
        assert abs((values[-1] or 0) - sum(t for _, _, t in rows)) < 1e-6
    else:
        assert values == [None] * 4


@given(st.lists(st.floats(min_value=0, max_value=1e6, allow_nan=False), max_size=60))
def test_every_value_lands_in_exactly_one_bin(values):
    bins = histogram(values)
    assert sum(b.count for b in bins) == len(values)
    assert all(b.low <= b.high for b in bins)


def test_percentiles_per_week():
    weeks = weeks_ending(TODAY, 2)
    facts = [(TODAY, 1.0), (TODAY, 3.0), (TODAY, 5.0)]
    assert week_percentiles(facts, weeks) == [(None, None), (3.0, 4.4)]


@given(
    st.lists(st.floats(min_value=-1000, max_value=1000, allow_nan=False), min_size=2, max_size=30)
)
def test_the_band_holds_the_forecast_and_meets_the_status_at_the_due_date(values):
    start = date(2026, 10, 1)
    due = start + timedelta(days=60)
    series = [(start + timedelta(days=i), v) for i, v in enumerate(values)]
    band = forecast_band(series, start=start, due=due)
    assert band[0].day == series[-1][0] and band[-1].day == due
    assert all(p.low <= p.mid + 1e-9 and p.mid <= p.high + 1e-9 for p in band)
    official = forecast(series, start=start, due=due, baseline=0, target=1)
    assert abs(band[-1].mid - (official.forecast or 0)) < 1e-6 * max(1, abs(band[-1].mid))
    # The dashboard draws the band from the status's own fit: the same band, one fit.
    assert forecast_band(series, start=start, due=due, line=official.fit) == band


def test_no_band_without_two_days_or_after_the_due_date():
    start = date(2026, 10, 1)
    assert forecast_band([(start, 1.0)], start=start, due=start + timedelta(days=9)) == []
    late = [(start, 1.0), (start + timedelta(days=9), 2.0)]
    assert forecast_band(late, start=start, due=start + timedelta(days=9)) == []
