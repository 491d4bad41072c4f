"""The `meridian` command: serve, worker, agent, demo, migrate, createadmin, check, and Django's own."""

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Mapping


def _django(argv: list[str]) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "meridian.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["meridian", *argv])


def serve_env(environ: Mapping[str, str], *, host: str, port: int) -> dict[str, str]:
    """The environment of the server's processes: the address ``--host``/``--port`` chose.

    The web and worker processes read their settings afresh, so without this a ``--port`` of
    8101 would still mail links to the default port (BASE_URL follows MERIDIAN_PORT unless set).
    """
    return {
        **environ,
        "DJANGO_SETTINGS_MODULE": "meridian.settings",
        "MERIDIAN_HOST": host,
        "MERIDIAN_PORT": str(port),
    }


def serve(argv: list[str]) -> int:
    """Run the web server (granian) and the background worker together until Ctrl-C or SIGTERM.

    Each child runs in a process group of its own, so a signal to this command's group (a
    terminal's Ctrl-C, systemd, ``kill -TERM -PGID``) reaches this process alone, and each
    child gets exactly one stop signal from here. A child still running ``--stop-seconds``
    later is killed with its whole group (web workers, a task's ffmpeg): stopping is bounded
    even when a graceful shutdown hangs. A task cut short that way is taken over by the next
    worker once its lease lapses (see meridian.core.leases).
    """
    import argparse

    parser = argparse.ArgumentParser(prog="meridian serve")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "meridian.settings")
    from django.conf import settings

    parser.add_argument("--host", default=settings.SERVE_HOST)
    parser.add_argument("--port", type=int, default=settings.SERVE_PORT)
    parser.add_argument(
        "--workers",
        type=int,
        default=settings.SERVE_WORKERS,
        help="web server processes (default: one per CPU core available to this process)",
    )
    parser.add_argument("--threads", type=int, default=settings.SERVE_THREADS)
    parser.add_argument(
        "--stop-seconds",
        type=float,
        default=STOP_SECONDS,
        help=f"how long to wait for a graceful stop before killing (default: {STOP_SECONDS:g})",
    )
    parser.add_argument("--no-worker", action="store_true", help="serve pages only")
    args = parser.parse_args(argv)
    _django(["migrate", "--noinput", "-v", "0"])
    _django(["createcachetable"])
    _django(["collectstatic", "--noinput", "-v", "0"])
    env = serve_env(os.environ, host=args.host, port=args.port)
    commands = [
        [
            sys.executable,
            "-m",
            "granian",
            "--interface",
            "wsgi",
            "--host",
            args.host,
            "--port",
            str(args.port),
            "--workers",
            str(args.workers),
            "--blocking-threads",
            str(args.threads),
            "--workers-kill-timeout",
            str(max(1, int(args.stop_seconds / 2))),
            "--no-ws",
            "meridian.wsgi:application",
        ]
    ]
    if not args.no_worker:
        commands.append([sys.executable, "-m", "meridian.cli", "worker"])
    asked = {"stop": 0}

    def request_stop(signum: int, frame: object) -> None:
        asked["stop"] += 1

    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, request_stop)
    preexec = die_with_parent()
    procs = [
        subprocess.Popen(command, env=env, start_new_session=True, preexec_fn=preexec)
        for command in commands
    ]
    print(
        f"Meridian is serving at http://{args.host}:{args.port}/ with {args.workers} web "
        f"process(es)  (Ctrl-C stops)",
        flush=True,
    )
    while not asked["stop"] and all(p.poll() is None for p in procs):
        time.sleep(0.2)
    stopped_by_request = bool(asked["stop"])
    _stop_children(procs, seconds=args.stop_seconds, hurry=lambda: asked["stop"] > 1)
    if stopped_by_request:
        return 0
    return max(abs(p.returncode or 0) for p in procs) or 1


# How long `meridian serve` waits for its children to stop gracefully before killing them.
STOP_SECONDS = 10.0


def die_with_parent(sig: int = signal.SIGTERM) -> Callable[[], None] | None:
    """A pre-exec hook that has Linux send ``sig`` to a child when its parent process dies.

    Children that live in process groups of their own would otherwise outlive a parent that
    was killed, with nobody left to stop them.
    """
    if not sys.platform.startswith("linux"):
        return None
    import ctypes

    # Loaded before the fork: the child, forked from a process that may have other threads,
    # only calls into it.
    prctl = ctypes.CDLL(None, use_errno=True).prctl
    pr_set_pdeathsig = 1

    def hook() -> None:
        prctl(pr_set_pdeathsig, sig)

    return hook


def _signal_group(process: subprocess.Popen[bytes], sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):  # the group is gone already
        os.killpg(process.pid, sig)


def _stop_children(
    procs: list[subprocess.Popen[bytes]], *, seconds: float, hurry: Callable[[], bool]
) -> None:
    """SIGTERM each child's group once; SIGKILL whatever is left after ``seconds`` (or a 2nd Ctrl-C)."""
    for process in procs:
        if process.poll() is None:
            _signal_group(process, signal.SIGTERM)
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and not hurry():
        if all(p.poll() is not None for p in procs):
            break
        time.sleep(0.1)
    for process in procs:
        if process.poll() is None:
            print(f"meridian serve: process {process.pid} did not stop; killing it", flush=True)
        # Also reaches what the child left in its group (a web worker, an ffmpeg).
        _signal_group(process, signal.SIGKILL)
        process.wait()


COMMANDS = {
    "serve": "run the web server and the background worker",
    "worker": "run background tasks and the scheduler",
    "demo": "build the demo workspace (idempotent)",
    "migrate": "apply database migrations",
    "createadmin": "create an instance admin account",
    "check": "check the configuration (add --deploy for production)",
    "agent": "run the local ActivityWatch-compatible agent and your day's page (127.0.0.1:5600);"
    " agent day|exclude|relabel|delete|rules|login|sync|status",
    "metrics": "metrics maintenance: `metrics rebuild` recomputes facts and rollups",
}


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in {"-h", "--help", "help"}:
        print("usage: meridian COMMAND [options]\n")
        for name, text in COMMANDS.items():
            print(f"  {name:<12} {text}")
        print("\nAny other Django management command works too, e.g. `meridian shell`.")
        return 0
    command, rest = argv[0], argv[1:]
    if command == "serve":
        return serve(rest)
    if command == "agent":
        # A plain program: no Django settings, no database server, small and quick to start.
        from meridian.agent.main import run as run_agent

        return run_agent(rest)
    if command == "worker":
        _django(["meridian_worker", *rest])
        return 0
    _django([command, *rest])
    return 0


if __name__ == "__main__":
    sys.exit(main())
