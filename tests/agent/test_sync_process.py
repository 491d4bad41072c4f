"""`meridian agent sync` against a real Meridian server process, with kills.

The server is Meridian's WSGI application under granian (what `meridian serve` runs) on
127.0.0.1, on this test's own database; the sync is the real `meridian agent sync` command.
Faults: the agent SIGKILLed after its first acknowledged batch; the server SIGKILLed while a
sync runs and after one finished; a revoked token. Each time the server's slots and daily
rollups are compared with what the agent's events make: nothing lost, nothing twice.

Events are placed relative to the server's own clock (its Date header), since the processes
read the real clock even when the test session runs at another moment (--clock-at).
"""

import http.client
import signal
import sqlite3
import subprocess
import sys
import time
from email.utils import parsedate_to_datetime
from pathlib import Path

import pytest
from django.db.models import Sum

from meridian.accounts.models import ApiToken
from meridian.accounts.services import token_create, token_revoke
from meridian.agent.activity import SLOT_US, US
from meridian.agent.store import Store
from meridian.tracking.models import ActivityDaily, ActivitySlot
from meridian.tracking.services import category_rule_create
from tests import factories
from tests.briefs.factories import person
from tests.core.support import kill_with_descendants, wait_for, worker_env
from tests.core.test_email import free_port

pytestmark = pytest.mark.django_db(transaction=True)

ROOT = Path(__file__).resolve().parents[2]
SLOTS = 2 * 96  # two days of quarter hours
# Each quarter hour: 10 minutes of Code (Coding) and 5 of Slack (Communication), all active.
EXPECTED = {"Coding": SLOTS * 600, "Communication": SLOTS * 300}


class MeridianServer:
    def __init__(self, tmp_path: Path) -> None:
        self.port = free_port()
        self.env = {**worker_env(tmp_path), "DJANGO_SETTINGS_MODULE": "meridian.settings"}
        self.log = tmp_path / "server.log"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        command = [sys.executable, "-m", "granian", "--interface", "wsgi", "--host", "127.0.0.1"]
        command += ["--port", str(self.port), "--workers", "1", "--no-ws"]
        with self.log.open("a") as out:
            self.process = subprocess.Popen(
                [*command, "meridian.wsgi:application"],
                env=self.env,
                cwd=ROOT,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        assert wait_for(self._answers, 30), self.log.read_text()

    def _answers(self) -> bool:
        try:
            self.clock()
            return True
        except OSError:
            return False

    def clock(self) -> int:
        """The server's clock (µs), from the Date header of an answer."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
        try:
            conn.request("GET", "/api/v1/activity/policy")
            answer = conn.getresponse()
            answer.read()
            return int(parsedate_to_datetime(answer.getheader("Date")).timestamp()) * US
        finally:
            conn.close()

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            kill_with_descendants(self.process.pid)
            self.process.wait(10)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@pytest.fixture
def server(tmp_path):
    running = MeridianServer(tmp_path)
    running.start()
    yield running
    running.kill()


@pytest.fixture
def ada(workspace):
    return person(workspace, "Europe/Berlin", display_name="Ada")


def seed_agent(directory: Path, now: int) -> None:
    """Two days of window events, ending at least an hour before ``now``."""
    end = now - now % SLOT_US - 3600 * US
    start = end - SLOTS * SLOT_US
    store = Store(directory / "agent-testing.sqlite3")
    store.create_bucket("win", type="currentwindow", client="t", hostname="h")
    events = []
    for n in range(SLOTS):
        at = start + n * SLOT_US
        events.append((None, at, 600 * US, {"app": "Code", "title": f"file{n % 7}.py"}))
        events.append((None, at + 600 * US, 300 * US, {"app": "Slack", "title": "general"}))
    store.insert("win", events)
    store.close()


def agent_sync(directory: Path, server: MeridianServer, token: str, *extra: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "meridian.cli",
        "agent",
        "sync",
        "--testing",
        "--dir",
        str(directory),
        "--server",
        server.url,
        "--token",
        token,
        *extra,
    ]


def agent_env() -> dict[str, str]:
    return {"PYTHONPATH": str(ROOT / "src"), "PATH": "/usr/bin:/bin"}


def run_sync(directory, server, token, *extra):
    done = subprocess.run(
        agent_sync(directory, server, token, *extra),
        env=agent_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    return done.returncode, done.stdout, done.stderr


def start_sync(directory, server, token, *extra) -> subprocess.Popen:
    return subprocess.Popen(
        agent_sync(directory, server, token, *extra),
        env=agent_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def wait_for_line(process: subprocess.Popen, needle: str, seconds: float = 30) -> list[str]:
    lines: list[str] = []
    deadline = time.monotonic() + seconds
    assert process.stdout is not None
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        lines.append(line)
        if needle in line:
            return lines
    raise AssertionError(f"no {needle!r} in {lines}")


def server_totals(member) -> dict[str, int]:
    rows = (
        ActivitySlot.objects.filter(member=member)
        .values("category")
        .annotate(s=Sum("active_seconds"))
    )
    return {r["category"]: r["s"] for r in rows if r["s"]}


def rollup_totals(member) -> dict[str, int]:
    rows = (
        ActivityDaily.objects.filter(member=member)
        .values("category")
        .annotate(s=Sum("active_seconds"))
    )
    return {r["category"]: r["s"] for r in rows if r["s"]}


def acknowledged(directory: Path) -> int:
    db = sqlite3.connect(directory / "agent-testing.sqlite3")
    try:
        return int(db.execute("SELECT count(*) FROM sync_sent").fetchone()[0])
    finally:
        db.close()


def test_an_agent_killed_after_its_first_acknowledged_batch_loses_and_doubles_nothing(
    server, ada, tmp_path
):
    directory = tmp_path / "agent"
    directory.mkdir()
    seed_agent(directory, server.clock())
    _, token = token_create(acting=ada, name="laptop")
    process = start_sync(directory, server, token, "--batch", "40", "--pause", "0.5")
    try:
        wait_for_line(process, "batch 1/")
        process.send_signal(signal.SIGKILL)
        process.wait(10)
    finally:
        if process.poll() is None:
            process.kill()
        process.stdout.close()
    first = server_totals(ada)
    assert 0 < sum(first.values()) < sum(EXPECTED.values())  # cut short, part stored
    assert 40 <= acknowledged(directory) < 2 * SLOTS

    code, out, err = run_sync(directory, server, token, "--zone", "Europe/Berlin")
    assert code == 0, out + err
    assert "100%" in out and "The server took" in out
    assert "Europe/Berlin to " in out.splitlines()[-5]  # the report's times in the person's zone
    assert server_totals(ada) == EXPECTED
    assert rollup_totals(ada) == EXPECTED
    assert ActivitySlot.objects.filter(member=ada).count() == 2 * SLOTS
    code, out, _ = run_sync(directory, server, token)
    assert code == 0 and "Nothing new to send" in out
    assert server_totals(ada) == EXPECTED


def test_a_server_killed_during_and_after_a_sync_keeps_everything_acknowledged(
    server, ada, tmp_path
):
    directory = tmp_path / "agent"
    directory.mkdir()
    seed_agent(directory, server.clock())
    _, token = token_create(acting=ada, name="laptop")
    process = start_sync(directory, server, token, "--batch", "40", "--pause", "0.5")
    try:
        wait_for_line(process, "batch 1/")
        server.kill()  # while the agent waits to send its next batch
        process.wait(30)
        output = process.stdout.read()
    finally:
        if process.poll() is None:
            process.kill()
        process.stdout.close()
    assert process.returncode == 2 and "Cannot reach" in output and "Nothing was lost" in output
    acked = acknowledged(directory)
    # Everything the agent heard acknowledged is in the database of the dead server.
    assert ActivitySlot.objects.filter(member=ada).count() >= acked > 0

    server.start()
    code, out, err = run_sync(directory, server, token)
    assert code == 0, out + err
    assert server_totals(ada) == EXPECTED

    server.kill()  # after an acknowledged sync: the server answered only once committed
    server.start()
    assert server_totals(ada) == EXPECTED and rollup_totals(ada) == EXPECTED
    code, out, _ = run_sync(directory, server, token)
    assert code == 0 and "Nothing new to send" in out


def test_a_revoked_token_keeps_the_data_queued_and_says_so(server, ada, tmp_path):
    directory = tmp_path / "agent"
    directory.mkdir()
    seed_agent(directory, server.clock())
    token, raw = token_create(acting=ada, name="laptop")
    token_revoke(acting=ada, token=ApiToken.objects.get(pk=token.pk))
    code, out, err = run_sync(directory, server, raw)
    assert code == 3
    assert "refused the token (401)" in err and "everything stays queued" in err
    assert acknowledged(directory) == 0 and not ActivitySlot.objects.exists()

    _, fresh = token_create(acting=ada, name="laptop again")
    code, out, err = run_sync(directory, server, fresh)
    assert code == 0, out + err
    assert server_totals(ada) == EXPECTED


def test_login_saves_the_server_and_the_serving_agent_syncs_periodically(server, ada, tmp_path):
    directory = tmp_path / "agent"
    directory.mkdir()
    seed_agent(directory, server.clock())
    _, token = token_create(acting=ada, name="laptop")
    base = [sys.executable, "-m", "meridian.cli", "agent"]
    where = ["--testing", "--dir", str(directory)]
    done = subprocess.run(
        [*base, "login", *where, "--server", server.url, "--token", "wrong"],
        env=agent_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 3 and "refused the token" in done.stderr
    done = subprocess.run(
        [*base, "login", *where, "--server", server.url, "--token", token],
        env=agent_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0 and "The workspace allows categories" in done.stdout
    assert directory.stat().st_mode & 0o077 == 0  # the saved token is readable by its owner only
    port = free_port()
    with (tmp_path / "agent.log").open("w") as log:
        agent = subprocess.Popen(
            [*base, *where, "--port", str(port), "--sync-every", "0.02"],
            env=agent_env(),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        assert wait_for(lambda: server_totals(ada) == EXPECTED, 40), (
            tmp_path / "agent.log"
        ).read_text()
    finally:
        agent.terminate()
        agent.wait(10)
    done = subprocess.run(
        [*base, "status", *where], env=agent_env(), capture_output=True, text=True, timeout=60
    )
    assert (
        f"server: {server.url}" in done.stdout and f"acknowledged: {2 * SLOTS} slots" in done.stdout
    )


def test_the_agent_categorises_with_the_workspaces_rules(server, ada, workspace, tmp_path):
    admin = factories.admin_of(workspace)
    category_rule_create(acting=admin, field="app", pattern="^code$", category="Engineering")
    category_rule_create(acting=admin, field="title", pattern="general", category="Chat")
    directory = tmp_path / "agent"
    directory.mkdir()
    seed_agent(directory, server.clock())
    _, token = token_create(acting=ada, name="laptop")
    code, out, err = run_sync(directory, server, token)
    assert code == 0, out + err
    # The workspace's rules replace the agent's built-in Coding and Communication.
    assert server_totals(ada) == {"Engineering": SLOTS * 600, "Chat": SLOTS * 300}
