"""The inbox with 5,000 open items for one member: in-process server time, p95 ≤ 15 ms.

    .venv/bin/python bench/inbox.py
    .venv/bin/python bench/inbox.py --database-url postgres://postgres@127.0.0.1:5432/meridian_bench_inbox

The database is made fresh (a SQLite file in ``var/bench-inbox/``, or the PostgreSQL database
named by ``--database-url``, whose name must contain "bench") and migrated. One workspace gets
two members; ``--items`` (5,000) open inbox items are written for one of them, half with a
deadline, as briefs and proposals would leave them, plus as many done ones.

Rows are requested through Django's whole stack with the test client in this process (as
bench/pages.py does): the inbox page, its htmx list partial, the nav's count fragment, and the
API list and counts with a bearer token. Each is asked ``--warmup`` times first, then
``--requests`` times; median, p95 and the SQL queries of one request are reported, and the
queries are checked to be the same as with 50 items (constant whatever the inbox holds).

Target (issue 9): inbox page and API p95 ≤ 15 ms. Exit code 0 when met, 1 when not. Results go
to bench/results/inbox-<engine>.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
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

from bench.generate import configure, fresh_database  # noqa: E402
from bench.pages import Row, measure_row  # noqa: E402

DEFAULT_DATA_DIR = ROOT / "var" / "bench-inbox"
RESULTS = ROOT / "bench" / "results"
TARGET_P95_MS = 15.0


def table(rows: list[Row]) -> str:
    lines = [
        "| request | path | queries | kB | median ms | p95 ms | CPU median / p95 ms | target | |",
        "|---|---|--:|--:|--:|--:|--:|--:|---|",
    ]
    for r in rows:
        if r.kind == "reference":
            lines.append(
                f"| {r.name} | `{r.path}` | {r.queries} | {r.bytes / 1000:.1f} | {r.median_ms:.2f} "
                f"| {r.p95_ms:.2f} | {r.cpu_median_ms:.2f} / {r.cpu_p95_ms:.2f} | | |"
            )
            continue
        verdict = "PASS" if r.p95_ms <= TARGET_P95_MS else "**FAIL**"
        lines.append(
            f"| {r.name} | `{r.path}` | {r.queries} | {r.bytes / 1000:.1f} | {r.median_ms:.2f} "
            f"| {r.p95_ms:.2f} | {r.cpu_median_ms:.2f} / {r.cpu_p95_ms:.2f} "
            f"| ≤ {TARGET_P95_MS:.0f} | {verdict} |"
        )
    return "\n".join(lines)


def build(items: int) -> dict[str, Any]:
    """Migrate; one workspace, one member with ``items`` open items (and as many done)."""
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    call_command("createcachetable", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    from django.utils import timezone

    from meridian.accounts.models import User
    from meridian.accounts.services import token_create
    from meridian.notifications.models import InboxItem, InboxState
    from meridian.workspaces.models import Membership
    from meridian.workspaces.services import membership_add, profile_update, workspace_create

    ada = User.objects.create_user(email="ada@bench.example", password="bench-pass-1", name="Ada")
    ws = workspace_create(user=ada, name="Inbox Bench")
    bikash = User.objects.create_user(email="bikash@bench.example", password="x", name="Bikash")
    member = membership_add(workspace=ws, user=bikash, role="member", display_name="Bikash")
    profile_update(
        acting=member,
        member=member,
        time_zone="Asia/Kathmandu",
        working_hours={str(d): [[540, 1020]] for d in range(5)},
    )
    author = Membership.objects.get(workspace=ws, user=ada)
    now = timezone.now()

    def rows(state: str, first: int) -> list[InboxItem]:
        return [
            InboxItem(
                workspace_id=ws.pk,
                recipient=member,
                kind="brief.asked",
                cause=f"briefs.asked:{first + n}",
                title=f"Ada asks for your feedback: brief {first + n}",
                reason="Ada asked for your input",
                url=f"/w/{ws.slug}/briefs/{first + n}/",
                actor=author,
                due_at=now + timedelta(hours=1 + n) if n % 2 else None,
                created_at=now - timedelta(minutes=n),
                updated_at=now,
                state=state,
                done_at=now if state == InboxState.DONE else None,
            )
            for n in range(items)
        ]

    InboxItem.objects.bulk_create(rows(InboxState.OPEN, 0), batch_size=1000)
    InboxItem.objects.bulk_create(rows(InboxState.DONE, items), batch_size=1000)
    # What PostgreSQL's autovacuum does soon after a bulk load on a running server: the
    # planner's statistics, and a visibility map for index-only counts (SQLite: statistics).
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("VACUUM ANALYZE notifications_inboxitem")
        else:
            cursor.execute("ANALYZE")
    _, token = token_create(acting=member, name="bench inbox")
    return {"user": bikash, "token": token, "slug": ws.slug}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default="", help="postgres://…/<name with 'bench'>")
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    parser.add_argument("--items", type=int, default=5000, help="open items of the member")
    parser.add_argument("--requests", type=int, default=100, help="measured requests per URL")
    parser.add_argument("--warmup", type=int, default=10, help="uncounted requests per URL first")
    args = parser.parse_args(argv)
    if args.requests < 20 or args.warmup < 1:
        parser.error("--requests must be at least 20 (for a p95) and --warmup at least 1")
    load_start = os.getloadavg()
    data_dir = args.data_dir.resolve()
    database = fresh_database(data_dir=data_dir, database_url=args.database_url)
    os.environ["MERIDIAN_ALLOWED_HOSTS"] = "testserver"
    configure(data_dir=data_dir, database_url=args.database_url)
    started = time.monotonic()
    built = build(args.items)
    print(f"==> {args.items:,} open items in {database} ({time.monotonic() - started:.1f} s)")

    from django.test import Client

    page = Client()
    page.force_login(built["user"])
    htmx = Client(headers={"HX-Request": "true"})
    htmx.force_login(built["user"])
    api = Client(headers={"Authorization": f"Bearer {built['token']}"})
    w = f"/w/{built['slug']}/inbox/"
    spec = [
        ("bare view /ping (reference)", "reference", "/ping", Client().get),
        ("inbox page", "page", w, page.get),
        ("inbox list (htmx)", "page", w, htmx.get),
        ("inbox page 10", "page", f"{w}?page=10", page.get),
        ("nav count", "page", f"{w}badge/", page.get),
        ("GET /api/v1/inbox", "api", "/api/v1/inbox", api.get),
        ("GET /api/v1/inbox (offset 4,000)", "api", "/api/v1/inbox?offset=4000", api.get),
        ("GET /api/v1/inbox/counts", "api", "/api/v1/inbox/counts", api.get),
    ]
    rows: list[Row] = []
    for name, kind, path, get in spec:
        row = measure_row(name, kind, path, get, warmup=args.warmup, requests=args.requests)
        rows.append(row)
    load_end = os.getloadavg()
    print()
    print(table(rows))
    print(
        f"\nload average {load_start[0]:.2f} at start, {load_end[0]:.2f} at end "
        f"({os.cpu_count()} CPUs); {args.requests} requests per row after {args.warmup}"
    )
    worst = max((r for r in rows if r.kind != "reference"), key=lambda r: r.p95_ms)
    ok = worst.p95_ms <= TARGET_P95_MS
    print(
        f"{'PASS' if ok else 'FAIL'}  inbox page and API p95 ≤ {TARGET_P95_MS:.0f} ms: "
        f"worst {worst.name} {worst.p95_ms:.2f} ms"
    )
    from django.db import connection

    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"inbox-{connection.vendor}.json"
    out.write_text(
        json.dumps(
            {
                "command": "bench/inbox.py " + shlex.join(sys.argv[1:] if argv is None else argv),
                "when": datetime.now(UTC).isoformat(timespec="seconds"),
                "machine": {
                    "cpus": os.cpu_count(),
                    "python": platform.python_version(),
                    "load_average_at_start": load_start,
                    "load_average_at_end": load_end,
                },
                "database": database,
                "items": args.items,
                "rows": [asdict(r) for r in rows],
            },
            indent=2,
        )
        + "\n"
    )
    print(f"\nWrote {out.relative_to(ROOT)}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
