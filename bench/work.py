"""Work and handover: the board, "my work", a task's packet and a bulk handover of tasks.

    .venv/bin/python bench/work.py
    .venv/bin/python bench/work.py --database-url postgres://postgres@127.0.0.1:5432/meridian_bench_work
    .venv/bin/python bench/work.py --profile board     # cProfile and SQL of one row, no table

The database is made fresh (a SQLite file in ``var/bench-work/``, or the PostgreSQL database
named by ``--database-url``, whose name must contain "bench") with a workspace of 20 people
(bench/generate.py). Then:

- a project of ``--board-tasks`` (2,000) tasks spread over its workflow's statuses, 200 of
  them blocked by another;
- ``--open-tasks`` (10,000) open tasks in the workspace in all (those below included), a
  fifth of the rest the viewer's, half of them with a deadline, plus 2,000 done ones;
- one task with 500 history entries and 100 comments (half of them questions);
- a member who owns 1,000 open tasks.

Rows are requested through Django's whole stack with the test client in this process (as
bench/pages.py does), signed in as the workspace's admin: the board, "my work", the task list
page and ``GET /api/v1/tasks``; each with its SQL query count. The task's packet is assembled
through the ``task`` handover kind (median and p95), and the 1,000 tasks are handed over to
four people through the handovers service (``handover_bulk_start`` and the background run,
timed together, with their queries).

With ``--rate R`` (requests per second), the board and "my work" are then also loaded at a
fixed offered rate against a real server process (``meridian serve`` on the same database, one
web process per core, as bench/serve_workers.py does it: open loop, each latency counted from
when its request was due, ``--rate-seconds`` of it after 3 s of warm-up), signed in by a session
cookie; p50, p90, p99 and the worst are printed (no target of their own: a figure to compare).

Targets (issue 10): board p95 ≤ 30 ms; "my work" p95 ≤ 15 ms; packet p95 ≤ 30 ms; bulk
handover of 1,000 tasks ≤ 5 s. Exit code 0 when met, 1 when not. Results go to
bench/results/work-<engine>.json.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import platform
import pstats
import shlex
import sys
import time
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "src"))

from bench.generate import configure, fresh_database, generate  # noqa: E402
from bench.pages import Row, measure_row  # noqa: E402
from bench.timing import timings  # noqa: E402

DEFAULT_DATA_DIR = ROOT / "var" / "bench-work"
RESULTS = ROOT / "bench" / "results"
TARGETS_MS = {"board": 30.0, "my work": 15.0}
PACKET_TARGET_MS = 30.0
BULK_TARGET_S = 5.0


def _tasks(ws: Any, project: Any, owners: list[Any], n: int, *, first: int, **kw: Any) -> list[Any]:
    """``n`` task rows (not saved) in ``project``: statuses in turn, owners in turn, every
    other one due within the next weeks (as the owner's deadline, ``due_by``)."""
    from django.utils import timezone

    from meridian.work.models import DueKind, Task

    now = timezone.now()
    statuses = [s for s in project.statuses() if s.get("category") != "done"]
    done = kw.pop("done", False)
    done_key = next(s["key"] for s in project.statuses() if s.get("category") == "done")
    rows = []
    for i in range(n):
        due = now + timedelta(hours=(i % 500) - 50) if i % 2 else None
        rows.append(
            Task(
                workspace_id=ws.pk,
                project=project,
                title=f"Task {first + i}: ship part {i % 97} of the release",
                description="What to do, and why.",
                description_html="<p>What to do, and why.</p>",
                criteria=[{"text": "Reviewed", "done": i % 3 == 0}],
                owner=owners[i % len(owners)],
                status=done_key if done else statuses[i % len(statuses)]["key"],
                is_done=done,
                completed_at=now - timedelta(hours=i) if done else None,
                position=float(i),
                due_kind=DueKind.INSTANT if due else DueKind.NONE,
                due_at=due,
                due_by=due,
                **kw,
            )
        )
    return rows


def build(*, board_tasks: int, open_tasks: int, bulk_items: int) -> dict[str, Any]:
    """Projects and tasks in the generated workspace; returns what to request and time."""
    from django.core.management import call_command

    call_command("collectstatic", interactive=False, verbosity=0)
    from meridian.accounts.services import token_create
    from meridian.work.models import Dependency, Task, TaskComment, TaskEvent
    from meridian.work.services import project_create, task_create
    from meridian.workspaces.models import Membership, Role

    people = list(
        Membership.objects.select_related("workspace", "user", "profile")
        .filter(workspace__slug="bench-1", is_active=True)
        .exclude(role=Role.GUEST)
        .order_by("pk")
    )
    viewer, ws = people[0], people[0].workspace
    others = people[1:]
    ids = [m.pk for m in people]
    board = project_create(actor=viewer, name="Release train", member_ids=ids)
    pool = project_create(actor=viewer, name="Everything else", member_ids=ids)

    made = Task.objects.bulk_create(
        _tasks(ws, board, people, board_tasks, first=0, created_by=viewer), batch_size=1000
    )
    Dependency.objects.bulk_create(
        [
            Dependency(workspace_id=ws.pk, blocker=made[i], blocked=made[i + 1])
            for i in range(0, min(400, len(made) - 1), 2)
        ]
    )
    # The rest of the open tasks: one in five the viewer's (owners in turn), and done ones.
    rest = max(0, open_tasks - board_tasks - bulk_items - 1)  # the long task and the leaver's
    owners = [viewer, *others[:4]]
    Task.objects.bulk_create(
        _tasks(ws, pool, owners, rest, first=board_tasks, created_by=viewer), batch_size=1000
    )
    Task.objects.bulk_create(
        _tasks(ws, pool, people, 2000, first=open_tasks, created_by=viewer, done=True),
        batch_size=1000,
    )

    # One task with a long history and a long thread.
    long = task_create(
        actor=viewer,
        project=board,
        title="Migrate billing to the new vendor",
        description="Move billing to the **new** vendor.\n\n- contract\n- export",
        criteria=["Contract signed", "Export verified", "Invoices reconciled"],
        owner=viewer,
    )
    TaskEvent.objects.bulk_create(
        [
            TaskEvent(
                workspace_id=ws.pk,
                task=long,
                actor=people[i % len(people)],
                field=("status", "title", "owner", "due")[i % 4],
                old=f"value {i}",
                new=f"value {i + 1}",
                version=i + 2,
            )
            for i in range(500)
        ],
        batch_size=500,
    )
    TaskComment.objects.bulk_create(
        [
            TaskComment(
                workspace_id=ws.pk,
                task=long,
                author=people[i % len(people)],
                body=f"Comment {i} with *some* Markdown.",
                body_html=f"<p>Comment {i} with <em>some</em> Markdown.</p>",
                is_question=i % 2 == 0,
            )
            for i in range(100)
        ],
        batch_size=500,
    )

    # A member about to leave, who owns ``bulk_items`` open tasks.
    leaver = others[-1]
    leaving = Task.objects.bulk_create(
        _tasks(ws, pool, [leaver], bulk_items, first=open_tasks + 2000, created_by=viewer),
        batch_size=1000,
    )
    _, token = token_create(acting=viewer, name="bench work")
    from django.db import connection

    if connection.vendor == "postgresql":
        # Fresh bulk-loaded tables have no statistics until autovacuum comes by; without them
        # the planner guesses 20 rows and sorts every task instead of walking an index.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    return {
        "viewer": viewer,
        "token": token,
        "slug": ws.slug,
        "board": board.pk,
        "long_task": long.pk,
        "leaver": leaver,
        "leaving": [t.pk for t in leaving],
        "receivers": others[:4],
        "open_tasks": Task.objects.filter(workspace=ws, is_done=False).count(),
        "viewer_open": Task.objects.filter(owner=viewer, is_done=False).count(),
    }


def page_rows(built: dict[str, Any]) -> list[tuple[str, str, str]]:
    w = f"/w/{built['slug']}/work"
    return [
        ("bare view /ping (reference)", "reference", "/ping"),
        ("board", "page", f"{w}/projects/{built['board']}/board/"),
        ("my work", "page", f"{w}/"),
        ("task list", "page", f"{w}/tasks/"),
        ("task list, blocked", "page", f"{w}/tasks/?blocked=yes"),
        ("task page (500 events, 100 comments)", "page", f"{w}/tasks/{built['long_task']}/"),
        ("GET /api/v1/tasks", "api", "/api/v1/tasks"),
        ("GET /api/v1/tasks?owner=me", "api", "/api/v1/tasks?owner=me"),
    ]


def packet(built: dict[str, Any], repeats: int) -> dict[str, float]:
    from meridian.handovers.kinds import handover_kinds

    kind = handover_kinds()["task"]
    viewer, pk = built["viewer"], built["long_task"]
    return timings(lambda: kind.packet(viewer, pk), repeats, warmup=3)


def bulk(built: dict[str, Any]) -> dict[str, Any]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from meridian.core.muting import muted
    from meridian.handovers.models import Handover
    from meridian.handovers.services import bulk_assign, handover_batch_run, handover_bulk_start

    leaver, receivers = built["leaver"], built["receivers"]
    plan = bulk_assign([("task", pk) for pk in built["leaving"]], [m.pk for m in receivers], {})
    with muted(), CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        batch = handover_bulk_start(actor=leaver, member=leaver, assignments=plan, note="Leave.")
        handover_batch_run(batch_id=batch.pk)
        seconds = time.perf_counter() - started
    return {
        "items": len(plan),
        "receivers": len(receivers),
        "seconds": round(seconds, 3),
        "queries": len(queries.captured_queries),
        "handed_over": Handover.objects.filter(batch=batch).count(),
    }


OFFERED_ROWS = ("board", "my work")


def offered_rows(
    spec: list[tuple[str, str, str]],
    built: dict[str, Any],
    data_dir: Path,
    database_url: str,
    rate: float,
    seconds: float,
) -> list[dict[str, Any]]:
    """The board and "my work" at ``rate`` requests a second against a real server process
    on the bench database, signed in as the viewer (a session made here, sent as a cookie)."""
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    from bench.run import free_port, server_env, start_server, stop_server, wait_until_up
    from bench.serve_workers import offered_load, percentile

    user = built["viewer"].user
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    headers = {"Cookie": f"{settings.SESSION_COOKIE_NAME}={session.session_key}"}
    port = free_port()
    log = data_dir / "serve.log"
    server = start_server(port, server_env(data_dir, database_url), log, None, None)
    results = []
    try:
        wait_until_up(f"http://127.0.0.1:{port}", server, log, timeout=300)
        for name, _, path in spec:
            if name not in OFFERED_ROWS:
                continue
            offered_load(port, rate, 3, path, headers)  # warm-up
            started = time.monotonic()
            latencies, failed = offered_load(port, rate, seconds, path, headers)
            wall = time.monotonic() - started
            ms = [v * 1000 for v in latencies]
            results.append(
                {
                    "request": name,
                    "offered_per_s": rate,
                    "answered_per_s": round(len(ms) / wall, 1),
                    "p50_ms": round(percentile(ms, 0.5), 1),
                    "p90_ms": round(percentile(ms, 0.9), 1),
                    "p99_ms": round(percentile(ms, 0.99), 1),
                    "max_ms": round(max(ms, default=0), 1),
                    "failed": failed,
                }
            )
    finally:
        stop_server(server)
    return results


def offered_table(results: list[dict[str, Any]]) -> str:
    lines = [
        "| request | offered req/s | answered req/s | p50 ms | p90 ms | p99 ms | max ms | failed |",
        "|---|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for r in results:
        lines.append(
            f"| {r['request']} | {r['offered_per_s']:g} | {r['answered_per_s']} | {r['p50_ms']} "
            f"| {r['p90_ms']} | {r['p99_ms']} | {r['max_ms']} | {r['failed']} |"
        )
    return "\n".join(lines)


def table(rows: list[Row]) -> str:
    lines = [
        "| request | queries | kB | median ms | p95 ms | CPU median / p95 ms | target | |",
        "|---|--:|--:|--:|--:|--:|--:|---|",
    ]
    for r in rows:
        target = TARGETS_MS.get(r.name)
        verdict = "" if target is None else "PASS" if r.p95_ms <= target else "**FAIL**"
        lines.append(
            f"| {r.name} | {r.queries} | {r.bytes / 1000:.1f} | {r.median_ms:.2f} "
            f"| {r.p95_ms:.2f} | {r.cpu_median_ms:.2f} / {r.cpu_p95_ms:.2f} "
            f"| {f'≤ {target:.0f}' if target else ''} | {verdict} |"
        )
    return "\n".join(lines)


def profile(spec: list[tuple[str, str, str]], gets: dict[str, Any], name: str) -> None:
    """cProfile 50 requests of one row (or of the packet), after its SQL with times."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    matching = [r for r in spec if r[0] == name]
    if not matching:
        raise SystemExit(f"No row named {name!r}; rows: {', '.join(r[0] for r in spec)}")
    _, kind, path = matching[0]
    call = gets[kind] if path.startswith("/") else gets[path]
    arg = path if path.startswith("/") else None
    for _ in range(5):
        call(arg)
    connection.queries_log.clear()
    with CaptureQueriesContext(connection) as captured:
        call(arg)
    for q in captured.captured_queries:
        print(f"{float(q['time']) * 1000:7.2f} ms  {q['sql'][:400]}")
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(50):
        call(arg)
    profiler.disable()
    stats = pstats.Stats(profiler).sort_stats("cumulative")
    stats.print_stats(40)
    stats.sort_stats("tottime").print_stats(20)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default="", help="postgres://…/<name with 'bench'>")
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    parser.add_argument("--board-tasks", type=int, default=2000)
    parser.add_argument("--open-tasks", type=int, default=10000)
    parser.add_argument("--bulk-items", type=int, default=1000)
    parser.add_argument("--requests", type=int, default=100, help="measured requests per URL")
    parser.add_argument("--warmup", type=int, default=10, help="uncounted requests per URL first")
    parser.add_argument("--profile", metavar="ROW", help="cProfile one row ('packet' too)")
    parser.add_argument("--rate", type=float, default=0, help="offered req/s against a server")
    parser.add_argument("--rate-seconds", type=float, default=15, help="seconds of that load")
    args = parser.parse_args(argv)
    if args.requests < 20 or args.warmup < 1:
        parser.error("--requests must be at least 20 (for a p95) and --warmup at least 1")
    load_start = os.getloadavg()
    data_dir = args.data_dir.resolve()
    database = fresh_database(data_dir=data_dir, database_url=args.database_url)
    os.environ["MERIDIAN_ALLOWED_HOSTS"] = "testserver"
    configure(data_dir=data_dir, database_url=args.database_url)
    started = time.monotonic()
    generate(members=20, workspaces=1, database=database)
    built = build(
        board_tasks=args.board_tasks, open_tasks=args.open_tasks, bulk_items=args.bulk_items
    )
    print(
        f"==> {built['open_tasks']:,} open tasks ({built['viewer_open']:,} the viewer's), a board "
        f"of {args.board_tasks:,}, in {database} ({time.monotonic() - started:.1f} s)",
        flush=True,
    )

    from django.test import Client

    page = Client()
    page.force_login(built["viewer"].user)
    api = Client(headers={"Authorization": f"Bearer {built['token']}"})
    gets: dict[str, Any] = {"page": page.get, "api": api.get, "reference": Client().get}
    spec = page_rows(built)
    if args.profile:
        from meridian.handovers.kinds import handover_kinds

        kind = handover_kinds()["task"]
        gets["packet"] = lambda _: kind.packet(built["viewer"], built["long_task"])
        profile([*spec, ("packet", "packet", "packet")], gets, args.profile)
        return 0
    rows = [
        measure_row(name, kind, path, gets[kind], warmup=args.warmup, requests=args.requests)
        for name, kind, path in spec
    ]
    packet_times = packet(built, args.requests)
    bulk_result = bulk(built)
    offered = (
        offered_rows(spec, built, data_dir, args.database_url, args.rate, args.rate_seconds)
        if args.rate
        else []
    )
    load_end = os.getloadavg()

    print()
    print(table(rows))
    print(
        f"\nload average {load_start[0]:.2f} at start, {load_end[0]:.2f} at end "
        f"({os.cpu_count()} CPUs); {args.requests} requests per row after {args.warmup}"
    )
    verdicts = []
    for r in rows:
        if r.name in TARGETS_MS:
            verdicts.append(
                (
                    f"{r.name} p95 ≤ {TARGETS_MS[r.name]:.0f} ms",
                    r.p95_ms,
                    "ms",
                    r.p95_ms <= TARGETS_MS[r.name],
                )
            )
    verdicts.append(
        (
            f"task packet (500 events, 100 comments) p95 ≤ {PACKET_TARGET_MS:.0f} ms "
            f"(median {packet_times['p50_ms']:.2f}; CPU median / p95 "
            f"{packet_times['cpu_p50_ms']:.2f} / {packet_times['cpu_p95_ms']:.2f})",
            packet_times["p95_ms"],
            "ms",
            packet_times["p95_ms"] <= PACKET_TARGET_MS,
        )
    )
    verdicts.append(
        (
            f"bulk handover of {bulk_result['items']:,} tasks ≤ {BULK_TARGET_S:.0f} s "
            f"({bulk_result['queries']} queries, {bulk_result['handed_over']} handed over)",
            bulk_result["seconds"],
            "s",
            bulk_result["seconds"] <= BULK_TARGET_S
            and bulk_result["handed_over"] == bulk_result["items"],
        )
    )
    for label, figure, unit, ok in verdicts:
        print(f"{'PASS' if ok else 'FAIL'}  {label}: {figure:.2f} {unit}")
    if offered:
        print(f"\nAt a fixed offered rate against `meridian serve` ({args.rate_seconds:g} s):\n")
        print(offered_table(offered))

    from django.db import connection

    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"work-{connection.vendor}.json"
    out.write_text(
        json.dumps(
            {
                "command": "bench/work.py " + shlex.join(sys.argv[1:] if argv is None else argv),
                "when": datetime.now(UTC).isoformat(timespec="seconds"),
                "machine": {
                    "cpus": os.cpu_count(),
                    "python": platform.python_version(),
                    "load_average_at_start": load_start,
                    "load_average_at_end": load_end,
                },
                "database": database,
                "open_tasks": built["open_tasks"],
                "viewer_open_tasks": built["viewer_open"],
                "board_tasks": args.board_tasks,
                "rows": [asdict(r) for r in rows],
                "packet": packet_times,
                "bulk": bulk_result,
                "offered": offered,
            },
            indent=2,
        )
        + "\n"
    )
    print(f"\nWrote {out.relative_to(ROOT)}")
    return 0 if all(v[3] for v in verdicts) else 1


if __name__ == "__main__":
    sys.exit(main())
