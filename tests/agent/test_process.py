"""The agent as a process: heartbeat merges reach the file, and a restart keeps everything."""

import http.client
import signal
import sqlite3
import subprocess
import time

import pytest

from .conftest import AgentProcess

BUCKET = {"client": "watcher", "type": "currentwindow", "hostname": "laptop"}


def beat(agent, second):
    return agent.request(
        "POST",
        "/api/0/buckets/proc/heartbeat?pulsetime=5",
        {"timestamp": f"2026-12-05T09:00:{second:02d}+00:00", "data": {"app": "Code"}},
    )


def durations_on_disk(directory):
    db = sqlite3.connect(directory / "agent-testing.sqlite3")
    try:
        return [row[0] for row in db.execute("SELECT dur FROM events ORDER BY ts")]
    finally:
        db.close()


def test_merged_heartbeats_are_written_within_seconds_and_survive_a_restart(tmp_path):
    agent = AgentProcess(tmp_path)
    try:
        agent.request("POST", "/api/0/buckets/proc", BUCKET)
        for second in range(0, 12, 3):
            assert beat(agent, second)[0] == 200
        deadline = time.monotonic() + 10
        while durations_on_disk(tmp_path) != [9_000_000] and time.monotonic() < deadline:
            time.sleep(0.1)
        assert durations_on_disk(tmp_path) == [9_000_000]
        assert beat(agent, 14)[2]["duration"] == 14.0
    finally:
        agent.stop()  # SIGTERM: what is held in memory is written on the way out

    assert durations_on_disk(tmp_path) == [14_000_000]
    again = AgentProcess(tmp_path)
    try:
        status, _, events = again.request("GET", "/api/0/buckets/proc/events")
        assert status == 200
        assert [(e["timestamp"], e["duration"]) for e in events] == [
            ("2026-12-05T09:00:00+00:00", 14.0)
        ]
        # The next heartbeat continues the stored event after the restart.
        assert beat(again, 16)[2]["duration"] == 16.0
    finally:
        again.stop()


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["sigterm", "ctrl-c"])
def test_the_agent_stops_at_once_while_a_client_keeps_its_connection_open(tmp_path, sig):
    # A browser tab on the day page or a watcher's session keeps its connection alive between
    # requests: the agent used to wait for the client (up to its 60 s timeout) before exiting.
    agent = AgentProcess(tmp_path)
    idle = http.client.HTTPConnection("127.0.0.1", agent.port, timeout=30)
    try:
        idle.request("GET", "/api/0/info")
        assert idle.getresponse().read()
        agent.request("POST", "/api/0/buckets/proc", BUCKET)
        assert beat(agent, 0)[0] == 200
        sent = time.monotonic()
        agent.process.send_signal(sig)
        try:
            code = agent.process.wait(5)
        except subprocess.TimeoutExpired:
            pytest.fail("the agent was still running 5 s after the signal")
        assert code == 0
        assert time.monotonic() - sent < 5
        # What it held was written on the way out, and the idle client reads the end.
        assert durations_on_disk(tmp_path) == [0]
        idle.request("GET", "/api/0/info")
        with pytest.raises((ConnectionError, http.client.HTTPException)):
            idle.getresponse()
    finally:
        idle.close()
        agent.stop()


def test_memory_used_by_big_answers_goes_back_to_the_system_once_they_stop(tmp_path):
    agent = AgentProcess(tmp_path)
    try:
        agent.request("POST", "/api/0/buckets/big", BUCKET)
        for batch in range(20):
            events = [
                {
                    "timestamp": f"2026-12-0{1 + batch // 5}T{batch % 5 * 4 + i // 600:02d}:"
                    f"{i // 10 % 60:02d}:{i % 10 * 6:02d}+00:00",
                    "duration": 6.0,
                    "data": {"app": "Code", "title": f"file {i % 50}.py"},
                }
                for i in range(1000)
            ]
            assert agent.request("POST", "/api/0/buckets/big/events", events)[0] == 200
        # Each day's answer, then the four days' in one (~2.6 MB of JSON): the C encoder
        # leaves little garbage per answer, so one answer is what makes the memory to give back.
        days = [(day, day + 1) for day in range(1, 5)] + [(1, 5)]
        for first, end in days:
            period = f"2026-12-0{first}T00:00:00+00:00/2026-12-0{end}T00:00:00+00:00"
            query = {"timeperiods": [period], "query": ['RETURN = query_bucket("big");']}
            assert agent.request("POST", "/api/0/query/", query)[0] == 200
        busy = agent.rss_mb()
        deadline = time.monotonic() + 10
        while agent.rss_mb() > busy - 1 and time.monotonic() < deadline:
            time.sleep(0.2)

        assert agent.rss_mb() <= busy - 1
    finally:
        agent.stop()
