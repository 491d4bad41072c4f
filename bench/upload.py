"""Chunked upload of a 1 GiB recording to the real server on loopback: MB/s and RSS growth.

    .venv/bin/python bench/upload.py                 # 1 GiB in 8 MiB chunks
    .venv/bin/python bench/upload.py --size-mib 256 --chunk-mib 16

It makes a real media file of the asked size with ffmpeg (raw 720p video in Matroska, which
the server's ffprobe check accepts as video), starts ``meridian serve --no-worker`` on a free
127.0.0.1 port with a data directory of its own, creates an author, a brief and an API token
there, and sends the file through the API's resumable upload protocol (POST /uploads, then
PATCH chunks) over one keep-alive connection. It samples the resident memory of the web
server's processes throughout and reports throughput (10^6 bytes per second, from the first
chunk to the answer of the last, which includes the probe and the move into storage) and the
growth of RSS over the baseline measured after a warm-up upload.

Targets: ≥ 100 MB/s, RSS growth ≤ 50 MB. Exit code 0 when both are met, 1 when one is not,
2 when the run itself failed. Results go to bench/results/upload.json.
"""

from __future__ import annotations

import argparse
import http.client
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.run import (  # noqa: E402
    MemorySampler,
    free_port,
    server_env,
    start_server,
    stop_server,
    wait_until_up,
)

RESULTS = ROOT / "bench" / "results"
TARGET_MB_S = 100.0
TARGET_RSS_GROWTH_MB = 50.0
FRAME_BYTES = 1280 * 720 * 3 // 2  # one raw yuv420p 720p frame


def make_media(path: Path, size: int) -> None:
    """A valid Matroska file of raw 720p frames, at least ``size`` bytes (fast to make)."""
    frames = math.ceil(size / FRAME_BYTES)
    subprocess.run(
        ["ffmpeg", "-nostdin", "-v", "error", "-y", "-f", "lavfi",
         "-i", "testsrc2=size=1280x720:rate=30", "-frames:v", str(frames),
         "-c:v", "rawvideo", "-pix_fmt", "yuv420p", "-f", "matroska", str(path)],
        check=True,
    )  # fmt: skip


def prepare() -> None:
    """(In the server's environment) an author, a brief and a token; prints them as JSON."""
    import django

    django.setup()
    from meridian.accounts.models import User
    from meridian.accounts.services import token_create
    from meridian.briefs.services import Invitee, brief_create
    from meridian.workspaces.models import Membership, Role
    from meridian.workspaces.services import membership_add, workspace_create

    owner = User.objects.create_user(email="uploader@bench.example", password="bench-bench-1")
    workspace = workspace_create(user=owner, name="Upload bench")
    author = Membership.objects.get(workspace=workspace, user=owner)
    viewer = User.objects.create_user(email="viewer@bench.example", password="bench-bench-2")
    other = membership_add(workspace=workspace, user=viewer, role=Role.MEMBER)
    brief = brief_create(
        author=author, title="A large recording", participants=[Invitee(member_id=other.pk)]
    )
    _, raw = token_create(acting=author, name="upload bench")
    print(json.dumps({"brief_id": brief.pk, "token": raw}))


class Client:
    """The upload protocol over one keep-alive HTTP/1.1 connection."""

    def __init__(self, port: int, token: str) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
        self.headers = {"Authorization": f"Bearer {token}"}

    def call(self, method: str, path: str, body: bytes, headers: dict[str, str]) -> dict[str, Any]:
        self.conn.request(method, path, body=body, headers={**self.headers, **headers})
        response = self.conn.getresponse()
        data = response.read()
        answer = json.loads(data or b"{}")
        answer["_status"] = response.status
        return answer

    def upload(self, brief_id: int, path: Path, chunk: int) -> tuple[dict[str, Any], float]:
        size = path.stat().st_size
        created = self.call(
            "POST",
            "/api/v1/uploads",
            json.dumps({"brief_id": brief_id, "filename": path.name, "size": size}).encode(),
            {"Content-Type": "application/json"},
        )
        if created["_status"] != 201:
            raise RuntimeError(f"POST /uploads answered {created}")
        url, offset = created["url"], 0
        answer: dict[str, Any] = created
        began = time.perf_counter()
        with path.open("rb") as source:
            while offset < size:
                piece = source.read(chunk)
                answer = self.call(
                    "PATCH",
                    url,
                    piece,
                    {
                        "Upload-Offset": str(offset),
                        "Content-Type": "application/offset+octet-stream",
                    },
                )
                if answer["_status"] != 200:
                    return answer, time.perf_counter() - began
                offset = answer["offset"]
        return answer, time.perf_counter() - began


def run(size_mib: int, chunk_mib: int, threads: int | None) -> int:
    if shutil.which("ffmpeg") is None or shutil.which("ffprobe") is None:
        print("bench/upload.py needs ffmpeg and ffprobe", file=sys.stderr)
        return 2
    work = Path(tempfile.mkdtemp(prefix="meridian-bench-upload-"))
    data_dir, log = work / "data", work / "server.log"
    media_file = work / "large.mkv"
    warm_file = work / "warm.mkv"
    print(f"==> making a {size_mib} MiB media file with ffmpeg", flush=True)
    started = time.perf_counter()
    make_media(media_file, size_mib * 1024 * 1024)
    make_media(warm_file, 4 * 1024 * 1024)
    print(f"    {media_file.stat().st_size / 1e6:.0f} MB in {time.perf_counter() - started:.1f} s")
    env = server_env(data_dir, "")
    env["MERIDIAN_UPLOAD_MAX_BYTES"] = str(max(2 * 1024**3, media_file.stat().st_size))
    port = free_port()
    server = start_server(port, env, log, workers=1, threads=threads)
    try:
        wait_until_up(f"http://127.0.0.1:{port}", server, log, timeout=180)
        made = subprocess.run(
            [sys.executable, __file__, "--prepare"], env=env, cwd=ROOT, check=True,
            capture_output=True, text=True,
        )  # fmt: skip
        setup = json.loads(made.stdout.strip().splitlines()[-1])
        client = Client(port, setup["token"])
        sampler = MemorySampler(server.pid)
        warm, _ = client.upload(setup["brief_id"], warm_file, chunk_mib * 1024 * 1024)
        if warm.get("status") != "complete":
            raise RuntimeError(f"The warm-up upload failed: {warm}")
        time.sleep(1)
        baseline = sampler.sample()
        sampler.start()
        answer, seconds = client.upload(setup["brief_id"], media_file, chunk_mib * 1024 * 1024)
        sampler.stop()
        peak = max(sampler.peak, sampler.sample())
    finally:
        stop_server(server)
    if answer.get("status") != "complete":
        print(f"The upload failed: {answer}\n{log.read_text()[-2000:]}", file=sys.stderr)
        return 2
    size = media_file.stat().st_size
    mb_s = size / 1e6 / seconds
    growth = peak - baseline
    shutil.rmtree(work, ignore_errors=True)
    results = {
        "bytes": size,
        "chunk_bytes": chunk_mib * 1024 * 1024,
        "seconds": round(seconds, 2),
        "mb_per_s": round(mb_s, 1),
        "rss_baseline_mb": round(baseline, 1),
        "rss_peak_mb": round(peak, 1),
        "rss_growth_mb": round(growth, 1),
        "web_processes": sampler.processes,
        "recording_id": answer.get("recording_id"),
    }
    checks = [
        (f"upload ≥ {TARGET_MB_S:.0f} MB/s", f"{mb_s:.0f} MB/s", mb_s >= TARGET_MB_S),
        (
            f"server RSS growth ≤ {TARGET_RSS_GROWTH_MB:.0f} MB",
            f"{growth:.1f} MB",
            growth <= TARGET_RSS_GROWTH_MB,
        ),
    ]
    results["targets"] = [{"target": t, "figure": f, "passed": p} for t, f, p in checks]
    print(
        f"\nChunked upload of {size / 2**20:.0f} MiB in {chunk_mib} MiB chunks: {seconds:.2f} s, "
        f"{mb_s:.0f} MB/s; web server RSS {baseline:.0f} MB → peak {peak:.0f} MB "
        f"(growth {growth:.1f} MB) over {sampler.processes} processes"
    )
    for target, figure, passed in checks:
        print(f"{'PASS' if passed else 'FAIL'}  {target}: {figure}")
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "upload.json").write_text(json.dumps(results, indent=2) + "\n")
    return 0 if all(p for _, _, p in checks) else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size-mib", type=int, default=1024)
    parser.add_argument("--chunk-mib", type=int, default=8)
    parser.add_argument("--threads", type=int, default=None, help="web server threads")
    parser.add_argument("--prepare", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.prepare:
        prepare()
        return 0
    try:
        return run(args.size_mib, args.chunk_mib, args.threads)
    except (RuntimeError, subprocess.CalledProcessError, OSError) as exc:
        print(f"bench/upload.py failed: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "meridian.settings")
    sys.exit(main())
