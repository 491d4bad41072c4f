"""`make bench`: generate data, serve it the way production does, load it with wrk, report.

    make bench BENCH_ARGS="--members 1000 --duration 10"
    .venv/bin/python bench/run.py --database-url postgres://postgres@127.0.0.1:5432/meridian_bench

One run measures, under the same server and the same load (wrk, ``--connections`` at once,
everything on 127.0.0.1):

* ``GET /ping``: a bare Django JSON view without database work, the reference;
* ``GET /w/<workspace>/members/``: the members page, signed in as the workspace's admin;
* ``GET /api/v1/members``: the members API with a bearer token (its default page).

Then the members page and API once more as an open loop at ``--rate`` requests per second
(default 20): each request is due at its time whether or not earlier answers came back, and
its latency counts from then. On two shared cores wrk's closed loop of 32 connections measures
the queue more than the server; the fixed-rate p99 is what a person waits at that traffic, and
is checked against the issue's 50 ms as the target restated.

It samples the resident memory of the web server's processes throughout (the largest single
process is checked against the 150 MB target: `meridian serve` starts one per core), prints a
table and one PASS/FAIL line per target, and writes everything to bench/results/latest.json.

Then (unless ``--no-others``) it runs the other areas' benchmarks, each a program of its own
with its own targets, one after the other, those present of: bench/pages.py (every page and
API list of the demo workspace, in-process; given ``--database-url``), bench/upload.py,
bench/briefs.py and bench/proposal.py (each given this run's load options and
``--database-url``), bench/tally.py, bench/search.py, bench/inbox.py (5,000 inbox items,
in-process; given ``--database-url``), bench/work.py (the board, "my work", a task's handover
packet and a bulk handover, in-process; given ``--database-url``), bench/metrics.py (rollup
maintenance throughput and the rebuild; given ``--database-url``), bench/dashboards.py (a team's
dashboard page and API, in-process; given ``--database-url``), bench/tracking.py (sync ingest and the team report; given
``--database-url``), bench/checkins.py (the check-in tick over 10,000 members in 24 zones
and the team page; given ``--database-url``), bench/delivery.py (digests for 10,000 members and the scheduler tick, on
its own SQLite database), bench/agent.py (the local agent, against ActivityWatch's aw-server when
scripts/bootstrap.sh bench could install it), bench/agent_sync.py (the agent's day page and
sync over 100,000 events; figures only, no target), bench/transcribe.py (a 5-minute spoken
recording: transcription's real-time factor, worker memory, upload finished → searchable).

The exit code is 0 when every target of every benchmark is met, 1 when one is not, 2 when a
run itself failed.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import platform
import queue
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.generate import (  # noqa: E402
    DEFAULT_DATA_DIR,
    BenchData,
    configure,
    describe,
    fresh_database,
    generate,
)

RESULTS = ROOT / "bench" / "results"
# The other areas' benchmarks, in the order `make bench` runs them after this one, each in the
# environment this one started with (before configure() pointed Django at its database).
OTHER_BENCHMARKS = (
    "pages.py",
    "upload.py",
    "briefs.py",
    "proposal.py",
    "tally.py",
    "search.py",
    "inbox.py",
    "work.py",
    "metrics.py",
    "dashboards.py",
    "tracking.py",
    "checkins.py",
    "delivery.py",
    "agent.py",
    "agent_sync.py",
    "transcribe.py",
)
STARTING_ENV = dict(os.environ)
TARGET_MEMBERS_P99_MS = 50.0
TARGET_API_RATIO = 0.5
TARGET_RSS_MB = 150.0


@dataclass
class Load:
    """One wrk run against one URL."""

    name: str
    path: str
    connections: int
    requests_per_s: float
    p50_ms: float
    p75_ms: float
    p90_ms: float
    p99_ms: float
    requests: int
    non_2xx: int
    socket_errors: int
    timeouts: int
    rss_peak_mb: float


# --- The machine --------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    cpu = "unknown"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo") as f:
        mem_kb = int(next(line for line in f if line.startswith("MemTotal")).split()[1])
    wrk = subprocess.run(["wrk", "--version"], capture_output=True, text=True)
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cpus": os.cpu_count(),
        "cpu_model": cpu,
        "memory_gb": round(mem_kb / 1024 / 1024, 1),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "wrk": (wrk.stdout or wrk.stderr).split("\n")[0].strip(),
        "load_average_at_start": os.getloadavg(),
    }


# --- Processes and memory -----------------------------------------------------------------


def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        tree.setdefault(ppid, []).append(int(entry))
    return tree


def descendants(pid: int) -> list[int]:
    """pid and every process below it."""
    tree, found, todo = _children(), [], [pid]
    while todo:
        p = todo.pop()
        found.append(p)
        todo.extend(tree.get(p, []))
    return found


def _cmdline(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def rss_mb(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


class MemorySampler:
    """Samples the summed RSS of granian's process tree (the web server proper) every 0.2 s."""

    def __init__(self, serve_pid: int) -> None:
        self.serve_pid = serve_pid
        self.peak = 0.0
        self.phase_peak = 0.0
        self.supervisor_peak = 0.0
        self.largest_peak = 0.0  # the largest single web process (main or worker)
        self.processes = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def web_pids(self) -> list[int]:
        # serve (the `meridian serve` supervisor) -> granian main -> granian workers
        pids = descendants(self.serve_pid)
        roots = [p for p in pids if p != self.serve_pid and "granian" in _cmdline(p)]
        return descendants(roots[0]) if roots else []

    def sample(self) -> float:
        pids = self.web_pids()
        each = [rss_mb(p) for p in pids]
        total = sum(each)
        self.largest_peak = max(self.largest_peak, *each, 0.0)
        self.processes = max(self.processes, len(pids))
        self.peak = max(self.peak, total)
        self.phase_peak = max(self.phase_peak, total)
        self.supervisor_peak = max(self.supervisor_peak, rss_mb(self.serve_pid))
        return total

    def _run(self) -> None:
        while not self._stop.wait(0.2):
            self.sample()

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()


# --- The server ---------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def server_env(data_dir: Path, database_url: str, redis_url: str = "") -> dict[str, str]:
    """The server's environment: production settings on the bench data (and Redis if given,
    which then holds the cache, as in a PostgreSQL + Redis deployment)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MERIDIAN_")}
    for name in ("MERIDIAN_WEB_WORKERS", "MERIDIAN_WEB_THREADS"):
        if name in os.environ:
            env[name] = os.environ[name]
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "meridian.settings",
            "MERIDIAN_DATA_DIR": str(data_dir),
            "MERIDIAN_DATABASE_URL": database_url,
            "MERIDIAN_DEBUG": "false",
            "MERIDIAN_ALLOWED_HOSTS": "127.0.0.1",
            "MERIDIAN_LOG_LEVEL": "WARNING",
            "MERIDIAN_REDIS_URL": redis_url,
        }
    )
    return env


def start_server(
    port: int, env: dict[str, str], log: Path, workers: int | None, threads: int | None
) -> subprocess.Popen[bytes]:
    cmd = [sys.executable, "-m", "meridian.cli", "serve", "--no-worker"]
    cmd += ["--host", "127.0.0.1", "--port", str(port)]
    if workers:
        cmd += ["--workers", str(workers)]
    if threads:
        cmd += ["--threads", str(threads)]
    print(f"==> {shlex.join(cmd[1:])}  (log: {log})", flush=True)
    with open(log, "wb") as out:
        # A session of its own, so that stopping it can never reach anything else.
        return subprocess.Popen(
            cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )


def stop_server(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)  # serve passes it on to granian and waits
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=30)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)  # whatever is left of the group we started
    proc.wait()


def fetch(url: str, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
    req = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:  # only ever 127.0.0.1
            return resp.status, resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def wait_until_up(base: str, proc: subprocess.Popen[bytes], log: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"The server exited ({proc.returncode}):\n{log.read_text()[-3000:]}")
        try:
            if fetch(base + "/ping")[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"The server did not answer /ping within {timeout:.0f} s; see {log}")


# --- Credentials and checks (in this process, against the bench database) -----------------


def credentials(data: BenchData) -> tuple[str, str]:
    """A session cookie for the admin of the first workspace, and an API token of theirs."""
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    from meridian.accounts.models import User
    from meridian.accounts.services import token_create
    from meridian.workspaces.models import Membership

    user = User.objects.get(email=data.admin_email)
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    membership = Membership.objects.select_related("workspace", "user").get(
        user=user, workspace__slug=data.workspaces[0]
    )
    _, raw = token_create(acting=membership, name="bench")
    return f"{settings.SESSION_COOKIE_NAME}={session.session_key}", raw


def query_counts(data: BenchData, page: str, api: str, token: str) -> dict[str, int]:
    """How many SQL queries one request of each kind makes (the Django test client, in here)."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from meridian.accounts.models import User

    client = Client(SERVER_NAME="127.0.0.1")
    client.force_login(User.objects.get(email=data.admin_email))
    counts = {}
    for name, path, headers in (
        ("members page", page, {}),
        ("members API", api, {"Authorization": f"Bearer {token}"}),
    ):
        client.get(path, headers=headers)  # warm caches (ContentTypes, templates)
        with CaptureQueriesContext(connection) as ctx:
            status = client.get(path, headers=headers).status_code
        if status != 200:
            raise RuntimeError(f"{path} answered {status} in-process")
        counts[name] = len(ctx.captured_queries)
    return counts


def preflight(base: str, page: str, api: str, cookie: str, token: str) -> dict[str, Any]:
    """Each URL answers 200 with the real content before any load is put on it."""
    status, html = fetch(base + page, {"Cookie": cookie})
    if status != 200 or b"<table" not in html:
        raise RuntimeError(f"{page} answered {status}, not the members page: {html[:300]!r}")
    status, body = fetch(base + api, {"Authorization": f"Bearer {token}"})
    if status != 200:
        raise RuntimeError(f"{api} answered {status}: {body[:300]!r}")
    return {
        "members_page_rows": body_rows(html),
        "members_page_bytes": len(html),
        "api_items": len(json.loads(body)["items"]),
        "api_bytes": len(body),
    }


def body_rows(html: bytes) -> int:
    tbody = html.split(b"<tbody>", 1)[-1].split(b"</tbody>", 1)[0]
    return tbody.count(b"<tr")


# --- wrk ----------------------------------------------------------------------------------

_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}


def _ms(value: str) -> float:
    m = re.fullmatch(r"([\d.]+)(us|ms|s|m)", value)
    if not m:
        raise ValueError(f"unexpected wrk latency {value!r}")
    return float(m.group(1)) * _UNITS[m.group(2)]


def parse_wrk(out: str) -> dict[str, float]:
    pct = {int(p): _ms(v) for p, v in re.findall(r"^\s+(\d+)%\s+(\S+)\s*$", out, re.M)}
    rps = re.search(r"^Requests/sec:\s+([\d.]+)", out, re.M)
    total = re.search(r"^\s+(\d+) requests in", out, re.M)
    if rps is None or total is None or not {50, 75, 90, 99} <= pct.keys():
        raise RuntimeError(f"Could not read wrk's output:\n{out}")
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    return {
        "requests_per_s": float(rps.group(1)),
        "p50_ms": pct[50],
        "p75_ms": pct[75],
        "p90_ms": pct[90],
        "p99_ms": pct[99],
        "requests": int(total.group(1)),
        "non_2xx": int(non2xx.group(1)) if non2xx else 0,
        # wrk leaves requests that time out (--timeout) out of the latency distribution.
        "socket_errors": sum(int(g) for g in sock.groups()[:3]) if sock else 0,
        "timeouts": int(sock.group(4)) if sock else 0,
    }


def wrk(
    url: str, headers: dict[str, str], connections: int, seconds: int, think_ms: int = 0
) -> str:
    """wrk's output for ``seconds`` of load; with ``think_ms`` each connection pauses about that
    long after every answer (a person reading), so the load is paced instead of saturating."""
    cmd = [
        "wrk",
        f"-t{min(2, connections)}",
        f"-c{connections}",
        f"-d{seconds}s",
        "--latency",
        "--timeout",
        "10s",
    ]
    for k, v in headers.items():
        cmd += ["-H", f"{k}: {v}"]
    with tempfile.TemporaryDirectory(prefix="meridian-wrk-") as scratch:
        if think_ms:
            # wrk calls delay() before each request of a connection. A random pause (uniform,
            # averaging think_ms) keeps the connections out of step: with a fixed one they
            # would all send at the same moments, in bursts of ``connections`` requests.
            script = Path(scratch) / "think.lua"
            script.write_text(
                f"math.randomseed(os.time())\nfunction delay()\n"
                f"  return math.random(0, {2 * int(think_ms)})\nend\n"
            )
            cmd += ["-s", str(script)]
        result = subprocess.run(
            [*cmd, url], capture_output=True, text=True, timeout=seconds + 60, check=False
        )
    if result.returncode != 0:
        raise RuntimeError(f"wrk failed ({result.returncode}): {result.stderr or result.stdout}")
    return result.stdout


def settle(base: str, timeout: float = 300) -> float:
    """Wait until the server has worked off requests still queued from the last load.

    wrk stops sending when its time is up, but the server goes on answering what it had
    accepted; without this, one URL's backlog would be counted against the next one's.
    """
    started = deadline = time.monotonic()
    deadline += timeout
    quick = 0
    while quick < 5 and time.monotonic() < deadline:
        t = time.monotonic()
        try:
            fetch(base + "/ping")
        except OSError:
            time.sleep(0.5)
            continue
        quick = quick + 1 if time.monotonic() - t < 0.02 else 0
    return time.monotonic() - started


def load(
    sampler: MemorySampler,
    name: str,
    base: str,
    path: str,
    headers: dict[str, str],
    args: argparse.Namespace,
    connections: int | None = None,
    think_ms: int = 0,
) -> Load:
    connections = connections or args.connections
    paced = f", each pausing {think_ms} ms after every answer" if think_ms else ""
    print(f"==> {name}: GET {path} with {connections} connection(s){paced}", flush=True)
    wrk(base + path, headers, connections, args.warmup, think_ms)  # warm up, not counted
    settle(base)
    sampler.phase_peak = 0.0
    figures = parse_wrk(wrk(base + path, headers, connections, args.duration, think_ms))
    sampler.sample()
    drained = settle(base)
    if drained > 1:
        print(f"    the server needed {drained:.1f} s to work off its queue after wrk", flush=True)
    result = Load(
        name=name,
        path=path,
        connections=connections,
        rss_peak_mb=round(sampler.phase_peak, 1),
        **figures,  # type: ignore[arg-type]
    )
    if result.non_2xx or result.socket_errors:
        raise RuntimeError(
            f"{path}: {result.non_2xx} answers were not 2xx and {result.socket_errors} socket "
            "errors — the figures would measure failures."
        )
    if result.timeouts:
        print(f"    {result.timeouts} requests took longer than wrk's 10 s timeout", flush=True)
    return result


# --- Load at a fixed offered rate ---------------------------------------------------------

CLIENT_THREADS = 64


def offered_load(
    port: int,
    rate: float,
    seconds: float,
    path: str,
    headers: dict[str, str] | None = None,
) -> tuple[list[float], int]:
    """Latencies (s) of ``rate × seconds`` GETs of ``path`` sent on schedule, and the failures
    (any answer but 200)."""
    due: queue.Queue[float | None] = queue.Queue()
    latencies: list[float] = []
    failures = [0]
    lock = threading.Lock()

    def client() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        while (when := due.get()) is not None:
            pause = when - time.monotonic()
            if pause > 0:
                time.sleep(pause)
            try:
                conn.request("GET", path, headers=headers or {})
                response = conn.getresponse()
                response.read()
                ok = response.status == 200
            except (OSError, http.client.HTTPException):
                ok = False
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            took = time.monotonic() - when
            with lock:
                if ok:
                    latencies.append(took)
                else:
                    failures[0] += 1
        conn.close()

    threads = [threading.Thread(target=client, daemon=True) for _ in range(CLIENT_THREADS)]
    for thread in threads:
        thread.start()
    start = time.monotonic() + 0.5
    for i in range(int(rate * seconds)):
        due.put(start + i / rate)
    for _ in threads:
        due.put(None)
    for thread in threads:
        thread.join(timeout=seconds + 60)
    return latencies, failures[0]


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] if ordered else 0.0


def fixed_rate(
    sampler: MemorySampler,
    name: str,
    port: int,
    path: str,
    headers: dict[str, str],
    rate: float,
    seconds: float,
) -> Load:
    """An open loop at ``rate`` requests per second for ``seconds`` (after 2 s not counted):
    latency counted from when each request was due, so queueing shows (no coordinated
    omission). On two shared cores this, not wrk's closed loop of 32 connections, says how
    long a person waits at a given traffic."""
    print(f"==> {name}: GET {path} at {rate:g} requests/s offered, open loop", flush=True)
    offered_load(port, rate, 2, path, headers)  # warm-up, not counted
    settle(f"http://127.0.0.1:{port}")
    sampler.phase_peak = 0.0
    latencies, failed = offered_load(port, rate, seconds, path, headers)
    sampler.sample()
    if failed:
        raise RuntimeError(f"{path}: {failed} answers at {rate:g}/s were not 200 or failed")
    ms = [v * 1000 for v in latencies]
    return Load(
        name=name,
        path=path,
        connections=0,
        requests_per_s=len(ms) / seconds,  # every request answered: the offered rate
        p50_ms=percentile(ms, 0.5),
        p75_ms=percentile(ms, 0.75),
        p90_ms=percentile(ms, 0.9),
        p99_ms=percentile(ms, 0.99),
        requests=len(ms),
        non_2xx=0,
        socket_errors=0,
        timeouts=0,
        rss_peak_mb=round(sampler.phase_peak, 1),
    )


# --- Report -------------------------------------------------------------------------------


def table(loads: list[Load]) -> str:
    head = (
        f"{'endpoint':<30} {'conns':>5} {'req/s':>7} {'p50 ms':>8} {'p90 ms':>8} {'p99 ms':>8} "
        f"{'requests':>8} {'timeouts':>8} {'RSS MB':>6}"
    )
    rows = [head, "-" * len(head)]
    for r in loads:
        rows.append(
            f"{r.name:<30} {r.connections or 'open'!s:>5} {r.requests_per_s:>7.0f} {r.p50_ms:>8.1f} "
            f"{r.p90_ms:>8.1f} {r.p99_ms:>8.1f} {r.requests:>8} {r.timeouts:>8} "
            f"{r.rss_peak_mb:>6.0f}"
        )
    return "\n".join(rows)


def targets(by_name: dict[str, Load], rss_peak: float, largest: float) -> list[dict[str, Any]]:
    ping, page, api = by_name["bare view"], by_name["members page"], by_name["members API"]
    fixed = by_name["members page, fixed rate"]
    ratio = api.requests_per_s / ping.requests_per_s if ping.requests_per_s else 0.0
    return [
        {
            "target": f"members page p99 ≤ {TARGET_MEMBERS_P99_MS:.0f} ms",
            "figure": f"{page.p99_ms:.1f} ms"
            + (f", and {page.timeouts} requests timed out (> 10 s)" if page.timeouts else ""),
            "passed": page.p99_ms <= TARGET_MEMBERS_P99_MS and not page.timeouts,
        },
        {
            # The closed loop above measures queueing on two shared cores (docs/benchmarks.md):
            # the same p99 at a fixed offered rate is what a person waits.
            "target": f"members page p99 ≤ {TARGET_MEMBERS_P99_MS:.0f} ms at a fixed offered "
            f"rate of {fixed.requests_per_s:.0f} req/s (open loop; the target restated)",
            "figure": f"{fixed.p99_ms:.1f} ms (p50 {fixed.p50_ms:.1f})",
            "passed": fixed.p99_ms <= TARGET_MEMBERS_P99_MS,
        },
        {
            "target": f"members API throughput ≥ {TARGET_API_RATIO} × the bare view's",
            "figure": f"{ratio:.2f} × ({api.requests_per_s:.0f} / {ping.requests_per_s:.0f} req/s)",
            "passed": ratio >= TARGET_API_RATIO,
        },
        {
            # Per process: `meridian serve` starts one web process per core.
            "target": f"web process RSS ≤ {TARGET_RSS_MB:.0f} MB",
            "figure": f"{largest:.0f} MB peak of the largest process ({rss_peak:.0f} MB summed)",
            "passed": largest <= TARGET_RSS_MB,
        },
    ]


def run_others(args: argparse.Namespace) -> int:
    """Run the other benchmarks that exist, each in its own process; the worst exit code."""
    codes: dict[str, int] = {}
    for script in OTHER_BENCHMARKS:
        path = ROOT / "bench" / script
        if not path.exists():
            continue
        cmd = [sys.executable, str(path)]
        if script in ("briefs.py", "proposal.py"):
            cmd += ["--duration", str(args.duration), "--warmup", str(args.warmup)]
            cmd += ["--connections", str(args.connections)]
            cmd += ["--database-url", args.database_url] if args.database_url else []
            cmd += ["--redis-url", args.redis_url] if args.redis_url else []
            cmd += ["--workers", str(args.workers)] if args.workers else []
            cmd += ["--threads", str(args.threads)] if args.threads else []
        if script in (
            "pages.py",
            "inbox.py",
            "work.py",
            "metrics.py",
            "dashboards.py",
            "tracking.py",
            "checkins.py",
        ) and (args.database_url):
            cmd += ["--database-url", args.database_url]
        print(f"\n==> {shlex.join(['bench/' + script, *cmd[2:]])}", flush=True)
        codes[script] = subprocess.run(cmd, cwd=ROOT, env=STARTING_ENV, check=False).returncode
    if codes:
        print("\n==> the other benchmarks:")
        words = {0: "PASS", 1: "FAIL"}
        for script, code in codes.items():
            print(f"{words.get(code, 'ERROR')}  bench/{script} (exit code {code})")
    return max(codes.values(), default=0)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", type=int, default=1000, help="members per workspace")
    parser.add_argument("--workspaces", type=int, default=1)
    parser.add_argument("--duration", type=int, default=10, help="seconds of load per URL")
    parser.add_argument("--warmup", type=int, default=2, help="seconds of uncounted load first")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument(
        "--rate", type=float, default=20, help="requests/s offered in the open-loop phase"
    )
    parser.add_argument("--database-url", default="", help="postgres://…/<name with 'bench'>")
    parser.add_argument("--redis-url", default="", help="redis://… for the server's cache")
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    parser.add_argument("--workers", type=int, help="granian workers (serve's default if unset)")
    parser.add_argument("--threads", type=int, help="threads per worker (serve's default)")
    parser.add_argument("--output", type=Path, default=RESULTS / "latest.json")
    parser.add_argument("--no-others", action="store_true", help="only this benchmark")
    args = parser.parse_args(argv)

    if shutil.which("wrk") is None:
        print(
            "bench: wrk is not installed. `make bench` installs it (as root on Debian), "
            "or run `apt-get install wrk`.",
            file=sys.stderr,
        )
        return 2
    if min(args.duration, args.warmup, args.connections) < 1:
        parser.error("--duration, --warmup and --connections must be at least 1")
    data_dir = args.data_dir.resolve()
    command = "bench/run.py " + shlex.join(sys.argv[1:] if argv is None else argv)
    host = machine()
    print(
        f"==> {host['cpus']} CPUs ({host['cpu_model']}), {host['memory_gb']} GB, "
        f"Python {host['python']}, {host['wrk']}, load {host['load_average_at_start'][0]:.2f}",
        flush=True,
    )

    database = fresh_database(data_dir=data_dir, database_url=args.database_url)
    configure(data_dir=data_dir, database_url=args.database_url)
    data = generate(members=args.members, workspaces=args.workspaces, database=database)
    print(describe(data), flush=True)
    cookie, token = credentials(data)
    from django.db import connections

    connections.close_all()

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    page = f"/w/{data.workspaces[0]}/members/"
    api = "/api/v1/members"
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
        checks = preflight(base, page, api, cookie, token)
        checks["queries"] = query_counts(data, page, api, token)
        connections.close_all()
        print(
            f"==> members page: {checks['members_page_rows']} rows, {checks['members_page_bytes']} "
            f"bytes, {checks['queries']['members page']} queries; members API: "
            f"{checks['api_items']} items, {checks['queries']['members API']} queries",
            flush=True,
        )
        loads.append(load(sampler, "bare view", base, "/ping", {}, args))
        loads.append(load(sampler, "members page", base, page, {"Cookie": cookie}, args))
        loads.append(
            load(sampler, "members API", base, api, {"Authorization": f"Bearer {token}"}, args)
        )
        # Not a target: one request at a time shows the work per request without queueing.
        loads.append(
            load(sampler, "members page, one at a time", base, page, {"Cookie": cookie}, args, 1)
        )
        # The latency a person sees at a given traffic: an open loop at a fixed offered rate.
        loads.append(
            fixed_rate(
                sampler,
                "members page, fixed rate",
                port,
                page,
                {"Cookie": cookie},
                args.rate,
                args.duration,
            )
        )
        loads.append(
            fixed_rate(
                sampler,
                "members API, fixed rate",
                port,
                api,
                {"Authorization": f"Bearer {token}"},
                args.rate,
                args.duration,
            )
        )
        web_processes = sampler.processes
    except RuntimeError as exc:
        print(f"bench: {exc}", file=sys.stderr)
        return 2
    finally:
        sampler.stop()
        stop_server(proc)

    host["load_average_at_end"] = os.getloadavg()
    print()
    print(table(loads))
    print(
        f"\nweb RSS peak {sampler.peak:.0f} MB over {web_processes} granian process(es); "
        f"the `meridian serve` supervisor above them: {sampler.supervisor_peak:.0f} MB"
    )
    print(
        f"load average {host['load_average_at_start'][0]:.2f} at start, "
        f"{host['load_average_at_end'][0]:.2f} at end ({host['cpus']} CPUs)"
    )
    checked = targets({r.name: r for r in loads}, sampler.peak, sampler.largest_peak)
    for t in checked:
        print(f"{'PASS' if t['passed'] else 'FAIL'}  {t['target']}: {t['figure']}")

    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(
        json.dumps(
            {
                "command": command,
                "machine": host,
                "options": {
                    k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()
                },
                "data": asdict(data),
                "checks": checks,
                "results": [asdict(r) for r in loads],
                "web_rss_peak_mb": round(sampler.peak, 1),
                "web_rss_largest_process_peak_mb": round(sampler.largest_peak, 1),
                "web_processes": web_processes,
                "supervisor_rss_peak_mb": round(sampler.supervisor_peak, 1),
                "targets": checked,
            },
            indent=2,
        )
        + "\n"
    )
    print(
        f"\nWrote {args.output.relative_to(ROOT) if args.output.is_relative_to(ROOT) else args.output}"
    )
    code = 0 if all(t["passed"] for t in checked) else 1
    return code if args.no_others else max(code, run_others(args))


if __name__ == "__main__":
    sys.exit(main())
