"""The person's day from the watchers' events, and the 15-minute slots a sync sends.

Pure logic (no database, no clock): property-tested in tests/agent/test_activity.py.

The window watcher says which app and title were in front; the AFK watcher says whether the
person was at the computer. A *piece* is a stretch of time with one app/title that was either
active (not AFK) or AFK, cut at 15-minute boundaries. Window time the AFK watcher says nothing
about is left out (ActivityWatch's desktop query does the same); without any AFK watcher all
window time is active. AFK time with no window in front is a piece with no app.

Curation then applies the person's rules: excluded apps, title patterns and time ranges are
never shared, relabels name the category, and the remaining pieces add up per slot.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

US = 1_000_000
SLOT_US = 900 * US
UNCATEGORIZED = "Uncategorized"

# The categories every agent knows (case-insensitive regular expressions on the app name or
# the window title), used when the workspace's policy brings no rules of its own; the
# person's relabels come first. First match wins.
DEFAULT_RULES: tuple[tuple[str, str, str], ...] = (
    ("Meetings", "app", r"zoom|teams|webex|jitsi|skype"),
    ("Meetings", "title", r"google meet|meet\.jit\.si|zoom meeting"),
    ("Communication", "app", r"slack|mattermost|element|signal|telegram|discord|thunderbird|mail"),
    (
        "Coding",
        "app",
        r"code|codium|vim|emacs|pycharm|idea|clion|goland|sublime|zed|terminal|konsole|kitty"
        r"|alacritty|xterm|iterm",
    ),
    ("Writing", "app", r"libreoffice|writer|word|pages|obsidian|typora|notion"),
)


@dataclass(frozen=True)
class Piece:
    """[start, end) in µs of one app/title, active or AFK, within one slot."""

    start: int
    end: int
    app: str
    title: str
    afk: bool

    @property
    def seconds(self) -> float:
        return (self.end - self.start) / US


@dataclass(frozen=True)
class Rule:
    """A curation rule of the person (stored in the agent's database).

    kind: ``exclude_app`` (pattern: the app name, any case), ``exclude_title`` (pattern: a
    regular expression searched in the title), ``exclude_range`` (start, end in µs) or
    ``relabel`` (field ``app`` or ``title``, a regular expression, and the category).
    """

    id: int
    kind: str
    pattern: str = ""
    field: str = ""
    category: str = ""
    start: int = 0
    end: int = 0


@dataclass
class Curation:
    """The compiled rules: what is excluded and how a piece is categorised."""

    rules: Sequence[Rule] = ()
    workspace_rules: Sequence[tuple[str, str, str]] = DEFAULT_RULES
    _apps: frozenset[str] = field(init=False)
    _titles: list[re.Pattern[str]] = field(init=False)
    _ranges: list[tuple[int, int]] = field(init=False)
    _labels: list[tuple[str, re.Pattern[str], str]] = field(init=False)
    _cache: dict[tuple[str, str], tuple[str, bool]] = field(init=False, default_factory=dict)

    def __post_init__(self) -> None:
        self._apps = frozenset(r.pattern.casefold() for r in self.rules if r.kind == "exclude_app")
        self._titles = [
            re.compile(r.pattern, re.IGNORECASE) for r in self.rules if r.kind == "exclude_title"
        ]
        self._ranges = merge([(r.start, r.end) for r in self.rules if r.kind == "exclude_range"])
        # The person's newest relabel wins over older ones and over the workspace's rules.
        personal = sorted((r for r in self.rules if r.kind == "relabel"), key=lambda r: -r.id)
        self._labels = [
            (r.field, re.compile(r.pattern, re.IGNORECASE), r.category) for r in personal
        ] + [(f, re.compile(p, re.IGNORECASE), c) for c, f, p in self.workspace_rules]

    def judge(self, app: str, title: str) -> tuple[str, bool]:
        """(category, excluded) of an app and title."""
        key = (app, title)
        found = self._cache.get(key)
        if found is None:
            excluded = bool(app) and (
                app.casefold() in self._apps or any(p.search(title) for p in self._titles)
            )
            category = UNCATEGORIZED
            if app:
                for which, pattern, label in self._labels:
                    if pattern.search(app if which == "app" else title):
                        category = label
                        break
            found = self._cache[key] = (category, excluded)
        return found

    def excluded_ranges(self) -> list[tuple[int, int]]:
        return list(self._ranges)


def merge(spans: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    """Sorted, disjoint spans covering the same time as ``spans`` (empty ones dropped)."""
    result: list[tuple[int, int]] = []
    for start, end in sorted(s for s in spans if s[1] > s[0]):
        if result and start <= result[-1][1]:
            if end > result[-1][1]:
                result[-1] = (result[-1][0], end)
        else:
            result.append((start, end))
    return result


def subtract(
    spans: Sequence[tuple[int, int]], holes: Sequence[tuple[int, int]]
) -> list[tuple[int, int]]:
    """The parts of disjoint sorted ``spans`` outside disjoint sorted ``holes``."""
    result: list[tuple[int, int]] = []
    starts = [h[0] for h in holes]
    for start, end in spans:
        cursor = start
        i = max(0, bisect_right(starts, start) - 1)
        while i < len(holes) and holes[i][0] < end:
            lo, hi = holes[i]
            if hi > cursor:
                if lo > cursor:
                    result.append((cursor, lo))
                cursor = max(cursor, hi)
            i += 1
        if cursor < end:
            result.append((cursor, end))
    return result


def intersect(
    spans: Sequence[tuple[int, int]],
    other: Sequence[tuple[int, int]],
    starts: Sequence[int] | None = None,
) -> list[tuple[int, int]]:
    """The parts of disjoint sorted ``spans`` inside disjoint sorted ``other`` (``starts``:
    the starts of ``other``, when the caller has them already)."""
    result: list[tuple[int, int]] = []
    if starts is None:
        starts = [o[0] for o in other]
    for start, end in spans:
        i = max(0, bisect_right(starts, start) - 1)
        while i < len(other) and other[i][0] < end:
            lo, hi = max(start, other[i][0]), min(end, other[i][1])
            if lo < hi:
                result.append((lo, hi))
            i += 1
    return result


def _cut(start: int, end: int) -> Iterable[tuple[int, int]]:
    """[start, end) cut at 15-minute boundaries."""
    while start < end:
        boundary = start - start % SLOT_US + SLOT_US
        yield start, min(end, boundary)
        start = boundary


def pieces(
    windows: Iterable[tuple[int, int, str, str]],
    afk: Iterable[tuple[int, int, bool]] | None,
    lo: int,
    hi: int,
    hidden: Sequence[tuple[int, int]] = (),
) -> list[Piece]:
    """The pieces of [lo, hi) from window events (start, duration, app, title) and AFK events
    (start, duration, is_afk); ``afk`` None means there is no AFK watcher (all active).

    ``hidden`` spans (excluded time ranges) produce no pieces at all.
    """
    window = (lo, hi)
    visible = subtract([window], merge(hidden))
    away: list[tuple[int, int]] = []
    present: list[tuple[int, int]] = []
    if afk is None:
        present = list(visible)
    else:
        afk_spans: list[tuple[int, int]] = []
        here_spans: list[tuple[int, int]] = []
        for ts, dur, is_afk in afk:
            (afk_spans if is_afk else here_spans).append((ts, ts + dur))
        away = intersect(merge(afk_spans), visible)
        # Where the watcher said both (overlapping events), AFK wins.
        present = subtract(intersect(merge(here_spans), visible), away)
    result: list[Piece] = []
    covered: list[tuple[int, int]] = []
    reached = lo
    states = ((False, present, [p[0] for p in present]), (True, away, [a[0] for a in away]))
    for ts, dur, app, title in sorted(windows, key=lambda w: w[0]):
        # Windows never overlap in a watcher's data; where imported data do, the first wins.
        span = [(max(ts, reached), min(ts + dur, hi))]
        if span[0][0] >= span[0][1]:
            continue
        reached = span[0][1]
        covered.extend(span)
        for state, spans, starts in states:
            for start, end in intersect(span, spans, starts):
                for a, b in _cut(start, end):
                    result.append(Piece(a, b, app, title, state))
    for start, end in subtract(away, merge(covered)):
        for a, b in _cut(start, end):
            result.append(Piece(a, b, "", "", True))
    result.sort(key=lambda p: (p.start, p.end))
    return result


SlotKey = tuple[int, str, str, str]  # (slot start µs, category, app, title)


def slots(
    parts: Iterable[Piece], curation: Curation, *, share_apps: bool, share_titles: bool
) -> dict[SlotKey, tuple[int, int]]:
    """(active, AFK) whole seconds per slot key of what may be shared.

    Excluded pieces are left out; app names only with ``share_apps``, titles only with both.
    Figures are rounded down per key and never exceed a slot together.
    """
    sums: dict[SlotKey, list[int]] = {}
    for piece in parts:
        category, excluded = curation.judge(piece.app, piece.title)
        if excluded:
            continue
        app = piece.app if share_apps else ""
        title = piece.title if share_apps and share_titles else ""
        key = (piece.start - piece.start % SLOT_US, category, app, title)
        row = sums.get(key)
        if row is None:
            row = sums[key] = [0, 0]
        row[1 if piece.afk else 0] += piece.end - piece.start
    result = {}
    for key, (active_us, afk_us) in sums.items():
        active = min(900, active_us // US)
        afk = min(900 - active, afk_us // US)
        if active or afk:
            result[key] = (active, afk)
    return result


@dataclass
class Day:
    """What the day page and ``meridian agent day`` show (seconds)."""

    active: float = 0.0
    afk: float = 0.0
    excluded: float = 0.0
    apps: dict[str, float] = field(default_factory=dict)
    titles: dict[tuple[str, str], float] = field(default_factory=dict)
    categories: dict[str, float] = field(default_factory=dict)
    # (start µs, end µs, "active" | "afk" | "excluded", category, app) — consecutive pieces
    # of the same kind and category joined.
    timeline: list[tuple[int, int, str, str, str]] = field(default_factory=list)


def day_summary(parts: Iterable[Piece], curation: Curation) -> Day:
    """Totals of the day's pieces (built without hiding excluded ranges), what is excluded
    (apps, titles, time ranges) counted apart and marked on the timeline."""
    day = Day()
    ranges = curation.excluded_ranges()
    for whole in parts:
        inside = intersect([(whole.start, whole.end)], ranges) if ranges else []
        outside = subtract([(whole.start, whole.end)], ranges) if inside else []
        split = [(a, b, True) for a, b in inside] + [(a, b, False) for a, b in outside]
        for start, end, hidden in sorted(split) if inside else [(whole.start, whole.end, False)]:
            piece = Piece(start, end, whole.app, whole.title, whole.afk)
            _add(day, piece, curation, hidden)
    return day


def _add(day: Day, piece: Piece, curation: Curation, hidden: bool) -> None:
    seconds = piece.seconds
    category, excluded = curation.judge(piece.app, piece.title)
    if excluded or hidden:
        day.excluded += seconds
        kind = "excluded"
    elif piece.afk:
        day.afk += seconds
        kind = "afk"
    else:
        day.active += seconds
        kind = "active"
        day.categories[category] = day.categories.get(category, 0.0) + seconds
    if piece.app and not piece.afk:
        day.apps[piece.app] = day.apps.get(piece.app, 0.0) + seconds
        key = (piece.app, piece.title)
        day.titles[key] = day.titles.get(key, 0.0) + seconds
    label = category if kind == "active" else ""
    last = day.timeline[-1] if day.timeline else None
    if last and last[2] == kind and last[3] == label and last[1] >= piece.start:
        day.timeline[-1] = (last[0], piece.end, kind, label, last[4])
    else:
        day.timeline.append((piece.start, piece.end, kind, label, piece.app))
