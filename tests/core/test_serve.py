"""`meridian serve` as `make run` uses it: granian, hashed static files, the worker, Ctrl-C."""

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

pytestmark = pytest.mark.django_db(transaction=True)


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
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
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
        output, _ = server.communicate(timeout=60)
    assert server.returncode == 0, output
    assert "Meridian is serving" in output
