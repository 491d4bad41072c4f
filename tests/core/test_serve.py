"""`meridian serve` as `make run` uses it: granian, hashed static files, the worker, Ctrl-C."""

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request

import pytest

# No database mark: `meridian serve` runs on a SQLite database in the test's own data directory
# (the environment loses every MERIDIAN_ variable), never on the test database, so these tests
# are the same on SQLite and PostgreSQL and run in scripts/test.sh's SQLite phase only.


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def test_serve_answers_pages_and_static_files_then_stops_cleanly_on_ctrl_c(tmp_path):
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MERIDIAN_", "DJANGO_"))} | {
        "MERIDIAN_DATA_DIR": str(tmp_path),
        "MERIDIAN_STATIC_MANIFEST": "true",
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "meridian.cli", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # its own group: what is left after a failure is killed below
    )
    base = f"http://127.0.0.1:{port}"
    try:
        # A first start migrates a fresh database and hashes the static files: on a loaded
        # 2-core box that has taken over 90 s.
        deadline = time.monotonic() + 180
        status = 0
        while time.monotonic() < deadline and server.poll() is None:
            try:
                status, _ = _get(f"{base}/health")
                break
            except OSError:
                time.sleep(0.5)
        assert status == 200
        login_status, login_page = _get(f"{base}/accounts/login/")
        assert login_status == 200
        css = login_page.decode().split('href="/static/meridian/app.')[1].split('"')[0]
        assert _get(f"{base}/static/meridian/app.{css}")[0] == 200  # hashed by collectstatic
        assert _get(f"{base}/w/nowhere/members/")[0] == 200  # redirected to sign-in
    finally:
        server.send_signal(signal.SIGINT)
        try:
            output, _ = server.communicate(timeout=60)
        finally:
            if server.poll() is None:  # never leave a server (and its workers) running
                os.killpg(server.pid, signal.SIGKILL)
                server.wait()
    assert server.returncode == 0, output
    assert "Meridian is serving" in output


def _processes_using(data_dir: str) -> list[int]:
    """Our processes whose environment names ``data_dir``: serve and everything it started."""
    marker = f"MERIDIAN_DATA_DIR={data_dir}".encode()
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/environ", "rb") as handle:
                if marker in handle.read().split(b"\0"):
                    found.append(int(entry))
        except OSError:
            continue  # gone meanwhile, or not ours
    return found


def _gone(pid: int) -> bool:
    """Whether the process has ended (a zombie waiting for its reaper counts as ended)."""
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            with open(f"/proc/{pid}/stat") as handle:
                if handle.read().rsplit(")", 1)[1].split()[0] == "Z":
                    return True
        except FileNotFoundError:
            return True
        time.sleep(0.1)
    return False


def _get_or_fail(url: str) -> None:
    # The server may close the connection as it stops; it must not hang it.
    with contextlib.suppress(OSError):
        _get(url)


def _wait_until_healthy(server: subprocess.Popen, base: str, seconds: float) -> int:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and server.poll() is None:
        try:
            return _get(f"{base}/health")[0]
        except OSError:
            time.sleep(0.3)
    return 0


@pytest.mark.skipif(not os.path.isdir("/proc"), reason="reads /proc to find leftover processes")
def test_serve_stops_within_bounded_time_on_every_signal_to_its_process_group(
    migrated_data_dir,
):
    """Eight starts and stops, by SIGTERM and by Ctrl-C to the whole group, some mid-request
    (on a migrated database: the Ctrl-C test above starts on a new one)."""
    tmp_path = migrated_data_dir
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MERIDIAN_", "DJANGO_"))} | {
        "MERIDIAN_DATA_DIR": str(tmp_path),
        "MERIDIAN_WEB_WORKERS": "2",
        "MERIDIAN_STATIC_MANIFEST": "false",  # no static file hashing at each start
    }
    stop_seconds = 5
    took = []
    for round_ in range(8):
        port = _free_port()
        server = subprocess.Popen(
            [sys.executable, "-m", "meridian.cli", "serve", "--port", str(port),
             "--stop-seconds", str(stop_seconds)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # its own group, as a shell or systemd gives it
        )  # fmt: skip
        try:
            assert _wait_until_healthy(server, f"http://127.0.0.1:{port}", 120) == 200
            if round_ % 3 == 0:  # a request in flight while the signal arrives
                pending = threading.Thread(
                    target=_get_or_fail, args=(f"http://127.0.0.1:{port}/accounts/login/",)
                )
                pending.start()
            sig = signal.SIGTERM if round_ % 2 == 0 else signal.SIGINT
            started = time.monotonic()
            os.killpg(server.pid, sig)
            server.wait(timeout=stop_seconds + 15)  # a hung stop fails here, not at the end
            took.append(time.monotonic() - started)
            if round_ % 3 == 0:
                pending.join(timeout=30)
        finally:
            if server.poll() is None:
                os.killpg(server.pid, signal.SIGKILL)
                server.wait()
        deadline = time.monotonic() + 5
        while _processes_using(str(tmp_path)) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert _processes_using(str(tmp_path)) == [], f"round {round_} left processes behind"
        assert server.returncode == 0

    # The grace period, then a kill of what is left and its reaping: a few seconds at most.
    slowest = max(took)
    assert slowest < stop_seconds + 3, (
        f"serve took {slowest:.1f} s to stop after its signal; its grace period is "
        f"{stop_seconds} s (every round: {', '.join(f'{t:.1f}' for t in took)})"
    )


def test_a_child_that_ignores_sigterm_is_killed_with_its_group_after_the_grace_period():
    from meridian.cli import _stop_children

    stubborn = subprocess.Popen(
        [sys.executable, "-c",
         "import signal, subprocess, sys, time\n"
         "signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
         "child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(120)'])\n"
         "print(child.pid, flush=True)\n"
         "time.sleep(120)\n"],
        start_new_session=True,
        stdout=subprocess.PIPE,
    )  # fmt: skip
    assert stubborn.stdout is not None
    grandchild = int(stubborn.stdout.readline())
    started = time.monotonic()

    _stop_children([stubborn], seconds=1, hurry=lambda: False)

    assert time.monotonic() - started < 10
    assert stubborn.returncode == -signal.SIGKILL
    assert _gone(grandchild)  # what it started went with its group
