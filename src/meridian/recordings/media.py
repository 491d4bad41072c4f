"""What a file really is, and what ffmpeg makes of it: probe, duration, thumbnail, rendition.

No ORM in here: these functions take and return paths on the local disk. The probe trusts the
file's content alone (ffprobe, or magic bytes where ffmpeg is not installed), never the name or
the type a client claimed.
"""

import json
import os
import shutil
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

# ffprobe's demuxer names (its `format_name`) of the containers Meridian accepts, with the
# file extension and Content-Type it stores them under. An image (png_pipe, image2, gif),
# a text format (tty) or anything else ffprobe can open is refused.
CONTAINERS: dict[str, tuple[str, str, str]] = {
    # format_name: (extension, video type, audio-only type)
    "matroska,webm": (".webm", "video/webm", "audio/webm"),
    "mov,mp4,m4a,3gp,3g2,mj2": (".mp4", "video/mp4", "audio/mp4"),
    "ogg": (".ogg", "video/ogg", "audio/ogg"),
    "mp3": (".mp3", "audio/mpeg", "audio/mpeg"),
    "wav": (".wav", "audio/wav", "audio/wav"),
    "flac": (".flac", "audio/flac", "audio/flac"),
    "aac": (".aac", "audio/aac", "audio/aac"),
    "avi": (".avi", "video/x-msvideo", "video/x-msvideo"),
    "mpegts": (".ts", "video/mp2t", "video/mp2t"),
    "mpeg": (".mpg", "video/mpeg", "video/mpeg"),
    "asf": (".wmv", "video/x-ms-asf", "audio/x-ms-wma"),
    "flv": (".flv", "video/x-flv", "video/x-flv"),
    "nut": (".nut", "video/x-nut", "video/x-nut"),
}
# Codecs that are still pictures, not moving video (a cover image inside an audio file, say).
IMAGE_CODECS = {"png", "mjpeg", "jpeg2000", "bmp", "gif", "webp", "tiff", "ljpeg", "jpegls"}
# What browsers play without help: containers and the codecs inside them.
WEB_VIDEO = {"vp8", "vp9", "av1", "h264", "theora"}
WEB_AUDIO = {"opus", "vorbis", "aac", "mp3", "flac", "pcm_s16le", "pcm_f32le"}
WEBM_VIDEO = {"vp8", "vp9", "av1"}
WEBM_AUDIO = {"opus", "vorbis"}
WEB_CONTAINERS = {"matroska,webm", "mov,mp4,m4a,3gp,3g2,mj2", "ogg", "mp3", "wav", "flac"}
PROBE_SECONDS = 60
# What one transcode may cost, in pixels × seconds of input: 1080p for an hour. A 4K video of
# 30 minutes is twice that and is refused before any work starts; a web-playable file needs
# no transcode and is never refused for its size (only its streams are copied).
TRANSCODE_BUDGET = 1920 * 1080 * 3600
# The rendition is at most 720p, so the encoder's cost does not grow with the input's size.
RENDITION_MAX_WIDTH = 1280
RENDITION_MAX_HEIGHT = 720
# ffmpeg's bounds: threads, wall-clock seconds and address space, scaled by the input.
FFMPEG_THREADS = 2
TRANSCODE_SECONDS_MIN = 120
TRANSCODE_SECONDS_MAX = 3600
FFMPEG_MEMORY_BASE = 768 * 1024 * 1024  # shared libraries and codec tables, before any frame
FFMPEG_FRAMES_HELD = 48  # decoded frames in flight across decoder, scaler and encoder threads
FFMPEG_MEMORY_MAX = 3 * 1024**3  # an 8K clip (short enough for the budget) gets no more


class NotMedia(ValueError):
    """The file is not audio or video that Meridian accepts; the message says what it is."""


class TooCostly(NotMedia):
    """The file would need a transcode bigger than the server does (resolution × duration)."""


@dataclass(frozen=True)
class Probe:
    """What the content of a file turned out to be."""

    container: str
    extension: str
    content_type: str
    kind: str  # "video" or "audio"
    duration: float | None = None
    width: int | None = None
    height: int | None = None
    video_codec: str = ""
    audio_codec: str = ""

    @property
    def web_playable(self) -> bool:
        """Whether browsers play the file as it is (container and codecs)."""
        if self.container not in WEB_CONTAINERS or self.extension == ".mkv":
            return False
        if self.video_codec and self.video_codec not in WEB_VIDEO:
            return False
        return not self.audio_codec or self.audio_codec in WEB_AUDIO


@dataclass(frozen=True)
class Processed:
    """What the worker made of a recording: facts, and new files in the work directory."""

    duration: float | None
    width: int | None
    height: int | None
    thumbnail: Path | None
    playable: Path | None
    playable_type: str


def ffprobe_path() -> str | None:
    return shutil.which("ffprobe")


def ffmpeg_path() -> str | None:
    return shutil.which("ffmpeg")


def probe(path: Path) -> Probe:
    """Find out what the file is from its content; NotMedia names the reason it is refused."""
    ffprobe = ffprobe_path()
    if ffprobe is None:
        return sniff(path)
    try:
        done = subprocess.run(
            [
                ffprobe,
                "-v",
                "error",
                "-print_format",
                "json",
                "-show_format",
                "-show_streams",
                str(path),
            ],
            capture_output=True,
            timeout=PROBE_SECONDS,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise NotMedia("The media probe took too long to read this file.") from None
    if done.returncode != 0:
        reason = done.stderr.decode(errors="replace").strip().splitlines()
        said = reason[-1].split(": ", 1)[-1] if reason else "unreadable"
        raise NotMedia(f"This file is not audio or video (the media probe says: {said}).")
    info = json.loads(done.stdout or b"{}")
    found = _from_ffprobe(info)
    refuse_costly(found)
    return found


def transcode_cost(found: Probe) -> float | None:
    """Pixel-seconds a transcode of this file would decode, or None when nothing is transcoded."""
    if found.web_playable or found.kind != "video" or not found.duration:
        return None
    return (found.width or 0) * (found.height or 0) * found.duration


def refuse_costly(found: Probe) -> None:
    """Raise TooCostly, naming size and length, when converting the file is over the budget."""
    cost = transcode_cost(found)
    if cost is None or cost <= TRANSCODE_BUDGET:
        return
    length = _minutes(found.duration or 0)
    raise TooCostly(
        f"This {found.width}×{found.height} video of {length} would have to be converted to "
        f"play in a browser, and that is more than this server converts (1080p for 60 min, or "
        f"fewer pixels for longer). Record at a lower resolution or shorter, or send WebM or "
        f"MP4 (H.264), which play without converting."
    )


def _minutes(seconds: float) -> str:
    whole = round(seconds)
    return f"{whole // 60} min {whole % 60} s" if whole >= 60 else f"{whole} s"


def transcode_seconds(found: Probe) -> int:
    """The wall-clock limit of a transcode: four times the input's length at 720p, scaled by size."""
    if not found.duration:
        return TRANSCODE_SECONDS_MAX
    scale = max(1.0, (found.width or 0) * (found.height or 0) / (1280 * 720))
    wanted = TRANSCODE_SECONDS_MIN + 4 * found.duration * scale
    return int(min(TRANSCODE_SECONDS_MAX, wanted))


def ffmpeg_memory(found: Probe) -> int:
    """The address space ffmpeg may map: its libraries plus a bounded number of frames."""
    frame = (found.width or 1920) * (found.height or 1080) * 3 // 2  # 8-bit 4:2:0
    return min(FFMPEG_MEMORY_MAX, FFMPEG_MEMORY_BASE + FFMPEG_FRAMES_HELD * frame)


def _from_ffprobe(info: dict) -> Probe:
    fmt = info.get("format") or {}
    container = str(fmt.get("format_name", ""))
    described = str(fmt.get("format_long_name") or container or "an unknown format")
    if container.endswith("_pipe") or container in {"image2", "gif", "apng"}:
        image = container.removesuffix("_pipe").replace("image2", "still").upper()
        raise NotMedia(f"This file is a {image} image, not an audio or video file.")
    if container not in CONTAINERS:
        raise NotMedia(f"This file is {described}, not an audio or video file.")
    video = [
        s
        for s in info.get("streams", [])
        if s.get("codec_type") == "video"
        and s.get("codec_name") not in IMAGE_CODECS
        and not (s.get("disposition") or {}).get("attached_pic")
    ]
    audio = [s for s in info.get("streams", []) if s.get("codec_type") == "audio"]
    if not video and not audio:
        raise NotMedia(f"This {described} file holds no audio or video stream.")
    extension, video_type, audio_type = CONTAINERS[container]
    first = video[0] if video else {}
    video_codec = str(first.get("codec_name", ""))
    audio_codec = str(audio[0].get("codec_name", "")) if audio else ""
    if container == "matroska,webm" and not (
        video_codec in WEBM_VIDEO | {""} and audio_codec in WEBM_AUDIO | {""}
    ):
        # Matroska holding codecs that WebM does not allow is not WebM.
        extension, video_type, audio_type = ".mkv", "video/x-matroska", "audio/x-matroska"
    return Probe(
        container=container,
        extension=extension,
        content_type=video_type if video else audio_type,
        kind="video" if video else "audio",
        duration=_seconds(fmt.get("duration")) or _seconds((video or audio)[0].get("duration")),
        width=first.get("width"),
        height=first.get("height"),
        video_codec=video_codec,
        audio_codec=audio_codec,
    )


def _seconds(raw: object) -> float | None:
    try:
        value = float(str(raw))
    except ValueError:
        return None
    return value if value > 0 and value != float("inf") else None


# Magic bytes of the accepted containers, for an install without ffmpeg: (offset, bytes).
SIGNATURES: list[tuple[int, bytes, str]] = [
    (0, b"\x1a\x45\xdf\xa3", "matroska,webm"),
    (4, b"ftyp", "mov,mp4,m4a,3gp,3g2,mj2"),
    (0, b"OggS", "ogg"),
    (0, b"fLaC", "flac"),
    (0, b"ID3", "mp3"),
]


def sniff(path: Path) -> Probe:
    """Without ffprobe: recognise the container by its first bytes (codecs stay unknown)."""
    with path.open("rb") as handle:
        head = handle.read(16)
    container = ""
    for offset, magic, name in SIGNATURES:
        if head[offset : offset + len(magic)] == magic:
            container = name
    if head[:4] == b"RIFF" and head[8:12] in (b"WAVE", b"AVI "):
        container = "wav" if head[8:12] == b"WAVE" else "avi"
    if not container:
        raise NotMedia("This file is not audio or video (its first bytes match no media format).")
    extension, video_type, audio_type = CONTAINERS[container]
    audio_only = container in {"mp3", "wav", "flac"}
    return Probe(
        container=container,
        extension=extension,
        content_type=audio_type if audio_only else video_type,
        kind="audio" if audio_only else "video",
    )


def _bounded(command: list[str], seconds: int, memory: int) -> list[str]:
    """``command`` wrapped in the programs that bound it: limits, priority, death with us.

    Wrapper programs (util-linux and coreutils, each exec'ing the next) rather than a
    pre-exec hook: the worker has a heartbeat thread, and Python's preexec_fn may deadlock
    the forked child of a process with threads. On Linux both must be installed.
    """
    if not sys.platform.startswith("linux"):
        return ["nice", "-n", "10", *command]  # a development machine: the wall clock bounds it
    prlimit, setpriv = shutil.which("prlimit"), shutil.which("setpriv")
    if prlimit is None or setpriv is None:
        raise FileNotFoundError("prlimit and setpriv (util-linux) are needed to bound ffmpeg")
    cpu = seconds * FFMPEG_THREADS  # CPU seconds: all threads busy for the whole wall time
    return [
        # ffmpeg dies with the worker that started it, so a killed worker leaves no transcode.
        setpriv, "--pdeathsig", "KILL", "--",
        prlimit, f"--as={memory}", f"--cpu={cpu}:{cpu + 5}", "--",
        # Web requests and mail come first on a shared core.
        "nice", "-n", "10", *command,
    ]  # fmt: skip


def _ffmpeg(args: list[str], timeout: int, memory: int = FFMPEG_MEMORY_BASE * 2) -> None:
    ffmpeg = ffmpeg_path()
    if ffmpeg is None:
        raise FileNotFoundError("ffmpeg is not installed")
    command = [ffmpeg, "-nostdin", "-hide_banner", "-v", "error", "-y",
               "-threads", str(FFMPEG_THREADS), *args]  # fmt: skip
    try:
        done = subprocess.run(
            _bounded(command, timeout, memory),
            capture_output=True,
            timeout=timeout,
            check=False,
            # glibc reserves 64 MiB of address space per thread's arena; two arenas suffice.
            env={**os.environ, "MALLOC_ARENA_MAX": "2"},
        )
    except subprocess.TimeoutExpired:
        raise RuntimeError(f"ffmpeg took longer than its limit of {timeout} s") from None
    if done.returncode != 0:
        lines = done.stderr.decode(errors="replace").strip().splitlines()
        if done.returncode in (-signal.SIGXCPU, -signal.SIGKILL):
            raise RuntimeError(f"ffmpeg went over its limit of CPU time ({timeout} s)")
        raise RuntimeError(f"ffmpeg failed: {lines[-1] if lines else done.returncode}")


def rendition(source: Path, found: Probe, workdir: Path) -> tuple[Path, str] | None:
    """A web-playable copy when the original is not one, or lacks its duration; else None.

    Browsers' MediaRecorder writes WebM without a duration, so players cannot seek it: copying
    the streams into a new container (no re-encoding) writes one. Anything browsers cannot play
    is transcoded to WebM (VP8 and Opus).
    """
    if found.web_playable and found.duration is not None:
        return None
    if found.web_playable:
        target = workdir / f"playable{found.extension}"
        faststart = ["-movflags", "+faststart"] if found.extension == ".mp4" else []
        _ffmpeg(["-i", str(source), "-map", "0", "-c", "copy", *faststart, str(target)], 600)
        return target, found.content_type
    refuse_costly(found)  # also here: a file probed before the budget existed
    target = workdir / "playable.webm"
    if found.kind == "audio":
        codecs = ["-vn", "-c:a", "libopus", "-b:a", "96k"]
        content_type = "audio/webm"
    else:
        fit = (
            f"scale='min({RENDITION_MAX_WIDTH},iw)':'min({RENDITION_MAX_HEIGHT},ih)'"
            ":force_original_aspect_ratio=decrease:force_divisible_by=2"
        )
        codecs = [
            "-map", "0:v:0", "-map", "0:a:0?", "-vf", fit,
            "-c:v", "libvpx", "-threads", str(FFMPEG_THREADS), "-deadline", "realtime",
            "-cpu-used", "8", "-b:v", "1500k", "-c:a", "libopus", "-b:a", "96k",
        ]  # fmt: skip
        content_type = "video/webm"
    _ffmpeg(
        ["-i", str(source), *codecs, str(target)], transcode_seconds(found), ffmpeg_memory(found)
    )
    return target, content_type


def thumbnail(source: Path, duration: float | None, workdir: Path) -> Path | None:
    """A JPEG still from one second in (or the middle of a shorter video), at most 640 wide."""
    target = workdir / "thumbnail.jpg"
    at = min(1.0, duration / 2) if duration else 0.0
    scale = "scale='min(640,iw)':-2"
    for seek in dict.fromkeys([at, 0.0]):
        try:
            _ffmpeg(
                ["-ss", f"{seek:.3f}", "-i", str(source), "-frames:v", "1", "-vf", scale,
                 "-q:v", "4", str(target)],
                120,
            )  # fmt: skip
        except RuntimeError:
            continue
        if target.exists() and target.stat().st_size > 0:
            return target
    return None


def process(source: Path, workdir: Path) -> Processed:
    """Everything the worker extracts with ffmpeg: rendition when needed, duration, thumbnail."""
    found = probe(source)
    made = rendition(source, found, workdir)
    playable, playable_type = made if made else (None, "")
    final = probe(playable) if playable else found
    picture = (
        thumbnail(playable or source, final.duration, workdir) if found.kind == "video" else None
    )
    return Processed(
        duration=final.duration,
        width=final.width,
        height=final.height,
        thumbnail=picture,
        playable=playable,
        playable_type=playable_type,
    )
