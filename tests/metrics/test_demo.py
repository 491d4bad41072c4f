"""The demo's year of metric history: custom metrics with a value on every day of the past year,
built-in facts that follow the aged items, goals whose key results have data on first run."""

import pytest
from django.db.models import Max, Min

from meridian.goals import forecast as fc
from meridian.goals.models import KeyResult
from meridian.goals.selectors import STATUS_LABELS, status_of
from meridian.metrics.models import MetricFact, MetricHistogram, MetricRollup
from meridian.metrics.rollup import FactRow, recompute, rollups_of_histograms
from meridian.work.models import Task

pytestmark = pytest.mark.django_db


@pytest.fixture
def built(shared_demo):
    return shared_demo.workspace


class TestTheDemoHistory:
    def test_custom_metrics_have_a_value_for_every_day_of_the_past_year(self, built):
        facts = MetricFact.objects.filter(workspace=built, metric="signups")
        span = facts.aggregate(first=Min("day"), last=Max("day"))
        assert (span["last"] - span["first"]).days >= 360
        assert facts.values("day").distinct().count() >= 360
        teams = MetricRollup.objects.filter(
            workspace=built, metric="tickets_closed", subject="team"
        )
        assert teams.values("subject_id").distinct().count() == 4

    def test_built_in_facts_follow_the_aged_tasks(self, built):
        done = Task.objects.filter(workspace=built, is_done=True, completed_at__isnull=False)
        facts = MetricFact.objects.filter(workspace=built, metric="tasks_completed")
        assert facts.count() == done.count() > 0
        assert set(facts.values_list("source_id", flat=True)) == set(
            done.values_list("pk", flat=True)
        )

    def test_every_goal_key_result_has_data_on_first_run(self, built):
        results = list(KeyResult.objects.filter(goal__workspace=built).select_related("goal"))
        assert len(results) >= 4
        for key_result in results:
            status = status_of(key_result)
            assert status.forecast.status != fc.NO_DATA, key_result.title
            assert status.label in STATUS_LABELS.values()

    def test_the_rollups_equal_a_recompute_from_the_facts(self, built):
        """The rollup rows, with a percentile metric's (which keeps none) summed from its day
        histogram rows."""
        kept = {
            (r.metric, r.subject, r.subject_id, r.day): r.count
            for r in MetricRollup.objects.filter(workspace=built)
        }
        derived = rollups_of_histograms(
            {
                (r.metric, r.subject, r.subject_id, r.span, r.day, r.bucket): (r.count, r.total)
                for r in MetricHistogram.objects.filter(workspace=built)
            }
        )
        assert derived
        assert not kept.keys() & derived.keys()
        kept |= {key: count for key, (count, _) in derived.items()}
        facts = MetricFact.objects.filter(workspace=built).values_list(
            "metric", "day", "value", "member_id", "project_id", "team_id"
        )
        assert kept == {
            key: count for key, (count, _) in recompute(FactRow(*f) for f in facts).items()
        }
