"""Fixtures of the recordings tests: real media made with ffmpeg, files that only pretend to be."""

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.briefs.factories import brief as make_brief
from tests.briefs.factories import person
from tests.conftest import need


def ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", *args], check=True)


@pytest.fixture(scope="session")
def clips(tmp_path_factory) -> dict[str, Path]:
    """A two-second WebM (VP8 + Opus), a PNG and an HTML page, the last two named .webm."""
    need(shutil.which("ffmpeg") is not None and shutil.which("ffprobe") is not None, "ffmpeg")
    folder = tmp_path_factory.mktemp("clips")
    webm = folder / "walkthrough.webm"
    ffmpeg(
        "-f", "lavfi", "-i", "testsrc=duration=2:size=320x240:rate=15",
        "-f", "lavfi", "-i", "sine=duration=2",
        "-c:v", "libvpx", "-c:a", "libopus", str(webm),
    )  # fmt: skip
    png = folder / "picture.png"
    ffmpeg("-f", "lavfi", "-i", "color=c=red:size=64x64", "-frames:v", "1", str(png))
    png_as_webm = folder / "picture.webm"
    shutil.copy(png, png_as_webm)
    html = folder / "page.webm"
    html.write_text("<!doctype html><html><body><script>alert(1)</script></body></html>\n")
    wav = folder / "voice.wav"
    ffmpeg("-f", "lavfi", "-i", "sine=duration=1", str(wav))
    # The file: H.264 in Matroska, 4K for 30 minutes, a few kilobytes (one frame a
    # minute of black), which would need a transcode far beyond the server's budget.
    huge = folder / "huge.mkv"
    ffmpeg(
        "-f", "lavfi", "-i", "color=c=black:size=3840x2160:rate=1/60:duration=1800",
        "-c:v", "libx264", "-preset", "ultrafast", "-crf", "51", str(huge),
    )  # fmt: skip
    return {"webm": webm, "png": png_as_webm, "html": html, "wav": wav, "huge": huge}


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path) -> Path:
    """Each test stores its files in a fresh MEDIA_ROOT."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def author(workspace):
    return person(workspace, "Europe/Berlin")


@pytest.fixture
def teammate(workspace):
    return person(workspace, "Asia/Kathmandu")


@pytest.fixture
def brief(author, teammate):
    return make_brief(author, [teammate], title="Onboarding flow walkthrough")
