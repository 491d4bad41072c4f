"""facts_write takes the facts a writer owns either as a queryset (read as plain rows) or as
model instances (a pushed value's locked row): both rewrite the facts and their rollups alike."""

from datetime import UTC, date, datetime, timedelta

import pytest

from meridian.metrics.models import MetricFact, MetricHistogram, MetricRollup
from meridian.metrics.rollup import bucket_of
from meridian.metrics.services import facts_write

pytestmark = pytest.mark.django_db

VALUES = (0.0, 0.25, 1.0, 3.7, 41.0, 12345.678)
COLUMNS = (
    "fact_key",
    "occurred_at",
    "day",
    "value",
    "bucket",
    "member_id",
    "project_id",
    "team_id",
    "note",
)


def _facts(workspace_id: int, shift: int = 0) -> list[MetricFact]:
    return [
        MetricFact(
            workspace_id=workspace_id,
            metric="cycle_time",
            fact_key=f"t:{n}",
            member_id=(n + shift) % 3 + 1,
            project_id=None if (n + shift) % 2 else 5,
            team_id=7,
            occurred_at=datetime(2026, 10, 30, 12, tzinfo=UTC) + timedelta(days=(n + shift) % 4),
            day=date(2026, 10, 30) + timedelta(days=(n + shift) % 4),
            value=value * (shift + 1),
            note=f"note {shift}" if n % 2 else "",
        )
        for n, value in enumerate(VALUES)
    ]


def _state(workspace_id: int) -> tuple[set, set, set]:
    facts = set(MetricFact.objects.filter(workspace_id=workspace_id).values_list(*COLUMNS))
    rollups = set(
        MetricRollup.objects.filter(workspace_id=workspace_id).values_list(
            "metric", "subject", "subject_id", "day", "count", "total"
        )
    )
    histograms = set(
        MetricHistogram.objects.filter(workspace_id=workspace_id).values_list(
            "subject", "subject_id", "span", "day", "bucket", "count", "total"
        )
    )
    return facts, rollups, histograms


def _rewrite(workspace_id: int, *, as_instances: bool) -> tuple[set, set, set]:
    MetricFact.objects.filter(workspace_id=workspace_id).delete()
    MetricRollup.objects.filter(workspace_id=workspace_id).delete()
    MetricHistogram.objects.filter(workspace_id=workspace_id).delete()
    facts_write(
        workspace_id=workspace_id, metric="cycle_time", existing=[], wanted=_facts(workspace_id)
    )
    existing = MetricFact.objects.filter(workspace_id=workspace_id, metric="cycle_time")
    facts_write(
        workspace_id=workspace_id,
        metric="cycle_time",
        existing=list(existing) if as_instances else existing,
        # The last fact is gone from what the writer wants: deleted.
        wanted=_facts(workspace_id, shift=1)[:-1],
    )
    return _state(workspace_id)


def test_a_rewrite_stores_the_wanted_facts_with_their_buckets(workspace):
    facts, _rollups, _histograms = _rewrite(workspace.pk, as_instances=False)
    wanted = {
        (
            f.fact_key,
            f.occurred_at,
            f.day,
            f.value,
            bucket_of(f.value),
            f.member_id,
            f.project_id,
            f.team_id,
            f.note,
        )
        for f in _facts(workspace.pk, shift=1)[:-1]
    }
    assert facts == wanted


def test_a_rewrite_from_instances_equals_one_from_a_queryset(workspace):
    from_queryset = _rewrite(workspace.pk, as_instances=False)
    from_instances = _rewrite(workspace.pk, as_instances=True)
    assert from_instances == from_queryset
    # Rows left without facts by the rewrite are gone: every row kept counts at least one fact.
    assert all(row[4] >= 1 for row in from_queryset[1])
    assert all(row[5] >= 1 for row in from_queryset[2])


def test_a_delete_drops_the_rows_it_emptied_and_keeps_the_others_counts(workspace):
    # Rows are addressed by their key (no id): two facts share the workspace's day, member 1's
    # and team 7's rows; the second fact alone feeds member 2's rows.
    first, second = _facts(workspace.pk)[:2]
    second.member_id, second.day, second.occurred_at = 2, first.day, first.occurred_at
    facts_write(workspace_id=workspace.pk, metric="cycle_time", existing=[], wanted=[first, second])
    facts_write(
        workspace_id=workspace.pk,
        metric="cycle_time",
        existing=MetricFact.objects.filter(workspace_id=workspace.pk),
        wanted=[first],
    )
    _facts_left, rollups, histograms = _state(workspace.pk)
    day = first.day
    assert rollups == {
        ("cycle_time", "workspace", 0, day, 1, first.value),
        ("cycle_time", "member", 1, day, 1, first.value),
        ("cycle_time", "project", 5, day, 1, first.value),
        ("cycle_time", "team", 7, day, 1, first.value),
    }
    month = day.replace(day=1)
    bucket = bucket_of(first.value)
    assert histograms == {
        (subject, subject_id, span, when, bucket, 1, first.value)
        for subject, subject_id in (("workspace", 0), ("member", 1), ("project", 5), ("team", 7))
        for span, when in (("day", day), ("month", month))
    }


def test_deleting_a_workspace_deletes_its_facts_and_rows_and_no_one_elses(workspace):
    """The rollup and histogram rows' workspace is not a database constraint (migration 0006):
    Django's cascade still deletes them with their workspace, on either database."""
    from tests import factories

    other = factories.workspace(name="Other")
    for ws in (workspace, other):
        facts_write(workspace_id=ws.pk, metric="cycle_time", existing=[], wanted=_facts(ws.pk))
    kept = _state(other.pk)
    assert all(kept)  # facts, rollup rows and histogram rows
    workspace.delete()
    assert _state(workspace.pk) == (set(), set(), set())
    assert _state(other.pk) == kept
