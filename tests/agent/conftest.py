"""The real `meridian agent --testing` process, started once for the module that asks for it."""

import http.client
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class AgentProcess:
    """A running agent: its port, process and directory; stopped by the fixture."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.port = free_port()
        env = {**os.environ, "PYTHONPATH": str(SRC)}
        command = [sys.executable, "-m", "meridian.cli", "agent", "--testing"]
        self.log = (directory / "agent.log").open("wb")
        self.process = subprocess.Popen(
            [*command, "--port", str(self.port), "--dir", str(directory)],
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            if self.process.poll() is not None:
                raise RuntimeError((directory / "agent.log").read_text())
            time.sleep(0.02)
        self.stop()
        raise RuntimeError("the agent did not start listening within 20 s")

    def rss_mb(self) -> float:
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        raise AssertionError("no VmRSS line")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()

    def request(
        self,
        method: str,
        path: str,
        body: object = None,
        *,
        raw: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, dict[str, str], object]:
        """One HTTP request; answers (status, headers, decoded JSON body or None)."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            data = raw if raw is not None else (None if body is None else json.dumps(body).encode())
            sent = {"Content-Type": "application/json", **(headers or {})}
            conn.request(method, path, body=data, headers=sent)
            response = conn.getresponse()
            payload = response.read()
            decoded = json.loads(payload) if payload else None
            return response.status, dict(response.getheaders()), decoded
        finally:
            conn.close()


@pytest.fixture(scope="module")
def agent(tmp_path_factory):
    running = AgentProcess(tmp_path_factory.mktemp("agent"))
    yield running
    running.stop()


@pytest.fixture
def aw(agent, tmp_path, monkeypatch, request):
    """The unmodified aw-client, pointed at the agent with its own ``port`` argument.

    aw-client keeps a lock file and a request queue under the user's data and config
    directories (platformdirs reads XDG_*), so those point into this test's directory.
    """
    from aw_client import ActivityWatchClient

    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return ActivityWatchClient(f"test-{request.node.name}", testing=True, port=agent.port)
