"""Pure logic of tracking (no ORM): timesheet days in a member's zone, slot validation, rollup
deltas, the k-anonymity rule for team reports, time outside working hours, and the check of a
workspace category rule's pattern.

Property-tested in tests/tracking/test_rules.py.
"""

import importlib
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime, time, timedelta
from itertools import repeat
from operator import itemgetter
from typing import Annotated, Any, NamedTuple
from zoneinfo import ZoneInfo

import msgspec

from meridian.core.workingtime import WorkingWeek, working_time_between

SLOT_SECONDS = 900
MAX_SLOTS = 5000

# (start, category, app, title): what identifies a slot of one member.
SlotKey = tuple[datetime, str, str, str]


def day_start(day: date, zone: ZoneInfo) -> datetime:
    """The UTC instant the member's day begins (a DST day is 23 or 25 hours long)."""
    return datetime.combine(day, time(), zone).astimezone(UTC)


def week_days(day: date) -> list[date]:
    """Monday to Sunday of the week holding ``day``."""
    monday = day - timedelta(days=day.weekday())
    return [monday + timedelta(days=i) for i in range(7)]


def week_of(day: date) -> date:
    """The Monday of the week holding ``day`` (the key of the weekly rollup)."""
    return day - timedelta(days=day.weekday())


def split_weeks(
    first: date, last: date
) -> tuple[list[tuple[date, date]], tuple[date, date] | None]:
    """[first, last] as day ranges outside whole weeks, and the Mondays (first, last) of the
    whole Monday-to-Sunday weeks inside it (None when there is none): the team report reads
    the weekly rollup for the weeks and the daily one for the rest."""
    monday = first + timedelta(days=-first.weekday() % 7)
    sunday = last - timedelta(days=(last.weekday() + 1) % 7)
    if sunday < monday:
        return [(first, last)], None
    edges = [
        (lo, hi)
        for lo, hi in ((first, monday - timedelta(days=1)), (sunday + timedelta(days=1), last))
        if lo <= hi
    ]
    return edges, (monday, sunday - timedelta(days=6))


def seconds_per_day(
    spans: Iterable[tuple[datetime, datetime]], days: list[date], zone: ZoneInfo
) -> dict[date, int]:
    """Seconds of the spans that fall on each of the member's days (split at local midnight)."""
    bounds = [(d, day_start(d, zone), day_start(d + timedelta(days=1), zone)) for d in days]
    totals = dict.fromkeys(days, 0)
    for start, end in spans:
        for d, lo, hi in bounds:
            overlap = (min(end, hi) - max(start, lo)).total_seconds()
            if overlap > 0:
                totals[d] += int(overlap)
    return totals


class Figures(NamedTuple):
    """Active and AFK seconds (a named tuple: a sync builds thousands of them)."""

    active: int
    afk: int


def rollup_deltas(
    old: Mapping[SlotKey, tuple[date, Figures]],
    new: Mapping[SlotKey, tuple[date, Figures]],
) -> dict[tuple[date, str], Figures]:
    """How each (day, category) rollup changes when the ``new`` slots replace the ``old`` ones.

    ``old`` holds the stored figures of those of the new keys that exist already; a key sent
    again replaces its figures, so a re-send never double-counts.
    """
    deltas: dict[tuple[date, str], list[int]] = defaultdict(lambda: [0, 0])
    for key, (day, figures) in new.items():
        row = deltas[(day, key[1])]
        row[0] += figures.active
        row[1] += figures.afk
    for key, (day, figures) in old.items():
        if key not in new:
            continue
        row = deltas[(day, key[1])]
        row[0] -= figures.active
        row[1] -= figures.afk
    return {k: Figures(a, f) for k, (a, f) in deltas.items() if a or f}


def rollup_deltas_from_sums(
    new: Mapping[SlotKey, tuple[date, Figures]],
    old_sums: Mapping[tuple[date, str], Figures],
) -> dict[tuple[date, str], Figures]:
    """:func:`rollup_deltas` when the database has summed the stored figures of the new keys
    per (stored day, category) itself, so that only those few sums travel, not every row."""
    deltas: dict[tuple[date, str], list[int]] = defaultdict(lambda: [0, 0])
    for key, (day, figures) in new.items():
        row = deltas[(day, key[1])]
        row[0] += figures.active
        row[1] += figures.afk
    for day_category, figures in old_sums.items():
        row = deltas[day_category]
        row[0] -= figures.active
        row[1] -= figures.afk
    return {k: Figures(a, f) for k, (a, f) in deltas.items() if a or f}


def group_refusal(
    group: frozenset[int], everyone: frozenset[int], others: Iterable[frozenset[int]], k: int
) -> str | None:
    """Why a team aggregate over ``group`` would reveal a person, or None when it may be shown.

    The rule (docs/user/tracking.md): the group has at least k members; its complement within
    the workspace is empty or has at least k; and for every other group that can be reported
    (``others``: the workspace's teams of k or more), the members in one and not the other are
    none or at least k on both sides. Otherwise subtracting one report from another would give
    the figures of fewer than k people.
    """
    if len(group) < k:
        return f"This group has {len(group)} members; reports need at least {k}."
    rest = len(everyone - group)
    if 0 < rest < k:
        return (
            f"The rest of the workspace would be {rest} members: comparing this report with "
            f"the workspace's would reveal fewer than {k} people."
        )
    for other in others:
        if other == group or len(other) < k:
            continue
        for left in (group - other, other - group):
            if 0 < len(left) < k:
                return (
                    f"This group differs from another team by {len(left)} members: comparing "
                    f"the two reports would reveal fewer than {k} people."
                )
    return None


def outside_working_seconds(
    week: WorkingWeek, spans: Iterable[tuple[datetime, datetime]]
) -> tuple[int, int]:
    """(total, outside) seconds of the spans, outside being beyond the member's working hours."""
    total = outside = 0
    for start, end in spans:
        length = int((end - start).total_seconds())
        inside = int(working_time_between(week, start, end).total_seconds())
        total += length
        outside += length - inside
    return total, outside


class Slot(NamedTuple):
    """One slot as the agent sent it, validated (app/title None when not sent)."""

    start: datetime
    category: str
    active_seconds: int
    afk_seconds: int
    app: str | None
    title: str | None


def slots_kept(
    slots: Sequence[Slot],
    cutoff: datetime,
    zone: ZoneInfo,
    *,
    allow_apps: bool,
    allow_titles: bool,
) -> tuple[dict[SlotKey, tuple[date, Figures]], int, int]:
    """The slots a sync stores, by key, with their day in ``zone``; and how many details were
    dropped (the policy does not share them) and how many slots were older than ``cutoff``.

    The same key twice in one request: the later one wins, as a later request would. Details
    dropped can make several slots one: their figures add up (within the quarter hour).
    A sync whose slots carry no detail the policy drops (the common case) is built column by
    column in C (``zip``, ``map``, ``dict``: no Python per slot, a tenth of a loop's time);
    property-tested equal to :func:`_slots_kept_general`, which handles every sync.
    """
    if not slots:
        return {}, 0, 0
    days = {start: start.astimezone(zone).date() for start in set(map(_first, slots))}
    old = {start for start in days if start < cutoff}
    kept = [slot for slot in slots if slot[0] not in old] if old else slots
    if not kept:
        return {}, 0, len(slots)
    starts, categories, actives, afks, apps, titles = zip(*kept, strict=True)
    if (not allow_apps and any(apps)) or (not allow_titles and any(titles)):
        return _slots_kept_general(
            slots, cutoff, zone, allow_apps=allow_apps, allow_titles=allow_titles
        )
    keys = zip(starts, categories, _blank_for_none(apps), _blank_for_none(titles), strict=False)
    # Figures(active, afk) made by tuple.__new__ (C), not the named tuple's __new__ (Python).
    figures = map(tuple.__new__, repeat(Figures), zip(actives, afks, strict=True))
    values = zip(map(days.__getitem__, starts), figures, strict=False)
    return dict(zip(keys, values, strict=False)), 0, len(slots) - len(kept)


_first = itemgetter(0)


def _blank_for_none(texts: tuple[str | None, ...]) -> Iterable[str]:
    """Each text, "" for None (a slot's key holds "" where no detail was sent)."""
    return [text or "" for text in texts] if any(texts) else repeat("", len(texts))


def _slots_kept_general(
    slots: Sequence[Slot],
    cutoff: datetime,
    zone: ZoneInfo,
    *,
    allow_apps: bool,
    allow_titles: bool,
) -> tuple[dict[SlotKey, tuple[date, Figures]], int, int]:
    """:func:`slots_kept` for any sync: the later of two same keys wins first, then the
    slots whose dropped details made them one add up."""
    dropped = expired = 0
    sent: dict[SlotKey, Slot] = {}
    for slot in slots:
        if slot.start < cutoff:
            expired += 1
            continue
        sent[(slot.start, slot.category, slot.app or "", slot.title or "")] = slot
    new: dict[SlotKey, tuple[date, Figures]] = {}
    days: dict[datetime, date] = {}
    for (start, category, app, title), slot in sent.items():
        if app and not allow_apps:
            app, title = "", ""
            dropped += 1
        elif title and not allow_titles:
            title = ""
            dropped += 1
        key = (start, category, app, title)
        day = days.get(start)
        if day is None:
            day = days[start] = start.astimezone(zone).date()
        if key in new:
            before = new[key][1]
            active = min(SLOT_SECONDS, before.active + slot.active_seconds)
            afk = min(SLOT_SECONDS - active, before.afk + slot.afk_seconds)
            new[key] = (day, Figures(active, afk))
        else:
            new[key] = (day, Figures(slot.active_seconds, slot.afk_seconds))
    return new, dropped, expired


SLOT_FIELDS = frozenset({"start", "category", "active_seconds", "afk_seconds", "app", "title"})
TEXT_LIMITS = {"category": 100, "app": 200, "title": 500}


def _seconds(value: object, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{what} must be a whole number of seconds")
    if not 0 <= value <= SLOT_SECONDS:
        raise ValueError(f"{what} must be between 0 and {SLOT_SECONDS}")
    return value


def _text(value: object, what: str, required: bool) -> str | None:
    if value is None and not required:
        return None
    if not isinstance(value, str) or (required and not value.strip()):
        raise ValueError(f"{what} must be {'a non-empty' if required else 'a'} string")
    if len(value) > TEXT_LIMITS[what] or "\x00" in value:
        raise ValueError(f"{what} must be at most {TEXT_LIMITS[what]} characters, without NUL")
    return value


def _start(text: object) -> datetime:
    """A slot's start from its JSON text: an aware UTC instant on a quarter hour."""
    if not isinstance(text, str):
        raise ValueError("must be a string: a UTC instant such as 2026-12-05T09:15:00Z")
    try:
        start = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError("is not an ISO 8601 instant, e.g. 2026-12-05T09:15:00Z") from None
    if start.tzinfo is None:
        raise ValueError("must carry a UTC offset, e.g. 2026-12-05T09:15:00Z")
    if start.timestamp() % SLOT_SECONDS:
        raise ValueError("must be aligned to 15 minutes (hh:00, :15, :30 or :45, 0 seconds)")
    return start.astimezone(UTC)


def parse_slot(
    raw: object, starts: dict[str, datetime] | None = None
) -> tuple[Slot | None, str, str]:
    """A slot from its JSON, or (None, field, message) naming what is wrong with it.

    Written by hand rather than through a schema: a sync carries up to 5,000 slots, and this
    is what the ingest's throughput is made of. ``starts`` remembers the starts already read
    in one request (each quarter hour comes once per category), so each is parsed once. The
    common slot of a sync never gets here: :func:`parse_slots` takes it with msgspec, and
    its own loop when a slot is wrong.
    """
    if not isinstance(raw, dict):
        return None, "", "must be an object"
    unknown = raw.keys() - SLOT_FIELDS
    if unknown:
        return None, sorted(unknown)[0], "is not a field of a slot"
    field = "start"
    try:
        text = raw.get("start")
        start = starts.get(text) if starts is not None and type(text) is str else None
        if start is None:
            start = _start(text)
            if starts is not None:
                starts[text] = start  # type: ignore[index]  # a str: _start accepted it
        field = "category"
        category = _text(raw.get("category"), "category", True)
        field = "active_seconds"
        active = _seconds(raw.get("active_seconds"), "active_seconds")
        field = "afk_seconds"
        afk = _seconds(raw.get("afk_seconds"), "afk_seconds")
        if active + afk > SLOT_SECONDS:
            raise ValueError(f"active_seconds + afk_seconds must be at most {SLOT_SECONDS}")
        field = "app"
        app = _text(raw.get("app"), "app", False)
        field = "title"
        title = _text(raw.get("title"), "title", False)
    except ValueError as exc:
        return None, field, str(exc)
    assert category is not None
    return Slot(start, category, active, afk, app or None, title or None), "", ""


class _SlotJson(msgspec.Struct, forbid_unknown_fields=True, gc=False):
    """A slot's JSON as msgspec checks it, in C: the fields, their types and limits. What it
    cannot say (the start's instant, a category of only spaces, a NUL, the figures' sum)
    :func:`parse_slots` checks once per distinct value."""

    start: str
    category: Annotated[str, msgspec.Meta(max_length=TEXT_LIMITS["category"])]
    active_seconds: Annotated[int, msgspec.Meta(ge=0, le=SLOT_SECONDS)]
    afk_seconds: Annotated[int, msgspec.Meta(ge=0, le=SLOT_SECONDS)]
    app: Annotated[str, msgspec.Meta(max_length=TEXT_LIMITS["app"])] | None = None
    title: Annotated[str, msgspec.Meta(max_length=TEXT_LIMITS["title"])] | None = None


_SLOTS_JSON = list[_SlotJson]


def parse_slots(raws: Sequence[object]) -> tuple[list[Slot], int, str, str]:
    """A sync's slots from their JSON, or the index, field and message of the first one that
    is wrong (with an empty list): what :func:`parse_slot` answers slot by slot.

    msgspec checks every slot's fields, types and limits in one call (``msgspec.convert``);
    the rest is checked per distinct start, category, app and title (a sync of 5,000 slots
    has some 1,000 starts and five categories), and the sum per slot. Any slot that is wrong
    sends the whole sync through :func:`_parse_slots_loop`, which names it. Property-tested
    equal to :func:`parse_slot` slot by slot.
    """
    if type(raws) is not list:
        return _parse_slots_loop(raws)
    try:
        sent = msgspec.convert(raws, _SLOTS_JSON)
    except (msgspec.ValidationError, ValueError):  # ValueError: text with a lone surrogate
        return _parse_slots_loop(raws)
    starts: dict[str, datetime] = {}
    try:
        for text in {slot.start for slot in sent}:
            starts[text] = _start(text)
    except (ValueError, OverflowError):  # the loop names the slot (or fails) as it always has
        return _parse_slots_loop(raws)
    texts = {slot.app for slot in sent} | {slot.title for slot in sent}
    texts.discard(None)
    if (
        any(not c.strip() or "\x00" in c for c in {slot.category for slot in sent})
        or any("\x00" in t for t in texts)  # type: ignore[operator]  # None discarded
        or any(slot.active_seconds + slot.afk_seconds > SLOT_SECONDS for slot in sent)
    ):
        return _parse_slots_loop(raws)
    make = tuple.__new__  # Slot(...) without the named tuple's own __new__ in Python
    return (
        [
            make(
                Slot,
                (
                    starts[slot.start],
                    slot.category,
                    slot.active_seconds,
                    slot.afk_seconds,
                    slot.app or None,
                    slot.title or None,
                ),
            )
            for slot in sent
        ],
        -1,
        "",
        "",
    )


def _parse_slots_loop(raws: Sequence[object]) -> tuple[list[Slot], int, str, str]:
    """:func:`parse_slots` in one loop of Python, naming the first slot that is wrong.

    The common slot — its start already read in this request, plain values within every
    limit — is taken here without a call per slot (a fifth of the parse of 5,000 slots);
    any other goes through :func:`parse_slot`. Property-tested equal to it slot by slot.
    """
    slots: list[Slot] = []
    append = slots.append
    starts: dict[str, datetime] = {}
    get_start = starts.get
    fields = SLOT_FIELDS
    category_max = TEXT_LIMITS["category"]
    make = tuple.__new__  # Slot(...) without the named tuple's own __new__ in Python
    for index, raw in enumerate(raws):
        if type(raw) is dict:
            text = raw.get("start")
            start = get_start(text) if type(text) is str else None
            if start is not None:
                category = raw.get("category")
                active = raw.get("active_seconds")
                afk = raw.get("afk_seconds")
                app = raw.get("app")
                title = raw.get("title")
                if (
                    type(category) is str
                    and type(active) is int
                    and type(afk) is int
                    and active >= 0
                    and afk >= 0
                    and active + afk <= SLOT_SECONDS
                    and len(category) <= category_max
                    and "\x00" not in category
                    and category.strip()
                    and (
                        app is None or (type(app) is str and len(app) <= 200 and "\x00" not in app)
                    )
                    and (
                        title is None
                        or (type(title) is str and len(title) <= 500 and "\x00" not in title)
                    )
                    and raw.keys() <= fields
                ):
                    append(make(Slot, (start, category, active, afk, app or None, title or None)))
                    continue
        slot, field, message = parse_slot(raw, starts)
        if slot is None:
            return [], index, field, message
        append(slot)
    return slots, -1, "", ""


# --- Category rules ------------------------------------------------------------------------------

RULE_FIELDS = ("app", "title")
PATTERN_MAX = 200
CATEGORY_MAX = TEXT_LIMITS["category"]
MAX_CATEGORY_RULES = 100

# The parser behind ``re`` (no typing stubs): it tells nested repeats apart cheaply.
_parser: Any = importlib.import_module("re._parser")
_REPEATS = {_parser.MAX_REPEAT, _parser.MIN_REPEAT, _parser.POSSESSIVE_REPEAT}


def _children(value: object) -> list[Any]:
    """The sub-patterns inside one node's argument (groups, branches, assertions)."""
    if isinstance(value, _parser.SubPattern):
        return [value]
    if isinstance(value, tuple | list):
        return [child for item in value for child in _children(item)]
    return []


def _unbounded(sub: Any) -> bool:
    """Whether a sub-pattern repeats something without an upper bound."""
    for op, av in sub:
        if op in _REPEATS:
            if av[1] == _parser.MAXREPEAT or _unbounded(av[2]):
                return True
        elif any(_unbounded(child) for child in _children(av)):
            return True
    return False


def _nested_repeat(sub: Any) -> bool:
    """Whether a repeat holds an unbounded repeat, e.g. ``(a+)+``: such a pattern can take
    exponential time on a title that almost matches."""
    for op, av in sub:
        if op in _REPEATS:
            if (av[1] > 1 and _unbounded(av[2])) or _nested_repeat(av[2]):
                return True
        elif any(_nested_repeat(child) for child in _children(av)):
            return True
    return False


def pattern_problem(pattern: str) -> str | None:
    """What is wrong with a category rule's pattern, or None when the agents can use it.

    Agents search app names or titles with it, ignoring case (Python ``re``). Refused: empty,
    longer than PATTERN_MAX, NUL, not compiling, and a repeat of a repeat such as ``(a+)+``.
    """
    if not pattern.strip():
        return "Give a regular expression, e.g. zoom|teams."
    if len(pattern) > PATTERN_MAX:
        return f"A pattern is at most {PATTERN_MAX} characters."
    if "\x00" in pattern:
        return "A pattern cannot hold a NUL character."
    try:
        re.compile(pattern, re.IGNORECASE)
        tree = _parser.parse(pattern, re.IGNORECASE)
    except (re.error, RecursionError, OverflowError) as exc:
        return f"This is not a regular expression Python can read: {exc}."
    if _nested_repeat(tree):
        return (
            "This pattern repeats a repetition, as in (a+)+: it can take exponential time. "
            "Write it without the outer repeat."
        )
    return None


def category_problem(category: str) -> str | None:
    """What is wrong with a rule's category name, or None."""
    if not category.strip():
        return "Give the category's name, e.g. Meetings."
    if len(category.strip()) > CATEGORY_MAX or "\x00" in category:
        return f"A category is at most {CATEGORY_MAX} characters, without NUL."
    return None
