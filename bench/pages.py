"""Every page and API list of the demo workspace: in-process server time, p95 ≤ 10 ms / 3 ms.

    .venv/bin/python bench/pages.py
    .venv/bin/python bench/pages.py --database-url postgres://postgres@127.0.0.1:5432/meridian_bench_pages
    .venv/bin/python bench/pages.py --profile "brief page"      # cProfile of one row, no table

The database is made fresh (a SQLite file in ``var/bench-pages/``, or the PostgreSQL database
named by ``--database-url``, dropped and created again; its name must contain "bench"),
migrated and filled by ``meridian demo`` — the workspace ``make run`` shows: 25 members in
four teams, a dozen briefs with comments and a recording, proposals and decision records.

Each row is one URL requested through Django's whole stack (middleware, session,
authentication, view, template) with the test client in this process, so the figure is the
server's own time, with no network and no web server: signed in as the demo's admin (Ada)
for pages, with her API token for the API. Settings are production's (``MERIDIAN_DEBUG``
off: cached templates, hashed static files). Each URL is asked ``--warmup`` times first (not
counted), then ``--requests`` times; the median and p95 of those, and the SQL queries of one
more request, are reported, with the bare ``/ping`` view as the reference in the same run.

Targets (issue 8, at demo size): every page p95 ≤ 10 ms, every API list p95 ≤ 3 ms. Exit code
0 when all are met, 1 when one is not. Results go to bench/results/pages-<engine>.json.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import json
import os
import platform
import pstats
import shlex
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "src"))

from bench.generate import configure, fresh_database  # noqa: E402
from bench.timing import p95  # noqa: E402

DEFAULT_DATA_DIR = ROOT / "var" / "bench-pages"
RESULTS = ROOT / "bench" / "results"
TARGET_PAGE_P95_MS = 10.0
TARGET_API_P95_MS = 3.0


@dataclass
class Row:
    """One URL's figures."""

    name: str
    kind: str  # "reference", "page" or "api"
    path: str
    status: int
    bytes: int
    queries: int
    median_ms: float
    p95_ms: float
    max_ms: float
    cpu_median_ms: float  # this thread's CPU time: what the request costs, without waiting
    cpu_p95_ms: float

    @property
    def target_ms(self) -> float | None:
        return {"page": TARGET_PAGE_P95_MS, "api": TARGET_API_P95_MS}.get(self.kind)


def build() -> dict[str, Any]:
    """Migrate, build the demo, and pick the URLs of its objects; returns what to request."""
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    call_command("createcachetable", verbosity=0)
    # Hashed static files, as `meridian serve` collects them: production's templates need them.
    call_command("collectstatic", interactive=False, verbosity=0)
    from meridian.workspaces.demo import demo_build

    workspace, _ = demo_build()
    return {"workspace": workspace.slug}


def urls(slug: str) -> tuple[list[tuple[str, str, str]], Any, str]:
    """(name, kind, path) of every row, the signed-in admin's user, and an API token of hers."""
    from meridian.accounts.models import User
    from meridian.accounts.services import token_create
    from meridian.briefs.models import Brief
    from meridian.decisions.models import DecisionRecord, Proposal
    from meridian.recordings.models import Recording
    from meridian.workspaces.demo import DEMO_EMAIL
    from meridian.workspaces.models import Membership, Team

    user = User.objects.get(email=DEMO_EMAIL)
    admin = Membership.objects.select_related("workspace", "user").get(
        user=user, workspace__slug=slug
    )
    _, token = token_create(acting=admin, name="bench pages")
    ws = admin.workspace
    # The busiest object of each kind: the page a reader waits longest for.
    from django.db.models import Count

    brief = Brief.objects.filter(workspace=ws).annotate(n=Count("comments")).order_by("-n", "id")[0]
    proposal = (
        Proposal.objects.filter(workspace=ws).annotate(n=Count("stances")).order_by("-n", "id")[0]
    )
    record = DecisionRecord.objects.filter(workspace=ws).order_by("id")[0]
    team = (
        Team.objects.filter(workspace=ws)
        .annotate(n=Count("team_memberships"))
        .order_by("-n", "id")[0]
    )
    recording = Recording.objects.filter(workspace=ws).order_by("id").first()
    w = f"/w/{slug}"
    rows = [
        ("bare view /ping", "reference", "/ping"),
        ("members", "page", f"{w}/members/"),
        ("teams", "page", f"{w}/teams/"),
        (f"team ({team.name})", "page", f"{w}/teams/{team.slug}/"),
        ("profile", "page", f"{w}/profile/"),
        ("briefs list", "page", f"{w}/briefs/"),
        ("brief page", "page", f"{w}/briefs/{brief.pk}/"),
        ("proposals list", "page", f"{w}/decisions/"),
        ("proposal page", "page", f"{w}/decisions/proposals/{proposal.pk}/"),
        ("decision log", "page", f"{w}/decisions/log/"),
        ("decision record", "page", f"{w}/decisions/log/{record.pk}/"),
        ("start here (team)", "page", f"{w}/decisions/teams/{team.slug}/"),
        ("search", "page", f"{w}/search/?q=release"),
        ("audit log", "page", f"{w}/audit/"),
        ("API tokens", "page", f"{w}/tokens/"),
    ]
    if recording is not None:
        rows.append(("recording page", "page", f"{w}/recordings/{recording.pk}/"))
    rows += [
        ("GET /api/v1/me", "api", "/api/v1/me"),
        ("GET /api/v1/workspaces", "api", "/api/v1/workspaces"),
        ("GET /api/v1/members", "api", "/api/v1/members"),
        ("GET /api/v1/teams", "api", "/api/v1/teams"),
        ("GET /api/v1/invitations", "api", "/api/v1/invitations"),
        ("GET /api/v1/briefs", "api", "/api/v1/briefs"),
        ("GET /api/v1/proposals", "api", "/api/v1/proposals"),
        ("GET /api/v1/decisions", "api", "/api/v1/decisions"),
        ("GET /api/v1/recordings", "api", "/api/v1/recordings"),
        ("GET /api/v1/search", "api", "/api/v1/search?q=release"),
        ("GET /api/v1/audit", "api", "/api/v1/audit"),
        ("GET /api/v1/tokens", "api", "/api/v1/tokens"),
    ]
    return rows, user, token


def clients(user: Any, token: str) -> dict[str, Callable[[str], Any]]:
    """A request function per kind: the page client holds Ada's session cookie."""
    from django.test import Client

    browser = Client()
    browser.force_login(user)
    api = Client(headers={"Authorization": f"Bearer {token}"})
    anonymous = Client()
    return {"page": browser.get, "api": api.get, "reference": anonymous.get}


def measure_row(
    name: str, kind: str, path: str, get: Callable[[str], Any], *, warmup: int, requests: int
) -> Row:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _ in range(warmup):
        response = get(path)
    # As meridian/wsgi.py does once the application is loaded: what lives as long as the
    # process is out of the collector's sight, so a full collection walks only what requests made.
    gc.collect()
    gc.freeze()
    if response.status_code != 200:
        raise RuntimeError(f"{name}: GET {path} answered {response.status_code}")
    # Django empties the query log when a request starts, so the capture must start empty too.
    connection.queries_log.clear()
    with CaptureQueriesContext(connection) as captured:
        get(path)
    # Read now: captured_queries reads the log lazily, and the next request empties it.
    queries = len(captured.captured_queries)
    samples, cpu = [], []
    for _ in range(requests):
        started, started_cpu = time.perf_counter(), time.thread_time()
        response = get(path)
        cpu.append((time.thread_time() - started_cpu) * 1000)
        samples.append((time.perf_counter() - started) * 1000)
    return Row(
        name=name,
        kind=kind,
        path=path,
        status=response.status_code,
        bytes=len(response.content),
        queries=queries,
        median_ms=round(statistics.median(samples), 2),
        p95_ms=round(p95(samples), 2),
        max_ms=round(max(samples), 2),
        cpu_median_ms=round(statistics.median(cpu), 2),
        cpu_p95_ms=round(p95(cpu), 2),
    )


def table(rows: list[Row]) -> str:
    lines = [
        "| request | path | queries | kB | median ms | p95 ms | CPU median / p95 ms | target | |",
        "|---|---|--:|--:|--:|--:|--:|--:|---|",
    ]
    for r in rows:
        target = f"≤ {r.target_ms:.0f}" if r.target_ms else ""
        verdict = "" if r.target_ms is None else "PASS" if r.p95_ms <= r.target_ms else "**FAIL**"
        lines.append(
            f"| {r.name} | `{r.path}` | {r.queries} | {r.bytes / 1000:.1f} | {r.median_ms:.2f} "
            f"| {r.p95_ms:.2f} | {r.cpu_median_ms:.2f} / {r.cpu_p95_ms:.2f} | {target} | {verdict} |"
        )
    return "\n".join(lines)


def profile(rows: list[tuple[str, str, str]], gets: dict[str, Any], name: str, n: int) -> None:
    """cProfile ``n`` requests of one row, and each of its SQL statements with its time."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    matching = [r for r in rows if r[0] == name]
    if not matching:
        raise SystemExit(f"No row named {name!r}; rows: {', '.join(r[0] for r in rows)}")
    _, kind, path = matching[0]
    for _ in range(5):
        gets[kind](path)
    connection.queries_log.clear()
    with CaptureQueriesContext(connection) as captured:
        gets[kind](path)
    for q in captured.captured_queries:
        print(f"{float(q['time']) * 1000:7.2f} ms  {q['sql'][:300]}")
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(n):
        gets[kind](path)
    profiler.disable()
    stats = pstats.Stats(profiler).sort_stats("cumulative")
    stats.print_stats(45)
    stats.sort_stats("tottime").print_stats(25)


def measure(
    *,
    data_dir: Path = DEFAULT_DATA_DIR,
    database_url: str = "",
    requests: int = 60,
    warmup: int = 10,
    reuse: bool = False,
) -> tuple[list[Row], dict[str, Any], Any, list[tuple[str, str, str]]]:
    data_dir = data_dir.resolve()
    database = "reused" if reuse else fresh_database(data_dir=data_dir, database_url=database_url)
    os.environ["MERIDIAN_ALLOWED_HOSTS"] = "testserver"  # the test client's host name
    configure(data_dir=data_dir, database_url=database_url)
    started = time.monotonic()
    built = build()
    print(
        f"==> demo workspace {built['workspace']!r} in {database} "
        f"({time.monotonic() - started:.1f} s)",
        flush=True,
    )
    rows_spec, user, token = urls(built["workspace"])
    gets = clients(user, token)
    return (
        [
            measure_row(name, kind, path, gets[kind], warmup=warmup, requests=requests)
            for name, kind, path in rows_spec
        ],
        gets,
        database,
        rows_spec,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default="", help="postgres://…/<name with 'bench'>")
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    parser.add_argument("--requests", type=int, default=60, help="measured requests per URL")
    parser.add_argument("--warmup", type=int, default=10, help="uncounted requests per URL first")
    parser.add_argument("--reuse", action="store_true", help="keep the last run's database")
    parser.add_argument("--profile", metavar="ROW", help="cProfile one row instead of the table")
    args = parser.parse_args(argv)
    if args.requests < 20 or args.warmup < 1:
        parser.error("--requests must be at least 20 (for a p95) and --warmup at least 1")
    load_start = os.getloadavg()
    if args.profile:
        args.requests, args.warmup = 20, 1
    rows, gets, database, spec = measure(
        data_dir=args.data_dir,
        database_url=args.database_url,
        requests=args.requests,
        warmup=args.warmup,
        reuse=args.reuse,
    )
    if args.profile:
        profile(spec, gets, args.profile, 100)
        return 0
    load_end = os.getloadavg()
    print()
    print(table(rows))
    print(
        f"\nload average {load_start[0]:.2f} at start, {load_end[0]:.2f} at end "
        f"({os.cpu_count()} CPUs); {args.requests} requests per row after {args.warmup}"
    )
    failed = [r for r in rows if r.target_ms is not None and r.p95_ms > r.target_ms]
    pages = [r for r in rows if r.kind == "page"]
    apis = [r for r in rows if r.kind == "api"]
    for label, group, target in (
        ("every page", pages, TARGET_PAGE_P95_MS),
        ("every API list", apis, TARGET_API_P95_MS),
    ):
        worst = max(group, key=lambda r: r.p95_ms)
        ok = worst.p95_ms <= target
        print(
            f"{'PASS' if ok else 'FAIL'}  {label} p95 ≤ {target:.0f} ms: "
            f"worst {worst.name} {worst.p95_ms:.2f} ms"
        )
    from django.db import connection

    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"pages-{connection.vendor}.json"
    out.write_text(
        json.dumps(
            {
                "command": "bench/pages.py " + shlex.join(sys.argv[1:] if argv is None else argv),
                "when": datetime.now(UTC).isoformat(timespec="seconds"),
                "machine": {
                    "cpus": os.cpu_count(),
                    "python": platform.python_version(),
                    "load_average_at_start": load_start,
                    "load_average_at_end": load_end,
                },
                "database": database,
                "rows": [asdict(r) for r in rows],
            },
            indent=2,
        )
        + "\n"
    )
    print(f"\nWrote {out.relative_to(ROOT)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
