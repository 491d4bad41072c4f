"""The proposal page with 500 stances: p99 one request at a time, and under 32 connections.

    .venv/bin/python bench/proposal.py
    .venv/bin/python bench/proposal.py --database-url postgres://postgres@127.0.0.1:5432/meridian_bench_proposal
    .venv/bin/python bench/proposal.py --profile      # where one page's time goes, then exit

It makes a fresh database (SQLite in ``var/bench-proposal/`` or the PostgreSQL database given,
whose name must contain "bench"), a workspace of 575 people (a tenth of them guests) (bench/generate.py), and, through
the real services, two open proposals asked of 500 of them, each with 500 stances and a
discussion of 40 comments, from a fixed seed:

* **consent**, blind: agree / abstain / object / block, a reason on every objection and block
  and on a fifth of the rest. The viewer has given a stance, so sees all 500 and the tally.
* **ranked choice**, open, over 8 options: every stance ranks 3–8 of them; the page runs
  instant-runoff (every round shown) and Borda over the 500 ballots on each view.

Then, as bench/briefs.py does, it serves the data with ``meridian serve --no-worker`` exactly
as in production, counts each page's SQL queries in-process, and loads each page with wrk
signed in as a participant who has voted: one request at a time (the target), then the ranked
page with 32 connections at once, closed loop (each sends again as soon as it is answered),
and with 32 connections that each pause ``--think-ms`` (2 s) after every answer (people
reading).

Target (the decisions issue): proposal page p99 ≤ 60 ms with 500 stances. The issue names no
concurrency; the target is checked one request at a time, on both pages. Exit code 0 when
met, 1 when not, 2 when the run failed. Results go to bench/results/proposal.json.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import random
import shlex
import shutil
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.briefs import page_queries, profile  # noqa: E402
from bench.generate import BenchData, configure, describe, fresh_database, generate  # noqa: E402
from bench.run import (  # noqa: E402
    Load,
    MemorySampler,
    credentials,
    fetch,
    free_port,
    load,
    machine,
    server_env,
    start_server,
    stop_server,
    table,
    wait_until_up,
)

RESULTS = ROOT / "bench" / "results"
DATA_DIR = ROOT / "var" / "bench-proposal"
TARGET_P99_MS = 60.0
STANCES = 500
COMMENTS = 40
OPTIONS = (
    "Keep the five plans",
    "Three plans: Starter, Team, Enterprise",
    "Two plans and usage pricing",
    "Three plans, grandfather 6 months",
    "Three plans, grandfather 12 months",
    "Per-seat only",
    "Free tier plus Team",
    "Decide after the Q3 survey",
)
REASONS = (
    "The migration plan does not say what happens to annual invoices already issued.",
    "Fine by me; the APAC customers mostly buy Team anyway.",
    "12 months is generous, but it keeps the renewals calm. Support can live with it.",
    "I would like the churn model to be checked by someone outside growth first.",
    "Blocks: legal has not reviewed the grandfathering terms for the EU contracts.",
    "Object: we promised *Plus* customers a feature freeze until March.",
)
COMMENT_BODIES = (
    "What does the billing export do with `legacy_plan_id`?",
    "The numbers in the [analysis](https://example.com/pricing) match what support hears.",
    "> three plans\n\nYes, and the yearly toggle first, please.",
    "Can we see the churn assumptions before the deadline?",
    "+1 from the Lisbon team.",
)


def build(data: BenchData, seed: int = 11) -> dict[str, Any]:
    """The two proposals, their participants, stances and comments, through the services."""
    from datetime import timedelta

    from django.db import transaction
    from django.utils import timezone

    from meridian.briefs.services import Invitee
    from meridian.decisions.ballots import Ballot
    from meridian.decisions.models import Kind, Option, Stance, Visibility
    from meridian.decisions.services import (
        Deadline,
        OptionSpec,
        proposal_comment_add,
        proposal_create,
        stance_submit,
    )
    from meridian.notifications.services import muted
    from meridian.workspaces.models import Membership, Role

    rng = random.Random(seed)
    members = list(
        Membership.objects.select_related("workspace", "profile", "user")
        .filter(workspace__slug=data.workspaces[0], is_active=True)
        .exclude(role=Role.GUEST)
        .order_by("pk")
    )
    owner = next(m for m in members if m.user.email == data.admin_email)
    people = [m for m in members if m.pk != owner.pk][: STANCES - 1]
    if len(people) < STANCES - 1:
        raise SystemExit(f"Only {len(people)} people to ask; generate more members.")
    voters = [owner, *people]
    deadline = Deadline(day=(timezone.now() + timedelta(days=5)).date())
    made: dict[str, Any] = {}
    for name, kind, visibility in (
        ("consent", Kind.CONSENT, Visibility.BLIND),
        ("ranked", Kind.RANKED, Visibility.OPEN),
    ):
        with muted(), transaction.atomic():
            proposal = proposal_create(
                owner=owner,
                title=f"Pricing: three plans instead of five ({name})",
                body="Our five plans confuse buyers. **Proposal**: keep *Starter*, *Team* and "
                "*Enterprise*; fold *Plus* into *Team*; grandfather for 12 months.\n\n"
                "The numbers are in the [analysis](https://example.com/pricing-analysis).",
                kind=kind,
                options=[OptionSpec(label) for label in OPTIONS] if kind == Kind.RANKED else (),
                visibility=visibility,
                participants=[Invitee(member_id=m.pk) for m in people],
                deadline=deadline,
                tags=["pricing", "billing"],
                open_now=True,
            )
        option_ids = list(
            Option.objects.filter(proposal=proposal)
            .order_by("position")
            .values_list("pk", flat=True)
        )
        with muted(), transaction.atomic():
            for member in voters:
                if kind == Kind.CONSENT:
                    position = rng.choices(
                        ("agree", "abstain", "object", "block"), weights=(70, 15, 12, 3)
                    )[0]
                    reason = (
                        rng.choice(REASONS)
                        if position in ("object", "block") or rng.random() < 0.2
                        else ""
                    )
                    ballot = Ballot(position=position, reason=reason)
                else:
                    ranking = rng.sample(option_ids, rng.randint(3, len(option_ids)))
                    reason = rng.choice(REASONS) if rng.random() < 0.2 else ""
                    ballot = Ballot(ranking=[str(o) for o in ranking], reason=reason)
                stance_submit(acting=member, proposal=proposal, ballot=ballot)
            for i in range(COMMENTS):
                proposal_comment_add(
                    acting=voters[(i * 37) % len(voters)],
                    proposal=proposal,
                    body=rng.choice(COMMENT_BODIES),
                )
        made[name] = {
            "proposal_id": proposal.pk,
            "path": f"/w/{data.workspaces[0]}/decisions/proposals/{proposal.pk}/",
            "participants": proposal.participants.count(),
            "stances": Stance.objects.filter(proposal=proposal).count(),
            "options": len(option_ids),
        }
    made["viewer_email"] = people[1].user.email  # a participant who has voted
    return made


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds of load")
    parser.add_argument("--warmup", type=int, default=2, help="seconds of uncounted load first")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument(
        "--think-ms", type=int, default=2000, help="each connection's pause in the paced load"
    )
    parser.add_argument("--database-url", default="", help="postgres://…/<name with 'bench'>")
    parser.add_argument("--redis-url", default="", help="redis://… for the server's cache")
    parser.add_argument("--data-dir", type=Path, default=DATA_DIR)
    parser.add_argument("--workers", type=int, help="granian workers (serve's default if unset)")
    parser.add_argument("--threads", type=int, help="threads per worker (serve's default)")
    parser.add_argument("--output", type=Path, default=RESULTS / "proposal.json")
    parser.add_argument("--profile", action="store_true", help="profile the pages in-process")
    args = parser.parse_args(argv)
    if shutil.which("wrk") is None and not args.profile:
        print(
            "bench/proposal.py: wrk is not installed (`make bench` installs it).", file=sys.stderr
        )
        return 2
    if min(args.duration, args.warmup, args.connections) < 1 or args.think_ms < 0:
        parser.error("--duration, --warmup and --connections must be at least 1")

    data_dir = args.data_dir.resolve()
    command = "bench/proposal.py " + shlex.join(sys.argv[1:] if argv is None else argv)
    host = machine() if shutil.which("wrk") else {}
    database = fresh_database(data_dir=data_dir, database_url=args.database_url)
    os.environ["MERIDIAN_STATIC_MANIFEST"] = "false"
    configure(data_dir=data_dir, database_url=args.database_url)
    # A tenth of generated people are guests, who are not asked.
    data = generate(members=STANCES * 115 // 100, workspaces=1, database=database)
    print(describe(data).split("\n")[0], flush=True)
    made = build(data)
    email = made["viewer_email"]
    pages = {name: made[name]["path"] for name in ("consent", "ranked")}
    queries: dict[str, tuple[int, int]] = {}
    for name, path in pages.items():
        print(
            f"==> {name} proposal {path}: {made[name]['participants']} participants, "
            f"{made[name]['stances']} stances",
            flush=True,
        )
        queries[name] = page_queries(path, email)
        print(f"    {queries[name][0]} SQL queries, {queries[name][1]:,} bytes", flush=True)
    if args.profile:
        for path in pages.values():
            profile(path, email)
        return 0
    cookie, _ = credentials(dataclasses.replace(data, admin_email=email))
    from django.db import connections

    connections.close_all()

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = data_dir / "server.log"
    proc = start_server(
        port,
        server_env(data_dir, args.database_url, args.redis_url),
        log,
        args.workers,
        args.threads,
    )
    sampler = MemorySampler(proc.pid)
    loads: list[Load] = []
    headers = {"Cookie": cookie}
    try:
        wait_until_up(base, proc, log, timeout=180)
        sampler.start()
        for path in pages.values():
            status, html = fetch(base + path, headers)
            if status != 200 or b"500" not in html:
                raise RuntimeError(f"{path} answered {status}, not the proposal with its stances")
        for name, path in pages.items():
            loads.append(load(sampler, f"{name} page, one at a time", base, path, headers, args, 1))
        ranked = pages["ranked"]
        loads.append(load(sampler, "ranked page, closed loop", base, ranked, headers, args))
        loads.append(
            load(sampler, "ranked page, paced", base, ranked, headers, args, think_ms=args.think_ms)
        )
    except RuntimeError as exc:
        print(f"bench/proposal.py: {exc}", file=sys.stderr)
        return 2
    finally:
        sampler.stop()
        stop_server(proc)

    checked = [
        {
            "target": f"{r.name.split(',')[0]} (500 stances) p99 ≤ {TARGET_P99_MS:.0f} ms, "
            "one request at a time",
            "figure": f"{r.p99_ms:.1f} ms (p50 {r.p50_ms:.1f} ms)",
            "passed": r.p99_ms <= TARGET_P99_MS and not r.timeouts,
        }
        for r in loads[:2]
    ]
    print()
    print(table(loads))
    print(f"\nweb RSS peak {sampler.peak:.0f} MB")
    for name, (count, size) in queries.items():
        print(f"{name} page: {count} queries, {size:,} bytes")
    for t in checked:
        print(f"{'PASS' if t['passed'] else 'FAIL'}  {t['target']}: {t['figure']}")
    host["load_average_at_end"] = os.getloadavg()
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(
        json.dumps(
            {
                "command": command,
                "machine": host,
                "data": {**made, "database": database},
                "queries": {k: {"queries": q, "bytes": b} for k, (q, b) in queries.items()},
                "results": [asdict(r) for r in loads],
                "web_rss_peak_mb": round(sampler.peak, 1),
                "targets": checked,
            },
            indent=2,
        )
        + "\n"
    )
    shown = args.output.relative_to(ROOT) if args.output.is_relative_to(ROOT) else args.output
    print(f"\nWrote {shown}")
    return 0 if all(t["passed"] for t in checked) else 1


if __name__ == "__main__":
    sys.exit(main())
