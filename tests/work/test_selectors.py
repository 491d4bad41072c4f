"""The task page's reads: what blocks a task, its pending handover, its thread in threads."""

import pytest

from meridian.handovers.models import Handover
from meridian.work.selectors import blocked_ids, task_detail
from meridian.work.services import comment_add, dependency_add, task_follow, task_update
from tests.work.factories import task

pytestmark = pytest.mark.django_db


def test_blocked_ids_keeps_tasks_waiting_for_an_unfinished_blocker_in_one_query(
    ana, site, django_assert_num_queries
):
    a, b, c = task(ana, site, title="A"), task(ana, site, title="B"), task(ana, site, title="C")
    dependency_add(actor=ana, blocker=a, blocked=b)
    done = task(ana, site, title="Done", status="done")
    dependency_add(actor=ana, blocker=done, blocked=c)
    with django_assert_num_queries(1):
        assert blocked_ids([a.pk, b.pk, c.pk]) == {b.pk}
    task_update(actor=ana, task=a, version=a.version, changes={"status": "done"})
    assert blocked_ids([b.pk]) == set()


def test_task_detail_shows_blockers_with_owners_threads_and_a_pending_handover(ana, ben, site):
    t = task(ana, site, title="Main", owner=ana)
    blocker = task(ana, site, title="First", owner=ben)
    dependency_add(actor=ana, blocker=blocker, blocked=t)
    question = comment_add(actor=ben, task=t, body="Why?", is_question=True)
    comment_add(actor=ana, task=t, body="Because.", parent=question)
    task_follow(actor=ben, task=t)
    Handover.objects.create(
        workspace_id=t.workspace_id,
        kind="task",
        object_id=t.pk,
        object_label=t.title,
        giver=ana,
        receiver=ben,
    )

    detail = task_detail(ben, t)

    assert detail.is_blocked and [(r.task.title, r.owner) for r in detail.open_blockers] == [
        ("First", ben)
    ]
    assert [(th.comment.body, [r.body for r in th.replies]) for th in detail.threads] == [
        ("Why?", ["Because."])
    ]
    assert detail.open_questions == [question]
    assert detail.followers == [ben] and detail.viewer_follows
    assert (detail.handover.giver, detail.handover.receiver) == (ana, ben)
    assert [e.field for e in detail.events][-1] == "created"
