"""The local agent (`meridian agent`): heartbeats, bulk inserts, the desktop query, idle memory.

    .venv/bin/python bench/agent.py
    .venv/bin/python bench/agent.py --events 100000 --heartbeats 3000
    .venv/bin/python bench/agent.py --reference /path/to/venv-with-aw-server/bin/python

It starts the real ``meridian agent --testing`` process on a free port of 127.0.0.1 with a
fresh directory and measures, through its HTTP API:

* heartbeats per second sent with the unmodified ``aw-client`` (a new connection per request,
  as aw-client does) and with one keep-alive ``http.client`` connection; each heartbeat
  continues the previous one, so the agent merges it (the common case for watchers); and the
  server's CPU time per heartbeat (``/proc/<pid>/stat``), steadier than the rates on a shared
  machine (``--heartbeats-only`` measures these alone), and aw-client's own CPU time per
  heartbeat (this process);
* bulk insert: ``--events`` events in POSTs of 1,000 over one keep-alive connection;
* the day's summary: ``aw_client.queries.fullDesktopQuery`` (window + AFK buckets,
  categories) for one day, over a database holding ``--events`` window events and as many
  AFK events spread over ``--days`` days, through HTTP: the first answer (computed) and the
  median of 19 repeats (answered from the agent's query cache while nothing changed);
* the agent's resident memory (VmRSS) idle right after start and idle after all the above;
* then the first answer for each other whole day (median and least of the wall times, and
  the agent's CPU time per answer), a steadier figure than the one first answer, and the
  resident memory idle after those.

With a reference Python (``--reference PYTHON``; by default ``.venv-aw-reference``, which
``scripts/bootstrap.sh bench`` creates from ``requirements/aw-reference.txt``: ``aw-server``,
``peewee<4`` and ``flask==2.2.5``, every file pinned by hash)
it runs the same measurements against ActivityWatch's own server, started with that Python in
testing mode, side by side (``--no-reference`` skips it). Right after the reference it measures
aw-client's own ceiling: its heartbeats per second against a server that does nothing (it reads
each request and answers a canned 200). No server can be faster than that through aw-client, so
``heartbeat_ratio_aw_client_ceiling`` (ceiling ÷ aw-server) is the most any server could reach
against the reference in that run; it is printed, not a target.

Targets: heartbeats ≥ 5× the reference (when given); bulk insert ≥ 100,000 events/s; desktop
query ≤ 20 ms; idle RSS ≤ 60 MB. Exit code 0 when every target is met, 1 when one is not.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "src"

DAY = datetime(2026, 12, 1, tzinfo=UTC)
APPS = [
    ("Code", "main.py — meridian"),
    ("Code", "store.py — meridian"),
    ("Firefox", "Pull request · GitHub"),
    ("Firefox", "Meridian docs"),
    ("Slack", "general"),
    ("Slack", "random"),
    ("zoom.us", "Standup"),
    ("Terminal", "pytest"),
    ("LibreOffice", "Quarterly plan.odt"),
    ("Mail", "Inbox"),
]
CLASSES: list[tuple[list[str], dict[str, Any]]] = [
    (["Work", "Programming"], {"type": "regex", "regex": "Code|Terminal|GitHub"}),
    (["Work", "Writing"], {"type": "regex", "regex": "LibreOffice|docs"}),
    (["Meetings"], {"type": "regex", "regex": "zoom|Standup", "ignore_case": True}),
    (["Communication"], {"type": "regex", "regex": r"Slack|Mail"}),
]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_port(port: int, seconds: float = 15.0) -> float:
    started = time.perf_counter()
    deadline = started + seconds
    while time.perf_counter() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return time.perf_counter() - started
        time.sleep(0.01)
    raise RuntimeError(f"nothing listens on port {port}")


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def cpu_s(pid: int) -> float:
    """The process's CPU time so far (user + system), from /proc/<pid>/stat."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Keepalive:
    def __init__(self, port: int) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", port)

    def send(self, method: str, path: str, data: bytes | None = None) -> bytes:
        """One request with a body encoded beforehand; the answer's bytes, undecoded."""
        headers = {"Content-Type": "application/json"} if data is not None else {}
        self.conn.request(method, path, body=data, headers=headers)
        response = self.conn.getresponse()
        raw = response.read()
        if response.status >= 400:
            raise RuntimeError(f"{method} {path}: {response.status} {raw[:200]!r}")
        return raw

    def call(self, method: str, path: str, body: Any = None) -> Any:
        raw = self.send(method, path, json.dumps(body).encode() if body is not None else None)
        return json.loads(raw) if raw else None


def iso(moment: datetime) -> str:
    return moment.isoformat()


def aw_client_heartbeats(port: int, count: int, *, pid: int) -> dict[str, float]:
    """``count`` heartbeats sent with aw-client: per second, and the CPU time per heartbeat
    of the server (/proc) and of aw-client itself (this process)."""
    from aw_client import ActivityWatchClient
    from aw_core.models import Event

    client = ActivityWatchClient("bench", testing=True, port=port)
    client.create_bucket("bench-heartbeats-client", "currentwindow")
    start = DAY + timedelta(days=40)
    cpu = cpu_s(pid)
    own = time.process_time()
    began = time.perf_counter()
    for i in range(count):
        client.heartbeat(
            "bench-heartbeats-client",
            Event(timestamp=start + timedelta(seconds=i), data={"app": "Code", "title": "x"}),
            pulsetime=2,
        )
    elapsed = time.perf_counter() - began
    return {
        "per_s": count / elapsed,
        "own_cpu_ms": (time.process_time() - own) * 1000 / count,
        "server_cpu_ms": (cpu_s(pid) - cpu) * 1000 / count,
    }


def measure_heartbeats(port: int, count: int, *, pid: int) -> dict[str, float]:
    """Heartbeats per second and the server's CPU time (/proc) per heartbeat, each way."""
    via = aw_client_heartbeats(port, count, pid=pid)
    start = DAY + timedelta(days=40)
    keep = Keepalive(port)
    bucket = {"client": "bench", "type": "currentwindow", "hostname": "bench"}
    keep.call("POST", "/api/0/buckets/bench-heartbeats-http", bucket)
    cpu = cpu_s(pid)
    began = time.perf_counter()
    for i in range(count):
        keep.call(
            "POST",
            "/api/0/buckets/bench-heartbeats-http/heartbeat?pulsetime=2",
            {
                "timestamp": iso(start + timedelta(seconds=i)),
                "duration": 0,
                "data": {"app": "Code"},
            },
        )
    via_http = count / (time.perf_counter() - began)
    return {
        "heartbeats_per_s_aw_client": via["per_s"],
        "heartbeats_per_s_keepalive": via_http,
        "heartbeat_server_cpu_ms_aw_client": via["server_cpu_ms"],
        "heartbeat_aw_client_own_cpu_ms": via["own_cpu_ms"],
        "heartbeat_server_cpu_ms_keepalive": (cpu_s(pid) - cpu) * 1000 / count,
    }


# A server that does nothing: it reads each request (head and body) and answers a canned
# 200 on a connection of its own, one at a time. aw-client against it gives the most
# heartbeats per second that aw-client itself can send on this machine at this moment: no
# real server can be faster through aw-client, so "ceiling / aw-server" bounds the ratio any
# server could reach in the same run.
CANNED_SERVER = r"""
import socket, sys
ANSWER = (b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
          b"Content-Length: 2\r\nConnection: close\r\n\r\n{}")
server = socket.create_server(("127.0.0.1", int(sys.argv[1])))
while True:
    conn, _ = server.accept()
    try:
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = conn.recv(65536)
            if not chunk:
                break
            data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        length = 0
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        while len(body) < length:
            chunk = conn.recv(65536)
            if not chunk:
                break
            body += chunk
        if data:
            conn.sendall(ANSWER)
    except OSError:
        pass
    finally:
        conn.close()
"""


def measure_client_ceiling(count: int) -> dict[str, float]:
    """aw-client's heartbeats per second against the canned server (its own ceiling)."""
    port = free_port()
    server = subprocess.Popen([sys.executable, "-c", CANNED_SERVER, str(port)])
    try:
        wait_port(port)
        via = aw_client_heartbeats(port, count, pid=server.pid)
        return {
            "aw_client_ceiling_per_s": via["per_s"],
            "aw_client_ceiling_own_cpu_ms": via["own_cpu_ms"],
            "aw_client_ceiling_canned_server_cpu_ms": via["server_cpu_ms"],
        }
    finally:
        stop(server)


def day_events(
    total: int, days: int, seed: int = 7
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """``total`` window events and ``total`` AFK events, back to back over ``days`` days."""
    rng = random.Random(seed)
    span = days * 86400
    step = span / total
    window, afk = [], []
    for i in range(total):
        app, title = APPS[rng.randrange(len(APPS))]
        moment = DAY + timedelta(seconds=i * step)
        window.append(
            {"timestamp": iso(moment), "duration": step, "data": {"app": app, "title": title}}
        )
        status = "afk" if rng.random() < 0.2 else "not-afk"
        afk.append({"timestamp": iso(moment), "duration": step, "data": {"status": status}})
    return window, afk


def fill(port: int, events: int, days: int) -> dict[str, float]:
    keep = Keepalive(port)
    for bucket, kind in (
        ("aw-watcher-window_bench", "currentwindow"),
        ("aw-watcher-afk_bench", "afkstatus"),
    ):
        keep.call(
            "POST",
            f"/api/0/buckets/{bucket}",
            {"client": "bench", "type": kind, "hostname": "bench"},
        )
    window, afk = day_events(events, days)
    # Encoded beforehand: the figure is the agent's ingest, not this client's json.dumps.
    bodies = [json.dumps(window[i : i + 1000]).encode() for i in range(0, len(window), 1000)]
    began = time.perf_counter()
    for body in bodies:
        keep.send("POST", "/api/0/buckets/aw-watcher-window_bench/events", body)
    bulk = len(window) / (time.perf_counter() - began)
    for i in range(0, len(afk), 1000):
        keep.call("POST", "/api/0/buckets/aw-watcher-afk_bench/events", afk[i : i + 1000])
    return {"bulk_insert_events_per_s": bulk}


def desktop_query_ms(port: int, *, day: datetime, runs: int = 20) -> tuple[float, float, int]:
    """(first answer ms, median of the repeated answers ms, events in the summary).

    Timed from sending the query to having the whole answer's bytes (not decoding them).
    """
    from aw_client.queries import DesktopQueryParams, fullDesktopQuery

    query = fullDesktopQuery(
        DesktopQueryParams(
            bid_window="aw-watcher-window_", bid_afk="aw-watcher-afk_", classes=list(CLASSES)
        )
    )
    body = {
        "timeperiods": [f"{iso(day)}/{iso(day + timedelta(days=1))}"],
        "query": query.split("\n"),
    }
    keep = Keepalive(port)
    data = json.dumps(body).encode()
    timings = []
    raw = b""
    for _ in range(runs):
        began = time.perf_counter()
        raw = keep.send("POST", "/api/0/query/", data)
        timings.append((time.perf_counter() - began) * 1000)
    return timings[0], statistics.median(timings[1:] or timings), len(json.loads(raw)[0]["events"])


def start_agent(directory: Path, port: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    command = [sys.executable, "-m", "meridian.cli", "agent", "--testing", "--port", str(port)]
    return subprocess.Popen([*command, "--dir", str(directory)], env=env, stdout=subprocess.DEVNULL)


def start_reference(python: str, directory: Path, port: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "XDG_DATA_HOME": str(directory), "XDG_CONFIG_HOME": str(directory)}
    command = [python, "-m", "aw_server", "--testing", "--host", "127.0.0.1", "--port", str(port)]
    return subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def measure(
    events: int, heartbeats: int, days: int, reference: str | None, *, heartbeats_only: bool = False
) -> dict[str, Any]:
    figures: dict[str, Any] = {"events": events, "days": days, "heartbeats": heartbeats}
    work = Path(tempfile.mkdtemp(prefix="meridian-agent-bench-"))
    # aw-client keeps a lock file and a queue in the user's data directory: keep them here.
    os.environ["XDG_DATA_HOME"] = str(work / "client-data")
    os.environ["XDG_CONFIG_HOME"] = str(work / "client-config")
    try:
        port = free_port()
        process = start_agent(work / "agent", port)
        try:
            figures["start_s"] = wait_port(port)
            time.sleep(0.5)
            figures["idle_rss_mb_start"] = rss_mb(process.pid)
            figures.update(measure_heartbeats(port, heartbeats, pid=process.pid))
            if not heartbeats_only:
                before = cpu_s(process.pid)
                figures.update(fill(port, events, days))
                # The agent's own CPU time for both buckets' inserts: less sensitive than the
                # wall clock to other work on a shared machine.
                figures["bulk_insert_events_per_agent_cpu_s"] = (
                    2 * events / max(cpu_s(process.pid) - before, 1e-9)
                )
                query_day = DAY + timedelta(days=days // 2)
                before = cpu_s(process.pid)
                (
                    figures["desktop_query_ms_first"],
                    figures["desktop_query_ms_repeated"],
                    figures["desktop_query_events"],
                ) = desktop_query_ms(port, day=query_day)
                figures["desktop_query_agent_cpu_ms_all_runs"] = (
                    cpu_s(process.pid) - before
                ) * 1000
                time.sleep(1.0)
                figures["idle_rss_mb_after"] = rss_mb(process.pid)
                # One sample of the first answer is noisy on a shared machine: the first answers
                # of every other whole day as well (after the memory figure: the agent caches them).
                others = [DAY + timedelta(days=d) for d in range(days - 1) if d != days // 2]
                before = cpu_s(process.pid)
                firsts = [desktop_query_ms(port, day=day, runs=1)[0] for day in others]
                figures["desktop_query_ms_first_other_days_median"] = statistics.median(firsts)
                figures["desktop_query_ms_first_other_days_min"] = min(firsts)
                figures["desktop_query_agent_cpu_ms_per_first_answer"] = (
                    (cpu_s(process.pid) - before) * 1000 / len(others)
                )
                # Idle again after those answers (each ~1.6 MB): what the agent keeps of them.
                time.sleep(4.0)
                figures["idle_rss_mb_after_other_days"] = rss_mb(process.pid)
        finally:
            stop(process)
        if reference:
            port = free_port()
            ref = start_reference(reference, work / "reference", port)
            try:
                wait_port(port, 60)
                time.sleep(1.0)
                hb = measure_heartbeats(port, max(200, heartbeats // 10), pid=ref.pid)
                figures["reference_heartbeats_per_s_aw_client"] = hb["heartbeats_per_s_aw_client"]
                figures["reference_heartbeats_per_s_keepalive"] = hb["heartbeats_per_s_keepalive"]
                figures["reference_heartbeat_server_cpu_ms_aw_client"] = hb[
                    "heartbeat_server_cpu_ms_aw_client"
                ]
                figures["reference_heartbeat_server_cpu_ms_keepalive"] = hb[
                    "heartbeat_server_cpu_ms_keepalive"
                ]
                figures["reference_heartbeat_aw_client_own_cpu_ms"] = hb[
                    "heartbeat_aw_client_own_cpu_ms"
                ]
                if not heartbeats_only:
                    figures["reference_bulk_insert_events_per_s"] = fill(port, events, days)[
                        "bulk_insert_events_per_s"
                    ]
                    first, repeated, _ = desktop_query_ms(
                        port, day=DAY + timedelta(days=days // 2), runs=3
                    )
                    figures["reference_desktop_query_ms_first"] = first
                    figures["reference_desktop_query_ms_repeated"] = repeated
                    figures["reference_idle_rss_mb"] = rss_mb(ref.pid)
            finally:
                stop(ref)
            # Right after the reference: what aw-client itself allows at this moment.
            figures.update(measure_client_ceiling(max(500, heartbeats // 3)))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return figures


def verdicts(figures: dict[str, Any]) -> list[tuple[str, bool]]:
    checks: list[tuple[str, bool]] = []
    if "bulk_insert_events_per_s" in figures:  # (not with --heartbeats-only)
        checks += [
            ("bulk insert ≥ 100,000 events/s", figures["bulk_insert_events_per_s"] >= 100_000),
            ("desktop query, first answer ≤ 20 ms", figures["desktop_query_ms_first"] <= 20),
            ("desktop query, repeated ≤ 20 ms", figures["desktop_query_ms_repeated"] <= 20),
            (
                "idle RSS ≤ 60 MB",
                max(
                    figures["idle_rss_mb_start"],
                    figures["idle_rss_mb_after"],
                    figures["idle_rss_mb_after_other_days"],
                )
                <= 60,
            ),
        ]
    if "reference_heartbeats_per_s_aw_client" in figures:
        for way in ("aw_client", "keepalive"):
            ratio = (
                figures[f"heartbeats_per_s_{way}"] / figures[f"reference_heartbeats_per_s_{way}"]
            )
            figures[f"heartbeat_ratio_{way}"] = ratio
            checks.append((f"heartbeats via {way} ≥ 5× aw-server", ratio >= 5))
        # Not a target: the most any server could reach through aw-client in this run.
        figures["heartbeat_ratio_aw_client_ceiling"] = (
            figures["aw_client_ceiling_per_s"] / figures["reference_heartbeats_per_s_aw_client"]
        )
    return checks


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--days", type=int, default=14)
    parser.add_argument("--heartbeats", type=int, default=3000)
    parser.add_argument("--reference", help="a Python with aw-server installed")
    parser.add_argument("--no-reference", action="store_true", help="measure the agent alone")
    parser.add_argument(
        "--heartbeats-only",
        action="store_true",
        help="measure the heartbeats alone (rates and the server's CPU time per heartbeat)",
    )
    args = parser.parse_args(argv)
    default_reference = ROOT / ".venv-aw-reference" / "bin" / "python"
    if args.no_reference:
        args.reference = None
    elif args.reference is None and default_reference.exists():
        args.reference = str(default_reference)
    sys.path.insert(0, str(SRC))
    figures = measure(
        args.events,
        args.heartbeats,
        args.days,
        args.reference,
        heartbeats_only=args.heartbeats_only,
    )
    checks = verdicts(figures)
    for key, value in figures.items():
        digits = 3 if "cpu_ms" in key else 1  # (a heartbeat's CPU time is a fraction of a ms)
        print(
            f"{key:<44} {value:,.{digits}f}" if isinstance(value, float) else f"{key:<44} {value}"
        )
    for label, ok in checks:
        print(f"{'PASS' if ok else 'FAIL'}  {label}")
    return 0 if all(ok for _, ok in checks) else 1


if __name__ == "__main__":
    sys.exit(main())
