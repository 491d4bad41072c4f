"""`meridian agent`: serve ActivityWatch's API from the member's own machine."""

from __future__ import annotations

import argparse
import gc
import os
import signal
import sys
import threading
from pathlib import Path

# `meridian agent COMMAND` (commands.py); anything else serves.
COMMANDS = ("day", "exclude", "relabel", "delete", "rules", "login", "sync", "status")
DEFAULT_PORT = 5600
TESTING_PORT = 5666
# How long a stopping agent waits for a sync in flight to finish (seconds).
SYNC_STOP_GRACE = 30.0
# Seconds without a big request after which the serving agent gives freed memory back.
IDLE_SECONDS = 1.0


def default_dir() -> Path:
    """The platform's per-user data directory (``MERIDIAN_AGENT_DIR`` overrides it)."""
    configured = os.environ.get("MERIDIAN_AGENT_DIR")
    if configured:
        return Path(configured).expanduser()
    home = Path.home()
    if sys.platform == "darwin":
        return home / "Library" / "Application Support" / "meridian-agent"
    if sys.platform.startswith("win"):
        base = os.environ.get("LOCALAPPDATA") or str(home / "AppData" / "Local")
        return Path(base) / "meridian-agent"
    base = os.environ.get("XDG_DATA_HOME") or str(home / ".local" / "share")
    return Path(base) / "meridian-agent"


def database_path(directory: Path, *, testing: bool) -> Path:
    # Like aw-server, testing mode keeps its own database so tests never touch real data.
    return directory / ("agent-testing.sqlite3" if testing else "agent.sqlite3")


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="meridian agent",
        description="Serve ActivityWatch's REST API (/api/0/) and your day's page (/) from a "
        "private local database.",
        epilog="Curate and sync: meridian agent day | exclude | relabel | delete | rules | "
        "login | sync | status (each with --help).",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (127.0.0.1)")
    parser.add_argument(
        "--port",
        type=int,
        default=None,
        help=f"port ({DEFAULT_PORT}; {TESTING_PORT} with --testing)",
    )
    parser.add_argument(
        "--testing", action="store_true", help="testing mode: port 5666, a separate database"
    )
    parser.add_argument("--dir", type=Path, default=None, help="data directory")
    parser.add_argument(
        "--from-activitywatch",
        metavar="URL",
        help="copy an existing ActivityWatch server's data (e.g. http://127.0.0.1:5600) "
        "instead of serving the API",
    )
    parser.add_argument("--interval", type=float, default=60.0, help="seconds between copies (60)")
    parser.add_argument("--once", action="store_true", help="copy once and exit")
    parser.add_argument(
        "--zone", default=None, help="your time zone for the page (default: the system's)"
    )
    parser.add_argument(
        "--sync-every",
        type=float,
        default=0,
        metavar="MINUTES",
        help="also sync to the server saved by `meridian agent login` every MINUTES (off)",
    )
    return parser.parse_args(argv)


def run(argv: list[str]) -> int:
    if argv and argv[0] in COMMANDS:
        from .commands import run_command

        return run_command(argv)
    from .server import make_server
    from .store import Store
    from .zones import local_zone

    args = parse_args(argv)
    try:
        zone = local_zone(args.zone)
    except ValueError as exc:
        print(f"meridian agent: {exc}", file=sys.stderr)
        return 1
    port = args.port if args.port is not None else (TESTING_PORT if args.testing else DEFAULT_PORT)
    directory = (args.dir or default_dir()).expanduser()
    directory.mkdir(parents=True, exist_ok=True)
    if args.from_activitywatch:
        return run_mirror(args, directory)
    path = database_path(directory, testing=args.testing)
    # Before any thread of the agent's starts (the flusher, the request threads).
    one_heap()
    keep_freed_memory()
    store = Store(path)
    store.start_flusher()
    try:
        server = make_server(store, host=args.host, port=port, testing=args.testing, zone=zone)
    except OSError as exc:
        print(f"meridian agent: cannot listen on {args.host}:{port}: {exc}", file=sys.stderr)
        store.close()
        return 1
    # What start-up built lives as long as the process: keep the collector from walking it.
    gc.freeze()
    stop = threading.Event()

    def request_stop(signum: int, frame: object) -> None:
        stop.set()

    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, request_stop)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True
    )
    thread.start()
    mode = " (testing)" if args.testing else ""
    print(
        f"meridian agent{mode} is serving ActivityWatch's API at "
        f"http://{args.host}:{server.server_address[1]}/api/0/ (database {path}); "
        f"your day: http://{args.host}:{server.server_address[1]}/",
        flush=True,
    )
    syncing: threading.Thread | None = None
    if args.sync_every > 0:
        from .commands import periodic_sync

        syncing = threading.Thread(
            target=periodic_sync, args=(store, args.sync_every * 60, stop, zone), daemon=True
        )
        syncing.start()
    agent = server.RequestHandlerClass.agent  # type: ignore[attr-defined]
    big = trimmed = agent.big
    while not stop.wait(IDLE_SECONDS):
        # A query's answer is megabytes and a bulk insert's body as much, built by request
        # threads whose C heaps keep the freed pages: once such requests stop for a second
        # (heartbeats may go on), those pages go back to the system.
        now = agent.big
        if now == big != trimmed:
            release_memory()
            trimmed = now
        big = now
    server.shutdown()
    server.server_close()
    if syncing is not None:
        # A sync in flight finishes and records what the server acknowledged before the store
        # closes (a stop between syncs returns at once); a hung one is cut off after a while,
        # and the next sync sends its slots again (idempotent).
        syncing.join(SYNC_STOP_GRACE)
    store.close()
    return 0


# glibc's mallopt parameter for the number of C heaps ("arenas") threads may use.
M_ARENA_MAX = -8
# glibc's mallopt parameters: blocks of at least this size get pages of their own (mmap), and
# the heap gives back its free top once that is larger than this.
M_MMAP_THRESHOLD = -3
M_TRIM_THRESHOLD = -1
# The agent's: an answer's large strings (~1.6 MB each, a handful per answer) come from the
# heap, whose freed top is kept up to KEEP_FREE between requests.
MMAP_AT = 32 * 1024 * 1024  # glibc's largest
KEEP_FREE = 8 * 1024 * 1024


def one_heap() -> bool:
    """Have every thread allocate from one C heap (glibc; elsewhere nothing happens).

    glibc gives threads heaps of their own; the agent's requests run on a pool of threads,
    so each new query's megabytes came from another heap, whose pages the previous query had
    not touched: page faults on every answer, and the freed pages of up to eight heaps kept
    (~13 MB more resident memory idle after a dozen answers). Python's global lock lets one
    thread run at a time anyway, so one heap costs no waiting. True when it was set.
    """
    import ctypes

    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    return bool(mallopt(M_ARENA_MAX, 1))


def keep_freed_memory() -> bool:
    """Have the C heap keep the pages an answer freed for the next one (glibc; elsewhere
    nothing happens). True when it was set.

    By default glibc gives each block of a megabyte or more pages of its own and returns them
    when the block is freed, and returns the heap's free top as soon as it passes a few
    megabytes: each answer's large strings (its parts, the whole text, its bytes) were then
    fresh pages, a page fault per 4 kB (~2,700 on a day's first answer on the benchmark
    machine, ~1,650 with this). The pages kept are bounded (KEEP_FREE) and given back anyway
    once requests stop (release_memory).
    """
    import ctypes

    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    return bool(mallopt(M_MMAP_THRESHOLD, MMAP_AT)) and bool(mallopt(M_TRIM_THRESHOLD, KEEP_FREE))


def release_memory() -> None:
    """Give the free pages of the C heaps back to the system (glibc's ``malloc_trim``;
    elsewhere nothing happens)."""
    import ctypes

    try:
        trim = ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError):
        return
    trim(0)


def run_mirror(args: argparse.Namespace, directory: Path) -> int:
    """Copy another ActivityWatch server's buckets and events, every ``--interval`` seconds."""
    from .mirror import SourceError, check_source, pull
    from .store import Store

    url = args.from_activitywatch
    try:
        info = check_source(url)
    except SourceError as exc:
        print(f"meridian agent: {exc}", file=sys.stderr)
        return 1
    stop = threading.Event()

    def request_stop(signum: int, frame: object) -> None:
        stop.set()

    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, request_stop)
    store = Store(directory / ("mirror-testing.sqlite3" if args.testing else "mirror.sqlite3"))
    print(
        f"meridian agent is copying ActivityWatch {info.get('version')} at {url} into {store.path}",
        flush=True,
    )
    code = 0
    try:
        while True:
            try:
                print(f"meridian agent: {pull(store, url)}", flush=True)
                code = 0
            except SourceError as exc:
                print(f"meridian agent: {exc}", file=sys.stderr, flush=True)
                code = 1
            if args.once or stop.wait(args.interval):
                break
    finally:
        store.close()
    return code
