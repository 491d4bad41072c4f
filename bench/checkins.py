"""Check-ins: the tick that asks 10,000 members across 24 zones, and the team page.

    .venv/bin/python bench/checkins.py
    .venv/bin/python bench/checkins.py --database-url postgres://postgres@127.0.0.1:5432/meridian_bench_checkins

The database is made fresh (SQLite in ``var/bench-checkins/`` unless ``--database-url``, whose
name must contain "bench") and migrated; rows are written in bulk.

1. **Tick**: ``--members`` (10,000) members in 24 zones, all working 09:00–17:00 Monday to
   Friday, in teams of 50, each team with a check-in asked at 09:30. The clock is a Wednesday
   08:30 UTC; everyone whose 09:30 has already passed on their local day was asked by earlier
   ticks (written in bulk, with their ledger keys). One tick of the check-ins job then lists
   all 10,000 (who is due, who was asked) and asks Berlin's members, who have just reached
   09:30 (their prompts and inbox items in one transaction, with one ledger key). Then
   the steady tick (nobody due) is measured, best of 5. Target: each ≤ 1 s.
2. **Team page**: a team of 50 with 30 days of answers (two answers and a mood each) and 20
   open blockers; the team page for a day (and the week view and a history, for reference) is
   requested ``--requests`` times in-process after ``--warmup``: p95 ≤ 20 ms, and the same
   number of queries as for a team of 5.

Exit code 0 when every target is met, 1 when not. Results go to bench/results/checkins-<engine>.json.
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
from datetime import time as clock
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "src"))

from bench.generate import configure, fresh_database  # noqa: E402
from bench.pages import Row, measure_row  # noqa: E402

DEFAULT_DATA_DIR = ROOT / "var" / "bench-checkins"
RESULTS = ROOT / "bench" / "results"
TARGET_TICK_S = 1.0
TARGET_PAGE_P95_MS = 20.0
ZONES = [
    "Pacific/Pago_Pago", "Pacific/Honolulu", "America/Anchorage", "America/Los_Angeles",
    "America/Denver", "America/Chicago", "America/New_York", "America/Halifax",
    "America/Sao_Paulo", "Atlantic/South_Georgia", "Atlantic/Azores", "UTC", "Europe/Berlin",
    "Europe/Athens", "Europe/Moscow", "Asia/Dubai", "Asia/Karachi", "Asia/Kathmandu",
    "Asia/Dhaka", "Asia/Bangkok", "Asia/Shanghai", "Asia/Tokyo", "Australia/Sydney",
    "Pacific/Auckland",
]  # fmt: skip
HOURS = {str(d): [[540, 1020]] for d in range(5)}
TEAM_SIZE = 50
# A Wednesday; at 08:30 UTC it is 09:30 in Berlin (CET), so Berlin's members are due.
WEDNESDAY = datetime(2027, 1, 13, 8, 30, 5, tzinfo=UTC)


def _people(ws: Any, count: int, prefix: str, zones: list[str]) -> list[Any]:
    """``count`` members with profiles, written in bulk."""
    from meridian.accounts.models import User
    from meridian.workspaces.models import Membership, Profile

    users = User.objects.bulk_create(
        [User(email=f"{prefix}{n}@bench.example", name=f"{prefix} {n}") for n in range(count)],
        batch_size=1000,
    )
    members = Membership.objects.bulk_create(
        [Membership(workspace=ws, user=u, role="member") for u in users], batch_size=1000
    )
    Profile.objects.bulk_create(
        [
            Profile(
                workspace=ws,
                membership=m,
                display_name=f"{prefix.title()} {n:05d}",
                time_zone=zones[n % len(zones)],
                working_hours=HOURS,
            )
            for n, m in enumerate(members)
        ],
        batch_size=1000,
    )
    return members


def _teams(ws: Any, admin: Any, members: list[Any], prefix: str) -> list[Any]:
    """Teams of 50 with a check-in each (asked at 09:30, Monday to Friday)."""
    from meridian.checkins.models import Checkin
    from meridian.workspaces.models import Team, TeamMembership

    chunks = [members[n : n + TEAM_SIZE] for n in range(0, len(members), TEAM_SIZE)]
    teams = Team.objects.bulk_create(
        [Team(workspace=ws, name=f"{prefix} {n}", slug=f"{prefix}-{n}") for n in range(len(chunks))]
    )
    TeamMembership.objects.bulk_create(
        [
            TeamMembership(workspace=ws, team=t, membership=m)
            for t, chunk in zip(teams, chunks, strict=True)
            for m in chunk
        ],
        batch_size=2000,
    )
    return Checkin.objects.bulk_create(
        [
            Checkin(
                workspace=ws,
                team=t,
                name=f"Daily {t.name}",
                questions=["What did you finish?", "What's next?"],
                weekdays=[0, 1, 2, 3, 4],
                ask_time=clock(9, 30),
                ask_mood=True,
                created_by=admin,
            )
            for t in teams
        ]
    )


def build(members: int) -> dict[str, Any]:
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    call_command("createcachetable", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    from meridian.accounts.models import User
    from meridian.workspaces.models import Membership
    from meridian.workspaces.services import workspace_create

    ada = User.objects.create_user(email="ada@bench.example", password="bench-pass-1", name="Ada")
    ws = workspace_create(user=ada, name="Check-in Bench")
    admin = Membership.objects.get(workspace=ws, user=ada)
    people = _people(ws, members, "person", ZONES)
    _teams(ws, admin, people, "team")
    return {"ws": ws, "admin": admin, "user": ada}


def _asked_before(now: datetime) -> int:
    """Prompts (and ledger keys) for everyone whose ask moment today is before ``now``."""
    from meridian.asks.deadlines import week_of
    from meridian.checkins.models import Checkin, CheckinPrompt
    from meridian.checkins.rules import ask_moment
    from meridian.core.models import ScheduledRun
    from meridian.workspaces.models import TeamMembership

    checkins = {c.team_id: c for c in Checkin.objects.all()}
    prompts, keys = [], []
    rows = TeamMembership.objects.values_list(
        "team_id", "membership_id", "membership__profile__time_zone", "workspace_id"
    )
    for team_id, member_id, zone, ws_id in rows:
        checkin = checkins[team_id]
        week = week_of(zone, HOURS)
        day = now.astimezone(week.zone).date()
        plan = ask_moment(week, day, checkin.ask_time, checkin.weekdays)
        if plan is None or plan.moment > now:
            continue
        prompts.append(
            CheckinPrompt(
                workspace_id=ws_id,
                checkin=checkin,
                membership_id=member_id,
                local_date=day,
                asked_at=plan.moment,
            )
        )
        keys.append(
            ScheduledRun(key=f"checkins.ask:{checkin.pk}:{member_id}:{day}", job="checkins.ask")
        )
    CheckinPrompt.objects.bulk_create(prompts, batch_size=2000)
    ScheduledRun.objects.bulk_create(keys, batch_size=2000)
    return len(prompts)


def _tick(now: datetime) -> tuple[float, int, float, int]:
    """Wall seconds, occurrences carried out, this process's CPU seconds, prompts written."""
    from django.urls import reverse

    from meridian.checkins.models import CheckinPrompt
    from meridian.core.scheduler import registered_jobs, tick

    jobs = [job for job in registered_jobs() if job.name == "checkins.ask"]
    # A running worker has its URLs loaded (the first reverse() imports every urls and api
    # module, about a second of CPU once per process): load them before timing.
    reverse("checkin_list", kwargs={"workspace": "bench"})
    before = CheckinPrompt.objects.count()
    started, cpu = time.perf_counter(), time.process_time()
    result = tick(now, jobs=jobs)
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu
    return wall, len(result.ran), cpu, CheckinPrompt.objects.count() - before


def team_fixture(built: dict[str, Any], size: int, days: int, prefix: str) -> Any:
    """A team of ``size`` with ``days`` days of answers and 20 open blockers."""
    from meridian.checkins.models import Blocker, CheckinPrompt
    from meridian.core.markdown import render_markdown

    ws, admin = built["ws"], built["admin"]
    people = _people(ws, size, prefix, ["Europe/Berlin", "Asia/Kathmandu", "America/Chicago"])
    [checkin] = _teams(ws, admin, people, prefix)
    last = WEDNESDAY.date()
    answers = ["Merged the **importer** and reviewed two pull requests.", "Write the migration."]
    html = [render_markdown(a) for a in answers]
    prompts = CheckinPrompt.objects.bulk_create(
        [
            CheckinPrompt(
                workspace=ws,
                checkin=checkin,
                membership=m,
                local_date=last - timedelta(days=d),
                asked_at=WEDNESDAY - timedelta(days=d),
                responded_at=WEDNESDAY - timedelta(days=d, minutes=-30),
                local_deadline=WEDNESDAY - timedelta(days=d - 1),
                answers=answers,
                answers_html=html,
                mood=1 + (n + d) % 5,
            )
            for d in range(days)
            for n, m in enumerate(people)
        ],
        batch_size=2000,
    )
    Blocker.objects.bulk_create(
        [
            Blocker(
                workspace=ws,
                checkin=checkin,
                raised_by=people[n],
                first_prompt=prompts[n],
                last_prompt=prompts[n],
                text="Waiting for the staging database",
                text_html=render_markdown("Waiting for the staging database"),
                person=people[(n + 1) % size],
                opened_at=WEDNESDAY - timedelta(days=n % 5, hours=3),
            )
            for n in range(min(20, size))
        ]
    )
    return checkin, people[0]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default="", help="postgres://…/<name with 'bench'>")
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    parser.add_argument("--members", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--warmup", type=int, default=10)
    args = parser.parse_args(argv)
    load_start = os.getloadavg()
    data_dir = args.data_dir.resolve()
    database = fresh_database(data_dir=data_dir, database_url=args.database_url)
    os.environ["MERIDIAN_ALLOWED_HOSTS"] = "testserver"
    configure(data_dir=data_dir, database_url=args.database_url)
    started = time.monotonic()
    built = build(args.members)
    print(f"==> {args.members:,} members in {database} ({time.monotonic() - started:.1f} s)")

    import time_machine

    # 1. The steady state: everyone whose 09:30 has passed on their local day was asked by
    # earlier ticks (written in bulk here, with their ledger keys); then the tick in which
    # Berlin's members reach 09:30, and the steady tick after it.
    asked_before = _asked_before(WEDNESDAY - timedelta(seconds=60))
    with time_machine.travel(WEDNESDAY, tick=False):
        due_s, batches, due_cpu, asked = _tick(WEDNESDAY)
        steadies = [_tick(WEDNESDAY + timedelta(seconds=n)) for n in range(1, 6)]
        steady, steady_cpu = min(t[0] for t in steadies), min(t[2] for t in steadies)
    print(
        f"tick asking one zone: {due_s:.3f} s wall, {due_cpu:.3f} s CPU ({asked} asked in "
        f"{batches} batch(es) of {args.members:,} listed; {asked_before} asked by earlier ticks)"
    )
    print(f"steady tick (nobody due): {steady:.3f} s wall, {steady_cpu:.3f} s CPU, best of 5")

    # 2. The team page: 50 × 30 days against 5 × 30 days.
    from django.test import Client

    checkin, _ = team_fixture(built, TEAM_SIZE, 30, "big")
    small, _ = team_fixture(built, 5, 30, "small")
    page = Client()
    slug = built["ws"].slug
    day = WEDNESDAY.date().isoformat()
    rows: list[Row] = []
    with time_machine.travel(WEDNESDAY + timedelta(hours=2), tick=True):
        page.force_login(built["user"])  # a session of that day
        for name, path in (
            ("team page, 50 members", f"/w/{slug}/checkins/{checkin.pk}/?day={day}"),
            ("team page, 5 members", f"/w/{slug}/checkins/{small.pk}/?day={day}"),
            ("week view, 50 members", f"/w/{slug}/checkins/{checkin.pk}/week/?week={day}"),
        ):
            rows.append(
                measure_row(
                    name, "page", path, page.get, warmup=args.warmup, requests=args.requests
                )
            )
    load_end = os.getloadavg()
    for r in rows:
        print(
            f"{r.name}: {r.queries} queries, median {r.median_ms:.2f} ms, p95 {r.p95_ms:.2f} ms "
            f"(CPU median {r.cpu_median_ms:.2f} ms, p95 {r.cpu_p95_ms:.2f} ms)"
        )
    checks = {
        "tick asking one zone ≤ 1 s": due_s <= TARGET_TICK_S,
        "steady tick ≤ 1 s": steady <= TARGET_TICK_S,
        "team page p95 ≤ 20 ms": rows[0].p95_ms <= TARGET_PAGE_P95_MS,
        "team page queries constant": rows[0].queries == rows[1].queries,
    }
    for name, ok in checks.items():
        print(f"{'PASS' if ok else 'FAIL'}  {name}")
    print(
        f"load average {load_start[0]:.2f} at start, {load_end[0]:.2f} at end "
        f"({os.cpu_count()} CPUs)"
    )
    from django.db import connection

    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"checkins-{connection.vendor}.json"
    out.write_text(
        json.dumps(
            {
                "command": "bench/checkins.py "
                + shlex.join(sys.argv[1:] if argv is None else argv),
                "when": datetime.now(UTC).isoformat(timespec="seconds"),
                "machine": {
                    "cpus": os.cpu_count(),
                    "python": platform.python_version(),
                    "load_average_at_start": load_start,
                    "load_average_at_end": load_end,
                },
                "database": database,
                "members": args.members,
                "tick_one_zone_s": due_s,
                "tick_one_zone_cpu_s": due_cpu,
                "asked_in_that_tick": asked,
                "batches_in_that_tick": batches,
                "steady_tick_s": steady,
                "steady_tick_cpu_s": steady_cpu,
                "asked_before": asked_before,
                "rows": [asdict(r) for r in rows],
                "checks": checks,
            },
            indent=2,
        )
        + "\n"
    )
    print(f"Wrote {out.relative_to(ROOT)}")
    return 0 if all(checks.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
