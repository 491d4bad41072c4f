"""`meridian serve` with 1 web process, then with one per core, at a fixed offered rate.

    .venv/bin/python bench/serve_workers.py --rate 60 --seconds 15 --workers 1 2

An open-loop load (unlike wrk's closed loop): request i is due at ``start + i / rate``
whether or not earlier answers came back, and its latency is counted from when it was due,
so a server that falls behind shows it (no coordinated omission). The page is the sign-in
page, which renders a template and needs no data; the server runs on SQLite in a scratch
directory, with `--no-worker`. Prints one line per worker count: answered per second, p50,
p90, p99 and the worst latency, and how many requests failed or took longer than 10 s.
"""

from __future__ import annotations

import argparse
import http.client
import queue
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.run import free_port, server_env, start_server, stop_server, wait_until_up  # noqa: E402

PATH = "/accounts/login/"
CLIENT_THREADS = 64


def offered_load(
    port: int,
    rate: float,
    seconds: float,
    path: str = PATH,
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


def measure(workers: int, rate: float, seconds: float, threads: int | None) -> str:
    with tempfile.TemporaryDirectory(prefix="meridian-serve-bench-") as scratch:
        data = Path(scratch)
        port = free_port()
        log = data / "serve.log"
        server = start_server(port, server_env(data, ""), log, workers, threads)
        try:
            wait_until_up(f"http://127.0.0.1:{port}", server, log, timeout=300)
            offered_load(port, rate, 3)  # warm-up: imports, template caches, connections
            started = time.monotonic()
            latencies, failed = offered_load(port, rate, seconds)
            wall = time.monotonic() - started
        finally:
            stop_server(server)
    ms = [v * 1000 for v in latencies]
    return (
        f"| {workers} | {rate:g} | {len(latencies) / wall:.1f} | {percentile(ms, 0.5):.0f} | "
        f"{percentile(ms, 0.9):.0f} | {percentile(ms, 0.99):.0f} | {max(ms, default=0):.0f} | "
        f"{failed} |"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rate", type=float, default=60, help="requests per second offered")
    parser.add_argument("--seconds", type=float, default=15, help="seconds of measured load")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--threads", type=int, help="threads per web process (serve's default)")
    args = parser.parse_args()
    print("| web processes | offered req/s | answered req/s | p50 ms | p90 ms | p99 ms | max ms "
          "| failed |")  # fmt: skip
    print("|---|---|---|---|---|---|---|---|", flush=True)
    for workers in args.workers:
        print(measure(workers, args.rate, args.seconds, args.threads), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
