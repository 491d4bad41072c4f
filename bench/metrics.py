"""Metrics: rollup maintenance throughput (facts/s), the full rebuild, and one event's write.

    .venv/bin/python bench/metrics.py
    .venv/bin/python bench/metrics.py --database-url postgres://postgres@127.0.0.1:5432/meridian_bench
    .venv/bin/python bench/metrics.py --facts 50000     # a quicker look

It makes a fresh database (SQLite in ``var/bench-metrics/`` or the PostgreSQL database given,
whose name must contain "bench") with one workspace, then through ``metrics.services``:

* **Maintenance**: ``--facts`` new facts (a year of days, ``--members`` members, 50 projects,
  one in ten with a team) written in batches of ``--batch`` with ``facts_write_many`` (one
  call per batch, its three metrics together: the stored facts of the batch's keys read in
  one statement, then each metric's facts inserted and added to their rollup rows —
  workspace, member, project, team — by the upsert; on PostgreSQL in pipeline mode, so the
  server works on one metric while this process builds the next); then every fact rewritten
  with a new value and day (rollups moved), then a tenth deleted. Figure: facts per second of
  each pass, the facts' own writes included. Target ≥ 20,000 facts/s for the insert pass.
* **Rebuild**: ``rollups_recompute`` of the workspace from its facts. Figure: facts/s.
  Each pass also reports the process's CPU time (SQLite runs in the process, so that is the
  whole cost on SQLite; on PostgreSQL the server's share is not in it, and is reported apart
  when the server runs on this machine): on a shared, busy machine facts per CPU second says
  what an idle one would do.
* **One event**: ``--events`` single-fact writes (what one task change costs after commit),
  p50/p95 ms. Informational.

The rollups and cycle time's histogram rows are checked equal to a recompute at the end (cycle
time keeps no rollup rows: its daily counts and totals, summed from its day histogram rows, are
checked with the others').

* **Scale** (``--scale 1000000,10000000``; ``--scale 0`` skips it): in a second workspace,
  raw facts of every built-in metric for ``--members`` members in 20 teams over a year, loaded
  straight into the table (``executemany`` on SQLite, ``COPY`` on PostgreSQL, not the ORM),
  up to each count in turn in the same workspace (1 M, then 9 M more). At each count: the full
  rollup rebuild from the facts (``rollups_recompute``, with a progress line; target ≤ 10 min
  at 10 M on SQLite); then the series query dashboards use, ``metrics.selectors.values_for``
  for one team over the year, every built-in metric, p50/p95 in-process (warm), also split
  into the rollup-read metrics and the percentile metrics (which read the histogram rows); and
  the same numbers by a direct ``GROUP BY`` over the raw facts, as a reference. Figures: the
  ratio of the last count's p95 to the first's (target ≤ 1.3×) and GROUP BY ÷ values_for.

Exit code 0 when the targets are met, 1 when not. Results go to bench/results/metrics.json.
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
REBUILD_TARGET_S = 600  # a full rebuild of 10 M facts on SQLite
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
    """One batch through facts_write, metric by metric, in one transaction (as an area's
    refresh does: ``facts_stale`` runs ``facts_refresh`` of every metric in one)."""
    from django.db import transaction

    by_metric: dict[str, list] = {}
    for fact in wanted:
        by_metric.setdefault(fact.metric, []).append(fact)
    with transaction.atomic():
        _write_metrics(workspace_id, by_metric, delete=delete)


def _write_metrics(workspace_id: int, by_metric: dict, *, delete: bool) -> None:
    """Each metric's facts through ``facts_write_many``: the facts the batch owns are those of
    its keys (read by the service in one statement), on PostgreSQL written in pipeline mode."""
    from meridian.metrics.services import FactsWrite, facts_write_many

    facts_write_many(
        workspace_id=workspace_id,
        writes=[
            FactsWrite(metric, [f.fact_key for f in facts], [] if delete else facts)
            for metric, facts in by_metric.items()
        ],
    )


def _backend_cpu() -> float | None:
    """PostgreSQL on this machine: the CPU seconds the connection's server process has used so
    far (``/proc/<pid>/stat``), the server's share of a pass; None elsewhere."""
    import os

    from django.db import connection

    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    # utime and stime, the 14th and 15th fields (counted from the pid, the first).
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _pass(name: str, batches: list[list], workspace_id: int, **kwargs) -> dict:
    count = sum(len(b) for b in batches)
    backend = _backend_cpu()
    started, cpu = time.perf_counter(), time.process_time()
    for batch in batches:
        _write(workspace_id, batch, **kwargs)
    seconds = time.perf_counter() - started
    cpu_seconds = time.process_time() - cpu
    rate = count / seconds
    out = {
        "facts": count,
        "seconds": round(seconds, 3),
        "facts_per_s": round(rate),
        "cpu_seconds": round(cpu_seconds, 3),
        "facts_per_cpu_s": round(count / cpu_seconds),
    }
    server = ""
    if backend is not None and (after := _backend_cpu()) is not None:
        out["backend_cpu_seconds"] = round(after - backend, 2)
        server = f", server process CPU {after - backend:.2f} s"
    print(
        f"{name}: {count:,} facts in {seconds:.2f} s = {rate:,.0f} facts/s "
        f"(CPU {cpu_seconds:.2f} s = {count / cpu_seconds:,.0f} facts per CPU second{server})",
        flush=True,
    )
    return out


def run(args: argparse.Namespace) -> dict:
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    from meridian.core import registry
    from meridian.metrics.models import MetricFact, MetricHistogram, MetricRollup
    from meridian.metrics.rollup import (
        FactRow,
        histogram_recompute,
        recompute,
        rollups_of_histograms,
    )
    from meridian.metrics.services import rollups_recompute
    from meridian.workspaces.services import workspace_create

    call_command("migrate", interactive=False, verbosity=0)
    owner = get_user_model().objects.create_user(email="owner@bench.test", password="x-bench-1")
    ws = workspace_create(user=owner, name="Bench")
    # The registry's areas are discovered (imported) on first use: a running server has done
    # that long before, so it is not part of the first pass's time.
    registry.metrics()
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
    spread = {
        (r.metric, r.subject, r.subject_id, r.span, r.day, r.bucket): (r.count, r.total)
        for r in MetricHistogram.objects.filter(workspace=ws)
    }
    # Cycle time (percentiles) keeps no rollup rows: readers sum its day histogram rows.
    derived = rollups_of_histograms(spread)
    overlap = bool(kept.keys() & derived.keys())
    kept |= derived
    expected = recompute(
        FactRow(*row)
        for row in MetricFact.objects.filter(workspace=ws).values_list(
            "metric", "day", "value", "member_id", "project_id", "team_id"
        )
    )
    result["rollups_equal_recompute"] = (
        not overlap
        and kept.keys() == expected.keys()
        and all(
            kept[k][0] == expected[k][0] and abs(kept[k][1] - expected[k][1]) < 1e-6 for k in kept
        )
    )
    # The histogram rows of cycle time (percentiles) after the same recompute, against the pure
    # recompute of its facts.
    spread_expected = histogram_recompute(
        FactRow(*row)
        for row in MetricFact.objects.filter(workspace=ws, metric="cycle_time").values_list(
            "metric", "day", "value", "member_id", "project_id", "team_id"
        )
    )
    result["histograms_equal_recompute"] = spread.keys() == spread_expected.keys() and all(
        spread[k][0] == spread_expected[k][0] and abs(spread[k][1] - spread_expected[k][1]) < 1e-6
        for k in spread
    )
    result["histogram_rows"] = len(spread)

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


SCALE_TEAMS = 20
_COLUMNS = (
    "workspace_id, metric, fact_key, source_kind, source_id, member_id, project_id, team_id, "
    "occurred_at, day, value, bucket, note, updated_at"
)


def _scale_rows(workspace_id: int, first: int, last: int, members: int, metrics: list, adapt=None):
    """Facts ``first``..``last - 1``: spread over the metrics, members (each in one of 20 teams),
    50 projects and the 365 days, cheaply (arithmetic, not a random generator per value).
    ``adapt(moment, day)`` turns the 365 days' values into what the driver takes, once each."""
    from meridian.metrics.rollup import bucket_of

    stamp = datetime(2026, 12, 1, tzinfo=UTC)
    days: list = [START + timedelta(days=d) for d in range(365)]
    moments: list = [
        datetime.combine(day, datetime.min.time(), UTC) + timedelta(hours=12) for day in days
    ]
    if adapt is not None:
        pairs = [adapt(m, d) for m, d in zip(moments, days, strict=True)]
        moments, days = [p[0] for p in pairs], [p[1] for p in pairs]
        stamp = adapt(stamp, START)[0]
    keys = [(m.key, m.source_kind, m.aggregation) for m in metrics]
    # The bucket the services would write (the values below take 99 distinct values).
    buckets = {v: bucket_of(v) for v in (1.0, -1.0, *(float(i) / 4 for i in range(97)))}
    for n in range(first, last):
        key, kind, aggregation = keys[n % len(keys)]
        member = (n * 7919) % members + 1
        d = (n * 104729) % 365
        value = (1.0 if n % 3 else -1.0) if aggregation == "level" else float(n % 97) / 4
        yield (
            workspace_id,
            key,
            f"scale:{n:010d}",  # in key order: the unique index grows at its end
            kind,
            n,
            member,
            n % 50 + 1,
            member % SCALE_TEAMS + 1,
            moments[d],
            days[d],
            value,
            buckets[value],
            "",
            stamp,
        )


def _load(workspace_id: int, first: int, last: int, members: int, metrics: list) -> float:
    """Load raw facts without the ORM; the seconds it took."""
    from django.db import connection

    started = time.perf_counter()
    connection.ensure_connection()
    raw = connection.connection
    if connection.vendor == "sqlite":
        marks = ", ".join(["?"] * 14)
        sql = f"INSERT INTO metrics_metricfact ({_COLUMNS}) VALUES ({marks})"
        moment = connection.ops.adapt_datetimefield_value
        rows = _scale_rows(
            workspace_id,
            first,
            last,
            members,
            metrics,
            adapt=lambda m, d: (moment(m), d.isoformat()),
        )
        cursor = raw.cursor()
        # Setup only (the measured queries run with the settings' cache): a bigger page cache
        # while the indexes take millions of rows.
        usual = cursor.execute("PRAGMA cache_size").fetchone()[0]
        cursor.execute("PRAGMA cache_size = -1000000")
        cursor.execute("BEGIN")  # Django's SQLite connection autocommits: one per row else
        batch: list = []
        for row in rows:
            batch.append(row)
            if len(batch) == 200_000:
                batch.sort(key=lambda r: (r[1], r[9]))  # (metric, day): the day index's order
                cursor.executemany(sql, batch)
                cursor.execute("COMMIT")
                cursor.execute("BEGIN")
                batch.clear()
                print(f"  loaded {row[4] + 1:,}", end="\r", flush=True)
        cursor.executemany(sql, batch)
        cursor.execute("COMMIT")
        cursor.execute(f"PRAGMA cache_size = {int(usual)}")
    else:
        rows = _scale_rows(workspace_id, first, last, members, metrics)
        with (
            raw.cursor() as cursor,
            cursor.copy(f"COPY metrics_metricfact ({_COLUMNS}) FROM STDIN") as copy,
        ):
            for row in rows:
                copy.write_row(row)
        raw.commit()
        with raw.cursor() as cursor:
            cursor.execute("ANALYZE metrics_metricfact")
        raw.commit()
    return time.perf_counter() - started


def _load_sql(workspace_id: int, first: int, last: int, members: int, metrics: list) -> float:
    """The facts of :func:`_scale_rows`, made by the database itself: one ``INSERT … SELECT``
    over a row counter (a recursive CTE on SQLite, ``generate_series`` on PostgreSQL), the
    table's two secondary indexes dropped for the load and built again after it (one sort
    each instead of millions of scattered inserts). The seconds it took (setup, not measured)."""
    from django.db import connection

    from meridian.metrics.models import MetricFact
    from meridian.metrics.rollup import bucket_of

    started = time.perf_counter()
    sqlite = connection.vendor == "sqlite"
    # (index, key, kind, is a level metric) and (value, bucket): small tables joined by number.
    kinds = ", ".join(
        f"({i}, '{m.key}', '{m.source_kind}', {1 if m.aggregation == 'level' else 0})"
        for i, m in enumerate(metrics)
    )
    values = {1.0, -1.0, *(float(i) / 4 for i in range(97))}
    buckets = ", ".join(f"({v!r}, {bucket_of(v)})" for v in sorted(values))
    if sqlite:
        counter = (
            "WITH RECURSIVE seq(n) AS (SELECT %s UNION ALL SELECT n + 1 FROM seq WHERE n < %s) "
        )
        source = "seq"
        day = "date('2025-12-01', '+' || ((n * 104729) %% 365) || ' days')"
        moment = f"{day} || ' 12:00:00'"
        key = "'scale:' || substr('0000000000' || n, -10, 10)"
        stamp = "'2026-12-01 00:00:00'"
        double = "REAL"
    else:
        counter = ""
        source = "generate_series(%s::bigint, %s::bigint) AS seq(n)"
        day = "(DATE '2025-12-01' + ((n * 104729) %% 365)::int)"
        moment = f"(({day} + TIME '12:00') AT TIME ZONE 'UTC')"
        key = "'scale:' || lpad(n::text, 10, '0')"
        stamp = "TIMESTAMPTZ '2026-12-01 00:00:00+00'"
        double = "double precision"
    value = (
        f"CASE WHEN m.column4 = 1 THEN (CASE WHEN n %% 3 = 0 THEN -1.0 ELSE 1.0 END) "
        f"ELSE CAST(n %% 97 AS {double}) / 4 END"
    )
    sql = (
        f"{counter}INSERT INTO metrics_metricfact ({_COLUMNS}) "
        f"SELECT {workspace_id}, m.column2, {key}, m.column3, n, (n * 7919) %% {members} + 1, "
        f"n %% 50 + 1, ((n * 7919) %% {members} + 1) %% {SCALE_TEAMS} + 1, {moment}, {day}, "
        f"b.column1, b.column2, '', {stamp} "
        f"FROM {source} JOIN (VALUES {kinds}) AS m ON m.column1 = n %% {len(metrics)} "
        f"JOIN (VALUES {buckets}) AS b ON b.column1 = {value}"
    )
    # ``%%``: the modulo operator through Django's cursor, on either database.
    indexes = list(MetricFact._meta.indexes)
    with connection.schema_editor() as editor:
        for index in indexes:
            editor.remove_index(MetricFact, index)
    step = 1_000_000
    for low in range(first, last, step):
        high = min(last, low + step) - 1
        with connection.cursor() as cursor:
            cursor.execute(sql, [low, high])
        print(f"  loaded {high + 1:,}", flush=True)
    with connection.schema_editor() as editor:
        for index in indexes:
            editor.add_index(MetricFact, index)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE metrics_metricfact")
    return time.perf_counter() - started


def rebuild_only(args: argparse.Namespace) -> dict:
    """``--rebuild-only N``: N raw facts loaded by :func:`_load_sql`, then only the full
    rollup and histogram rebuild timed (wall and process CPU), with the progress bar of
    ``meridian metrics rebuild``; one team's cycle-time histogram checked against a pure
    recompute of its facts."""
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    from meridian.core import registry
    from meridian.metrics.management.commands.metrics import rebuild_bar
    from meridian.metrics.models import MetricFact, MetricHistogram, MetricRollup
    from meridian.metrics.rollup import FactRow, histogram_recompute
    from meridian.metrics.services import rollups_recompute
    from meridian.workspaces.services import workspace_create

    call_command("migrate", interactive=False, verbosity=0)
    owner = get_user_model().objects.create_user(email="owner@bench.test", password="x-bench-1")
    ws = workspace_create(user=owner, name="Rebuild")
    builtin = list(registry.metrics().values())
    print(f"rebuild-only: loading {args.rebuild_only:,} facts", flush=True)
    load = _load_sql(ws.pk, 0, args.rebuild_only, args.members, builtin)
    print(f"  loaded in {load:.1f} s", flush=True)
    started, cpu = time.perf_counter(), time.process_time()
    with rebuild_bar() as step:
        rows = rollups_recompute(ws.pk, lambda done, total: step(ws.slug, done, total))
    seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu
    team = 7
    stored = {
        (r.metric, r.subject, r.subject_id, r.span, r.day, r.bucket): (r.count, r.total)
        for r in MetricHistogram.objects.filter(
            workspace=ws, metric="cycle_time", subject="team", subject_id=team
        )
    }
    expected = {
        key: row
        for key, row in histogram_recompute(
            FactRow(*row)
            for row in MetricFact.objects.filter(
                workspace=ws, metric="cycle_time", team_id=team
            ).values_list("metric", "day", "value", "member_id", "project_id", "team_id")
        ).items()
        if key[1] == "team"
    }
    equal = stored.keys() == expected.keys() and all(
        stored[k][0] == expected[k][0] and abs(stored[k][1] - expected[k][1]) < 1e-6 for k in stored
    )
    out = {
        "facts": args.rebuild_only,
        "load_s": round(load, 1),
        "rebuild_s": round(seconds, 1),
        "rebuild_cpu_s": round(cpu_seconds, 1),
        "facts_per_s": round(args.rebuild_only / seconds),
        "rollup_rows": rows,
        "histogram_rows": MetricHistogram.objects.filter(workspace=ws).count(),
        "rollup_rows_checked": MetricRollup.objects.filter(workspace=ws).count() == rows,
        "team_histogram_equals_recompute": equal and bool(stored),
        "target_s": REBUILD_TARGET_S,
    }
    print(
        f"rebuild: {args.rebuild_only:,} facts → {rows:,} rollup rows, "
        f"{out['histogram_rows']:,} histogram rows in {seconds:.1f} s (CPU {cpu_seconds:.1f} s)",
        flush=True,
    )
    return out


def _timed(call, runs: int) -> dict:
    for _ in range(3):
        call()
    times, cpus = [], []
    for _ in range(runs):
        started, cpu = time.perf_counter(), time.thread_time()
        call()
        times.append((time.perf_counter() - started) * 1000)
        cpus.append((time.thread_time() - cpu) * 1000)
    times.sort()
    cpus.sort()
    p95 = max(0, int(len(times) * 0.95) - 1)
    return {
        "p50_ms": round(statistics.median(times), 2),
        "p95_ms": round(times[p95], 2),
        "cpu_p50_ms": round(statistics.median(cpus), 2),
        "cpu_p95_ms": round(cpus[p95], 2),
    }


def scale(args: argparse.Namespace, owner) -> dict:
    from django.db import connection

    from meridian.core import registry
    from meridian.metrics import selectors
    from meridian.metrics.models import MetricHistogram
    from meridian.metrics.services import rollups_recompute
    from meridian.workspaces.models import Membership
    from meridian.workspaces.services import workspace_create

    ws = workspace_create(user=owner, name="Scale")
    viewer = Membership.objects.get(workspace=ws, user=owner)
    builtin = list(registry.metrics().values())
    infos = [selectors.metric_get_for(viewer, d.key) for d in builtin]
    rolled = [m for m in infos if m.aggregation != "percentiles"]
    spread = [m for m in infos if m.aggregation == "percentiles"]
    period = selectors.Period(START, START + timedelta(days=364), 365)
    now = datetime.combine(START + timedelta(days=400), datetime.min.time(), UTC)
    team = 7
    mark = "%s"  # Django's cursor, on either database
    group_by = (
        "SELECT metric, COUNT(*), SUM(value) FROM metrics_metricfact "
        f"WHERE workspace_id = {mark} AND team_id = {mark} AND day BETWEEN {mark} AND {mark} "
        "GROUP BY metric"
    )

    def series(metrics):
        return lambda: selectors.values_for(
            viewer, metrics, period, subject="team", subject_id=team, now=now
        )

    def reference():
        with connection.cursor() as cursor:
            cursor.execute(group_by, [ws.pk, team, period.first, period.last])
            cursor.fetchall()

    out: dict = {"metrics": len(infos), "teams": SCALE_TEAMS, "steps": []}
    loaded = 0
    for count in args.scale:
        print(f"scale: loading facts {loaded:,} to {count:,}", flush=True)
        seconds = _load(ws.pk, loaded, count, args.members, builtin)
        loaded = count
        print(f"  loaded in {seconds:.1f} s", flush=True)
        started = time.perf_counter()

        def progress(done: int, total: int) -> None:
            print(f"  rebuild {done:,} / {total:,} facts", flush=True)

        rows = rollups_recompute(ws.pk, progress)
        rebuild = time.perf_counter() - started
        print(f"  rebuild: {count:,} facts → {rows:,} rows in {rebuild:.1f} s", flush=True)
        step = {
            "facts": count,
            "load_s": round(seconds, 1),
            "rebuild_s": round(rebuild, 1),
            "rollup_rows": rows,
            "histogram_rows": MetricHistogram.objects.filter(workspace=ws).count(),
            "values_for_all": _timed(series(infos), args.runs),
            "values_for_rollups": _timed(series(rolled), args.runs),
            "values_for_percentiles": _timed(series(spread), max(5, args.runs // 4)),
            "group_by_reference": _timed(reference, 5),
        }
        step["group_by_over_values_for"] = round(
            step["group_by_reference"]["p50_ms"] / step["values_for_all"]["p50_ms"], 2
        )
        print(json.dumps(step), flush=True)
        out["steps"].append(step)
    first, last = out["steps"][0], out["steps"][-1]
    for part in ("values_for_all", "values_for_rollups", "values_for_percentiles"):
        out[f"ratio_{part}"] = round(last[part]["p95_ms"] / first[part]["p95_ms"], 2)
        out[f"cpu_ratio_{part}"] = round(last[part]["cpu_p95_ms"] / first[part]["cpu_p95_ms"], 2)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default="")
    parser.add_argument("--facts", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=5_000)
    parser.add_argument("--members", type=int, default=1_000)
    parser.add_argument("--events", type=int, default=200)
    parser.add_argument(
        "--scale",
        default="1000000,10000000",
        help="raw fact counts for the dashboard query, comma-separated (0: skip)",
    )
    parser.add_argument("--runs", type=int, default=40, help="timed runs per query")
    parser.add_argument(
        "--rebuild-only",
        type=int,
        default=0,
        help="load this many raw facts by SQL and time only the full rebuild (nothing else)",
    )
    args = parser.parse_args()
    args.scale = [int(n) for n in args.scale.split(",") if int(n)]
    where = fresh_database(data_dir=DATA_DIR, database_url=args.database_url)
    configure(data_dir=DATA_DIR, database_url=args.database_url)
    if args.rebuild_only:
        result = {"database": where.split(" ")[0], "rebuild_only": rebuild_only(args)}
        step = result["rebuild_only"]
        result["pass"] = step["team_histogram_equals_recompute"] and (
            step["facts"] < 10_000_000 or step["rebuild_s"] <= REBUILD_TARGET_S
        )
        RESULTS.mkdir(parents=True, exist_ok=True)
        (RESULTS / "metrics-rebuild.json").write_text(json.dumps(result, indent=2))
        print(json.dumps(result, indent=2))
        return 0 if result["pass"] else 1
    result = {"database": where.split(" ")[0], **run(args)}
    result["target_facts_per_s"] = TARGET_FACTS_PER_S
    ok = (
        result["insert"]["facts_per_s"] >= TARGET_FACTS_PER_S
        and result["rollups_equal_recompute"]
        and result["histograms_equal_recompute"]
    )
    if args.scale:
        from django.contrib.auth import get_user_model

        owner = get_user_model().objects.get(email="owner@bench.test")
        result["scale"] = scale(args, owner)
        if len(args.scale) > 1:
            ok = ok and result["scale"]["ratio_values_for_all"] <= 1.3
    result["pass"] = ok
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "metrics.json").write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
