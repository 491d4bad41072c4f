"""Telling whoever derives data from an area's items that some of them changed.

An area calls ``facts_stale`` from its services, inside their transaction, naming the kind and
ids of the items it wrote; once the transaction commits, every listener registered at
``registry.FACTS_STALE`` is called once per (workspace, kind) with every id the transaction
named (the metrics area rewrites those items' facts and rollups). A rolled-back write tells
nobody. Listeners redo what they derive from the items' current state, so being told about an
item whose change was rolled back in a savepoint is harmless.
"""

import threading
from collections.abc import Callable, Iterable

from django.db import connection, transaction

from meridian.core import registry

Batch = dict[tuple[int, str], set[int]]


class _Pending:
    """The ids named in the current transaction, delivered together by one on-commit callback."""

    def __init__(self) -> None:
        self.batch: Batch = {}
        self.deliver: Callable[[], None] | None = None

    def live(self) -> bool:
        # The callback is gone when its transaction (or savepoint) rolled back or it already ran.
        return self.deliver is not None and any(
            entry[1] is self.deliver for entry in connection.run_on_commit
        )


# Per thread, as Django's connections are.
_local = threading.local()


def _current() -> _Pending:
    pending = getattr(_local, "pending", None)
    if pending is None:
        pending = _local.pending = _Pending()
    return pending


def _deliver(batch: Batch) -> None:
    for (workspace_id, kind), ids in batch.items():
        for listener in registry.items(registry.FACTS_STALE):
            listener(workspace_id, kind, sorted(ids))


def facts_stale(*, workspace_id: int, source_kind: str, ids: Iterable[int]) -> None:
    """After commit, tell every listener that these items of ``source_kind`` changed."""
    changed = set(ids)
    if not changed:
        return
    if not connection.in_atomic_block:
        _deliver({(workspace_id, source_kind): changed})
        return
    pending = _current()
    if not pending.live():
        batch: Batch = {}

        def deliver() -> None:
            if pending.deliver is deliver:  # later ids start a batch of their own
                pending.deliver = None
            _deliver(batch)

        pending.batch, pending.deliver = batch, deliver
        transaction.on_commit(deliver)
    pending.batch.setdefault((workspace_id, source_kind), set()).update(changed)
