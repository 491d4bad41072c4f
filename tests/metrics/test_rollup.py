"""Rollups: the pure arithmetic, and the property that rollups kept incrementally through any
stream of fact writes (inserts, rewrites, deletes, days out of order) equal a full recompute
from the facts, in the database the suite runs on (SQLite or PostgreSQL)."""

import math
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from meridian.metrics.models import MetricFact, MetricRollup
from meridian.metrics.rollup import FactRow, change, percentile, ratio, recompute
from meridian.metrics.services import facts_write, rollups_recompute

DAY0 = date(2026, 11, 1)

facts = st.builds(
    FactRow,
    metric=st.sampled_from(["a", "b"]),
    day=st.integers(0, 4).map(lambda n: DAY0 + timedelta(days=n)),
    value=st.one_of(st.integers(-3, 5).map(float), st.floats(-100, 100, allow_nan=False)),
    member_id=st.sampled_from([None, 1, 2]),
    project_id=st.sampled_from([None, 7]),
    team_id=st.sampled_from([None, 3]),
)
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
    MetricFact.objects.filter(workspace=workspace).delete()
    MetricRollup.objects.filter(workspace=workspace).delete()
    for key, fact in ops:
        # Fact number ``key`` belongs to one metric, whatever the drawn fact says.
        metric = "ab"[key % 2]
        wanted = [] if fact is None else [_row(workspace.pk, key, replace(fact, metric=metric))]
        facts_write(
            workspace_id=workspace.pk,
            metric=metric,
            existing=MetricFact.objects.filter(
                workspace=workspace, metric=metric, fact_key=f"t:{key}"
            ),
            wanted=wanted,
        )
    incremental = _stored(workspace.pk)
    from_facts = recompute(
        FactRow(f.metric, f.day, f.value, f.member_id, f.project_id, f.team_id)
        for f in MetricFact.objects.filter(workspace=workspace)
    )
    same(incremental, from_facts)
    rollups_recompute(workspace.pk)
    same(_stored(workspace.pk), incremental)
