"""The `meridian` command: serve, worker, demo, migrate, createadmin, check, and Django's own."""

import os
import signal
import subprocess
import sys
from collections.abc import Mapping


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
    """Run the web server (granian) and the background worker together until Ctrl-C."""
    import argparse

    parser = argparse.ArgumentParser(prog="meridian serve")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "meridian.settings")
    from django.conf import settings

    parser.add_argument("--host", default=settings.SERVE_HOST)
    parser.add_argument("--port", type=int, default=settings.SERVE_PORT)
    parser.add_argument("--workers", type=int, default=settings.SERVE_WORKERS)
    parser.add_argument("--threads", type=int, default=settings.SERVE_THREADS)
    parser.add_argument("--no-worker", action="store_true", help="serve pages only")
    args = parser.parse_args(argv)
    _django(["migrate", "--noinput", "-v", "0"])
    _django(["createcachetable"])
    _django(["collectstatic", "--noinput", "-v", "0"])
    env = serve_env(os.environ, host=args.host, port=args.port)
    web = subprocess.Popen(
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
            "--no-ws",
            "meridian.wsgi:application",
        ],
        env=env,
    )
    procs = [web]
    if not args.no_worker:
        procs.append(subprocess.Popen([sys.executable, "-m", "meridian.cli", "worker"], env=env))
    print(f"Meridian is serving at http://{args.host}:{args.port}/  (Ctrl-C stops)", flush=True)

    def stop(*_: object) -> None:
        for p in procs:
            if p.poll() is None:
                p.send_signal(signal.SIGINT)

    signal.signal(signal.SIGTERM, stop)
    try:
        while all(p.poll() is None for p in procs):
            try:
                procs[0].wait(timeout=1)
            except subprocess.TimeoutExpired:
                continue
    except KeyboardInterrupt:
        pass
    finally:
        stop()
        for p in procs:
            try:
                p.wait(timeout=15)
            except subprocess.TimeoutExpired:
                p.kill()
    return max((p.returncode or 0) for p in procs) if any(p.returncode for p in procs) else 0


COMMANDS = {
    "serve": "run the web server and the background worker",
    "worker": "run background tasks and the scheduler",
    "demo": "build the demo workspace (idempotent)",
    "migrate": "apply database migrations",
    "createadmin": "create an instance admin account",
    "check": "check the configuration (add --deploy for production)",
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
    if command == "worker":
        _django(["meridian_worker", *rest])
        return 0
    _django([command, *rest])
    return 0


if __name__ == "__main__":
    sys.exit(main())
