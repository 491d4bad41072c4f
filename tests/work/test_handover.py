"""Tasks and projects as handover kinds: the packet, the transfer, readiness and their queries."""

from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from meridian.briefs.services import link_add
from meridian.handovers.kinds import handover_kinds
from meridian.notifications.models import InboxItem, InboxState
from meridian.work.models import Task, TaskComment, TaskEvent
from meridian.work.services import (
    Due,
    comment_add,
    dependency_add,
    task_link_add,
    task_update,
)
from meridian.work.templatetags.work_timeline import timeline_line
from tests.briefs.factories import brief
from tests.decisions.factories import decided, proposal
from tests.work.factories import project, task

pytestmark = pytest.mark.django_db


def _section(packet, key):
    return [(e.text, e.detail, e.person, e.done) for e in packet.section(key).entries]


def test_the_packet_holds_what_the_receiver_needs(ana, ben, site):
    kind = handover_kinds()["task"]
    t = task(
        ana,
        site,
        title="Launch checklist",
        description="Everything before **launch**.",
        owner=ana,
        criteria=[{"text": "DNS switched", "done": True}, {"text": "Status page up"}],
    )
    task(ana, site, title="Write the announcement", parent=t, owner=ben)
    blocker = task(ana, project(ana, "Infra"), title="Certificates", owner=ben)
    dependency_add(actor=ana, blocker=blocker, blocked=t)
    comment_add(actor=ben, task=t, body="Which date?", is_question=True)
    comment_add(actor=ben, task=t, body="I can help on Friday.")
    record = decided(
        proposal(ana, [ben], title="Launch on a Tuesday"), rationale="Support is staffed."
    )
    task_link_add(actor=ana, task=t, kind="decision", target_id=record.pk)
    b = brief(ana, [ben], title="Launch plan")
    link_add(acting=ana, brief=b, target="task", target_id=t.pk)

    packet = kind.packet(ben, t.pk)

    assert packet.title == "Launch checklist" and packet.status == "To do"
    assert "<strong>launch</strong>" in packet.section("description").entries[0].html
    assert _section(packet, "criteria") == [
        ("DNS switched", "", "", True),
        ("Status page up", "", "", False),
    ]
    assert _section(packet, "remaining") == [
        ("Write the announcement", "Open subtask", "Ben Kathmandu", None),
        ("Status page up", "Unchecked criterion", "", False),
    ]
    assert [e.text for e in packet.section("questions").entries] == ["Which date?"]
    assert [e.text for e in packet.section("threads").entries] == ["I can help on Friday."]
    [decision] = packet.section("decisions").entries
    assert "Launch on a Tuesday" in decision.text and "Support is staffed." in decision.detail
    assert [e.text for e in packet.section("briefs").entries] == ["Launch plan"]
    assert _section(packet, "dependencies") == [
        ("Certificates", "Blocks this task", "Ben Kathmandu", False)
    ]
    assert packet.section("history").entries[-1].text == "created the task: Launch checklist"
    assert {e.text for e in packet.section("people").entries} == {"Ana Berlin", "Ben Kathmandu"}


def test_a_packet_takes_the_same_queries_for_500_changes_and_100_comments_as_for_one(
    ana, ben, site
):
    kind = handover_kinds()["task"]
    small = task(ana, site, title="Small", owner=ana)
    big = task(ana, site, title="Big", owner=ana)
    with CaptureQueriesContext(connection) as one:
        kind.packet(ben, small.pk)
    TaskEvent.objects.bulk_create(
        TaskEvent(
            workspace_id=big.workspace_id,
            task=big,
            actor=ben if n % 2 else ana,
            field="title",
            old=f"{n}",
            new=f"{n + 1}",
        )
        for n in range(500)
    )
    TaskComment.objects.bulk_create(
        TaskComment(
            workspace_id=big.workspace_id,
            task=big,
            author=ben,
            body=f"Note {n}",
            is_question=n % 3 == 0,
        )
        for n in range(100)
    )
    with CaptureQueriesContext(connection) as many:
        packet = kind.packet(ben, big.pk)
    assert len(packet.section("history").entries) == 20
    assert len(packet.section("questions").entries) == 34
    assert len(many) == len(one)


def test_transfer_makes_the_receiver_owner_recomputes_the_due_moment_and_moves_the_inbox_item(
    clock, ana, ben, site
):
    kind = handover_kinds()["task"]
    t = task(ana, site, owner=ana, due=Due("local_day", date=date(2026, 12, 9)))
    assert kind.owned(ana.workspace_id, ana.pk) == [(t.pk, "Write the copy")]
    kind.transfer(t.pk, ana, ben, ana)
    t = Task.objects.get()
    assert t.owner == ben and t.version == 2
    assert str(t.due_by) == "2026-12-09 11:15:00+00:00"
    event = t.events.first()
    assert (event.field, event.old, event.new) == ("handover", "Ana Berlin", "Ben Kathmandu")
    states = dict(
        InboxItem.objects.filter(cause=f"work.task:{t.pk}").values_list("recipient_id", "state")
    )
    assert states == {ana.pk: InboxState.GONE, ben.pk: InboxState.OPEN}
    assert kind.owners(ana.workspace_id, [t.pk]) == {t.pk: [ben.pk]}


def test_the_next_packet_tells_the_earlier_handover_with_both_names(clock, ana, ben, site):
    kind = handover_kinds()["task"]
    t = task(ana, site, owner=ana)
    kind.transfer(t.pk, ana, ben, ben)
    entry = kind.packet(ben, t.pk).section("history").entries[0]
    assert (entry.text, entry.person) == (
        "acknowledged a handover; owner: Ana Berlin → Ben Kathmandu",
        "Ben Kathmandu",
    )


def test_the_timeline_tells_the_handover_as_a_sentence(clock, ana, ben, site):
    kind = handover_kinds()["task"]
    t = task(ana, site, owner=ana)
    kind.transfer(t.pk, ana, ben, ben)
    line = str(timeline_line(Task.objects.get().events.first()))
    assert line == (
        "acknowledged a handover; owner: <del>Ana Berlin</del> → <ins>Ben Kathmandu</ins>"
    )


def test_readiness_names_its_reasons_and_counts_contributors_in_90_days(clock, ana, ben, site):
    kind = handover_kinds()["task"]
    bare = task(ana, site, title="Bare", owner=ana)
    full = task(
        ana,
        site,
        title="Full",
        owner=ana,
        description="Why and how.",
        criteria=[{"text": "Done right"}],
    )
    other = task(ana, site, title="Other")
    task_link_add(actor=ana, task=full, kind="task", target_id=other.pk)
    comment_add(actor=ben, task=full, body="Looks fine.")
    comment_add(actor=ben, task=bare, body="Open?", is_question=True)

    scores = {r.title: r for r in kind.readiness(ana.workspace_id, [bare.pk, full.pk])}
    assert scores["Full"].score == 100 and scores["Full"].contributors_90d == 2
    assert not scores["Full"].bus_factor_one
    bare_checks = {c.key: (c.ok, c.missing) for c in scores["Bare"].checks}
    assert bare_checks["description"] == (False, "No description")
    assert bare_checks["no_open_questions"] == (False, "1 unanswered question")
    assert bare_checks["recent"][0] is True

    clock.shift(timedelta(days=100))
    later = {r.title: r for r in kind.readiness(ana.workspace_id, None)}
    assert later["Full"].contributors_90d == 0 and later["Full"].bus_factor_one
    assert {c.key: c.ok for c in later["Full"].checks}["recent"] is False
    assert set(later) == {"Bare", "Full", "Other"}


def test_readiness_of_every_open_task_takes_the_same_queries_for_one_or_forty(ana, ben, site):
    kind = handover_kinds()["task"]
    task(ana, site, title="One", owner=ana)
    with CaptureQueriesContext(connection) as one:
        assert len(kind.readiness(ana.workspace_id, None)) == 1
    for n in range(39):
        t = task(ana, site, title=f"T{n}", owner=ben)
        comment_add(actor=ana, task=t, body="?", is_question=n % 2 == 0)
        task_update(actor=ben, task=t, version=t.version, changes={"status": "doing"})
    with CaptureQueriesContext(connection) as many:
        assert len(kind.readiness(ana.workspace_id, None)) == 40
    assert len(many) == len(one)


def test_project_kind_packet_transfer_and_readiness(ana, ben, site):
    kind = handover_kinds()["project"]
    t = task(ana, site, title="Open one", owner=ben)
    comment_add(actor=ben, task=t, body="Budget?", is_question=True)
    assert kind.owned(ana.workspace_id, ana.pk) == []
    kind.transfer(site.pk, ana, ben, ana)
    assert kind.owners(ana.workspace_id, [site.pk]) == {site.pk: [ben.pk]}
    packet = kind.packet(ana, site.pk)
    assert [e.text for e in packet.section("remaining").entries] == ["Open one"]
    assert [e.text for e in packet.section("questions").entries] == ["Budget?"]
    [ready] = kind.readiness(ana.workspace_id, None)
    assert {c.key: c.ok for c in ready.checks}["no_open_questions"] is False
    assert ready.holder_ids == [ben.pk]


def test_another_workspaces_packet_is_404(ana, site, outsider):
    from meridian.core.errors import NotFound

    t = task(ana, site)
    with pytest.raises(NotFound):
        handover_kinds()["task"].packet(outsider, t.pk)
