"""Metrics: where the insert pass's time goes, layer by layer (PostgreSQL mainly).

    .venv/bin/python bench/metrics_split.py --database-url postgres://postgres@127.0.0.1:5432/meridian_bench

The insert pass of ``bench/metrics.py`` (same facts, same batches, same ``facts_write`` calls),
run again and again on emptied tables, each time stopping at a deeper layer:

* ``select``: only each batch's read of which keys exist (the caller's part);
* ``facts``: that and the facts' insert (``maintain=False``: no rollup rows);
* ``rollups``: that and the rollup rows (``histogram=False``: the percentile metric's facts
  too kept as rollup rows);
* ``full``: what the bench times (the percentile metric's facts kept as histogram rows, in
  place of rollup rows).

Each line: wall seconds, this process's CPU and, when the server runs on this machine, the
server process's CPU (``/proc/<pg_backend_pid()>/stat``). The differences between layers are
each layer's cost; rounds alternate the layers, so a busy machine's load spreads over all.
Informational (no target, exit code 0).
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "src"))

from bench.generate import configure, fresh_database  # noqa: E402
from bench.metrics import DATA_DIR, _backend_cpu, _fact  # noqa: E402

LAYERS = ("select", "facts", "rollups", "full")


def _layer(layer: str, workspace_id: int, batches: list[list]) -> dict:
    from django.db import connection, transaction

    from meridian.metrics.models import MetricFact, MetricHistogram, MetricRollup
    from meridian.metrics.services import facts_write

    # Emptied as new (PostgreSQL: TRUNCATE, so no dead rows linger in the B-trees).
    names = [
        connection.ops.quote_name(m._meta.db_table)
        for m in (MetricFact, MetricRollup, MetricHistogram)
    ]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("TRUNCATE " + ", ".join(names))
        else:
            for name in names:
                cursor.execute(f"DELETE FROM {name}")
    backend = _backend_cpu()
    started, cpu = time.perf_counter(), time.process_time()
    for batch in batches:
        by_metric: dict[str, list] = {}
        for fact in batch:
            by_metric.setdefault(fact.metric, []).append(fact)
        with transaction.atomic():
            for metric, facts in by_metric.items():
                existing = MetricFact.objects.filter(
                    workspace_id=workspace_id,
                    metric=metric,
                    fact_key__in=[f.fact_key for f in facts],
                )
                if layer == "select":
                    list(existing.values_list("pk"))
                    continue
                options = {"maintain": False} if layer == "facts" else {}
                if layer == "rollups":
                    options = {"histogram": False}
                facts_write(
                    workspace_id=workspace_id,
                    metric=metric,
                    existing=existing,
                    wanted=facts,
                    **options,
                )
    out = {
        "layer": layer,
        "seconds": round(time.perf_counter() - started, 2),
        "cpu_seconds": round(time.process_time() - cpu, 2),
    }
    if backend is not None and (after := _backend_cpu()) is not None:
        out["backend_cpu_seconds"] = round(after - backend, 2)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default="")
    parser.add_argument("--facts", type=int, default=50_000)
    parser.add_argument("--batch", type=int, default=5_000)
    parser.add_argument("--members", type=int, default=1_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    fresh_database(data_dir=DATA_DIR, database_url=args.database_url)
    configure(data_dir=DATA_DIR, database_url=args.database_url)
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    from meridian.core import registry
    from meridian.workspaces.services import workspace_create

    call_command("migrate", interactive=False, verbosity=0)
    owner = get_user_model().objects.create_user(email="owner@bench.test", password="x-bench-1")
    ws = workspace_create(user=owner, name="Bench")
    registry.metrics()
    rng = random.Random(12)
    facts = [_fact(ws.pk, n, rng, args.members) for n in range(args.facts)]
    batches = [facts[i : i + args.batch] for i in range(0, len(facts), args.batch)]
    for _ in range(args.rounds):
        for layer in LAYERS:
            out = _layer(layer, ws.pk, batches)
            server = out.get("backend_cpu_seconds")
            print(
                f"{layer:8s} wall {out['seconds']:5.2f} s  client CPU {out['cpu_seconds']:5.2f} s"
                + ("" if server is None else f"  server CPU {server:5.2f} s"),
                flush=True,
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
