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
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.run import (  # noqa: E402
    free_port,
    offered_load,
    percentile,
    server_env,
    start_server,
    stop_server,
    wait_until_up,
)

PATH = "/accounts/login/"


def measure(workers: int, rate: float, seconds: float, threads: int | None) -> str:
    with tempfile.TemporaryDirectory(prefix="meridian-serve-bench-") as scratch:
        data = Path(scratch)
        port = free_port()
        log = data / "serve.log"
        server = start_server(port, server_env(data, ""), log, workers, threads)
        try:
            wait_until_up(f"http://127.0.0.1:{port}", server, log, timeout=300)
            offered_load(port, rate, 3, PATH)  # warm-up: imports, template caches, connections
            started = time.monotonic()
            latencies, failed = offered_load(port, rate, seconds, PATH)
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
