"""Tracking on the server: sync ingest (slots/s) and a team's weekly report over a year.

    .venv/bin/python bench/tracking.py
    .venv/bin/python bench/tracking.py --database-url postgres://postgres@127.0.0.1:5432/meridian_bench
    .venv/bin/python bench/tracking.py --members 200 --days 90     # a quicker look

It makes a fresh database (SQLite in ``var/bench-tracking/`` or the PostgreSQL database given,
whose name must contain "bench"), one workspace with ``--members`` members in one team, then:

* **Ingest**: one member's agent sends ``--requests`` syncs of 5,000 slots each (a week of
  15-minute slots over five categories), through the real API (Django's test client in this
  process: authentication by bearer token, JSON parsing, validation of every slot, the bulk
  upsert and the rollup update; no network; the process set up as ``meridian.wsgi`` sets up a
  served one), then the same slots again (every one a replace,
  with the same figures: an agent re-sending after a lost answer), then once more with every
  figure changed ("update": a quarter hour that grew since it was sent).
  Figure: slots per second over all requests (wall clock, and per second of this process's
  CPU time; on PostgreSQL also the database server's CPU per sync, read from ``/proc`` for
  its backend process when the bench may read it). Target ≥ 50,000 slots/s (wall clock).
* **Team report**: the daily rollups of ``--members`` × ``--days`` × 4 categories are written
  straight into the rollup table (what ingest leaves there, without sending 35 million slots),
  plus one project-linked time entry per member and weekday, then the planner's statistics
  (``VACUUM ANALYZE`` / ``ANALYZE``, what autovacuum does to a table in use); then
  ``--reports`` team reports
  of a random week (``tracking.selectors.team_report``: the k rule, categories from the
  rollups, projects from time entries). Figure: p50/p95/max ms. Target p95 ≤ 50 ms.

Exit code 0 when both targets are met, 1 when not. Results go to bench/results/tracking.json.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "src"))

from bench.generate import configure, fresh_database  # noqa: E402

RESULTS = ROOT / "bench" / "results"
DATA_DIR = ROOT / "var" / "bench-tracking"
TARGET_SLOTS_PER_S = 50_000
TARGET_P95_MS = 50.0
CATEGORIES = ("Coding", "Writing", "Communication", "Meetings", "Design")


def _setup(members: int):
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    from meridian.workspaces.models import Membership, Profile, Role, Team, TeamMembership
    from meridian.workspaces.services import workspace_create

    call_command("migrate", interactive=False, verbosity=0)
    user_model = get_user_model()
    owner = user_model.objects.create_user(email="owner@bench.test", password="x-bench-pass-1")
    ws = workspace_create(user=owner, name="Bench")
    users = user_model.objects.bulk_create(
        [user_model(email=f"m{i}@bench.test", name=f"Member {i}") for i in range(members)]
    )
    ms = Membership.objects.bulk_create(
        [Membership(workspace=ws, user=u, role=Role.MEMBER) for u in users]
    )
    Profile.objects.bulk_create(
        [
            Profile(
                workspace=ws, membership=m, display_name=f"Member {i}", time_zone="Europe/Berlin"
            )
            for i, m in enumerate(ms)
        ]
    )
    team = Team.objects.create(workspace=ws, name="Everyone working", slug="all")
    everyone = Membership.objects.filter(workspace=ws)
    TeamMembership.objects.bulk_create(
        [TeamMembership(workspace=ws, team=team, membership=m) for m in everyone]
    )
    return ws, ms, team


def bench_ingest(member, requests: int) -> dict[str, float]:
    from django.test import Client

    from meridian.accounts.services import token_create

    _, raw = token_create(acting=member, name="bench")
    client = Client(HTTP_HOST="127.0.0.1")
    headers = {"Authorization": f"Bearer {raw}"}
    agent = str(uuid.uuid4())
    start = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=8)
    bodies = []
    changed = []  # the same slots with other figures: a re-sent quarter hour that grew
    for r in range(requests):
        slots = []
        for i in range(1000):
            at = start + timedelta(minutes=15 * (i + 1000 * r))
            for c in CATEGORIES:
                slots.append(
                    {
                        "start": at.isoformat().replace("+00:00", "Z"),
                        "category": c,
                        "active_seconds": random.randint(0, 150),
                        "afk_seconds": random.randint(0, 30),
                    }
                )
        bodies.append(json.dumps({"agent_id": agent, "slots": slots}))
        for slot in slots:
            slot["active_seconds"] += 1
        changed.append(json.dumps({"agent_id": agent, "slots": slots}))
    # This process as the server's: the URLconf loaded, then everything so far frozen out of
    # the garbage collector's full collections (meridian.wsgi does both before serving).
    import meridian.wsgi  # noqa: F401

    # One small sync first, not counted: the first request of a process pays for imports,
    # URL resolution and the API's schemas (about a second of CPU), not for ingest.
    warm = start - timedelta(days=1)
    warm_slot = {"start": warm.isoformat(), "category": "Coding", "active_seconds": 60}
    warm_body = json.dumps({"agent_id": agent, "slots": [{**warm_slot, "afk_seconds": 0}]})
    response = client.post(
        "/api/v1/activity/sync", warm_body, content_type="application/json", headers=headers
    )
    assert response.status_code == 200, response.content[:500]
    figures: dict[str, float] = {}
    server_cpu = _server_cpu()
    for label, sent in (("new", bodies), ("replace", bodies), ("update", changed)):
        began = time.perf_counter()
        cpu = time.process_time()
        server = server_cpu()
        for body in sent:
            response = client.post(
                "/api/v1/activity/sync", body, content_type="application/json", headers=headers
            )
            assert response.status_code == 200, response.content[:500]
        elapsed = time.perf_counter() - began
        figures[f"{label}_slots_per_s"] = round(requests * 5000 / elapsed)
        # This process's CPU time (on SQLite the database's work too; not PostgreSQL's): what
        # a sync costs, whatever else the machine is doing.
        figures[f"{label}_slots_per_cpu_s"] = round(requests * 5000 / (time.process_time() - cpu))
        if server is not None:
            used = server_cpu() - server
            figures[f"{label}_server_cpu_ms_per_sync"] = round(used * 1000 / requests, 1)
    return figures


def _server_cpu():
    """A function giving the CPU seconds the PostgreSQL backend serving this process has used
    (from ``/proc``; the server on this machine and readable), else one that gives None."""
    import os

    from django.db import connection

    if connection.vendor != "postgresql":
        return lambda: None
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    tick = os.sysconf("SC_CLK_TCK")

    def used() -> float | None:
        try:
            with open(f"/proc/{pid}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            return None
        return (int(fields[11]) + int(fields[12])) / tick

    return used


def bench_report(ws, ms, team, days: int, reports: int, fill: bool = True) -> dict[str, float]:
    from meridian.tracking.models import ActivityDaily, ActivityWeekly, TimeEntry

    first = date.today() - timedelta(days=days)
    began = time.perf_counter()
    if fill:
        _fill(ws, ms, first, days)
    filled = time.perf_counter() - began
    _analyze()
    return {
        "rollup_rows": ActivityDaily.objects.count(),
        "weekly_rollup_rows": ActivityWeekly.objects.count(),
        "time_entries": TimeEntry.objects.count(),
        "fill_s": round(filled, 1),
        **_time_reports(ws, ms, team, first, days, reports),
    }


def _fill(ws, ms, first: date, days: int) -> None:
    from meridian.tracking.models import ActivityDaily, ActivityWeekly, TimeEntry

    rows = []
    weeks: list[ActivityWeekly] = []
    entries = []
    rng = random.Random(11)
    for m in ms:
        # The member's weekly rollup, summed from their daily rows as each sync moves it.
        week_sums: dict[tuple[date, str], list[int]] = {}
        for d in range(days):
            day = first + timedelta(days=d)
            if day.weekday() >= 5:
                continue
            for c in CATEGORIES[:4]:
                rows.append(
                    ActivityDaily(
                        workspace=ws,
                        member=m,
                        day=day,
                        category=c,
                        active_seconds=rng.randint(600, 7200),
                        afk_seconds=rng.randint(0, 900),
                    )
                )
                figures = week_sums.setdefault((day - timedelta(days=day.weekday()), c), [0, 0])
                figures[0] += rows[-1].active_seconds
                figures[1] += rows[-1].afk_seconds
            s = datetime(day.year, day.month, day.day, 8, tzinfo=UTC)
            entries.append(
                TimeEntry(
                    workspace=ws,
                    member=m,
                    started_at=s,
                    ended_at=s + timedelta(hours=3),
                    link_kind="project",
                    link_id=1 + rng.randrange(8),
                )
            )
        weeks.extend(
            ActivityWeekly(
                workspace=ws, member=m, week=w, category=c, active_seconds=a, afk_seconds=f
            )
            for (w, c), (a, f) in week_sums.items()
        )
        if len(rows) > 50_000:
            ActivityDaily.objects.bulk_create(rows, batch_size=5000, ignore_conflicts=True)
            ActivityWeekly.objects.bulk_create(weeks, batch_size=5000, ignore_conflicts=True)
            rows, weeks = [], []
    ActivityDaily.objects.bulk_create(rows, batch_size=5000, ignore_conflicts=True)
    ActivityWeekly.objects.bulk_create(weeks, batch_size=5000, ignore_conflicts=True)
    TimeEntry.objects.bulk_create(entries, batch_size=5000)


def _analyze() -> None:
    """What autovacuum (PostgreSQL) or ``PRAGMA optimize`` (SQLite) does to a database in
    use: statistics for the planner and, on PostgreSQL, the visibility map that lets the
    covering indexes answer without reading the table. Without it a freshly bulk-loaded
    table is planned as if it were empty (nested loops over a million rows)."""
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("VACUUM ANALYZE tracking_activitydaily")
            cursor.execute("VACUUM ANALYZE tracking_timeentry")
            cursor.execute("VACUUM ANALYZE tracking_activityweekly")
        else:
            cursor.execute("ANALYZE")


def _time_reports(ws, ms, team, first: date, days: int, reports: int) -> dict[str, float]:
    from meridian.tracking.selectors import team_report

    rng = random.Random(12)
    viewer = ms[0]
    viewer.workspace = ws
    timings = []
    for _ in range(reports):
        monday = first + timedelta(days=rng.randrange(days - 7))
        monday -= timedelta(days=monday.weekday())
        t = time.perf_counter()
        out = team_report(
            viewer=viewer, team=team.slug, first=monday, last=monday + timedelta(days=6)
        )
        timings.append((time.perf_counter() - t) * 1000)
        assert out.size == len(ms) + 1  # and the owner
    timings.sort()
    return {
        "p50_ms": round(statistics.median(timings), 2),
        "p95_ms": round(timings[int(len(timings) * 0.95) - 1], 2),
        "max_ms": round(timings[-1], 2),
    }


def _quiet() -> None:
    import os

    os.environ.setdefault("MERIDIAN_ALLOWED_HOSTS", "127.0.0.1")
    (DATA_DIR / "static").mkdir(parents=True, exist_ok=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default="")
    parser.add_argument("--members", type=int, default=1000)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--requests", type=int, default=10)
    parser.add_argument("--reports", type=int, default=200)
    parser.add_argument(
        "--reuse", action="store_true", help="Time the reports again on the last run's data."
    )
    args = parser.parse_args()
    _quiet()
    if args.reuse:
        configure(data_dir=DATA_DIR, database_url=args.database_url)
        from django.core.management import call_command

        call_command("migrate", interactive=False, verbosity=0)
        from meridian.workspaces.models import Membership, Team

        team = Team.objects.get(slug="all")
        ms = list(
            Membership.objects.select_related("profile", "workspace")
            .filter(workspace=team.workspace, role="member")
            .order_by("pk")
        )
        report = bench_report(team.workspace, ms, team, args.days, args.reports, fill=False)
        print(json.dumps(report, indent=2))
        return 0 if report["p95_ms"] <= TARGET_P95_MS else 1
    where = fresh_database(data_dir=DATA_DIR, database_url=args.database_url)
    configure(data_dir=DATA_DIR, database_url=args.database_url)
    ws, ms, team = _setup(args.members)
    ingest = bench_ingest(ms[0], args.requests)
    report = bench_report(ws, ms, team, args.days, args.reports)
    result = {
        "database": where,
        "members": args.members,
        "days": args.days,
        "ingest": ingest,
        "team_report": report,
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "tracking.json").write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))
    walls = [v for k, v in ingest.items() if k.endswith("_slots_per_s")]
    ok = min(walls) >= TARGET_SLOTS_PER_S and report["p95_ms"] <= TARGET_P95_MS
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
