"""Handovers raced from several threads: one handover per item, one acknowledgement."""

import threading

import pytest
from django.db import connection

from meridian.briefs.models import Brief
from meridian.core.errors import Conflict, NotFound
from meridian.handovers.models import Handover, HandoverState
from meridian.handovers.services import handover_acknowledge, handover_start
from tests.briefs.factories import brief, person
from tests.handovers.factories import handover

pytestmark = pytest.mark.django_db(transaction=True)

THREADS = 8


def race(work) -> list[object]:
    start, results = threading.Barrier(THREADS, timeout=30), []

    def run(n: int) -> None:
        try:
            start.wait()
            results.append(work(n))
        except (Conflict, NotFound) as exc:
            results.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(n,)) for n in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def test_parallel_handovers_of_one_item_make_one_and_refuse_the_rest(workspace, giver):
    item = brief(giver, [person(workspace)], title="Contested")
    receivers = [person(workspace) for _ in range(THREADS)]

    results = race(
        lambda n: handover_start(
            actor=giver, kind="brief", object_id=item.pk, receiver=receivers[n]
        )
    )

    made = Handover.objects.get()
    assert [r.pk for r in results if isinstance(r, Handover)] == [made.pk]
    assert sum(isinstance(r, Conflict) for r in results) == THREADS - 1


def test_parallel_acknowledgements_transfer_once(workspace, giver, receiver):
    item = brief(giver, [person(workspace)], title="Contested")
    h = handover(item, receiver)

    results = race(lambda n: handover_acknowledge(actor=receiver, handover=h))

    assert sum(isinstance(r, Handover) for r in results) == 1
    assert sum(isinstance(r, Conflict) for r in results) == THREADS - 1
    assert Handover.objects.get().state == HandoverState.ACKNOWLEDGED
    assert Brief.objects.get(pk=item.pk).author_id == receiver.pk
