"""Metrics: rollup maintenance throughput (facts/s), the full rebuild, and one event's write.

    .venv/bin/python bench/metrics.py
    .venv/bin/python bench/metrics.py --database-url postgres://postgres@127.0.0.1:5432/meridian_bench
    .venv/bin/python bench/metrics.py --facts 50000     # a quicker look

It makes a fresh database (SQLite in ``var/bench-metrics/`` or the PostgreSQL database given,
whose name must contain "bench") with one workspace, then through ``metrics.services``:

* **Maintenance**: ``--facts`` new facts (a year of days, ``--members`` members, 50 projects,
  one in ten with a team) written in batches of ``--batch`` with ``facts_write``, each batch
  first reading which of its keys exist, then inserting the facts and applying the rollup
  deltas (workspace, member, project, team rows) with the upsert; then every fact rewritten
  with a new value and day (rollups moved), then a tenth deleted. Figure: facts per second of
  each pass, the facts' own writes included. Target ≥ 20,000 facts/s for the insert pass.
* **Rebuild**: ``rollups_recompute`` of the workspace from its facts. Figure: facts/s.
  Each pass also reports the process's CPU time (SQLite runs in the process, so that is the
  whole cost on SQLite; on PostgreSQL the server's share is not in it): on a shared, busy
  machine facts per CPU second says what an idle one would do.
* **One event**: ``--events`` single-fact writes (what one task change costs after commit),
  p50/p95 ms. Informational.

The rollups are checked equal to a recompute at the end. Exit code 0 when the target is met,
1 when not. Results go to bench/results/metrics.json.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "src"))

from bench.generate import configure, fresh_database  # noqa: E402

RESULTS = ROOT / "bench" / "results"
DATA_DIR = ROOT / "var" / "bench-metrics"
TARGET_FACTS_PER_S = 20_000
START = date(2025, 12, 1)


def _fact(workspace_id: int, n: int, rng: random.Random, members: int):
    from meridian.metrics.models import MetricFact

    day = START + timedelta(days=rng.randrange(365))
    return MetricFact(
        workspace_id=workspace_id,
        metric=rng.choice(("tasks_completed", "cycle_time", "open_tasks")),
        fact_key=f"bench:{n}",
        source_kind="task",
        source_id=n,
        member_id=rng.randrange(1, members + 1),
        project_id=rng.randrange(1, 51),
        team_id=rng.randrange(1, 21) if rng.random() < 0.1 else None,
        occurred_at=datetime.combine(day, datetime.min.time(), UTC) + timedelta(hours=12),
        day=day,
        value=round(rng.uniform(0, 40), 2),
    )


def _write(workspace_id: int, wanted: list, *, delete: bool = False) -> None:
    """One batch through facts_write, metric by metric (as an area's refresh does)."""
    from meridian.metrics.models import MetricFact
    from meridian.metrics.services import facts_write

    by_metric: dict[str, list] = {}
    for fact in wanted:
        by_metric.setdefault(fact.metric, []).append(fact)
    for metric, facts in by_metric.items():
        existing = MetricFact.objects.filter(
            workspace_id=workspace_id, metric=metric, fact_key__in=[f.fact_key for f in facts]
        )
        facts_write(
            workspace_id=workspace_id,
            metric=metric,
            existing=existing,
            wanted=[] if delete else facts,
        )


def _pass(name: str, batches: list[list], workspace_id: int, **kwargs) -> dict:
    count = sum(len(b) for b in batches)
    started, cpu = time.perf_counter(), time.process_time()
    for batch in batches:
        _write(workspace_id, batch, **kwargs)
    seconds = time.perf_counter() - started
    cpu_seconds = time.process_time() - cpu
    rate = count / seconds
    print(
        f"{name}: {count:,} facts in {seconds:.2f} s = {rate:,.0f} facts/s "
        f"(CPU {cpu_seconds:.2f} s = {count / cpu_seconds:,.0f} facts per CPU second)",
        flush=True,
    )
    return {
        "facts": count,
        "seconds": round(seconds, 3),
        "facts_per_s": round(rate),
        "cpu_seconds": round(cpu_seconds, 3),
        "facts_per_cpu_s": round(count / cpu_seconds),
    }


def run(args: argparse.Namespace) -> dict:
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    from meridian.metrics.models import MetricFact, MetricRollup
    from meridian.metrics.rollup import FactRow, recompute
    from meridian.metrics.services import rollups_recompute
    from meridian.workspaces.services import workspace_create

    call_command("migrate", interactive=False, verbosity=0)
    owner = get_user_model().objects.create_user(email="owner@bench.test", password="x-bench-1")
    ws = workspace_create(user=owner, name="Bench")
    rng = random.Random(12)
    facts = [_fact(ws.pk, n, rng, args.members) for n in range(args.facts)]
    batches = [facts[i : i + args.batch] for i in range(0, len(facts), args.batch)]
    result: dict = {"insert": _pass("insert", batches, ws.pk)}
    for fact in facts:
        fact.value = round(rng.uniform(0, 40), 2)
        fact.day = START + timedelta(days=rng.randrange(365))
    result["rewrite"] = _pass("rewrite", batches, ws.pk)
    doomed = [batch[: len(batch) // 10] for batch in batches]
    result["delete"] = _pass("delete", doomed, ws.pk, delete=True)

    total = MetricFact.objects.filter(workspace=ws).count()
    started = time.perf_counter()
    rows = rollups_recompute(ws.pk)
    seconds = time.perf_counter() - started
    result["rebuild"] = {
        "facts": total,
        "rollup_rows": rows,
        "seconds": round(seconds, 3),
        "facts_per_s": round(total / seconds),
    }
    print(f"rebuild: {total:,} facts → {rows:,} rows in {seconds:.2f} s", flush=True)

    kept = {
        (r.metric, r.subject, r.subject_id, r.day): (r.count, r.total)
        for r in MetricRollup.objects.filter(workspace=ws)
    }
    expected = recompute(
        FactRow(*row)
        for row in MetricFact.objects.filter(workspace=ws).values_list(
            "metric", "day", "value", "member_id", "project_id", "team_id"
        )
    )
    result["rollups_equal_recompute"] = kept.keys() == expected.keys() and all(
        kept[k][0] == expected[k][0] and abs(kept[k][1] - expected[k][1]) < 1e-6 for k in kept
    )

    times = []
    for n in range(args.events):
        one = _fact(ws.pk, args.facts + n, rng, args.members)
        started = time.perf_counter()
        _write(ws.pk, [one])
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    result["one_event_ms"] = {
        "p50": round(statistics.median(times), 2),
        "p95": round(times[int(len(times) * 0.95) - 1], 2),
    }
    print(
        f"one event: p50 {result['one_event_ms']['p50']} ms, p95 {result['one_event_ms']['p95']} ms"
    )
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default="")
    parser.add_argument("--facts", type=int, default=200_000)
    parser.add_argument("--batch", type=int, default=5_000)
    parser.add_argument("--members", type=int, default=1_000)
    parser.add_argument("--events", type=int, default=200)
    args = parser.parse_args()
    where = fresh_database(data_dir=DATA_DIR, database_url=args.database_url)
    configure(data_dir=DATA_DIR, database_url=args.database_url)
    result = {"database": where.split(" ")[0], **run(args)}
    result["target_facts_per_s"] = TARGET_FACTS_PER_S
    ok = result["insert"]["facts_per_s"] >= TARGET_FACTS_PER_S and result["rollups_equal_recompute"]
    result["pass"] = ok
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "metrics.json").write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
