"""Events as the agent holds them in memory, and their JSON form (ActivityWatch's shapes)."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from itertools import chain, repeat
from operator import attrgetter, floordiv, gt, is_, le, mod, mul, sub
from typing import Any

import msgspec

_c_events: Callable[[list[Any], type, dict[int, tuple[Any, str]], Callable[[Any], str]], str | None]
_c_answer: Callable[[Any, type, type, Callable[[Any], str]], bytes | None]
try:  # the C encoder of event lists and answers (setup.py builds it when a compiler is there)
    from meridian.agent._encode import answer as _c_answer
    from meridian.agent._encode import events as _c_events
except ImportError:  # pragma: no cover - an install without the extension
    _c_events = None  # type: ignore[assignment]  # tested for before each use
    _c_answer = None  # type: ignore[assignment]

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
US = 1_000_000


class EventError(ValueError):
    """A malformed event; ``field`` names the offending member for the 400 answer."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


class Ev(msgspec.Struct, eq=False, gc=False):
    """One event: start ``ts`` and ``dur`` in microseconds, ``data`` a JSON object.

    A msgspec ``Struct``: ``Ev(ts, dur, data, id)`` is built in C, about four times as fast
    as a class with ``__slots__`` and an ``__init__`` (a day's answer builds ~20,000 events).
    ``eq=False`` keeps equality and hashing by identity. ``gc=False``: the cyclic collector
    does not track events, which is sound because they never form a cycle (an event's data
    is a tree decoded from JSON or built by a transform, holding at most older events, as
    ``chunk_events_by_key``'s ``subevents``).
    """

    ts: int
    dur: int
    data: dict[str, Any]
    id: int | None = None

    @property
    def end(self) -> int:
        return self.ts + self.dur

    def copy(self) -> Ev:
        # Data objects are never changed in place (transforms assign a new dict), so a copy
        # may share them.
        return Ev(self.ts, self.dur, self.data, self.id)

    def __repr__(self) -> str:  # pragma: no cover - debugging aid
        return f"Ev(id={self.id}, ts={fmt_ts(self.ts)}, dur={self.dur / US}, data={self.data})"

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "timestamp": fmt_ts(self.ts),
            "duration": self.dur / US,
            "data": self.data,
        }


_ONE_US = timedelta(microseconds=1)
_fromisoformat = datetime.fromisoformat


def parse_ts(value: Any, field: str = "timestamp") -> int:
    """An ISO 8601 instant → microseconds, truncated to milliseconds as aw-core's Event does.

    A timestamp without an offset is read as UTC (aw-core does the same, with a warning).
    """
    try:
        moment = _fromisoformat(value)
    except (TypeError, ValueError):
        if not isinstance(value, str):
            raise EventError(field, f"'{field}' must be an ISO 8601 string") from None
        raise EventError(field, f"'{field}' is not an ISO 8601 timestamp: {value!r}") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    micros: int = (moment - EPOCH) // _ONE_US
    return micros - micros % 1000


_DAY_US = 86400 * US
_DATES: dict[int, str] = {}


# ``HH:MM:`` of each minute of the day and ``SS`` of each second of a minute: a time of day
# is two lookups in lists built once (~100 kB), none of them missing on a day's first answer
# (a dict of the 86,400 ``HH:MM:SS`` texts filled on first use grew to ~10 MB and missed on
# most of each new day's seconds).
_HOUR_MINUTE = [f"{minute // 60:02d}:{minute % 60:02d}:" for minute in range(1440)]
_SECOND = [f"{second:02d}" for second in range(60)]


def fmt_ts(micros: int) -> str:
    """Microseconds → the ISO form aw-server answers with (``datetime.isoformat`` in UTC):
    ``2026-12-05T09:00:00+00:00``, with ``.ffffff`` only when there are microseconds."""
    day, rest = divmod(micros, _DAY_US)
    date = _DATES.get(day)
    if date is None:
        if len(_DATES) > 4096:
            _DATES.clear()
        date = _DATES[day] = (EPOCH + timedelta(days=day)).date().isoformat() + "T"
    second, fraction = divmod(rest, US)
    clock = _HOUR_MINUTE[second // 60] + _SECOND[second % 60]
    if fraction:
        return f"{date}{clock}.{fraction:06d}+00:00"
    return date + clock + "+00:00"


# The longest duration an event may have (~31,700 years): the fast paths below take shorter
# ones without this check.
MAX_DURATION_S = 10**12


def parse_duration(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise EventError("duration", "'duration' must be a number of seconds")
    if value < 0:
        raise EventError("duration", f"'duration' must not be negative (got {value})")
    if value != value or value == float("inf"):
        raise EventError("duration", "'duration' must be a finite number")
    if value >= MAX_DURATION_S:  # (its microseconds past a timestamp must fit in 64 bits)
        raise EventError(
            "duration", f"'duration' must be under {MAX_DURATION_S:.0e} seconds (got {value})"
        )
    # timedelta(seconds=x) rounds to the nearest microsecond (half to even).
    return round(value * US)


def event_from_json(obj: Any) -> tuple[int | None, int, int, dict[str, Any]]:
    """Validate one event object → (id, ts, dur, data); raises EventError naming the field."""
    if type(obj) is not dict:
        raise EventError("event", "an event must be a JSON object")
    stamp = obj.get("timestamp")
    if stamp is None:
        raise EventError("timestamp", "'timestamp' is a required property")
    ts = parse_ts(stamp)
    duration = obj.get("duration", 0)
    if type(duration) is float and 0 <= duration < 1e12:
        dur = round(duration * US)
    elif type(duration) is int and 0 <= duration < 10**12:
        dur = duration * US
    else:
        dur = parse_duration(duration)
    data = obj.get("data")
    if type(data) is not dict:
        if data is None:
            data = {}
        else:
            raise EventError("data", "'data' must be a JSON object")
    event_id = obj.get("id")
    if event_id is not None and type(event_id) is not int:
        raise EventError("id", "'id' must be an integer")
    return event_id, ts, dur, data


_get: Any = dict.get  # typed loosely: it reads decoded JSON


def events_from_json(items: list[Any]) -> list[tuple[int | None, int, int, dict[str, Any]]] | None:
    """What :func:`event_from_json` gives for each item, column by column with C-level maps,
    for the usual batch (objects with an aware timestamp, durations all floats or all
    integers within range, a data object and no id); None for any other batch, which the
    caller then validates one event at a time (and so names the field of the first bad one).
    """
    if not items or set(map(type, items)) != {dict}:
        return None
    if list(map(_get, items, repeat("id"))).count(None) != len(items):
        return None  # ids: checked one by one
    try:
        moments = list(map(_fromisoformat, map(_get, items, repeat("timestamp"))))
        micros = list(map(floordiv, map(sub, moments, repeat(EPOCH)), repeat(_ONE_US)))
    except (TypeError, ValueError):
        return None  # not a string, not ISO 8601, or without an offset
    stamps = list(map(sub, micros, map(mod, micros, repeat(1000))))
    durations = list(map(_get, items, repeat("duration")))
    kinds = set(map(type, durations))
    if kinds == {float}:
        if not (all(map(le, repeat(0.0), durations)) and all(map(gt, repeat(1e12), durations))):
            return None
        durs = list(map(round, map(mul, durations, repeat(US))))
    elif kinds == {int}:
        if not (all(map(le, repeat(0), durations)) and all(map(gt, repeat(10**12), durations))):
            return None
        durs = list(map(mul, durations, repeat(US)))
    else:
        return None
    datas = list(map(_get, items, repeat("data")))
    if set(map(type, datas)) != {dict}:
        return None
    return list(zip(repeat(None), stamps, durs, datas))


class _Dates(dict[int, str]):
    """Day number since 1970 → ``YYYY-MM-DDT``, computed on first use."""

    def __missing__(self, day: int) -> str:
        if len(self) > 4096:
            self.clear()
        date = self[day] = (EPOCH + timedelta(days=day)).date().isoformat() + "T"
        return date


class _Fractions(dict[int, str]):
    """Microseconds within a second → ``.ffffff`` (nothing for 0), computed on first use."""

    def __missing__(self, fraction: int) -> str:
        if len(self) > 100_000:
            self.clear()
        text = self[fraction] = f".{fraction:06d}" if fraction else ""
        return text


class _Durations(dict[int, str]):
    """Microseconds → seconds as ``repr(float)`` writes them, computed on first use."""

    def __missing__(self, micros: int) -> str:
        if len(self) > 100_000:
            self.clear()
        text = self[micros] = repr(micros / US)
        return text


_DATE_OF = _Dates()
_FRACTION = _Fractions()
_DURATION = _Durations()
_EVENT = '{"id": %s, "timestamp": "%s%s%s%s+00:00", "duration": %s, "data": %s}'
# The same with the date written in (the events of a list that all start on one UTC day).
_EVENT_ON = '{"id": %s, "timestamp": "DATE%s%s%s+00:00", "duration": %s, "data": %s}'
_get_ts = attrgetter("ts")
_get_dur = attrgetter("dur")
_get_id = attrgetter("id")
_get_data = attrgetter("data")


def dumps(value: Any) -> str:
    """JSON for the wire: events, durations (seconds) and datetimes as aw-server encodes them.

    Lists of events are written directly, encoding each distinct ``data`` object once (the
    transforms share data objects between events that carry the same data).
    """
    return _Encoder().encode(value)


# False (``MERIDIAN_AGENT_PURE_ENCODER=1`` in the environment, or set by a test) writes event
# lists in Python even where the C encoder is built.
use_c_encoder = _c_events is not None and not os.environ.get("MERIDIAN_AGENT_PURE_ENCODER")


def dumps_bytes(value: Any) -> bytes:
    """``dumps(value).encode()``: the answer's bytes (its text is ASCII).

    The C encoder (``_encode.answer``) writes them in one buffer sized beforehand, instead of
    a str per event list, their join and its encoding: three copies of megabytes, each in
    fresh pages on a first answer. None from it (what it leaves to Python) means this.
    """
    if use_c_encoder and _c_answer is not None:
        encoded: bytes | None = _c_answer(value, Ev, Duration, _encode_data)
        if encoded is not None:
            return encoded
    return dumps(value).encode()


# The last data object event_bytes wrote, and its text.
_last_data: tuple[Any, str] = (None, "")


def event_bytes(event: Ev) -> bytes:
    """``dumps_bytes(event)`` for one event (a heartbeat's answer), written as
    ``_Encoder.event`` writes it. The text of the last data object written is kept: a
    watcher's heartbeats extend one event, whose data object stays the same (data objects are
    never changed in place, see Ev.copy)."""
    global _last_data
    data = event.data
    cached = _last_data
    if cached[0] is not data:
        cached = _last_data = (data, _encode_data(data))
    event_id = "null" if event.id is None else str(event.id)
    return (
        f'{{"id": {event_id}, "timestamp": "{fmt_ts(event.ts)}", '
        f'"duration": {event.dur / US!r}, "data": {cached[1]}}}'
    ).encode()


def _encode_data(data: Any) -> str:
    # json.dumps(data, default=_default), whose default= builds a new encoder on each call.
    return _data_encoder(data)


class _Encoder:
    def __init__(self) -> None:
        self.data: dict[int, tuple[Any, str]] = {}

    def encode(self, value: Any) -> str:
        # The pieces are joined once at the end: an answer is megabytes, and joining at every
        # level of nesting would copy it once per level.
        parts: list[str] = []
        self._write(value, parts.append)
        return "".join(parts)

    def _write(self, value: Any, out: Callable[[str], None]) -> None:
        if isinstance(value, list):
            if value and all(map(is_, map(type, value), repeat(Ev))):  # in C: thousands
                out(self.events(value))
                return
            out("[")
            for position, item in enumerate(value):
                if position:
                    out(", ")
                self._write(item, out)
            out("]")
        elif isinstance(value, dict):
            out("{")
            for position, (key, item) in enumerate(value.items()):
                out(f"{', ' if position else ''}{json.dumps(str(key))}: ")
                self._write(item, out)
            out("}")
        elif type(value) is Ev:
            out(self.event(value))
        elif isinstance(value, Duration):
            out(repr(value.micros / US))
        else:
            out(json.dumps(value, default=_default))

    def events(self, events: list[Ev]) -> str:
        """A list of events as JSON: by the C encoder (``_encode.c``) when it is built, in one
        pass; else, and for what it leaves to Python, by :meth:`events_python`."""
        if not events:
            return "[]"
        if use_c_encoder and _c_events is not None:
            # None for what it leaves to Python (a year outside 1..9999, a duration beyond
            # 2**53 microseconds, an id beyond 64 bits, a field of another type).
            text: str | None = _c_events(events, Ev, self.data, _encode_data)
            if text is not None:
                return text
        return self.events_python(events)

    def events_python(self, events: list[Ev]) -> str:
        """A list of events, formatted column by column with C-level ``map``s and one ``%``.

        A day's answer holds thousands of events, so there is no Python loop per event: the
        ids, timestamps, durations and data texts are gathered with ``attrgetter``/``map``,
        each distinct data object (and date, and sub-second fraction) is encoded once, and a
        single format string writes the whole list, brackets and commas included. When every
        event starts on the same UTC day (a day's summary), the date is written into that
        format string instead of once per event.
        """
        if not events:
            return "[]"
        tss = list(map(_get_ts, events))
        datas = list(map(_get_data, events))
        keys = list(map(id, datas))
        cache = self.data
        distinct = dict(zip(keys, datas, strict=True))
        texts: dict[int, str] = {}
        for key, data in distinct.items():
            cached = cache.get(key)
            if cached is None or cached[0] is not data:
                cached = cache[key] = (data, json.dumps(data, default=_default))
            texts[key] = cached[1]
        ids: list[Any] = list(map(_get_id, events))
        if None in ids:
            ids = ["null" if event_id is None else event_id for event_id in ids]
        seconds = list(map(floordiv, tss, repeat(US)))
        day = min(seconds) // 86400
        of_day = list(map(mod, seconds, repeat(86400)))
        hours = map(_HOUR_MINUTE.__getitem__, map(floordiv, of_day, repeat(60)))
        secs = map(_SECOND.__getitem__, map(mod, of_day, repeat(60)))
        fractions = map(_FRACTION.__getitem__, map(mod, tss, repeat(US)))
        durations = map(_DURATION.__getitem__, map(_get_dur, events))
        data_texts = map(texts.__getitem__, keys)
        if max(seconds) // 86400 == day:
            each = _EVENT_ON.replace("DATE", _DATE_OF[day], 1)
            columns = zip(ids, hours, secs, fractions, durations, data_texts, strict=True)
        else:
            each = _EVENT
            dates = map(_DATE_OF.__getitem__, map(floordiv, seconds, repeat(86400)))
            columns = zip(ids, dates, hours, secs, fractions, durations, data_texts, strict=True)
        # Joined once from an iterator: ``(each + ", ") * (n - 1)`` first would build the
        # repeated middle as a string of its own, as large as the template (fresh pages).
        template = "".join(chain(("[",), repeat(each + ", ", len(events) - 1), (each, "]")))
        return template % tuple(chain.from_iterable(columns))

    def event(self, event: Ev) -> str:
        data = event.data
        cached = self.data.get(id(data))
        if cached is None or cached[0] is not data:
            cached = self.data[id(data)] = (data, json.dumps(data, default=_default))
        event_id = "null" if event.id is None else str(event.id)
        return (
            f'{{"id": {event_id}, "timestamp": "{fmt_ts(event.ts)}", '
            f'"duration": {event.dur / US!r}, "data": {cached[1]}}}'
        )


def _default(value: Any) -> Any:
    if isinstance(value, Ev):
        return value.to_json()
    if isinstance(value, Duration):
        return value.micros / US
    raise TypeError(f"cannot encode {type(value).__name__}")


_data_encoder = json.JSONEncoder(default=_default).encode


class Duration:
    """A duration result of a query (``sum_durations``): encoded as float seconds."""

    __slots__ = ("micros",)

    def __init__(self, micros: int) -> None:
        self.micros = micros

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Duration) and other.micros == self.micros

    def __hash__(self) -> int:
        return hash(self.micros)
