"""Helpers of the core tests: a real `meridian worker` process on the test's own database."""

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from django.db import connection

from tests.conftest import need

ROOT = Path(__file__).resolve().parents[2]


def worker_env(tmp_path: Path) -> dict[str, str]:
    """The environment of a worker process that uses this test's own database."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        name = str(db["NAME"])
        need(
            "memory" not in name and name != "",
            "a file-backed SQLite test database (MERIDIAN_TEST_DATABASE_NAME)",
        )
        url = f"sqlite:///{name}"
    else:
        host = db["HOST"] or "127.0.0.1"
        url = f"postgres://{db['USER']}@{host}:{db['PORT'] or 5432}/{db['NAME']}"
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith("MERIDIAN_")},
        "MERIDIAN_DATA_DIR": str(tmp_path),
        "MERIDIAN_DATABASE_URL": url,
        "MERIDIAN_LOG_LEVEL": "INFO",
        # Meridian's settings with a lease of seconds (started with cwd=ROOT, so importable).
        "DJANGO_SETTINGS_MODULE": "tests.worker_settings",
    }


def start_worker(env: dict[str, str], log: Path, *args: str) -> subprocess.Popen:
    """`meridian worker ARGS` in a process group of its own (its children die with it)."""
    with log.open("a") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "meridian.cli", "worker", *args],
            env=env,
            cwd=ROOT,  # so that tasks defined in tests/ can be imported
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def wait_for(predicate: Callable[[], bool], seconds: float) -> bool:
    """Whether ``predicate`` came true within ``seconds``."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return False


def kill_with_descendants(pid: int) -> None:
    """SIGKILL a process and everything it started, as a lost machine would end them.

    RQ's work horse puts itself in a process group of its own, so a signal to the worker's
    group would not reach it.
    """
    family = [pid, *_descendants(pid)]
    for member in family:
        with contextlib.suppress(ProcessLookupError):
            os.kill(member, signal.SIGKILL)


def _descendants(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as handle:
                    parent = int(handle.read().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
            children.setdefault(parent, []).append(int(entry))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found
