"""The metrics services: work's facts follow its tasks, custom metrics and the values pushed to
them, the workspace's day boundaries, and the rebuild."""

import math
from datetime import timedelta

import pytest
from django.core.management import call_command

from meridian.core.errors import PermissionDenied, ValidationFailed
from meridian.metrics import selectors
from meridian.metrics.models import MetricFact, MetricRollup
from meridian.metrics.services import (
    custom_metric_create,
    metrics_rebuild,
    metrics_zone_set,
    value_push,
    zone_of,
)
from meridian.work.services import task_update
from meridian.work.services.common import Due
from meridian.workspaces.services import profile_update
from tests.metrics.conftest import NOW
from tests.work.factories import project, task

pytestmark = pytest.mark.django_db


@pytest.fixture
def commits(django_capture_on_commit_callbacks):
    """Run what services leave for after commit (the facts of a changed item) as they return."""

    def run(call, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return call(*args, **kwargs)

    return run


def done(actor, item):
    return task_update(actor=actor, task=item, version=item.version, changes={"status": "done"})


def facts(metric):
    return sorted(
        MetricFact.objects.filter(metric=metric).values_list("fact_key", "value", "member_id")
    )


def values(viewer, days=7):
    metrics = selectors.metric_list_for(viewer)
    return selectors.values_for(viewer, metrics, selectors.last_days(days, viewer.workspace_id))


def test_a_task_done_gives_a_completion_and_its_cycle_time_in_the_owners_working_hours(
    ada, bo, clock, commits
):
    site = project(ada)
    # Created on Thursday 20:45 in Kathmandu (after Bo's hours), done on Monday at 12:00 there.
    item = commits(task, ada, site, owner=bo)
    clock.move_to(NOW + timedelta(days=3, hours=15, minutes=15))
    commits(done, bo, item)
    assert facts("tasks_completed") == [(f"task:{item.pk}:done", 1.0, bo.pk)]
    # Friday 9 to 5 (8 hours) and Monday 9 to 12 (3 hours).
    assert facts("cycle_time") == [(f"task:{item.pk}:cycle", 11.0, bo.pk)]
    now = values(ada)
    assert now["tasks_completed"].number == 1
    assert (now["cycle_time"].median, now["cycle_time"].p85) == (11.0, 11.0)
    assert now["open_tasks"].number == 0


def _status(actor, item, status):
    item.refresh_from_db()
    return task_update(actor=actor, task=item, version=item.version, changes={"status": status})


def test_time_blocked_counts_the_owners_working_hours_once_the_block_ends(ada, bo, clock, commits):
    site = project(ada)
    item = commits(task, ada, site, owner=bo)  # Thursday 20:45 in Kathmandu
    clock.move_to(NOW + timedelta(hours=13, minutes=15))  # Friday 10:00 there
    commits(_status, bo, item, "blocked")
    assert facts("time_blocked") == []  # still blocked: counted when it ends
    assert values(ada)["time_blocked"].number is None  # no data, not 0
    clock.move_to(NOW + timedelta(hours=17, minutes=15))  # Friday 14:00
    commits(_status, bo, item, "doing")
    assert facts("time_blocked") == [(f"task:{item.pk}:blocked:{_blocked_event(item)}", 4.0, bo.pk)]
    assert values(ada)["time_blocked"].number == 4.0
    # Blocked again over the weekend and until Monday 10:00: Monday 9 to 10 is one more hour.
    clock.move_to(NOW + timedelta(days=1, hours=10))  # Saturday
    commits(_status, bo, item, "blocked")
    clock.move_to(NOW + timedelta(days=3, hours=13, minutes=15))
    commits(_status, bo, item, "todo")
    assert sorted(v for _k, v, _m in facts("time_blocked")) == [1.0, 4.0]
    assert values(ada)["time_blocked"].number == 5.0


def _blocked_event(item):
    from meridian.work.models import TaskEvent

    return TaskEvent.objects.filter(task=item, field="status", new="Blocked").earliest("id").pk


def test_reopening_a_task_takes_its_completion_back_out_of_the_rollups(ada, commits):
    item = commits(task, ada, project(ada), owner=ada)
    item = commits(done, ada, item)
    commits(task_update, actor=ada, task=item, version=item.version, changes={"status": "todo"})
    assert facts("tasks_completed") == []
    assert not MetricRollup.objects.filter(metric="tasks_completed").exists()
    assert values(ada)["tasks_completed"].number is None  # no data, not 0
    assert values(ada)["open_tasks"].number == 1


def test_a_task_done_after_its_due_moment_was_overdue_until_then(ada, clock, commits):
    due = Due(kind="instant", at=NOW + timedelta(hours=1))
    item = commits(task, ada, project(ada), owner=ada, due=due)
    assert values(ada)["overdue_tasks"].number is None
    clock.move_to(NOW + timedelta(hours=2))
    assert values(ada)["overdue_tasks"].number == 1
    commits(done, ada, item)
    assert values(ada)["overdue_tasks"].number == 0


def test_nothing_is_written_while_the_transaction_is_open_and_nothing_when_it_rolls_back(
    ada, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        task(ada, project(ada), owner=ada)
    assert MetricFact.objects.count() == 0
    # Every item of the transaction, told once (the other callback is the task.created event
    # for webhooks, sent after the commit as well).
    stale = [c for c in callbacks if c.__qualname__.startswith("facts_stale.")]
    assert len(stale) == 1


def test_rebuild_backfills_facts_and_recomputes_rollups(ada, bo):
    site = project(ada)
    for n in range(3):
        done(ada, task(ada, site, title=f"Task {n}", owner=bo))
    # Facts were never told (no commit in this test): the rebuild finds them from the tasks.
    assert MetricFact.objects.count() == 0
    seen = []
    result = metrics_rebuild(progress=lambda slug, d, t: seen.append((slug, d, t)))
    assert values(ada)["tasks_completed"].number == 3
    assert (
        MetricRollup.objects.get(metric="tasks_completed", subject="member", subject_id=bo.pk).count
        == 3
    )
    assert result["rollup_rows"] == MetricRollup.objects.count()
    assert seen[-1][1] == seen[-1][2] == MetricFact.objects.filter(workspace=ada.workspace).count()


def test_the_rebuild_command_reports_what_it_did(ada, capsys):
    done(ada, task(ada, project(ada), owner=ada))
    call_command("metrics", "rebuild", "--workspace", ada.workspace.slug)
    assert "rollup rows" in capsys.readouterr().out
    # The workspace, the member and the project.
    assert MetricRollup.objects.filter(metric="tasks_completed").count() == 3


# --- Custom metrics ----------------------------------------------------------------------------


def test_only_admins_define_metrics_and_keys_are_unique_among_all(ada, bo):
    with pytest.raises(PermissionDenied):
        custom_metric_create(acting=bo, key="nps", label="NPS", definition="Net promoter score")
    with pytest.raises(ValidationFailed) as exc:
        custom_metric_create(acting=ada, key="tasks_completed", label="X", definition="Y")
    assert "key" in exc.value.errors
    with pytest.raises(ValidationFailed) as exc:
        custom_metric_create(acting=ada, key="new", label="X", definition="Y")
    assert "choose another key" in exc.value.errors["key"][0]
    custom_metric_create(acting=ada, key="nps", label="NPS", definition="Net promoter score")
    with pytest.raises(ValidationFailed) as exc:
        custom_metric_create(acting=ada, key="nps", label="NPS 2", definition="Again")
    assert "already" in exc.value.errors["key"][0]


def test_a_value_pushed_twice_for_the_same_subject_and_time_counts_once(ada):
    nps = custom_metric_create(
        acting=ada, key="nps", label="NPS", definition="Score", aggregation="mean"
    )
    at = NOW - timedelta(hours=1)
    assert value_push(acting=ada, metric=nps, at=at, value=40).created
    again = value_push(acting=ada, metric=nps, at=at, value=50, note="corrected")
    assert not again.created and again.fact.value == 50 and again.fact.note == "corrected"
    value_push(acting=ada, metric=nps, at=at - timedelta(days=1), value=30)
    assert values(ada)["nps"].number == 40  # (50 + 30) / 2


@pytest.mark.parametrize(
    ("at", "value", "field"),
    [
        (NOW + timedelta(days=400), 1.0, "at"),
        (NOW, math.nan, "value"),
        (NOW, math.inf, "value"),
    ],
)
def test_a_value_in_the_future_or_not_finite_is_refused_naming_the_field(ada, at, value, field):
    nps = custom_metric_create(acting=ada, key="nps", label="NPS", definition="Score")
    with pytest.raises(ValidationFailed) as exc:
        value_push(acting=ada, metric=nps, at=at, value=value)
    assert list(exc.value.errors) == [field]
    assert MetricFact.objects.count() == 0


def test_days_split_at_midnight_in_the_workspaces_metrics_zone(ada):
    nps = custom_metric_create(acting=ada, key="nps", label="NPS", definition="Score")
    # Until an admin chooses, days are the first admin's: 23:30 UTC on 4 November is already
    # 5 November in Ada's Berlin.
    fact = value_push(
        acting=ada, metric=nps, at=NOW.replace(day=4, hour=23, minute=30), value=1
    ).fact
    assert str(fact.day) == "2026-11-05"
    # Recorded with the first fact: Ada moving to New York later does not move anyone's days.
    profile_update(acting=ada, member=ada, time_zone="America/New_York")
    later = value_push(
        acting=ada, metric=nps, at=NOW.replace(day=3, hour=23, minute=30), value=2
    ).fact
    assert str(later.day) == "2026-11-04"
    # An admin's choice re-dates every fact: 18:30 on 4 November in New York.
    metrics_zone_set(acting=ada, time_zone="America/New_York")
    fact.refresh_from_db()
    assert str(fact.day) == "2026-11-04"
    days = set(
        MetricRollup.objects.filter(metric="nps", subject="workspace").values_list("day", flat=True)
    )
    assert {str(day) for day in days} == {"2026-11-03", "2026-11-04"}


def test_a_failing_metric_does_not_fail_the_write_that_changed_the_item(ada, commits, caplog):
    from meridian.core import registry
    from meridian.core.registry import MetricDefinition

    def broken(workspace_id, ids):
        raise RuntimeError("bug in a metric")

    bad = MetricDefinition("broken", "Broken", "x", "x", "", "x", "sum", "task", broken)
    with registry.replaced(registry.METRICS, [bad]):
        item = commits(task, ada, project(ada), owner=ada)
    assert item.pk and "Could not rewrite the metric facts of task" in caplog.text


def test_the_metrics_and_their_zone_read_together_equal_each_read_alone(ada):
    # Before an admin chooses a zone and with no custom metric: the built-ins and Ada's zone.
    alone = (selectors.metric_list_for(ada), zone_of(ada.workspace_id))
    assert selectors.metric_list_and_zone_for(ada) == alone
    assert alone[1] == "Europe/Berlin"
    custom_metric_create(acting=ada, key="zeta", label="Zeta", definition="Last by label")
    custom_metric_create(acting=ada, key="alpha", label="Alpha", definition="First", unit="h")
    metrics_zone_set(acting=ada, time_zone="America/New_York")
    together = selectors.metric_list_and_zone_for(ada)
    assert together == (selectors.metric_list_for(ada), "America/New_York")
    assert [m.label for m in together[0] if m.custom] == ["Alpha", "Zeta"]
