"""`meridian agent` options: ports and database files as ActivityWatch's servers choose them."""

import json
import platform
import subprocess
import sys
from pathlib import Path

import pytest

from meridian.agent.main import database_path, default_dir, one_heap, parse_args


def test_testing_mode_uses_port_5666_and_its_own_database():
    # aw-server: 5600, and 5666 with a separate database in --testing (aw_server/main.py).
    normal, testing = parse_args([]), parse_args(["--testing"])

    assert (normal.host, normal.port, normal.testing) == ("127.0.0.1", None, False)
    assert testing.testing is True
    assert database_path(Path("d"), testing=False) != database_path(Path("d"), testing=True)


def test_the_data_directory_follows_meridian_agent_dir_then_xdg(monkeypatch, tmp_path):
    monkeypatch.setattr("sys.platform", "linux")
    monkeypatch.delenv("MERIDIAN_AGENT_DIR", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert default_dir() == tmp_path / "xdg" / "meridian-agent"

    monkeypatch.setenv("MERIDIAN_AGENT_DIR", str(tmp_path / "mine"))
    assert default_dir() == tmp_path / "mine"


def test_the_agent_answers_on_the_port_it_was_given(agent):
    status, _, info = agent.request("GET", "/api/0/info")

    assert status == 200
    assert info["testing"] is True
    assert (agent.directory / "agent-testing.sqlite3").exists()
    assert not (agent.directory / "agent.sqlite3").exists()


def test_the_agent_asks_for_one_c_heap_where_the_c_library_is_glibc():
    # glibc (Linux): every request thread then reuses the pages the previous answers freed.
    assert one_heap() is (platform.libc_ver()[0] == "glibc")


KEEP_PAGES = """
import resource
from meridian.agent.main import keep_freed_memory, one_heap
one_heap()
assert keep_freed_memory()
faults = []
for _ in range(4):
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    answer = b"x" * (6 * 1024 * 1024)  # the size of a few days' answer
    faults.append(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
    del answer
print(faults)
"""


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="glibc's mallopt")
def test_the_pages_an_answer_freed_serve_the_next_one_where_the_c_library_is_glibc():
    # Without keep_freed_memory, each of these four blocks is fresh pages (~1,500 faults).
    done = subprocess.run(
        [sys.executable, "-c", KEEP_PAGES], capture_output=True, text=True, check=True
    )
    first, *later = json.loads(done.stdout)

    assert first > 1000
    assert max(later) < 100
