"""Rollups: the pure arithmetic, and the property that rollups kept incrementally through any
stream of fact writes (inserts, rewrites, deletes, days out of order) equal a full recompute
from the facts, in the database the suite runs on (SQLite or PostgreSQL)."""

import math
from datetime import UTC, date, datetime, timedelta
from unittest.mock import patch

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from meridian.metrics.models import MetricFact, MetricHistogram, MetricRollup
from meridian.metrics.rollup import (
    RELATIVE_ERROR,
    FactRow,
    bucket_bins,
    bucket_of,
    bucket_percentile,
    change,
    histogram_change,
    histogram_keys_of,
    histogram_recompute,
    percentile,
    range_bucket_percentiles,
    ratio,
    recompute,
    rollups_of_histograms,
)
from meridian.metrics.selectors import _spans, day_sums, period_buckets
from meridian.metrics.services import facts as facts_module
from meridian.metrics.services import facts_write, rollups_recompute, statements

DAY0 = date(2026, 11, 1)


def fact_rows(metric, *, days: int, whole: tuple[int, int], floats: tuple[float, float]):
    """Facts of ``metric`` (a strategy) on the ``days`` days from DAY0, valued by a whole
    number in ``whole`` (a Python int, as a pushed value may be, or the same number as a float)
    or any float in ``floats``, for a few subjects: on PostgreSQL a batch mixing ints and
    floats must still reach the database (its values go as binary arrays of one type)."""
    return st.builds(
        FactRow,
        metric=metric,
        day=st.integers(0, days).map(lambda n: DAY0 + timedelta(days=n)),
        value=st.one_of(
            st.integers(*whole),
            st.integers(*whole).map(float),
            st.floats(*floats, allow_nan=False),
        ),
        member_id=st.sampled_from([None, 1, 2]),
        project_id=st.sampled_from([None, 7]),
        team_id=st.sampled_from([None, 3]),
    )


facts = fact_rows(st.sampled_from(["a", "b"]), days=4, whole=(-3, 5), floats=(-100, 100))
# One operation: write fact number ``key`` (None: delete it).
operations = st.lists(st.tuples(st.integers(0, 5), st.one_of(st.none(), facts)), max_size=40)


def same(left, right):
    assert left.keys() == right.keys()
    for key, (count, total) in left.items():
        assert count == right[key][0], key
        assert math.isclose(total, right[key][1], rel_tol=1e-9, abs_tol=1e-6), key


@given(operations)
def test_deltas_applied_one_write_at_a_time_equal_a_recompute(ops):
    current: dict[int, FactRow] = {}
    kept: dict = {}
    for key, fact in ops:
        deltas: dict = {}
        change(current.get(key), fact, deltas)
        for rollup_key, (count, total) in deltas.items():
            row = kept.setdefault(rollup_key, [0, 0.0])
            row[0] += count
            row[1] += total
            if row[0] == 0:
                del kept[rollup_key]
        if fact is None:
            current.pop(key, None)
        else:
            current[key] = fact
    same({k: tuple(v) for k, v in kept.items()}, recompute(current.values()))


@given(operations)
def test_histogram_deltas_one_write_at_a_time_equal_a_recompute(ops):
    current: dict[int, FactRow] = {}
    kept: dict = {}
    for key, fact in ops:
        deltas: dict = {}
        histogram_change(current.get(key), fact, deltas)
        for histogram_key, (count, total) in deltas.items():
            row = kept.setdefault(histogram_key, [0, 0.0])
            row[0] += count
            row[1] += total
            if row[0] == 0:
                del kept[histogram_key]
        if fact is None:
            current.pop(key, None)
        else:
            current[key] = fact
    same({k: tuple(v) for k, v in kept.items()}, histogram_recompute(current.values()))


@given(st.lists(facts, max_size=40))
def test_histogram_day_rows_summed_over_buckets_are_the_rollup_rows_of_the_same_facts(rows):
    """What a percentile metric keeps in place of rollup rows holds them: its day rows'
    count and total summed over the buckets (the month rows left out)."""
    same(rollups_of_histograms(histogram_recompute(rows)), recompute(rows))


def test_a_percentile_fact_feeds_its_day_and_month_in_its_bucket():
    """Every subject gets a day row; only the workspace and a team a month row (a member's
    and a project's percentiles over a period are read from their day rows)."""
    fact = FactRow("a", date(2026, 11, 17), 12.5, member_id=1, project_id=4, team_id=2)
    bucket = bucket_of(12.5)
    expected = {
        ("a", "workspace", 0, "day", date(2026, 11, 17), bucket),
        ("a", "workspace", 0, "month", date(2026, 11, 1), bucket),
        ("a", "member", 1, "day", date(2026, 11, 17), bucket),
        ("a", "project", 4, "day", date(2026, 11, 17), bucket),
        ("a", "team", 2, "day", date(2026, 11, 17), bucket),
        ("a", "team", 2, "month", date(2026, 11, 1), bucket),
    }
    assert set(histogram_recompute([fact])) == expected
    assert set(histogram_keys_of(fact)) == expected


def test_buckets_sort_as_their_values_and_are_about_five_percent_wide():
    values = [-1e6, -3.0, -2.9, -1e-9, 0.0, 1e-9, 1.0, 1.04, 1.06, 40.0, 1e40]
    buckets = [bucket_of(v) for v in values]
    assert buckets == sorted(buckets)
    assert bucket_of(1.0) == bucket_of(1.04) != bucket_of(1.06)
    assert bucket_of(0.0) == 0


def _buckets(values):
    return [(bucket_of(v), 1, v) for v in values]


magnitudes = st.floats(1e-6, 1e9, allow_nan=False)


@given(
    st.one_of(
        st.lists(st.one_of(st.just(0.0), magnitudes), min_size=1, max_size=80),
        st.lists(magnitudes.map(lambda v: -v), min_size=1, max_size=80),
    ),
    st.sampled_from([50, 85, 0, 100, 33.3]),
)
def test_a_percentile_read_from_buckets_is_within_the_stated_error_of_the_exact_one(values, q):
    exact = percentile(values, q)
    assert exact is not None
    got = bucket_percentile(_buckets(values), q)
    assert got is not None
    assert abs(got - exact) <= RELATIVE_ERROR * abs(exact) + 1e-12


@given(st.lists(st.integers(1, 400).map(lambda n: n / 4), min_size=1, max_size=60))
def test_buckets_of_equal_values_give_the_exact_percentile(values):
    # When no bucket holds two different values, each bucket's mean is its value: exact.
    merged = [(bucket_of(v), 1, v) for v in values]
    by_bucket: dict = {}
    for b, _c, v in merged:
        by_bucket.setdefault(b, set()).add(v)
    if all(len(vs) == 1 for vs in by_bucket.values()):
        assert math.isclose(bucket_percentile(merged, 50), percentile(values, 50))
    assert bucket_percentile([], 50) is None


day_values = st.lists(
    st.tuples(st.integers(0, 13).map(lambda n: DAY0 + timedelta(days=n)), magnitudes),
    max_size=60,
)


def _day_rows(pairs):
    return [(day, bucket_of(v), 1, v) for day, v in pairs]


@given(day_values)
def test_percentiles_per_week_from_day_rows_are_within_the_error_of_each_weeks_own(pairs):
    weeks = [(DAY0, DAY0 + timedelta(days=6)), (DAY0 + timedelta(days=7), DAY0 + timedelta(13))]
    got = range_bucket_percentiles(_day_rows(pairs), weeks)
    for (first, last), (p50, p85) in zip(weeks, got, strict=True):
        values = [v for day, v in pairs if first <= day <= last]
        if not values:
            assert (p50, p85) == (None, None)  # a week without values: no data
            continue
        for read, q in ((p50, 50), (p85, 85)):
            exact = percentile(values, q)
            assert abs(read - exact) <= RELATIVE_ERROR * exact + 1e-9


@given(day_values)
def test_bins_from_day_rows_count_every_value_once(pairs):
    bins = bucket_bins(_day_rows(pairs))
    assert sum(count for _, _, count in bins) == len(pairs)
    assert all(low <= high for low, high, _ in bins)


@given(
    st.dates(date(2025, 1, 1), date(2027, 12, 31)),
    st.integers(0, 800),
)
def test_a_period_is_its_whole_months_and_its_edge_days(first, length):
    last = first + timedelta(days=length)
    months, edges = _spans(first, last)
    covered: list[date] = []
    if months is not None:
        month = months[0]
        assert month.day == 1 and months[1].day == 1
        while month <= months[1]:
            day = month
            while day.month == month.month:
                covered.append(day)
                day += timedelta(days=1)
            month = day
    # The days read one by one are at most two months' worth, however long the period.
    assert sum((b - a).days + 1 for a, b in edges) <= 62
    for a, b in edges:
        covered += [a + timedelta(days=n) for n in range((b - a).days + 1)]
    assert sorted(covered) == [first + timedelta(days=n) for n in range(length + 1)]


def test_a_fact_feeds_its_workspace_member_project_and_team_rows():
    fact = FactRow("a", DAY0, 2.0, member_id=1, project_id=7, team_id=3)
    assert set(recompute([fact])) == {
        ("a", "workspace", 0, DAY0),
        ("a", "member", 1, DAY0),
        ("a", "project", 7, DAY0),
        ("a", "team", 3, DAY0),
    }


@given(st.lists(st.floats(-1e6, 1e6, allow_nan=False), min_size=1, max_size=50))
def test_percentiles_lie_between_the_smallest_and_largest_value(values):
    median, p85 = percentile(values, 50), percentile(values, 85)
    assert min(values) <= median <= p85 <= max(values)


def test_percentiles_interpolate_and_no_values_is_no_data():
    assert percentile([1, 2, 3, 4], 50) == 2.5
    assert percentile([10.0], 85) == 10.0
    assert percentile([], 50) is None


def test_a_ratio_over_zero_is_no_data_not_zero():
    assert ratio(0.0, 0) is None
    assert ratio(None, 3) is None
    assert ratio(3.0, 4) == 0.75


# --- The same in the database ----------------------------------------------------------------


def _stored(workspace_id: int) -> dict:
    return {
        (r.metric, r.subject, r.subject_id, r.day): (r.count, r.total)
        for r in MetricRollup.objects.filter(workspace_id=workspace_id)
    }


def _as_read(workspace_id: int) -> dict:
    """The rollup rows readers see: those stored, and a percentile metric's (which keeps none)
    summed from its day histogram rows."""
    stored = _stored(workspace_id)
    assert not [key for key in stored if key[0] == "cycle_time"]
    return stored | rollups_of_histograms(_histograms(workspace_id))


def _row(workspace_id: int, key: int, fact: FactRow) -> MetricFact:
    return MetricFact(
        workspace_id=workspace_id,
        metric=fact.metric,
        fact_key=f"t:{key}",
        member_id=fact.member_id,
        project_id=fact.project_id,
        team_id=fact.team_id,
        occurred_at=datetime.combine(fact.day, datetime.min.time(), UTC),
        day=fact.day,
        value=fact.value,
    )


@pytest.mark.django_db
@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=operations)
def test_rollups_kept_through_any_stream_of_writes_equal_a_full_recompute(workspace, ops):
    """Of a summed metric and of a percentile one (cycle time: no rollup rows, its daily count
    and total read from its histogram rows), the rollups readers see after any stream of
    inserts, rewrites and deletes equal a recompute, and a rebuild keeps them."""
    MetricFact.objects.filter(workspace=workspace).delete()
    MetricRollup.objects.filter(workspace=workspace).delete()
    MetricHistogram.objects.filter(workspace=workspace).delete()
    for key, fact in ops:
        # Fact number ``key`` belongs to one metric, whatever the drawn fact says.
        metric = ("a", "cycle_time")[key % 2]
        wanted = [] if fact is None else [_row(workspace.pk, key, fact._replace(metric=metric))]
        facts_write(
            workspace_id=workspace.pk,
            metric=metric,
            existing=MetricFact.objects.filter(
                workspace=workspace, metric=metric, fact_key=f"t:{key}"
            ),
            wanted=wanted,
        )
    incremental = _as_read(workspace.pk)
    from_facts = recompute(
        FactRow(f.metric, f.day, f.value, f.member_id, f.project_id, f.team_id)
        for f in MetricFact.objects.filter(workspace=workspace)
    )
    same(incremental, from_facts)
    rollups_recompute(workspace.pk)
    same(_as_read(workspace.pk), incremental)


def _histograms(workspace_id: int) -> dict:
    return {
        (r.metric, r.subject, r.subject_id, r.span, r.day, r.bucket): (r.count, r.total)
        for r in MetricHistogram.objects.filter(workspace_id=workspace_id)
    }


long_facts = fact_rows(st.just("cycle_time"), days=70, whole=(0, 5), floats=(0, 500))
long_operations = st.lists(
    st.tuples(st.integers(0, 8), st.one_of(st.none(), long_facts)), max_size=40
)


@pytest.mark.django_db
@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=long_operations, first=st.integers(0, 70), length=st.integers(0, 70))
def test_histograms_kept_through_any_stream_of_writes_equal_a_recompute_and_read_percentiles(
    workspace, ops, first, length
):
    """Cycle time (a percentile metric): its histogram rows after any stream of inserts,
    rewrites and deletes (days out of order, across months) equal a recompute from the facts,
    and a period's percentiles read from them are within the stated error of the exact ones."""
    MetricFact.objects.filter(workspace=workspace).delete()
    MetricRollup.objects.filter(workspace=workspace).delete()
    MetricHistogram.objects.filter(workspace=workspace).delete()
    current: dict[int, FactRow] = {}
    for key, fact in ops:
        facts_write(
            workspace_id=workspace.pk,
            metric="cycle_time",
            existing=MetricFact.objects.filter(
                workspace=workspace, metric="cycle_time", fact_key=f"t:{key}"
            ),
            wanted=[] if fact is None else [_row(workspace.pk, key, fact)],
        )
        if fact is None:
            current.pop(key, None)
        else:
            current[key] = fact
    incremental = _histograms(workspace.pk)
    same(incremental, histogram_recompute(current.values()))
    rollups_recompute(workspace.pk)
    same(_histograms(workspace.pk), incremental)
    same(_as_read(workspace.pk), recompute(current.values()))

    start = DAY0 + timedelta(days=first)
    end = start + timedelta(days=length)
    # A team reads month rows and edge days; a member and a project (no month rows) day rows.
    for subject, subject_id, field in (
        ("team", 3, "team_id"),
        ("member", 1, "member_id"),
        ("project", 7, "project_id"),
    ):
        values = [
            f.value
            for f in current.values()
            if start <= f.day <= end and getattr(f, field) == subject_id
        ]
        got = period_buckets(workspace.pk, ["cycle_time"], start, end, subject, subject_id)
        got = got["cycle_time"]
        assert sum(count for _, count, _ in got) == len(values)
        # A key result's daily count and total (``day_sums``), from the day rows.
        sums = day_sums(workspace.pk, "cycle_time", subject, subject_id, start, end)
        same(
            sums,
            {
                key[3]: row
                for key, row in recompute(current.values()).items()
                if key[1:3] == (subject, subject_id) and start <= key[3] <= end
            },
        )
        for q in (50, 85):
            exact = percentile(values, q)
            read = bucket_percentile(got, q)
            if exact is None:
                assert read is None  # no data, never 0
            else:
                assert read is not None
                assert abs(read - exact) <= RELATIVE_ERROR * exact + 1e-6


batch = st.lists(
    fact_rows(st.sampled_from(["a", "cycle_time"]), days=40, whole=(-3, 5), floats=(-100, 100)),
    max_size=30,
)


@pytest.mark.django_db
@settings(max_examples=30, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(first=batch, second=batch, by_ids=st.booleans())
def test_new_facts_written_in_batches_feed_the_rows_a_recompute_gives(
    workspace, first, second, by_ids
):
    """New facts reach their rollup and histogram rows in SQL (several facts on one row within
    a batch, and on rows an earlier batch made); ``by_ids`` False: SQLite's fallback when the
    inserted ids are not one run (the deltas computed in Python) gives the same rows."""
    MetricFact.objects.filter(workspace=workspace).delete()
    MetricRollup.objects.filter(workspace=workspace).delete()
    MetricHistogram.objects.filter(workspace=workspace).delete()
    real = statements.insert_rows_ids

    def ids_not_in_one_run(*args, **kwargs):
        real(*args, **kwargs)
        return None

    written: list[FactRow] = []
    for n, facts_in in enumerate((first, second)):
        for metric in ("a", "cycle_time"):
            mine = [f for f in facts_in if f.metric == metric]
            with patch.object(
                facts_module, "insert_rows_ids", real if by_ids else ids_not_in_one_run
            ):
                facts_write(
                    workspace_id=workspace.pk,
                    metric=metric,
                    existing=[],
                    wanted=[_row(workspace.pk, n * 100 + i, f) for i, f in enumerate(mine)],
                )
            written.extend(mine)
    same(_stored(workspace.pk), recompute(f for f in written if f.metric != "cycle_time"))
    same(
        _histograms(workspace.pk),
        histogram_recompute(f for f in written if f.metric == "cycle_time"),
    )
    same(_as_read(workspace.pk), recompute(written))
