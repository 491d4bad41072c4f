"""The desktop query's fast paths give what the plain paths give, for random event streams.

The fast paths: the store reads a window column by column and trims its edges in Python
(``Store.events``; the plain path is ``raw_events``, trimmed in SQL), flood skips the pairs
without a gap and changes the events of ``flood(query_bucket(…))`` in place instead of
copying them, and the encoder writes a list of events column by column (the plain path is
``json.dumps`` of each event's ``to_json``). The streams mix in-order and out-of-order
inserts, heartbeats that merge (held in memory until flushed), deletes and replacements.
"""

import itertools
import json
import sqlite3
import tempfile
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from unittest import mock

from hypothesis import given, settings
from hypothesis import strategies as st

from meridian.agent import query2
from meridian.agent import store as store_module
from meridian.agent import transforms as t
from meridian.agent.events import (
    EPOCH,
    US,
    Duration,
    Ev,
    EventError,
    _default,
    _Encoder,
    dumps,
    event_from_json,
    events_from_json,
    fmt_ts,
)
from meridian.agent.store import Store

BASE = 1_796_000_000 * US  # December 2026
DATA = [
    {"app": "Code", "title": "main.py — meridian"},
    {"app": "Slack", "title": "general"},
    {"app": "Code", "title": "x", "n": [1, 2.5, None]},
    {},
    {"status": "not-afk"},
    {"status": "afk"},
]

offsets = st.integers(min_value=0, max_value=600_000)  # milliseconds into the period
durations = st.integers(min_value=0, max_value=40_000_000)  # microseconds, any fraction
datas = st.sampled_from(DATA)


# The encoder -------------------------------------------------------------------------------

stamps = st.one_of(
    st.integers(min_value=-(10**15), max_value=10**17),  # before 1970 up to ~5138
    st.integers(min_value=0, max_value=10**6).map(lambda us: BASE + us),  # a fraction
    offsets.map(lambda ms: BASE + ms * 1000),
)
encoded_events = st.lists(
    st.builds(
        Ev,
        stamps,
        st.integers(min_value=0, max_value=10**12),
        st.sampled_from([*DATA, {"title": 'üñí "quoted" \\ \n'}]),
        st.one_of(st.none(), st.integers(min_value=0, max_value=2**62)),
    ),
    min_size=1,
    max_size=40,
)


@given(stamps)
def test_a_timestamp_is_written_as_datetime_isoformat_writes_it_in_utc(micros):
    assert fmt_ts(micros) == (EPOCH + timedelta(microseconds=micros)).isoformat()


def plain_json(events: list[Ev]) -> str:
    return json.dumps([e.to_json() for e in events], default=_default)


@given(encoded_events)
def test_a_list_of_events_is_encoded_as_json_dumps_encodes_each_event(evs):
    assert _Encoder().events(evs) == plain_json(evs)
    assert json.loads(dumps({"events": evs})) == {"events": json.loads(plain_json(evs))}


# A day's summary: every event starts on one UTC day (the date goes into the format string).
same_day_events = st.lists(
    st.builds(
        Ev,
        st.integers(min_value=0, max_value=86_400 * US - 1).map(lambda us: 1_796_515_200 * US + us),
        st.integers(min_value=0, max_value=10**12),
        st.sampled_from(DATA),
        st.one_of(st.none(), st.integers(min_value=0, max_value=2**62)),
    ),
    min_size=1,
    max_size=40,
)


@given(same_day_events)
def test_a_days_events_are_encoded_as_json_dumps_encodes_each_event(evs):
    assert _Encoder().events(evs) == plain_json(evs)


@given(encoded_events, same_day_events)
def test_an_answer_nesting_lists_of_events_is_encoded_byte_for_byte_as_json_dumps(evs, day):
    answer = [{"events": evs, "window": {"day": day, "none": [], "n": 3, "d": Duration(1_500)}}]
    plain = json.dumps(
        [{"events": evs, "window": {"day": day, "none": [], "n": 3, "d": 0.0015}}],
        default=_default,
    )

    assert dumps(answer) == plain
    assert dumps([]) == "[]"
    assert _Encoder().events([]) == "[]"


def test_events_holding_events_are_encoded_like_the_plain_path():
    inner = Ev(BASE, 1_500_000, {"app": "Code"}, 7)
    chunk = Ev(BASE, 1_500_000, {"app": "Code", "subevents": [inner]})

    assert _Encoder().events([chunk, inner]) == plain_json([chunk, inner])


# Flood -------------------------------------------------------------------------------------


def plain_flood(events: list[Ev], pulsetime: float = 5) -> list[Ev]:
    """flood as it was written before the fast path: every pair, then every event."""
    evs = sorted((e.copy() for e in events), key=lambda e: (e.ts, e.dur))
    pulse = round(pulsetime * US)
    for e1, e2 in itertools.pairwise(evs):
        t._flood_pair(e1, e2, pulse)
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


# Mostly back to back (as watchers write), with some gaps, overlaps and zero durations.
steps = st.lists(
    st.tuples(
        st.sampled_from([0, 0, 0, 1, 999, 2_500_000, 5_000_000, 9_000_000, -50_000, -3_000_000]),
        durations,
        datas,
    ),
    max_size=80,
)


def chain(steps_: list[tuple[int, int, dict]]) -> list[Ev]:
    evs, cursor = [], BASE
    for gap, dur, data in steps_:
        start = max(BASE, cursor + gap)
        start -= start % 1000
        evs.append(Ev(start, dur, dict(data), len(evs) + 1))
        cursor = start + dur
    return evs


def plain(evs: list[Ev]) -> list[tuple]:
    return [(e.ts, e.dur, e.data, e.id) for e in evs]


@given(steps, st.sampled_from([0, 1, 5, 10]), st.sampled_from(["oldest", "newest", "shuffled"]))
def test_flood_equals_the_plain_flood_copied_or_in_place(steps_, pulse_s, order):
    evs = chain(steps_)
    if order == "newest":
        evs.reverse()  # the store reads newest first
    elif order == "shuffled":
        evs = evs[1::2] + evs[::2]  # out of order, with equal starts now and then
    expected = plain(plain_flood(evs, pulse_s))
    before = plain(evs)

    assert plain(t.flood(evs, pulse_s)) == expected
    assert plain(evs) == before  # the copying path leaves its input alone
    assert plain(t.flood(evs, pulse_s, owned=True)) == expected


@given(steps, st.sampled_from([0, 1, 5]), st.integers(min_value=1, max_value=3))
def test_flood_of_a_window_whose_first_events_were_trimmed_to_its_start(steps_, pulse_s, ties):
    # As the store reads a day: newest first, and the events that ended exactly at the
    # window's start trimmed to start there with no duration (equal starts at the end).
    evs = chain(steps_)
    if not evs:
        return
    first = evs[0]
    evs = [*(Ev(first.ts, 0, {"app": f"edge {k}"}, 1000 + k) for k in range(ties)), *evs]
    evs.reverse()
    expected = plain(plain_flood(evs, pulse_s))

    assert plain(t.flood(evs, pulse_s)) == expected
    assert plain(t.flood(evs, pulse_s, owned=True)) == expected


# End to end (every event starts where the previous one ends, as a watcher's contiguous
# events do), sometimes with zero durations, read newest first with the window's edge trimmed.
contiguous = st.lists(
    st.tuples(st.integers(min_value=0, max_value=40_000).map(lambda ms: ms * 1000), datas),
    max_size=60,
)


@given(contiguous, st.sampled_from([0, 1, 5]), st.integers(min_value=0, max_value=3))
def test_flood_of_events_end_to_end_is_the_plain_flood(parts, pulse_s, ties):
    evs, cursor = [], BASE
    for dur, data in parts:
        evs.append(Ev(cursor, dur, dict(data), len(evs) + 1))
        cursor += dur
    evs = [*(Ev(BASE, 0, {"app": f"edge {k}"}, 1000 + k) for k in range(ties)), *evs]
    evs.reverse()
    expected = plain(plain_flood(evs, pulse_s))

    assert plain(t.flood(evs, pulse_s)) == expected
    assert plain(t.flood(evs, pulse_s, owned=True)) == expected


# The store and the whole desktop query ------------------------------------------------------

operations = st.lists(
    st.one_of(
        # a batch of events, in order or not (watchers' bulk inserts and imports)
        st.tuples(st.just("insert"), st.lists(st.tuples(offsets, durations, datas), max_size=12)),
        st.tuples(st.just("heartbeat"), offsets, durations, datas, st.sampled_from([0, 5, 60])),
        st.tuples(st.just("delete"), st.integers(min_value=1, max_value=60)),
        st.tuples(st.just("replace"), st.integers(min_value=1, max_value=60), offsets, durations),
    ),
    max_size=25,
)


def apply(store: Store, bucket: str, ops: list[tuple]) -> None:
    for op in ops:
        if op[0] == "insert":
            rows = [(None, BASE + ms * 1000, dur, dict(d)) for ms, dur, d in op[1]]
            if rows:
                store.insert(bucket, rows)
        elif op[0] == "heartbeat":
            _, ms, dur, data, pulse = op
            store.heartbeat(bucket, BASE + ms * 1000, dur - dur % 1000, dict(data), pulse)
        elif op[0] == "delete":
            store.delete_event(bucket, op[1])
        else:
            _, event_id, ms, dur = op
            if store.get_event(bucket, event_id) is not None:
                store.insert(bucket, [(event_id, BASE + ms * 1000, dur, {"app": "Moved"})])


windows = st.tuples(st.integers(min_value=-5_000, max_value=650_000), offsets).map(
    lambda w: (BASE + min(w) * 1000, BASE + max(w) * 1000)
)


@settings(max_examples=60, deadline=None)
@given(operations, st.lists(windows, min_size=1, max_size=4))
def test_the_store_reads_a_window_as_the_sql_trimmed_rows_say(ops, periods):
    with tempfile.TemporaryDirectory() as directory:
        store = Store(Path(directory) / "a.sqlite3")
        store.create_bucket("b", type="t", client="c", hostname="h")
        apply(store, "b", ops)
        for (start, end), limit in itertools.product([*periods, (None, None)], [-1, 0, 2]):
            rows = store.raw_events("b", start=start, end=end, limit=limit)
            got = store.events("b", start=start, end=end, limit=limit)
            assert plain(got) == [(ts, dur, json.loads(text), i) for ts, dur, text, i in rows]
        store.close()


DESKTOP = """
events = flood({window});
not_afk = flood({afk});
not_afk = filter_keyvals(not_afk, "status", ["not-afk"]);
events = filter_period_intersect(events, not_afk);
events = categorize(events, [[["Work"], {{"type": "regex", "regex": "Code"}}]]);
title_events = sort_by_duration(merge_events_by_keys(events, ["app", "title"]));
app_events = sort_by_duration(merge_events_by_keys(title_events, ["app"]));
cat_events = sort_by_duration(merge_events_by_keys(events, ["$category"]));
duration = sum_durations(events);
RETURN = {{"events": events, "window": {{"app_events": app_events, "title_events": title_events,
  "cat_events": cat_events, "active_events": not_afk, "duration": duration}}}};
"""
FUSED = DESKTOP.format(window='query_bucket("w")', afk='query_bucket("a")')
# Through variables, flood cannot know it holds the only reference: it copies.
PLAIN = 'w = query_bucket("w"); a = query_bucket("a");' + DESKTOP.format(window="w", afk="a")


@settings(max_examples=60, deadline=None)
@given(operations, operations, windows)
def test_the_desktop_query_answers_alike_through_the_fast_and_the_plain_paths(
    window_ops, afk_ops, period
):
    with tempfile.TemporaryDirectory() as directory:
        store = Store(Path(directory) / "a.sqlite3")
        store.create_bucket("w", type="currentwindow", client="c", hostname="h")
        store.create_bucket("a", type="afkstatus", client="c", hostname="h")
        apply(store, "w", window_ops)
        apply(store, "a", afk_ops)
        start, end = period
        fused = dumps(query2.run(store, FUSED, start, end))
        plain_answer = query2.run(store, PLAIN, start, end)
        store.close()

    def to_plain(value):
        if isinstance(value, list):
            return [e.to_json() if isinstance(e, Ev) else to_plain(e) for e in value]
        if isinstance(value, dict):
            return {k: to_plain(v) for k, v in value.items()}
        if isinstance(value, t.Duration):
            return value.micros / US
        return value

    assert fused == json.dumps(to_plain(plain_answer), default=_default)


# Events ending exactly at a window's start (trimmed to it, without a duration) or starting there.
edge_events = st.lists(
    st.tuples(st.integers(min_value=0, max_value=4), st.sampled_from([0, 1000, 2000]), datas),
    max_size=6,
)


@settings(max_examples=80, deadline=None)
@given(operations, windows, st.sampled_from([0, 1, 5]), edge_events)
def test_the_flood_of_a_read_oldest_first_is_the_flood_of_the_read(ops, period, pulse_s, edges):
    start, end = period
    with tempfile.TemporaryDirectory() as directory:
        store = Store(Path(directory) / "a.sqlite3")
        store.create_bucket("w", type="currentwindow", client="c", hostname="h")
        apply(store, "w", ops)
        # Some end exactly at the window's start, some start there (shared starts once trimmed).
        rows = [
            (None, start - back * 1000, back * 1000 + extra, dict(d)) for back, extra, d in edges
        ]
        if rows:
            store.insert("w", rows)
        newest_first = store.events("w", start=start, end=end)
        evs, starts, durs = store.events_oldest_first("w", start=start, end=end)
        store.close()

    assert plain(evs) == plain(reversed(newest_first))
    assert (starts, durs) == ([e.ts for e in evs], [e.dur for e in evs])
    expected = plain(t.flood(newest_first, pulse_s))
    assert plain(t.flood_read(evs, starts, durs, pulse_s)) == expected


# The copy of each bucket's events in memory (store.Columns) --------------------------------

column_operations = st.lists(
    st.one_of(
        st.tuples(st.just("insert"), st.lists(st.tuples(offsets, durations, datas), max_size=12)),
        st.tuples(st.just("heartbeat"), offsets, durations, datas, st.sampled_from([0, 5, 60])),
        st.tuples(st.just("delete"), st.integers(min_value=1, max_value=80)),
        st.tuples(st.just("replace"), st.integers(min_value=1, max_value=80), offsets, durations),
        # an import: a batch larger than what is put in place one by one, in any order
        st.tuples(
            st.just("import"),
            st.lists(st.tuples(offsets, durations, datas), min_size=6, max_size=40),
        ),
        # the flusher's idle rebuild, and a write by another process (the CLI)
        st.tuples(st.just("build")),
        st.tuples(st.just("other process deletes"), st.integers(min_value=1, max_value=80)),
    ),
    max_size=25,
)


def apply_one(store: Store, bucket: str, op: tuple) -> None:
    if op[0] == "import":
        store.insert(bucket, [(None, BASE + ms * 1000, dur, dict(d)) for ms, dur, d in op[1]])
    elif op[0] == "build":
        store.build_columns()
    elif op[0] == "other process deletes":
        other = sqlite3.connect(store.path, isolation_level=None)
        other.execute("DELETE FROM events WHERE id = ?", (op[1],))
        other.close()
    else:
        apply(store, bucket, [op])


def sql_read(store: Store, bucket: str, start, end, limit) -> list[tuple]:
    rows = store.raw_events(bucket, start=start, end=end, limit=limit)
    return [(ts, dur, json.loads(text), i) for ts, dur, text, i in rows]


@settings(max_examples=80, deadline=None)
@given(column_operations, st.lists(windows, min_size=1, max_size=3), st.booleans())
def test_reads_from_the_copy_in_memory_equal_sqlites_after_every_write(ops, periods, small):
    # Small limits make the copies trim their oldest events, and drop rather than place.
    limits = {"COLUMN_EVENTS": 12, "COLUMN_KEEP": 6, "COLUMN_PLACE": 3}
    if not small:
        limits = {name: getattr(store_module, name) for name in limits}
    with tempfile.TemporaryDirectory() as directory, mock.patch.multiple(store_module, **limits):
        store = Store(Path(directory) / "a.sqlite3")
        store.create_bucket("b", type="t", client="c", hostname="h")
        for op in ops:
            apply_one(store, "b", op)
            for (start, end), limit in itertools.product([*periods, (None, None)], [-1, 0, 2]):
                got = store.events("b", start=start, end=end, limit=limit)
                assert plain(got) == sql_read(store, "b", start, end, limit)
        store.close()


def test_a_bulk_insert_and_heartbeats_at_the_end_are_read_from_the_copy(tmp_path: Path):
    store = Store(tmp_path / "a.sqlite3")
    store.create_bucket("b", type="t", client="c", hostname="h")
    store.insert("b", [(None, BASE + i * US, US, {"app": "Code"}) for i in range(1000)])
    store.heartbeat("b", BASE + 1000 * US, 0, {"app": "Slack"}, 5)  # a new event
    store.heartbeat("b", BASE + 1002 * US, 0, {"app": "Slack"}, 5)  # merged into it
    store.flush()
    store.db.execute("DELETE FROM events")  # behind the store's back: the copy still answers

    events = store.events("b", start=BASE + 998_500_000, end=BASE + 2000 * US)

    assert [(e.ts - BASE, e.dur, e.data["app"]) for e in events] == [
        (1000 * US, 2 * US, "Slack"),
        (999 * US, US, "Code"),
        (998_500_000, 500_000, "Code"),
    ]
    store.close()


def test_a_write_by_another_process_drops_the_copy(tmp_path: Path):
    store = Store(tmp_path / "a.sqlite3")
    store.create_bucket("b", type="t", client="c", hostname="h")
    store.insert("b", [(None, BASE + i * US, US, {"app": "Code"}) for i in range(10)])
    other = sqlite3.connect(tmp_path / "a.sqlite3", isolation_level=None)
    other.execute("DELETE FROM events WHERE ts < ?", (BASE + 8 * US,))
    other.close()

    assert [e.ts - BASE for e in store.events("b", start=BASE, end=BASE + 20 * US)] == [
        9 * US,
        8 * US,
    ]
    store.close()


def test_the_idle_rebuild_copies_a_bucket_opened_from_its_file(tmp_path: Path):
    first = Store(tmp_path / "a.sqlite3")
    first.create_bucket("b", type="t", client="c", hostname="h")
    first.insert("b", [(None, BASE + i * US, US, {"n": i % 3}) for i in range(50)])
    first.close()
    store = Store(tmp_path / "a.sqlite3")
    assert store.events("b", start=BASE, end=BASE + 5 * US)  # read from SQLite: no copy yet

    store.build_columns()

    assert "b" in store._cols
    for start, end in [(BASE, BASE + 5 * US), (BASE + 10 * US, BASE + 60 * US), (None, None)]:
        assert plain(store.events("b", start=start, end=end)) == sql_read(
            store, "b", start, end, -1
        )
    store.close()


def test_a_bucket_with_too_many_distinct_data_is_read_from_sqlite_and_not_rebuilt(
    tmp_path: Path,
):
    first = Store(tmp_path / "a.sqlite3")
    first.create_bucket("b", type="t", client="c", hostname="h")
    first.insert("b", [(None, BASE + i * US, US, {"n": i}) for i in range(5)])
    first.close()
    store = Store(tmp_path / "a.sqlite3")

    with mock.patch.object(store_module, "COLUMN_DATAS", 2):
        store.build_columns()

    assert "b" not in store._cols
    assert store._uncopied == {"b"}
    assert plain(store.events("b")) == sql_read(store, "b", None, None, -1)
    store.close()


OTHER_PROGRAMS = [
    'RETURN = sort_by_timestamp(query_bucket("w"));',
    'RETURN = limit_events(merge_events_by_keys(flood(query_bucket("w")), ["app"]), 3);',
    'w = query_bucket("w"); RETURN = concat(flood(w), w);',
    'RETURN = period_union(query_bucket("w"), query_bucket("a"));',
    'RETURN = chunk_events_by_key(query_bucket("w"), "app");',
    'RETURN = sum_durations(filter_keyvals(query_bucket("a"), "status", ["afk"]));',
    FUSED,
]


@settings(max_examples=60, deadline=None)
@given(column_operations, column_operations, windows, st.sampled_from(OTHER_PROGRAMS))
def test_query2_programs_answer_alike_from_the_copy_and_from_sqlite(
    window_ops, afk_ops, period, program
):
    with tempfile.TemporaryDirectory() as directory:
        store = Store(Path(directory) / "a.sqlite3")
        store.create_bucket("w", type="currentwindow", client="c", hostname="h")
        store.create_bucket("a", type="afkstatus", client="c", hostname="h")
        for op in window_ops:
            apply_one(store, "w", op)
        for op in afk_ops:
            apply_one(store, "a", op)
        store.build_columns()
        start, end = period
        from_copy = dumps(query2.run(store, program, start, end))
        store._cols.clear()  # nothing rebuilds them without the flusher: SQLite answers
        from_sqlite = dumps(query2.run(store, program, start, end))
        store.close()

    assert from_copy == from_sqlite


# Validating a batch of events column by column ----------------------------------------------

MISSING = object()
event_fields = st.fixed_dictionaries(
    {
        "timestamp": st.one_of(
            st.datetimes(timezones=st.sampled_from([UTC, timezone(timedelta(hours=-5))])).map(
                datetime.isoformat
            ),
            st.datetimes().map(datetime.isoformat),  # without an offset: read as UTC
            st.sampled_from(["2026-12-05", "yesterday", "", 5, None, MISSING]),
        ),
        "duration": st.one_of(
            st.floats(min_value=0, max_value=1e6),
            st.integers(min_value=0, max_value=10**6),
            st.sampled_from([-1, -0.5, 1e12, 10**12, float("nan"), float("inf"), True, "1"]),
            st.sampled_from([None, MISSING]),
        ),
        "data": st.one_of(st.sampled_from(DATA), st.sampled_from([None, [], "x", MISSING])),
        "id": st.one_of(st.just(MISSING), st.just(None), st.integers(0, 99), st.just("7")),
    }
).map(lambda fields: {k: v for k, v in fields.items() if v is not MISSING})
# Mostly batches the fast path takes (the usual shape), some with one odd event.
usual = st.builds(
    lambda ts, dur, data: {"timestamp": ts.isoformat(), "duration": dur, "data": dict(data)},
    st.datetimes(timezones=st.just(UTC)),
    st.floats(min_value=0, max_value=1e6),
    datas,
)
batches = st.one_of(
    st.lists(usual, min_size=1, max_size=8),
    st.lists(st.one_of(usual, event_fields, st.sampled_from([[], "x", None])), max_size=8),
)


def one_by_one(items: list) -> list | None:
    try:
        return [event_from_json(item) for item in items]
    except EventError:
        return None


@settings(max_examples=300)
@given(batches)
def test_a_batch_validated_column_by_column_is_what_one_by_one_gives(items):
    fast = events_from_json(items)

    # None leaves the batch to the careful path (which names a bad event's field).
    assert fast is None or fast == one_by_one(items)


@given(st.lists(usual, min_size=1, max_size=8))
def test_the_usual_batches_take_the_column_path(items):
    assert events_from_json(items) == one_by_one(items) != None  # noqa: E711


def test_the_usual_batch_takes_the_column_path():
    items = [
        {"timestamp": "2026-12-05T09:00:00.123456+00:00", "duration": 1.5, "data": {"app": "a"}},
        {"timestamp": "2026-12-05T10:00:00+01:00", "duration": 0.0, "data": {}},
    ]

    assert events_from_json(items) == [event_from_json(item) for item in items]
