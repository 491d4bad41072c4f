"""Handover readiness and bus-factor-1 items as metrics: a snapshot a day of every open item's
readiness (the test kind: briefs), read as the average score and the count of items with one
contributor in 90 days; no snapshot is no data, not 0."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from meridian.handovers.models import ReadinessSnapshot
from meridian.handovers.schedule import readiness_snapshots
from meridian.handovers.services import readiness_snapshot_take
from meridian.metrics import selectors
from meridian.metrics.models import MetricFact
from tests.briefs.factories import brief, comment

pytestmark = pytest.mark.django_db

MONDAY = datetime(2026, 11, 2, 3, 0, tzinfo=UTC)


@pytest.fixture
def clock():
    with time_machine.travel(MONDAY, tick=False) as traveller:
        yield traveller


def value(viewer, key, days=1, subject="workspace", subject_id=None):
    metric = selectors.metric_get_for(viewer, key)
    period = selectors.last_days(days, viewer.workspace_id)
    return selectors.values_for(viewer, [metric], period, subject=subject, subject_id=subject_id)[
        key
    ]


def take(workspace, commits):
    return commits(readiness_snapshot_take, workspace_id=workspace.pk)


@pytest.fixture
def commits(django_capture_on_commit_callbacks):
    def run(call, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return call(*args, **kwargs)

    return run


def test_a_days_snapshot_gives_the_average_readiness_and_the_bus_factor_one_items(
    workspace, giver, member, clock, commits
):
    assert value(member, "handover_readiness").number is None  # no snapshot: no data
    assert value(member, "bus_factor_one_items").number is None
    # Each write commits (its after-commit work runs), as a request's would.
    alone = commits(brief, giver, [member], title="Alone", body="A description.")
    shared = commits(brief, giver, [member], title="Shared", body="A description.")
    commits(comment, shared, member, "I helped.")
    assert take(workspace, commits) == 2
    scores = {r.title: r.score for r in ReadinessSnapshot.objects.all()}
    assert value(member, "handover_readiness").number == pytest.approx(
        (scores["Alone"] + scores["Shared"]) / 2
    )
    assert value(member, "bus_factor_one_items").number == 1  # only "Alone"
    assert value(member, "bus_factor_one_items", subject="member", subject_id=giver.pk).number == 1
    # Taken again the same day: the day's snapshot is replaced, not counted twice.
    assert take(workspace, commits) == 2
    assert value(member, "bus_factor_one_items").number == 1
    assert MetricFact.objects.filter(metric="handover_readiness").count() == 2
    # The next day someone else comments on "Alone": no bus-factor-1 item left.
    clock.move_to(MONDAY + timedelta(days=1))
    commits(comment, alone, member, "Me too.")
    take(workspace, commits)
    assert value(member, "bus_factor_one_items").number == 0
    # Over both days: the average of the four (item, day) scores.
    assert value(member, "handover_readiness", days=2).facts == 4


def test_the_daily_job_offers_one_snapshot_per_workspace_and_day(workspace, clock):
    keys = [o.key for o in readiness_snapshots(MONDAY)]
    assert any(str(workspace.pk) in key and "2026-11-02" in key for key in keys)
    assert len(keys) == len(set(keys))
