"""Delivery: 10,000 members' digests built and handed to SMTP by one worker, and the tick.

    .venv/bin/python bench/delivery.py
    .venv/bin/python bench/delivery.py --members 2000
    .venv/bin/python bench/delivery.py --database-url postgres://postgres@127.0.0.1:5432/meridian_bench_delivery

The database is made fresh by bench/generate.py (one workspace of ``--members`` people in
random zones; SQLite in ``var/bench-delivery/`` unless ``--database-url``), then every member
gets ``--items`` notifications waiting for their digest (5; four kinds), created two days ago,
and a digest time of 00:00, so every digest is due at once. A local SMTP sink (aiosmtpd, in a
process of its own) accepts and counts every message.

1. **Digests**: one scheduler tick over the delivery jobs, in this process, with tasks run at
   once after each commit (Django's immediate task backend) — one worker doing everything:
   listing who is due, building each digest (its own transaction and ledger key), rendering
   the plain-text and HTML email and handing it to SMTP. Target: ≤ 60 s for all of them, and
   the sink must have received exactly one message per member.
2. **Tick**: every member then gets one more item that arrived after today's digest time, and
   a notification held for tomorrow morning; the time of one full tick (all jobs of all areas,
   the steady state in which 10,000 members have something waiting and nothing is due) is
   measured, best of 5. Target: ≤ 1 s.

Exit code 0 when both targets are met, 1 when not. ``measure()`` returns the figures for
bench/run.py; every run writes bench/results/delivery.json.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import platform
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "src"))

from bench.generate import configure, fresh_database, generate  # noqa: E402

DEFAULT_DATA_DIR = ROOT / "var" / "bench-delivery"
RESULTS = ROOT / "bench" / "results"
DIGEST_TARGET_S = 60.0
TICK_TARGET_MS = 1000.0
KINDS = ("bench.asked", "bench.replied", "bench.mentioned", "bench.decided")


SINK = """
import sys, threading
from aiosmtpd.controller import Controller

class Sink:
    count = 0
    lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.count += 1
        return "250 OK"

sink = Sink()
controller = Controller(sink, hostname="127.0.0.1", port=int(sys.argv[1]))
controller.start()
print("ready", flush=True)
for line in sys.stdin:
    print(sink.count, flush=True)
controller.stop()
"""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Sink:
    """A local SMTP server (aiosmtpd) in a process of its own, counting what it accepts."""

    def __init__(self) -> None:
        self.port = _free_port()
        self.process = subprocess.Popen(
            [sys.executable, "-c", SINK, str(self.port)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        assert self.process.stdout.readline().strip() == "ready"

    def count(self) -> int:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write("count\n")
        self.process.stdin.flush()
        return int(self.process.stdout.readline())

    def stop(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        self.process.wait(timeout=30)


def measure(
    *,
    members: int = 10_000,
    items: int = 5,
    data_dir: Path = DEFAULT_DATA_DIR,
    database_url: str = "",
    profile: Path | None = None,
) -> dict[str, Any]:
    sink = Sink()
    os.environ["MERIDIAN_EMAIL_URL"] = f"smtp://127.0.0.1:{sink.port}"
    data_dir = data_dir.resolve()
    database = fresh_database(data_dir=data_dir, database_url=database_url)
    configure(data_dir=data_dir, database_url=database_url)

    from django.conf import settings
    from django.db import transaction
    from django.test.utils import override_settings

    from meridian.core import registry
    from meridian.core.scheduler import registered_jobs, tick
    from meridian.delivery.models import Channel, Delivery, Digest
    from meridian.workspaces.models import Membership, Profile

    immediate = override_settings(
        TASKS={
            "default": {
                "BACKEND": "django.tasks.backends.immediate.ImmediateBackend",
                "QUEUES": list(settings.TASK_QUEUES),
            }
        }
    )
    immediate.enable()
    for name in KINDS:
        registry.notification_kind(
            registry.NotificationKind(
                name, label=name.split(".")[1].title(), default_channel="digest"
            )
        )
    made = generate(members=members, workspaces=1, database=database)
    now = datetime.now(UTC).replace(microsecond=0)
    Profile.objects.update(digest_time="00:00")
    recipients = list(Membership.objects.values_list("pk", "workspace_id"))
    rows = [
        Delivery(
            workspace_id=ws,
            recipient_id=pk,
            channel=Channel.DIGEST,
            kind=KINDS[n % len(KINDS)],
            subject=f"Item {n} for member {pk}: please review the plan",
            url=f"/w/bench-1/briefs/{n}/",
            excerpt="We propose to ship in two steps; the second waits for the audit.",
            due_at=now + timedelta(days=3),
            cause=f"bench:{pk}:{n}",
            created_at=now - timedelta(days=2),
        )
        for pk, ws in recipients
        for n in range(items)
    ]
    with transaction.atomic():
        Delivery.objects.bulk_create(rows, batch_size=1000)
    jobs = [job for job in registered_jobs() if job.name.startswith(("delivery.", "digest."))]

    before = sink.count()
    started = time.perf_counter()
    cpu_started = time.process_time()
    if profile is not None:
        profiler = cProfile.Profile()
        result = profiler.runcall(tick, now, jobs=jobs)
        profiler.dump_stats(profile)
    else:
        result = tick(now, jobs=jobs)
    digest_seconds = time.perf_counter() - started
    digest_cpu = time.process_time() - cpu_started
    load = os.getloadavg()
    emailed = Digest.objects.filter(emailed_at__isnull=False).count()
    received = sink.count() - before

    # The steady state: everyone has something waiting that arrived after today's digest time,
    # and a notification held until later; a full tick of every area's jobs finds nothing due.
    later = now + timedelta(minutes=1)
    with transaction.atomic():
        Delivery.objects.bulk_create(
            [
                Delivery(
                    workspace_id=ws,
                    recipient_id=pk,
                    channel=channel,
                    kind=KINDS[0],
                    subject="Later",
                    url="/",
                    created_at=later,
                    deliver_after=later + timedelta(days=1) if channel == Channel.NOW else None,
                )
                for pk, ws in recipients
                for channel in (Channel.DIGEST, Channel.NOW)
            ],
            batch_size=1000,
        )
    timings = []
    for k in range(5):
        started = time.perf_counter()
        steady = tick(later + timedelta(minutes=5 + k))
        timings.append((time.perf_counter() - started) * 1000)
    immediate.disable()
    sink.stop()
    figures = {
        "members": len(recipients),
        "items_per_member": items,
        "database": database,
        "generate_seconds": made.seconds,
        "digest_seconds": round(digest_seconds, 1),
        "digest_cpu_seconds": round(digest_cpu, 1),
        "digest_cpu_ms_each": round(digest_cpu * 1000 / max(len(recipients), 1), 2),
        "load_average_during_digests": [round(x, 2) for x in load],
        "digests_carried_out": len([k for k in result.ran if k.startswith("digest:")]),
        "digests_emailed": emailed,
        "smtp_received": received,
        "tick_ms_best": round(min(timings), 1),
        "tick_ms_all": [round(t, 1) for t in timings],
        "tick_ran": len(steady.ran),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, shared",
        "digest_target_s": DIGEST_TARGET_S,
        "tick_target_ms": TICK_TARGET_MS,
    }
    figures["passed"] = (
        figures["digest_seconds"] <= DIGEST_TARGET_S
        and received == len(recipients)
        and emailed == len(recipients)
        and figures["tick_ms_best"] <= TICK_TARGET_MS
        and figures["tick_ran"] == 0
    )
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "delivery.json").write_text(json.dumps(figures, indent=2) + "\n")
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", type=int, default=10_000)
    parser.add_argument("--items", type=int, default=5)
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    parser.add_argument("--database-url", default="", help="a postgres:// URL; default SQLite")
    parser.add_argument(
        "--profile",
        type=Path,
        default=None,
        help="write a cProfile of the digests' tick to this file (times are then inflated); "
        "read it with: python -m pstats FILE",
    )
    args = parser.parse_args(argv)
    figures = measure(
        members=args.members,
        items=args.items,
        data_dir=args.data_dir,
        database_url=args.database_url,
        profile=args.profile,
    )
    print(
        f"Digests: {figures['smtp_received']} of {figures['members']} handed to SMTP in "
        f"{figures['digest_seconds']} s (target ≤ {DIGEST_TARGET_S:.0f} s); the worker's CPU time "
        f"{figures['digest_cpu_seconds']} s ({figures['digest_cpu_ms_each']} ms per digest); load average {figures['load_average_during_digests']}\n"
        f"Tick over {figures['members']} members with work waiting, nothing due: best "
        f"{figures['tick_ms_best']} ms of {figures['tick_ms_all']} (target ≤ {TICK_TARGET_MS:.0f} ms)"
    )
    print("PASS" if figures["passed"] else "FAIL")
    return 0 if figures["passed"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
