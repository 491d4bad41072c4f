"""Dashboards: a team's dashboard page and the same dashboard through the API, in-process, warm.

    .venv/bin/python bench/dashboards.py
    .venv/bin/python bench/dashboards.py --database-url postgres://postgres@127.0.0.1:5432/meridian_bench
    .venv/bin/python bench/dashboards.py --teams 50 --requests 200
    .venv/bin/python bench/dashboards.py --profile team_api   # where the time goes (cProfile)

It makes a fresh database (SQLite in ``var/bench-dashboards/`` or the PostgreSQL database
given, whose name must contain "bench") with one workspace and a small, self-contained data
set written straight into the rollups (the dashboard reads nothing else for summed metrics):
``--teams`` teams, a year of daily rows of the built-in work metrics and a custom metric for
the workspace and every team, the cycle-time facts a percentile needs (one per completed task,
``--tasks-per-day``, written by ``facts_write``, so their histogram rows are the maintenance's
own), and a team goal with three key results (one on cycle time, a mean). Then :func:`dashboard` measures:

* ``GET /w/<ws>/dashboards/team/<id>/`` signed in (the whole page: selectors, template),
  target p95 ≤ 30 ms;
* ``GET /api/v1/dashboards/team/<id>`` with a bearer token, target p95 ≤ 15 ms;
* the workspace's dashboard (every team side by side), figures only;

each with its query count (constant: the same with 10 or 1,000 teams' worth of rows), and the
cost of a miss: the first request after a write that changes the dashboard (a custom metric's
value pushed for the team), when the answer cache (meridian.dashboards.answers) makes it
again. It prints PASS or FAIL with the database measured (SQLite, or PostgreSQL with
``--database-url``). Other
benchmarks with their own data (bench/metrics.py's millions of facts) call :func:`dashboard`
with their workspace, so the figures compare at 1 M and 10 M facts. Exit code 0 when the
targets are met, 1 when not. Results go to bench/results/dashboards.json.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import random
import sys
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "src"))

from bench.generate import configure, fresh_database  # noqa: E402
from bench.timing import summary, timings  # noqa: E402

RESULTS = ROOT / "bench" / "results"
DATA_DIR = ROOT / "var" / "bench-dashboards"
TARGET_PAGE_P95_MS = 30.0
TARGET_API_P95_MS = 15.0
SUMMED = {"tasks_completed": "sum", "open_tasks": "level", "overdue_tasks": "level"}


def _queries(get: Any, path: str) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    connection.queries_log.clear()
    with CaptureQueriesContext(connection) as captured:
        response = get(path)
    if response.status_code != 200:
        raise RuntimeError(f"GET {path} answered {response.status_code}")
    return len(captured.captured_queries)


def _write(viewer: Any, team_id: int) -> Callable[[], object]:
    """A write that changes the team's dashboard: a value of the workspace's first custom
    metric pushed for the team (none: the dashboards' version bumped, as any write does)."""
    from django.utils import timezone

    from meridian.dashboards.freshness import bump
    from meridian.metrics.models import CustomMetric
    from meridian.metrics.services import value_push

    metric = CustomMetric.objects.filter(workspace_id=viewer.workspace_id).order_by("pk").first()
    if metric is None:
        return lambda: bump(viewer.workspace_id)
    return lambda: value_push(
        acting=viewer,
        metric=metric,
        at=timezone.now(),
        value=1,
        subject="team",
        subject_id=team_id,
    )


def dashboard(*, viewer: Any, team_id: int, requests: int = 100) -> dict[str, Any]:
    """Time a team's dashboard page, its API and the workspace's dashboard for ``viewer`` (a
    membership), in-process and warm: p50/p95 wall and CPU ms and the query count of each; then
    each one's miss, the first request after a write (``miss_*``: a fifth as many runs)."""
    from django.test import Client

    from meridian.accounts.services import token_create

    slug = viewer.workspace.slug
    _, raw = token_create(acting=viewer, name="bench dashboards")
    page = Client()
    page.force_login(viewer.user)
    api = Client(headers={"Authorization": f"Bearer {raw}"})
    runs = {
        "team_page": (page.get, f"/w/{slug}/dashboards/team/{team_id}/"),
        "team_api": (api.get, f"/api/v1/dashboards/team/{team_id}"),
        "workspace_page": (page.get, f"/w/{slug}/dashboards/"),
    }
    out: dict[str, Any] = {}
    for name, (get, path) in runs.items():
        queries = _queries(get, path)  # the first: made afresh
        warm = _queries(get, path)
        gc.collect()
        figures = timings(lambda get=get, path=path: get(path), requests, warmup=5)
        out[name] = {"path": path, "queries": queries, "warm_queries": warm, **figures}
        print(
            f"{name}: p50 {figures['p50_ms']} ms, p95 {figures['p95_ms']} ms "
            f"(CPU p95 {figures['cpu_p95_ms']} ms), {queries} queries afresh, {warm} warm",
            flush=True,
        )
    write = _write(viewer, team_id)
    for name, (get, path) in runs.items():
        misses = _misses(get, path, write, max(5, requests // 5))
        out[name].update({f"miss_{k}": v for k, v in misses.items()})
        print(
            f"{name} after a write (miss): p50 {misses['p50_ms']} ms, p95 {misses['p95_ms']} ms "
            f"(CPU p95 {misses['cpu_p95_ms']} ms), {misses['queries']} queries",
            flush=True,
        )
    return out


def _misses(get: Any, path: str, write: Callable[[], object], repeats: int) -> dict[str, float]:
    """The first request after each of ``repeats`` writes: wall and CPU ms (the write not
    timed) and the queries of the last."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    wall, cpu = [], []
    for _ in range(repeats):
        write()
        started, started_cpu = time.perf_counter(), time.thread_time()
        get(path)
        cpu.append((time.thread_time() - started_cpu) * 1000)
        wall.append((time.perf_counter() - started) * 1000)
    write()
    with CaptureQueriesContext(connection) as captured:
        get(path)
    figures: dict[str, float] = summary(wall)
    figures.update({f"cpu_{k}": v for k, v in summary(cpu).items()})
    figures["queries"] = len(captured.captured_queries)
    return figures


def profile(*, viewer: Any, team_id: int, which: str, requests: int) -> None:
    """cProfile ``requests`` warm runs of one of :func:`dashboard`'s requests; prints the
    functions with the most time of their own, then by cumulative time."""
    import cProfile
    import pstats

    from django.test import Client

    from meridian.accounts.services import token_create

    slug = viewer.workspace.slug
    _, raw = token_create(acting=viewer, name="bench dashboards")
    page = Client()
    page.force_login(viewer.user)
    api = Client(headers={"Authorization": f"Bearer {raw}"})
    get, path = {
        "team_page": (page.get, f"/w/{slug}/dashboards/team/{team_id}/"),
        "team_api": (api.get, f"/api/v1/dashboards/team/{team_id}"),
        "workspace_page": (page.get, f"/w/{slug}/dashboards/"),
    }[which]
    for _ in range(5):
        get(path)
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(requests):
        get(path)
    profiler.disable()
    stats = pstats.Stats(profiler).strip_dirs()
    stats.sort_stats("tottime").print_stats(25)
    stats.sort_stats("cumulative").print_stats(40)


def build(args: argparse.Namespace) -> tuple[Any, int]:
    """The workspace, its admin (who leads the first team) and the first team's id."""
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    from meridian.goals.services import GoalFields, KeyResultFields, goal_create, key_result_add
    from meridian.metrics.models import MetricFact, MetricRollup
    from meridian.metrics.services import custom_metric_create, facts_write, zone_fixed
    from meridian.workspaces.models import Membership, Team
    from meridian.workspaces.services import team_create, workspace_create

    call_command("migrate", interactive=False, verbosity=0)
    owner = get_user_model().objects.create_user(email="owner@bench.test", password="x-bench-1")
    ws = workspace_create(user=owner, name="Bench")
    admin = Membership.objects.select_related("workspace", "user").get(workspace=ws, user=owner)
    for n in range(args.teams):
        team_create(acting=admin, name=f"Team {n:03d}")
    teams = list(Team.objects.filter(workspace=ws).order_by("pk").values_list("pk", flat=True))
    custom_metric_create(acting=admin, key="signups", label="Sign-ups", definition="Accounts")
    # The first fact a workspace writes fixes its metric zone (the rows below skip that path).
    zone_fixed(ws.pk)
    rng = random.Random(12)
    today = date.today()
    days = [today - timedelta(days=n) for n in range(args.days)]
    rows = []
    for subject, ids in (("workspace", [0]), ("team", teams)):
        for sid in ids:
            for day in days:
                for metric in (*SUMMED, "signups"):
                    count = rng.randrange(1, 6)
                    rows.append(
                        MetricRollup(
                            workspace=ws,
                            metric=metric,
                            subject=subject,
                            subject_id=sid,
                            day=day,
                            count=count,
                            total=float(
                                count if SUMMED.get(metric) != "level" else rng.choice((-1, 1))
                            ),
                        )
                    )
    MetricRollup.objects.bulk_create(rows, batch_size=5000)
    # Cycle time's facts through the metrics' own writes, so its histogram rows (all its
    # percentile charts and a key result on it read) are what the maintenance keeps.
    facts = [
        MetricFact(
            workspace=ws,
            metric="cycle_time",
            fact_key=f"bench:{day}:{n}",
            source_kind="task",
            source_id=n,
            team_id=rng.choice(teams),
            occurred_at=datetime.combine(day, datetime.min.time(), UTC) + timedelta(hours=12),
            day=day,
            value=round(rng.uniform(1, 80), 1),
        )
        for day in days
        for n in range(args.tasks_per_day)
    ]
    facts_write(workspace_id=ws.pk, metric="cycle_time", existing=[], wanted=facts)
    goal = goal_create(
        acting=admin,
        fields=GoalFields(title="Grow", due=today + timedelta(days=60), team_id=teams[0]),
    )
    for metric, target in (("tasks_completed", 500.0), ("signups", 900.0), ("cycle_time", 20.0)):
        key_result_add(
            acting=admin,
            goal=goal,
            fields=KeyResultFields(
                title=metric,
                metric=metric,
                baseline=0,
                target=target,
                start=today - timedelta(days=90),
                due=today + timedelta(days=60),
                subject="team",
                subject_id=teams[0],
            ),
        )
    print(f"{len(rows):,} rollup rows, {len(facts):,} cycle-time facts, {len(teams)} teams")
    return admin, teams[0]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default="")
    parser.add_argument("--teams", type=int, default=20)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--tasks-per-day", type=int, default=20)
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument(
        "--profile",
        choices=("team_page", "team_api", "workspace_page"),
        help="instead of timing: profile that request (cProfile, top functions by own time)",
    )
    args = parser.parse_args()
    where = fresh_database(data_dir=DATA_DIR, database_url=args.database_url)
    os.environ["MERIDIAN_STATIC_MANIFEST"] = "false"  # pages without collectstatic
    configure(data_dir=DATA_DIR, database_url=args.database_url)
    from django.conf import settings

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    viewer, team_id = build(args)
    if args.profile:
        profile(viewer=viewer, team_id=team_id, which=args.profile, requests=args.requests)
        return 0
    result: dict[str, Any] = {
        "database": where.split(" ")[0],
        **dashboard(viewer=viewer, team_id=team_id, requests=args.requests),
    }
    result["targets"] = {
        "team_page_p95_ms": TARGET_PAGE_P95_MS,
        "team_api_p95_ms": TARGET_API_P95_MS,
    }
    ok = (
        result["team_page"]["p95_ms"] <= TARGET_PAGE_P95_MS
        and result["team_api"]["p95_ms"] <= TARGET_API_P95_MS
    )
    result["pass"] = ok
    RESULTS.mkdir(parents=True, exist_ok=True)
    print(json.dumps(result, indent=2))
    (RESULTS / "dashboards.json").write_text(json.dumps(result, indent=2))
    database = "PostgreSQL" if args.database_url else "SQLite"
    print(
        f"{'PASS' if ok else 'FAIL'} {database}: team page p95 {result['team_page']['p95_ms']} ms"
        f" (target {TARGET_PAGE_P95_MS}), team API p95 {result['team_api']['p95_ms']} ms"
        f" (target {TARGET_API_P95_MS})",
        flush=True,
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
