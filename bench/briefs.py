"""The brief page with 200 comments and 50 participants, under wrk at 32 connections.

    .venv/bin/python bench/briefs.py
    .venv/bin/python bench/briefs.py --database-url postgres://postgres@127.0.0.1:5432/meridian_bench
    .venv/bin/python bench/briefs.py --profile      # where one page's time goes, then exit

It makes a fresh database (SQLite in ``var/bench-briefs/`` or the PostgreSQL database given,
whose name must contain "bench"), a workspace of 60 people (bench/generate.py), and, through
the real services, one open brief asked of 50 of them with a follow-the-sun deadline, a real
six-second recording with captions (ffmpeg's test pattern, when ffmpeg is installed), and a
thread of 200 comments from a fixed seed: Markdown bodies with emphasis, lists, quotes, code
and links, @mentions, 30 responses, 24 questions (13 answered, by a reply or marked), 56
replies, and 27 comments pinned to moments of the recording. 45 participants have seen it.

Then, as in bench/run.py (whose helpers this uses), it serves the data with ``meridian serve
--no-worker`` exactly as in production, counts the page's SQL queries in-process, loads the
page with ``wrk -c32`` signed in as one of the participants (2 s warm-up, then
``--duration`` s), once more one request at a time, and once paced (32 connections that each
pause ``--think-ms`` after every answer, as people reading), sampling the web server's memory.

Target: p99 ≤ 60 ms at 32 connections. Exit code 0 when met, 1 when not, 2 when the run
failed. Results go to bench/results/briefs.json.
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

from bench.generate import BenchData, configure, describe, fresh_database, generate  # noqa: E402
from bench.run import (  # noqa: E402
    Load,
    MemorySampler,
    credentials,
    fetch,
    fixed_rate,
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
DATA_DIR = ROOT / "var" / "bench-briefs"
TARGET_P99_MS = 60.0
PARTICIPANTS = 50
COMMENTS = 200
RESPONSES = 30
SEEN = 45

BODIES = (
    "Looks good overall. Two things:\n\n1. The *yearly* toggle should be first.\n"
    "2. The footnote about taxes is easy to miss.",
    "I checked the numbers in the [analysis](https://example.com/pricing-analysis): "
    "**62 %** of the tickets ask which plan fits. That matches what support hears.",
    "Can we keep `legacy_plan_id` for a release so the billing export does not break?",
    "> Existing customers keep their price for 12 months.\n\nThat is generous; 6 would do.",
    "+1 from the APAC side. Our customers mostly buy *Team*; folding *Plus* into it is fine.",
    "Short version: yes. Long version in the doc, section 3 — the churn model assumes 4 %.",
    "What happens to invoices that are already issued for *Pro*? Do they get re-issued?",
    "Tested the new checkout on a phone: the plan cards stack nicely, but the CTA wraps.",
)


def build(data: BenchData, seed: int = 7) -> dict[str, Any]:
    """The brief, its participants and its thread, written through the services."""
    from datetime import timedelta

    from django.db import transaction
    from django.utils import timezone

    from meridian.briefs.models import Brief, Comment
    from meridian.briefs.services import (
        Deadline,
        Invitee,
        brief_create,
        brief_mark_seen,
        comment_add,
        question_answer,
        respond,
    )
    from meridian.notifications.services import muted
    from meridian.workspaces.models import Membership, Role

    rng = random.Random(seed)
    members = list(
        Membership.objects.select_related("workspace", "profile", "user")
        .filter(workspace__slug=data.workspaces[0], is_active=True)
        .order_by("pk")
    )
    author = next(m for m in members if m.user.email == data.admin_email)
    people = [m for m in members if m.pk != author.pk and m.role != Role.GUEST][:PARTICIPANTS]
    if len(people) < PARTICIPANTS:
        raise SystemExit(f"Only {len(people)} people to ask; generate more members.")
    with muted(), transaction.atomic():
        brief = brief_create(
            author=author,
            title="Pricing: three plans instead of five",
            body="Our five plans confuse buyers. Proposal:\n\n1. Keep *Starter*, *Team* and "
            "*Enterprise*.\n2. Fold *Plus* into *Team*.\n3. Grandfather for 12 months.\n\n"
            + "The numbers are in the [analysis](https://example.com/pricing-analysis). "
            * 3,
            ask_kind="decision",
            questions=["Is three plans enough?", "Is 12 months fair?", "Which plan for APAC?"],
            participants=[Invitee(member_id=m.pk) for m in people],
            deadline=Deadline(day=(timezone.now() + timedelta(days=5)).date()),
        )
    recording = None
    if shutil.which("ffmpeg") and shutil.which("ffprobe"):
        from meridian.recordings.demo import demo_recording

        with muted():
            recording = demo_recording(brief)
    with muted(), transaction.atomic():
        for m in people[:SEEN]:
            brief_mark_seen(acting=m, brief=brief)
        tops: list[Comment] = []
        questions: list[Comment] = []
        written = 0
        for m in people[:RESPONSES]:
            respond(acting=m, brief=brief, body=rng.choice(BODIES))
            written += 1
        while written < COMMENTS:
            who = rng.choice([*people, author])
            body = rng.choice(BODIES)
            if rng.random() < 0.15:
                body += f" @{rng.choice(people).user.email.split('@')[0]}"
            pin = round(rng.uniform(0, 5.5), 1) if recording and written % 4 == 0 else None
            parent = rng.choice(tops) if tops and rng.random() < 0.35 else None
            is_question = parent is None and rng.random() < 0.2
            comment = comment_add(
                acting=who,
                brief=brief,
                body=body,
                parent=parent,
                at_seconds=pin if parent is None else None,
                is_question=is_question,
                answers_parent=bool(
                    parent is not None and parent.is_question and not parent.answered_at
                ),
            )
            if parent is None:
                tops.append(comment)
                if is_question:
                    questions.append(comment)
            else:
                parent.refresh_from_db(fields=["answered_at"])
            written += 1
        for question in questions[::3]:
            question.refresh_from_db(fields=["answered_at"])
            if question.answered_at is None:
                question_answer(acting=author, question=question)
    brief = Brief.objects.get(pk=brief.pk)
    comments = Comment.objects.filter(brief=brief)
    viewer = people[1]  # a participant who has responded and seen it
    return {
        "brief_id": brief.pk,
        "path": f"/w/{data.workspaces[0]}/briefs/{brief.pk}/",
        "viewer_email": viewer.user.email,
        "participants": brief.participants.count(),
        "comments": comments.count(),
        "questions": comments.filter(is_question=True).count(),
        "answered": comments.filter(is_question=True, answered_at__isnull=False).count(),
        "replies": comments.filter(parent__isnull=False).count(),
        "responses": comments.filter(is_response=True).count(),
        "pins": comments.filter(at_seconds__isnull=False).count(),
        "recording": recording is not None,
    }


def page_queries(path: str, email: str) -> tuple[int, int]:
    """The page's SQL queries and bytes for one request (Django's test client, in here)."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from meridian.accounts.models import User

    client = Client(SERVER_NAME="127.0.0.1")
    client.force_login(User.objects.get(email=email))
    client.get(path)  # warm caches (ContentTypes, templates)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(path)
    if response.status_code != 200:
        raise RuntimeError(f"{path} answered {response.status_code} in-process")
    return len(ctx.captured_queries), len(response.content)


def profile(path: str, email: str, requests: int = 30) -> None:
    """cProfile over ``requests`` page views in this process; the top of it, by own time."""
    import cProfile
    import pstats
    import time

    from django.test import Client

    from meridian.accounts.models import User

    client = Client(SERVER_NAME="127.0.0.1")
    client.force_login(User.objects.get(email=email))
    for _ in range(3):
        client.get(path)
    began = time.perf_counter()
    for _ in range(requests):
        client.get(path)
    per_page = (time.perf_counter() - began) / requests * 1000
    print(f"==> {per_page:.1f} ms per page in-process (test client, no profiler)")
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(requests):
        client.get(path)
    profiler.disable()
    stats = pstats.Stats(profiler).strip_dirs()
    stats.sort_stats("cumulative").print_stats(35)
    stats.sort_stats("tottime").print_stats(25)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds of load")
    parser.add_argument("--warmup", type=int, default=2, help="seconds of uncounted load first")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument(
        "--rate", type=float, default=10, help="requests/s offered in the open-loop phase"
    )
    parser.add_argument(
        "--think-ms", type=int, default=2000, help="each connection's pause in the paced load"
    )
    parser.add_argument("--database-url", default="", help="postgres://…/<name with 'bench'>")
    parser.add_argument("--redis-url", default="", help="redis://… for the server's cache")
    parser.add_argument("--data-dir", type=Path, default=DATA_DIR)
    parser.add_argument("--workers", type=int, help="granian workers (serve's default if unset)")
    parser.add_argument("--threads", type=int, help="threads per worker (serve's default)")
    parser.add_argument("--output", type=Path, default=RESULTS / "briefs.json")
    parser.add_argument("--profile", action="store_true", help="profile the page in-process")
    args = parser.parse_args(argv)
    if shutil.which("wrk") is None and not args.profile:
        print("bench/briefs.py: wrk is not installed (`make bench` installs it).", file=sys.stderr)
        return 2
    if min(args.duration, args.warmup, args.connections) < 1:
        parser.error("--duration, --warmup and --connections must be at least 1")

    data_dir = args.data_dir.resolve()
    command = "bench/briefs.py " + shlex.join(sys.argv[1:] if argv is None else argv)
    host = machine() if shutil.which("wrk") else {}
    database = fresh_database(data_dir=data_dir, database_url=args.database_url)
    # In here (query count, profile) static URLs need no manifest; the server makes its own.
    os.environ["MERIDIAN_STATIC_MANIFEST"] = "false"
    configure(data_dir=data_dir, database_url=args.database_url)
    data = generate(members=PARTICIPANTS + 10, workspaces=1, database=database)
    print(describe(data).split("\n")[0], flush=True)
    made = build(data)
    print(
        f"==> brief {made['path']}: {made['participants']} participants, {made['comments']} "
        f"comments ({made['questions']} questions, {made['answered']} answered, "
        f"{made['replies']} replies, {made['responses']} responses, {made['pins']} pinned), "
        f"recording: {'yes' if made['recording'] else 'no (ffmpeg missing)'}",
        flush=True,
    )
    path, email = made["path"], made["viewer_email"]
    queries, size = page_queries(path, email)
    print(f"==> the page: {queries} SQL queries, {size:,} bytes, as a participant", flush=True)
    if args.profile:
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
    try:
        wait_until_up(base, proc, log, timeout=180)
        sampler.start()
        status, html = fetch(base + path, {"Cookie": cookie})
        if status != 200 or html.count(b'class="comment') < made["comments"]:
            raise RuntimeError(f"{path} answered {status}, not the brief with its thread")
        loads.append(load(sampler, "brief page", base, path, {"Cookie": cookie}, args))
        # Not targets: one request at a time shows the work per request without queueing;
        # paced, 32 people each wait a while after every answer (reading), so the server is
        # loaded by 32 at once without being saturated as a closed loop saturates it.
        loads.append(
            load(sampler, "brief page, one at a time", base, path, {"Cookie": cookie}, args, 1)
        )
        loads.append(
            load(
                sampler,
                "brief page, paced",
                base,
                path,
                {"Cookie": cookie},
                args,
                think_ms=args.think_ms,
            )
        )
        # The latency a person sees at a given traffic: an open loop at a fixed offered rate.
        loads.append(
            fixed_rate(
                sampler,
                "brief page, fixed rate",
                port,
                path,
                {"Cookie": cookie},
                args.rate,
                args.duration,
            )
        )
    except RuntimeError as exc:
        print(f"bench/briefs.py: {exc}", file=sys.stderr)
        return 2
    finally:
        sampler.stop()
        stop_server(proc)

    page = loads[0]
    passed = page.p99_ms <= TARGET_P99_MS and not page.timeouts
    checked = [
        {
            "target": f"brief page (200 comments, 50 participants) p99 ≤ {TARGET_P99_MS:.0f} ms "
            f"at {args.connections} connections",
            "figure": f"{page.p99_ms:.1f} ms ({page.requests_per_s:.0f} req/s)",
            "passed": passed,
        },
        {
            # The closed loop measures queueing on two shared cores (docs/benchmarks.md): the
            # same p99 at a fixed offered rate is what a person waits.
            "target": f"brief page p99 ≤ {TARGET_P99_MS:.0f} ms at a fixed offered rate of "
            f"{loads[-1].requests_per_s:.0f} req/s (open loop; the target restated)",
            "figure": f"{loads[-1].p99_ms:.1f} ms (p50 {loads[-1].p50_ms:.1f})",
            "passed": loads[-1].p99_ms <= TARGET_P99_MS,
        },
    ]
    print()
    print(table(loads))
    print(f"\nweb RSS peak {sampler.peak:.0f} MB; {queries} queries and {size:,} bytes per page")
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
                "queries": queries,
                "page_bytes": size,
                "results": [asdict(r) for r in loads],
                "web_rss_peak_mb": round(sampler.peak, 1),
                "targets": checked,
            },
            indent=2,
        )
        + "\n"
    )
    print(
        f"\nWrote {args.output.relative_to(ROOT) if args.output.is_relative_to(ROOT) else args.output}"
    )
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
