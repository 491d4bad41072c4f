"""The demo's work: projects, a few hundred tasks across people, dependencies, history, threads
with unanswered questions, links to the demo's decisions and briefs, and readiness to show."""

import pytest
from django.db.models import F

from meridian.handovers.kinds import handover_kinds
from meridian.work.models import Dependency, Project, Task, TaskComment, TaskEvent, TaskLink

pytestmark = pytest.mark.django_db


def test_demo_has_work_to_pick_up_and_some_that_would_stall(shared_demo):
    workspace = shared_demo.workspace
    tasks = Task.objects.filter(workspace=workspace)
    assert Project.objects.filter(workspace=workspace).count() == 4
    assert 250 <= tasks.count() <= 400
    assert tasks.values("owner").distinct().count() >= 15
    assert (
        tasks.filter(is_done=True).exists()
        and tasks.filter(due_by__isnull=False, is_done=False).exists()
    )
    deps = Dependency.objects.filter(workspace=workspace)
    assert deps.count() >= 40
    assert deps.exclude(blocked__project_id=F("blocker__project_id")).exists()
    assert TaskEvent.objects.filter(workspace=workspace).exclude(field="created").count() >= 150
    assert TaskComment.objects.filter(
        workspace=workspace, is_question=True, answered_at__isnull=True
    ).exists()
    assert set(TaskLink.objects.filter(workspace=workspace).values_list("kind", flat=True)) == {
        "decision",
        "brief",
    }
    ready = handover_kinds()["task"].readiness(workspace.pk, None)
    assert any(r.bus_factor_one and r.score < 50 for r in ready)
    assert any(r.score >= 80 for r in ready)
