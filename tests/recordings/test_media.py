"""How ffmpeg is run: bounded by wrapper programs, never by a hook in the forked child."""

import json
import subprocess
import sys

import pytest

from meridian.recordings import media

# Stands in for ffmpeg: writes down the bounds it runs under, as the kernel sees them.
REPORTER = """\
import ctypes, json, os, sys
limits = {}
with open("/proc/self/limits") as handle:
    for line in handle.readlines()[1:]:
        name, soft, hard = line[:26].strip(), *line[26:].split()[:2]
        limits[name] = [soft, hard]
signal = ctypes.c_int()
ctypes.CDLL(None).prctl(2, ctypes.byref(signal))  # PR_GET_PDEATHSIG
report = {"limits": limits, "nice": os.nice(0), "pdeathsig": signal.value, "args": sys.argv[1:]}
with open(os.environ["REPORT"], "w") as handle:
    json.dump(report, handle)
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux's limits and prctl")
def test_ffmpeg_runs_niced_under_its_limits_and_dies_with_the_worker(tmp_path, monkeypatch):
    fake = tmp_path / "ffmpeg"
    fake.write_text(f"#!{sys.executable}\n{REPORTER}")
    fake.chmod(0o755)
    monkeypatch.setattr(media, "ffmpeg_path", lambda: str(fake))
    monkeypatch.setenv("REPORT", str(tmp_path / "report.json"))
    hooks = []
    run = subprocess.run

    def spy(*args, **kwargs):
        hooks.append(kwargs.get("preexec_fn"))
        return run(*args, **kwargs)

    monkeypatch.setattr(media.subprocess, "run", spy)
    memory = 900 * 1024 * 1024

    media._ffmpeg(["-i", "in.mkv", "out.webm"], 100, memory)

    report = json.loads((tmp_path / "report.json").read_text())
    assert hooks == [None]  # preexec_fn may deadlock a child forked beside the heartbeat thread
    assert report["limits"]["Max address space"] == [str(memory), str(memory)]
    assert report["limits"]["Max cpu time"] == ["200", "205"]  # 2 threads for 100 s, +5 hard
    assert report["nice"] >= 10
    assert report["pdeathsig"] == 9  # SIGKILL
    assert report["args"][-2:] == ["in.mkv", "out.webm"]
