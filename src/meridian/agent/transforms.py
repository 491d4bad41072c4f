"""aw-core's ``aw_transform`` semantics over :class:`Ev` (integer microseconds).

Each function follows the behaviour of the aw-core function of the same name, including
its quirks (which events keep their ``data``, tie orders, zero-length intersections), so a
query answers here what it answers in ActivityWatch. Written independently; aw-core's
source was read for the behaviour only.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Iterable
from itertools import compress, islice
from operator import add, attrgetter, eq, ge, gt, lt, ne
from typing import Any
from urllib.parse import urlparse

from .events import US, Duration, Ev

_c_intersect: Callable[[list[Ev], list[Ev], type], list[Ev] | None]
_c_merge: Callable[[list[Ev], type, Callable[[Ev], Ev]], bool | None]
_c_relabel: Callable[[list[Ev], type, Callable[[dict[str, Any]], dict[str, Any]]], bool | None]
_c_flood: Callable[[list[Ev], type, int, int], list[Ev] | bool | None]
_c_filter: Callable[[list[Ev], type, str, list[Any], bool], list[Ev] | None]
try:  # built with the C encoder (setup.py) when a compiler is there
    from ._encode import filter_keyvals as _c_filter
    from ._encode import flood_pass as _c_flood
    from ._encode import intersect_lasting as _c_intersect
    from ._encode import merge_by_data as _c_merge
    from ._encode import relabel as _c_relabel
except ImportError:  # pragma: no cover - an install without the extension
    _c_intersect = None  # type: ignore[assignment]  # tested for before each use
    _c_merge = None  # type: ignore[assignment]
    _c_relabel = None  # type: ignore[assignment]
    _c_flood = None  # type: ignore[assignment]
    _c_filter = None  # type: ignore[assignment]
# False (``MERIDIAN_AGENT_PURE_ENCODER=1``, or set by a test): the Python sweep, merge and labels only.
use_c_intersect = _c_intersect is not None and not os.environ.get("MERIDIAN_AGENT_PURE_ENCODER")

Period = tuple[int, int]


def _us(seconds: float) -> int:
    return round(seconds * US)


def _ms(ts: int) -> int:
    """aw-core's Event stores timestamps at millisecond resolution: every assignment of a
    timestamp drops the microseconds (durations keep theirs)."""
    return ts - ts % 1000


def heartbeat_merge(last: Ev, beat: Ev, pulsetime: float) -> Ev | None:
    """Extend ``last`` to cover ``beat`` when the data match and ``beat`` starts within
    [last.start, last.end + pulsetime]; the duration never shrinks (aw_transform.heartbeats).
    """
    if last.data != beat.data:
        return None
    if not (last.ts <= beat.ts <= last.ts + last.dur + _us(pulsetime)):
        return None
    if last.dur < 0:
        return None
    last.dur = max(last.dur, beat.ts - last.ts + beat.dur)
    return last


def heartbeat_reduce(events: list[Ev], pulsetime: float) -> list[Ev]:
    reduced: list[Ev] = []
    for event in events:
        if reduced:
            merged = heartbeat_merge(reduced[-1], event, pulsetime)
            if merged is not None:
                continue
        reduced.append(event)
    return reduced


_TRIM = 100_000  # 0.1 s: negative gaps smaller than this are ordinary jitter


def flood(events: list[Ev], pulsetime: float = 5, *, owned: bool = False) -> list[Ev]:
    """Fill gaps ≤ pulsetime: equal neighbours merge, differing ones meet at the midpoint;
    overlaps are resolved with the later event taking precedence (aw_transform.flood).

    ``owned``: the events are fresh objects nobody else holds (``flood(query_bucket(…))``),
    so they are changed in place instead of copied first.
    """
    evs = list(events) if owned else list(map(Ev.copy, events))
    n = len(evs)
    starts = list(map(_get_ts, evs))
    # Sorted by (start, duration). Events read from a bucket come newest first with distinct
    # starts: reversing them is that order, without building a key per event.
    if not all(map(lt, starts, islice(starts, 1, None))):
        # Newest first, perhaps ending with events that share the oldest start (those that
        # ended at the window's start, trimmed to start there with no duration).
        last = n - 1
        while last > 0 and starts[last - 1] == starts[last]:
            last -= 1
        if all(map(gt, islice(starts, last), islice(starts, 1, last + 1))):
            evs.reverse()
            starts.reverse()
            if last < n - 1:
                # The shared start's group, now first: in its original order, then by
                # duration, as the full (stable) sort would order it.
                tied = n - last
                group = evs[:tied]
                group.reverse()
                group.sort(key=_get_dur)
                evs[:tied] = group
        elif all(map(ge, starts, islice(starts, 1, None))):
            # Newest first with a few shared starts (an event that ended at the window's
            # start is trimmed to start there, with no duration): reversed, and only each
            # group of equal starts sorted as the full sort would order it.
            evs.reverse()
            starts.reverse()
            _order_ties(evs, starts)
        else:
            evs.sort(key=_by_ts_dur)
            starts = list(map(_get_ts, evs))
    if n < 2:
        return [e for e in evs if e.dur > 0]
    return _flood_ordered(evs, starts, list(map(_get_dur, evs)), _us(pulsetime))


def flood_read(evs: list[Ev], starts: list[int], durs: list[int], pulsetime: float = 5) -> list[Ev]:
    """:func:`flood` of a bucket's read (``flood(query_bucket(…))``), given as the store keeps
    it: oldest first (by start, then id), with its starts and durations as lists. The events
    are fresh (changed in place) and the lists are the flood's own.

    flood orders the newest-first read by (start, duration), a stable sort: starts ascending,
    each group of equal starts by duration, newest first within equal durations. Here that is
    the read as given, except a first group of equal starts (events that ended at the window's
    start, trimmed to start there); anything else goes the way of :func:`flood`.
    """
    n = len(evs)
    tied = 1
    while tied < n and starts[tied] == starts[0]:
        tied += 1
    if use_c_intersect and _c_flood is not None and n >= 2:
        # In C: the order checked (starts ascending after the first group) and flood's pass
        # over pairs in one go; None, nothing changed but the group's order, for Python's way.
        read_order = evs[:tied] if tied > 1 else None
        if read_order is not None:
            evs[:tied] = _tie_order(read_order)
        flooded = _c_flood(evs, Ev, _us(pulsetime), tied - 1)
        if flooded is not None:
            return _normalize(evs) if flooded is False else flooded  # type: ignore[return-value]
        if read_order is not None:
            evs[:tied] = read_order
    if not all(map(lt, islice(starts, tied - 1, None), islice(starts, tied, None))):
        evs.reverse()  # newest first, as flood takes a read
        return flood(evs, pulsetime, owned=True)
    if tied > 1:
        group = evs[:tied] = _tie_order(evs[:tied])
        durs[:tied] = map(_get_dur, group)
    if n < 2:
        return [e for e in evs if e.dur > 0]
    return _flood_ordered(evs, starts, durs, _us(pulsetime))


def _tie_order(group: list[Ev]) -> list[Ev]:
    """A read's group of equal starts (oldest first) in flood's order: newest first, then by
    duration (a stable sort)."""
    group = group[::-1]
    group.sort(key=_get_dur)
    return group


def _flood_ordered(evs: list[Ev], starts: list[int], durs: list[int], pulse: int) -> list[Ev]:
    """flood's work once ``evs`` are in its order (``starts`` and ``durs`` theirs)."""
    if use_c_intersect and _c_flood is not None:
        # The pass over pairs in C (``_encode.c``): the lasting events, or False when an
        # overlap is left to normalize; None (nothing changed) for what Python must do.
        flooded = _c_flood(evs, Ev, pulse, len(evs))
        if flooded is not None:
            return _normalize(evs) if flooded is False else flooded  # type: ignore[return-value]
    n = len(evs)
    ends = list(map(add, starts, durs))
    if starts[1:] == ends[:-1]:
        # End to end (one comparison of two lists, in C): no pair to fill or resolve.
        return _lasting(evs, durs)
    # Only pairs with a gap (or an overlap) need work: found column-wise, in C. A pair whose
    # second event was changed changes the next pair's gap, so that pair is looked at too.
    done = -1
    for first in compress(range(n - 1), map(ne, starts[1:], ends)):
        if first <= done:
            continue
        i = first
        while i < n - 1 and _flood_pair(evs[i], evs[i + 1], pulse):
            i += 1
        done = i
    if done >= 0:
        starts = list(map(_get_ts, evs))
        durs = list(map(_get_dur, evs))
        ends = list(map(add, starts, durs))
    if not any(map(gt, ends, starts[1:])):
        # No overlap left: normalizing only drops the events without a duration (starts
        # ascend, so no event reaches past a later one's start).
        return _lasting(evs, durs)
    return _normalize(evs)


def _normalize(evs: list[Ev]) -> list[Ev]:
    """flood's last step: overlaps resolved (the later event wins, equal data merge) and the
    events without a duration dropped."""
    normalized: list[Ev] = []
    for event in evs:
        if event.dur <= 0:
            continue
        while normalized and normalized[-1].ts + normalized[-1].dur > event.ts:
            previous = normalized[-1]
            if previous.data == event.data:
                previous.dur = max(previous.ts + previous.dur, event.ts + event.dur) - previous.ts
                break
            previous.dur = event.ts - previous.ts
            if previous.dur <= 0:
                normalized.pop()
                continue
            normalized.append(event)
            break
        else:
            normalized.append(event)
    return normalized


def _lasting(evs: list[Ev], durs: list[int]) -> list[Ev]:
    """The events with a duration (``durs`` holds theirs). Those without one are usually only
    the first few (trimmed to the window's start): a slice then, without a test per event."""
    head = 0
    while head < len(durs) and durs[head] <= 0:
        head += 1
    if head == len(durs) or min(islice(durs, head, None)) > 0:
        return evs[head:] if head else evs
    return [e for e in evs if e.dur > 0]


def _order_ties(evs: list[Ev], starts: list[int]) -> None:
    """Order ``evs`` (ascending by start, each group of equal starts in the reverse of its
    original order) as ``sort(key=(ts, dur))`` orders the original, which is stable: each
    group back in its original order, then by duration."""
    done = -1
    for first in compress(range(len(starts) - 1), map(eq, starts, islice(starts, 1, None))):
        if first <= done:
            continue
        last = first + 1
        while last + 1 < len(starts) and starts[last + 1] == starts[first]:
            last += 1
        group = evs[first : last + 1]
        group.reverse()
        group.sort(key=_get_dur)
        evs[first : last + 1] = group
        done = last


def _flood_pair(e1: Ev, e2: Ev, pulse: int) -> bool:
    """One step of flood's left-to-right pass; True when it changed ``e2``."""
    gap = e2.ts - (e1.ts + e1.dur)
    if not gap:
        return False
    if gap < 0 and e1.data == e2.data:
        start = min(e1.ts, e2.ts)
        end = max(e1.ts + e1.dur, e2.ts + e2.dur)
        e1.ts, e1.dur = start, end - start
        e2.ts, e2.dur = _ms(end), 0
        return True
    if -_TRIM < gap <= pulse:
        e2_end = e2.ts + e2.dur
        if e1.data == e2.data:
            if e1.dur >= e2.dur:
                e1.dur = e2_end - e1.ts
                e2.ts = _ms(e2_end)
                e2.dur = 0
            else:
                e2.ts = e1.ts
                e2.dur = e2_end - e2.ts
                e1.dur = 0
        else:
            # timedelta / 2 rounds half to even, as round() does.
            midpoint = e1.ts + e1.dur + round(gap / 2)
            e1.dur = midpoint - e1.ts
            e2.ts = _ms(midpoint)
            e2.dur = e2_end - midpoint
        return True
    return False


_get_ts = attrgetter("ts")
_get_dur = attrgetter("dur")
_by_ts_dur = attrgetter("ts", "dur")


def _contains(a: Period, b: Period) -> bool:
    return a[0] <= b[0] and b[1] <= a[1]


def _overlaps(a: Period, b: Period) -> bool:
    return a[0] <= b[0] < a[1] or a[0] < b[1] <= a[1] or _contains(b, a)


def filter_period_intersect(events: list[Ev], filterevents: list[Ev]) -> list[Ev]:
    """The parts of ``events`` that lie within some filter event (a linear sweep)."""
    if use_c_intersect and _c_intersect is not None and events and filterevents:
        # Lists already by start (as flood leaves them) need no sort (sorted() is stable):
        # the C sweep says None when one is not, or when some event does not last.
        pieces: list[Ev] | None = _c_intersect(events, filterevents, Ev)
        if pieces is not None:
            return pieces
    key = _get_ts
    evs = sorted(events, key=key)
    filters = sorted(filterevents, key=key)
    if evs and filters:
        if use_c_intersect and _c_intersect is not None:
            # The same sweep in C (``_encode.c``); None when some event does not last or a
            # field is beyond 64 bits.
            pieces = _c_intersect(evs, filters, Ev)
            if pieces is not None:
                return pieces
        durs1 = list(map(_get_dur, evs))
        durs2 = list(map(_get_dur, filters))
        if min(durs1) > 0 and min(durs2) > 0:
            return _intersect_lasting(evs, durs1, filters, durs2)
    return _intersect_sweep(evs, filters)


def _intersect_sweep(evs: list[Ev], filters: list[Ev]) -> list[Ev]:
    """filter_period_intersect over events sorted by start: a linear sweep."""
    result: list[Ev] = []
    append = result.append
    i = j = 0
    n1, n2 = len(evs), len(filters)
    while i < n1 and j < n2:
        e1, e2 = evs[i], filters[j]
        s1, s2 = e1.ts, e2.ts
        t1, t2 = s1 + e1.dur, s2 + e2.dur
        # timeslot.Timeslot.intersection, inlined (this loop is the desktop query's hot spot).
        if s1 <= s2 and t2 <= t1:
            append(Ev(s2, t2 - s2, e1.data, e1.id))
        elif s1 <= s2 < t1:
            append(Ev(s2, t1 - s2, e1.data, e1.id))
        elif s1 < t2 <= t1:
            append(Ev(s1, t2 - s1, e1.data, e1.id))
        elif s2 <= s1 and t1 <= t2:
            append(Ev(s1, t1 - s1, e1.data, e1.id))
        else:
            if t1 <= s2:
                i += 1
            elif t2 <= s1:
                j += 1
            else:
                i += 1
                j += 1
            continue
        if t1 <= t2:
            i += 1
        else:
            j += 1
    return result


def _intersect_lasting(
    evs: list[Ev], durs1: list[int], filters: list[Ev], durs2: list[int]
) -> list[Ev]:
    """filter_period_intersect's sweep when every event lasts (duration > 0), as flood leaves
    them: then the sweep's four intersection cases are "the periods overlap", the piece is
    [later start, earlier end], and its third way of stepping (both) is never taken. The
    same steps with fewer tests, over start and end columns gathered in C."""
    starts1 = list(map(_get_ts, evs))
    ends1 = list(map(add, starts1, durs1))
    starts2 = list(map(_get_ts, filters))
    ends2 = list(map(add, starts2, durs2))
    result: list[Ev] = []
    append = result.append
    i = j = 0
    n1, n2 = len(evs), len(filters)
    while i < n1 and j < n2:
        t1 = ends1[i]
        s2 = starts2[j]
        if t1 <= s2:
            i += 1
            continue
        s1 = starts1[i]
        t2 = ends2[j]
        if t2 <= s1:
            j += 1
            continue
        start = s1 if s1 > s2 else s2
        e1 = evs[i]
        if t1 <= t2:
            append(Ev(start, t1 - start, e1.data, e1.id))
            i += 1
        else:
            append(Ev(start, t2 - start, e1.data, e1.id))
            j += 1
    return result


def period_union(events1: list[Ev], events2: list[Ev]) -> list[Ev]:
    """Cover the union of both lists' periods with non-overlapping events with empty data.

    Like aw-core, the input events that end up unmerged in the result are the same objects,
    so their data is emptied too.
    """
    evs = sorted(events1 + events2, key=_get_ts)
    merged: list[Ev] = []
    for event in evs:
        if merged:
            last = merged[-1]
            if not (last.ts + last.dur < event.ts or event.ts + event.dur < last.ts):
                start = min(last.ts, event.ts)
                end = max(last.ts + last.dur, event.ts + event.dur)
                merged[-1] = Ev(start, end - start, last.data, last.id)
                continue
        merged.append(event)
    for event in merged:
        event.data = {}
    return merged


def union_no_overlap(events1: list[Ev], events2: list[Ev]) -> list[Ev]:
    """Merge two lists, cutting ``events2`` where ``events1`` (which has precedence) is."""
    first = [e.copy() for e in events1]
    second = [e.copy() for e in events2]
    result: list[Ev] = []
    i = j = 0
    while i < len(first) and j < len(second):
        e1, e2 = first[i], second[j]
        if _overlaps((e1.ts, e1.ts + e1.dur), (e2.ts, e2.ts + e2.dur)):
            if e1.ts <= e2.ts:
                result.append(e1)
                i += 1
                _, rest = _split(e2, e1.ts + e1.dur)
                if rest is not None:
                    second[j] = rest
                else:
                    j += 1
            else:
                head, tail = _split(e2, e1.ts)
                result.append(head)
                j += 1
                if tail is not None:
                    second.insert(j, tail)
        elif e1.ts <= e2.ts:
            result.append(e1)
            i += 1
        else:
            result.append(e2)
            j += 1
    result += first[i:]
    result += second[j:]
    return result


def _split(event: Ev, at: int) -> tuple[Ev, Ev | None]:
    if event.ts < at < event.ts + event.dur:
        head = event.copy()
        tail = event.copy()
        head.dur = at - event.ts
        tail.ts = _ms(at)
        tail.dur = event.ts + event.dur - at
        return head, tail
    return event, None


def _hashable(value: Any) -> Any:
    if isinstance(value, list):
        return tuple(_hashable(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, sort_keys=True)
    return value


def merge_events_by_keys(events: list[Ev], keys: list[str]) -> list[Ev]:
    """One event per distinct value of ``keys``: first timestamp, summed duration, no id.

    Like aw-core, the composite key holds the values of the keys an event has, so events
    missing different keys may share a key.
    """
    if not keys:
        return events
    merged: dict[Any, Ev] = {}
    single = keys[0] if len(keys) == 1 else None

    def merge(event: Ev) -> Ev:
        """The merged event of the first event of a data object, its duration added."""
        data = event.data
        try:
            if single is not None:
                value = data[single]
                key: Any = (tuple(value) if type(value) is list else value,)
            else:
                key = tuple([data[k] for k in keys])
            found = merged.get(key)
        except (KeyError, TypeError):
            key = tuple([_hashable(data[k]) for k in keys if k in data])
            found = merged.get(key)
        if found is None:
            found = merged[key] = Ev(event.ts, event.dur, {k: data[k] for k in keys if k in data})
        else:
            found.dur += event.dur
        return found

    # Events share data objects (a bucket's read decodes each distinct data once, categorize
    # labels each once): the merged event of each data object, by its id (every one of them
    # is held by ``events`` meanwhile), spares computing its key again. In C when built.
    if use_c_intersect and _c_merge is not None and _c_merge(events, Ev, merge) is not None:
        return list(merged.values())
    by_object: dict[int, Ev] = {}
    for event in events:
        data = event.data
        found = by_object.get(id(data))
        if found is not None:
            found.dur += event.dur
            continue
        by_object[id(data)] = merge(event)
    return list(merged.values())


def filter_keyvals(events: list[Ev], key: str, vals: list[Any], exclude: bool = False) -> list[Ev]:
    if use_c_intersect and _c_filter is not None:
        # In C (``_encode.c``), decided once per data object; None for what Python must do.
        kept = _c_filter(events, Ev, key, vals, exclude)
        if kept is not None:
            return kept
    if exclude:
        return [e for e in events if not (key in e.data and e.data[key] in vals)]
    return [e for e in events if key in e.data and e.data[key] in vals]


def filter_keyvals_regex(events: list[Ev], key: str, regex: str) -> list[Ev]:
    pattern = re.compile(regex)
    return [
        e
        for e in events
        if key in e.data and isinstance(e.data[key], str) and pattern.search(e.data[key])
    ]


def sort_by_timestamp(events: list[Ev]) -> list[Ev]:
    return sorted(events, key=_get_ts)


def sort_by_duration(events: list[Ev]) -> list[Ev]:
    return sorted(events, key=_get_dur, reverse=True)


def limit_events(events: list[Ev], count: int) -> list[Ev]:
    return events[:count]


def sum_durations(events: list[Ev]) -> Duration:
    return Duration(sum(map(_get_dur, events)))


def concat(events1: list[Ev], events2: list[Ev]) -> list[Ev]:
    return events1 + events2


def split_url_events(events: list[Ev]) -> list[Ev]:
    """Add $protocol, $domain (without "www."), $path, $params, $options, $identifier."""
    for event in events:
        url = event.data.get("url")
        if "url" not in event.data:
            continue
        parsed = urlparse(str(url))
        netloc = parsed.netloc
        domain = (netloc[4:] if netloc[:4] == "www." else netloc) if netloc else parsed.scheme or ""
        event.data = {
            **event.data,
            "$protocol": parsed.scheme,
            "$domain": domain,
            "$path": parsed.path,
            "$params": parsed.params,
            "$options": parsed.query,
            "$identifier": parsed.fragment,
        }
    return events


class Rule:
    """A categorization rule: a regex over the event's string values (or ``select_keys``)."""

    def __init__(self, spec: dict[str, Any]) -> None:
        if not isinstance(spec, dict):
            raise ValueError("a rule must be a dict")
        self.select_keys = spec.get("select_keys")
        self.ignore_case = bool(spec.get("ignore_case", False))
        priority = spec.get("priority", spec.get("weight"))
        if priority is not None and (isinstance(priority, bool) or not isinstance(priority, int)):
            raise ValueError("priority/weight must be an integer")
        self.priority = priority
        regex = spec.get("regex")
        flags = re.IGNORECASE if self.ignore_case else 0
        self.regex = re.compile(regex, flags) if regex else None

    def match(self, data: dict[str, Any]) -> bool:
        if self.regex is None:
            return False
        values: Iterable[Any] = (
            (data.get(k) for k in self.select_keys) if self.select_keys else data.values()
        )
        search = self.regex.search
        return any(isinstance(v, str) and search(v) for v in values)


def _pick_category(matches: list[tuple[list[str], Rule]]) -> list[str]:
    """The deepest matching category wins (rank = 10 × depth, or the rule's priority);
    a later rule wins a tie."""
    category = ["Uncategorized"]
    rank = None
    for cat, rule in matches:
        if not cat:
            continue
        item_rank = rule.priority if rule.priority is not None else len(cat) * 10
        if rank is None or item_rank >= rank:
            category, rank = cat, item_rank
    return category


def _label(events: list[Ev], field: str, compute: Any) -> list[Ev]:
    """Set ``data[field]`` on every event, computing it once per distinct data.

    Events that shared a data object share the new one; content-equal data objects get
    equal answers from a second cache (only string values can match a rule).
    """
    by_content: dict[Any, Any] = {}

    def labelled(data: dict[str, Any]) -> dict[str, Any]:
        try:
            content: Any = tuple(data.items())
            hash(content)
        except TypeError:
            content = json.dumps(data, sort_keys=True, default=str)
        value = by_content.get(content)
        if value is None:
            value = by_content[content] = compute(data)
        return {**data, field: list(value)}

    # In C when built: the same loop over a table keyed by the data object.
    if use_c_intersect and _c_relabel is not None and _c_relabel(events, Ev, labelled):
        return events
    by_object: dict[int, tuple[dict[str, Any], dict[str, Any]]] = {}
    for event in events:
        data = event.data
        hit = by_object.get(id(data))
        if hit is None or hit[0] is not data:
            hit = by_object[id(data)] = (data, labelled(data))
        event.data = hit[1]
    return events


def categorize(events: list[Ev], classes: list[tuple[list[str], Rule]]) -> list[Ev]:
    """``$category``: the deepest (or highest-priority) matching category, else Uncategorized."""
    return _label(
        events,
        "$category",
        lambda data: _pick_category([(cat, rule) for cat, rule in classes if rule.match(data)]),
    )


def tag(events: list[Ev], classes: list[tuple[str, Rule]]) -> list[Ev]:
    """``$tags``: every matching tag, in rule order."""
    return _label(
        events, "$tags", lambda data: [name for name, rule in classes if rule.match(data)]
    )


def chunk_events_by_key(events: list[Ev], key: str, pulsetime: float = 5.0) -> list[Ev]:
    """Adjacent events with the same ``key`` value become one event holding them as
    ``subevents``; like aw-core it stops at the first event without the key, and measures
    the gap against the input's last event."""
    chunked: list[Ev] = []
    pulse = _us(pulsetime)
    for event in events:
        if key not in event.data:
            break
        gap = event.ts - (events[-1].ts + events[-1].dur) if chunked else None
        if chunked and gap is not None and chunked[-1].data[key] == event.data[key] and gap < pulse:
            chunked[-1].dur += event.dur
            chunked[-1].data["subevents"].append(event)
        else:
            chunked.append(Ev(event.ts, event.dur, {key: event.data[key], "subevents": [event]}))
    return chunked
