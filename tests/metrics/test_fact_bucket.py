"""Each fact carries its value's histogram bucket: written by the services, filled by the
migration for facts written before it, and what the rebuild groups by, so a rebuilt histogram
is the one kept fact by fact (the property test in test_rollup covers any stream of writes)."""

import importlib
import math
from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.db import connection

from meridian.metrics.models import MetricFact, MetricHistogram, MetricRollup
from meridian.metrics.rollup import FactRow, bucket_of, recompute
from meridian.metrics.services import facts_write, rollups_recompute

pytestmark = pytest.mark.django_db

VALUES = (0.0, 0.25, 1.0, 1.05, 3.7, 41.0, 1e-40, 2e35, -2.5, 12345.678)


def _facts(workspace_id: int) -> list[MetricFact]:
    return [
        MetricFact(
            workspace_id=workspace_id,
            metric="cycle_time",
            fact_key=f"t:{n}",
            member_id=n % 3 + 1,
            team_id=7,
            occurred_at=datetime(2026, 10, 31, 12, tzinfo=UTC) + timedelta(days=n % 3),
            day=date(2026, 10, 31) + timedelta(days=n % 3),
            value=value,
        )
        for n, value in enumerate(VALUES)
    ]


def _histograms(workspace_id: int) -> dict:
    return {
        (r.subject, r.subject_id, r.span, r.day, r.bucket): r.count
        for r in MetricHistogram.objects.filter(workspace_id=workspace_id)
    }


def test_written_facts_carry_the_bucket_of_their_value_also_when_rewritten(workspace):
    facts_write(
        workspace_id=workspace.pk, metric="cycle_time", existing=[], wanted=_facts(workspace.pk)
    )
    rewritten = _facts(workspace.pk)
    for fact in rewritten:
        fact.value = fact.value * 3 + 1
    facts_write(
        workspace_id=workspace.pk,
        metric="cycle_time",
        existing=MetricFact.objects.filter(workspace=workspace, metric="cycle_time"),
        wanted=rewritten,
    )
    stored = dict(MetricFact.objects.filter(workspace=workspace).values_list("value", "bucket"))
    assert stored == {value * 3 + 1: bucket_of(value * 3 + 1) for value in VALUES}


def test_the_migration_fills_the_bucket_of_facts_written_before_it(workspace):
    wanted = _facts(workspace.pk)
    facts_write(workspace_id=workspace.pk, metric="cycle_time", existing=[], wanted=wanted)
    MetricFact.objects.filter(workspace=workspace).update(bucket=0)
    migration = importlib.import_module("meridian.metrics.migrations.0003_fact_bucket")
    migration.fill(apps, SimpleNamespace(connection=connection))
    stored = dict(MetricFact.objects.filter(workspace=workspace).values_list("value", "bucket"))
    assert stored == {value: bucket_of(value) for value in VALUES}


def test_a_rebuild_in_sql_gives_the_histogram_rows_kept_fact_by_fact(workspace):
    facts_write(
        workspace_id=workspace.pk, metric="cycle_time", existing=[], wanted=_facts(workspace.pk)
    )
    kept = _histograms(workspace.pk)
    rollups_recompute(workspace.pk)
    assert _histograms(workspace.pk) == kept
    # Months: one row per subject and bucket for October, one for November.
    months = {key[3] for key in kept if key[2] == "month"}
    assert months == {date(2026, 10, 1), date(2026, 11, 1)}


def test_the_month_rows_migration_goes_both_ways(workspace):
    """0007: members' and projects' month rows are deleted; backwards writes them again as the
    sums of their day rows (what the services kept before), and forwards again leaves what the
    services keep now."""
    wanted = _facts(workspace.pk)
    for n, fact in enumerate(wanted):
        fact.project_id = n % 2 + 4
    facts_write(workspace_id=workspace.pk, metric="cycle_time", existing=[], wanted=wanted)
    kept = _histograms(workspace.pk)
    assert not [key for key in kept if key[2] == "month" and key[0] in ("member", "project")]
    migration = importlib.import_module(
        "meridian.metrics.migrations.0007_no_member_project_month_histograms"
    )
    editor = SimpleNamespace(connection=connection)
    migration.backwards(apps, editor)
    restored = _histograms(workspace.pk)
    expected = dict(kept)
    for (subject, subject_id, span, day, bucket), count in kept.items():
        if span == "day" and subject in ("member", "project"):
            month = (subject, subject_id, "month", day.replace(day=1), bucket)
            expected[month] = expected.get(month, 0) + count
    assert restored == expected
    assert {key[0] for key in restored if key[2] == "month"} == {
        "workspace",
        "team",
        "member",
        "project",
    }
    migration.forwards(apps, editor)
    assert _histograms(workspace.pk) == kept


def test_the_percentile_rollups_migration_goes_both_ways(workspace):
    """0008: a percentile metric's rollup rows (what the services kept before) are deleted, a
    summed metric's kept; backwards writes them again as the sums of the day histogram rows."""
    facts_write(
        workspace_id=workspace.pk, metric="cycle_time", existing=[], wanted=_facts(workspace.pk)
    )
    done = _facts(workspace.pk)
    for fact in done:
        fact.metric = "tasks_completed"
    facts_write(workspace_id=workspace.pk, metric="tasks_completed", existing=[], wanted=done)
    kept = _rollups(workspace.pk)
    assert {key[0] for key in kept} == {"tasks_completed"}
    migration = importlib.import_module("meridian.metrics.migrations.0008_no_percentile_rollups")
    editor = SimpleNamespace(connection=connection)
    migration.backwards(apps, editor)
    restored = _rollups(workspace.pk)
    expected = recompute(
        FactRow(f.metric, f.day, f.value, f.member_id, f.project_id, f.team_id)
        for f in MetricFact.objects.filter(workspace=workspace)
    )
    assert restored.keys() == expected.keys()
    for key, (count, total) in restored.items():
        assert count == expected[key][0] and math.isclose(total, expected[key][1]), key
    migration.forwards(apps, editor)
    assert _rollups(workspace.pk) == kept


def _rollups(workspace_id: int) -> dict:
    return {
        (r.metric, r.subject, r.subject_id, r.day): (r.count, r.total)
        for r in MetricRollup.objects.filter(workspace_id=workspace_id)
    }
