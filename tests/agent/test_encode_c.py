"""The C encoder of event lists (``meridian.agent._encode``) writes exactly what the Python
encoder writes, and the build that CI runs has it."""

import contextlib
import os
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from meridian.agent import events as events_module
from meridian.agent import transforms as t
from meridian.agent.events import EPOCH, US, Ev, _encode_data, _Encoder, dumps

try:
    from meridian.agent import _encode
except ImportError:  # pragma: no cover - a checkout built without a C compiler
    if os.environ.get("CI") == "true":
        raise  # CI builds the extension: the fast path must not vanish silently
    pytest.skip("the C encoder is not built here (no C compiler)", allow_module_level=True)


def c_module():
    return _encode


@contextlib.contextmanager
def python_only():
    """The pure-Python paths meanwhile (the C ones are the default unless the environment
    forces Python: MERIDIAN_AGENT_PURE_ENCODER=1)."""
    saved = t.use_c_intersect, events_module.use_c_encoder
    t.use_c_intersect = events_module.use_c_encoder = False
    try:
        yield
    finally:
        t.use_c_intersect, events_module.use_c_encoder = saved


def micros_at(*args: int) -> int:
    return (datetime(*args, tzinfo=UTC) - EPOCH) // (datetime.resolution)


# Instants the C arithmetic must agree on: years 1 to 9999, leap days, midnight, sub-second.
YEAR_1 = micros_at(1, 1, 1)
YEAR_9999_END = micros_at(9999, 12, 31, 23, 59, 59, 999999)
special_stamps = st.sampled_from(
    [
        0,
        -1,
        YEAR_1,
        YEAR_9999_END,
        micros_at(2024, 2, 29),
        micros_at(2000, 2, 29, 23, 59, 59, 999999),
        micros_at(1900, 3, 1),
        micros_at(1969, 12, 31, 23, 59, 59, 1),
        micros_at(2026, 12, 7, 0, 0, 0, 0),
    ]
)
stamps = st.one_of(
    special_stamps,
    st.integers(min_value=YEAR_1, max_value=YEAR_9999_END),
    st.integers(min_value=-(10**12), max_value=10**12),
    st.integers(min_value=0, max_value=10**6).map(lambda us: micros_at(2026, 12, 7) + us),
)
durations = st.one_of(
    st.sampled_from([0, 1, 9, 10, 99, 100, 999_999, 10**6, 10**15 - 1, 10**15, 2**53]),
    st.integers(min_value=0, max_value=10**7),
    st.integers(min_value=0, max_value=2**53),
    st.integers(min_value=-(2**53), max_value=-1),  # transforms never make them, but still
)
ids = st.one_of(st.none(), st.integers(min_value=-(2**63), max_value=2**63 - 1))
texts = st.text(max_size=12)
datas = st.one_of(
    st.dictionaries(texts, st.one_of(texts, st.integers(), st.floats(), st.none()), max_size=3),
    st.sampled_from([{"app": "Code", "title": "main.py — meridian"}, {}, {"status": "afk"}]),
)
events = st.lists(st.builds(Ev, stamps, durations, datas, ids), min_size=1, max_size=30)


@given(events)
def test_the_c_encoder_writes_what_the_python_encoder_writes(evs):
    # Some events share a data object, as the transforms' outputs do.
    evs = [*evs, *(Ev(e.ts, e.dur, e.data, None) for e in evs[:3])]
    written = c_module().events(evs, Ev, {}, _encode_data)

    assert written is not None
    assert written == _Encoder().events_python(evs)


beyond = st.one_of(
    st.builds(Ev, st.integers(min_value=YEAR_9999_END + 1, max_value=2**70), durations, datas),
    st.builds(Ev, st.integers(min_value=-(2**70), max_value=YEAR_1 - 1), durations, datas),
    st.builds(Ev, stamps, st.integers(min_value=2**53 + 1, max_value=2**80), datas),
    st.builds(Ev, stamps, durations, datas, st.integers(min_value=2**63, max_value=2**80)),
)


@given(events, beyond)
def test_what_the_c_encoder_cannot_write_is_written_by_python_or_raises_as_it_does(evs, odd):
    evs = [*evs, odd]

    assert c_module().events(evs, Ev, {}, _encode_data) is None
    try:
        expected = _Encoder().events_python(evs)
    except OverflowError:
        with pytest.raises(OverflowError):
            _Encoder().events(evs)
    else:
        assert _Encoder().events(evs) == expected


def test_an_encoder_keeps_one_text_per_data_object_across_lists():
    data = {"app": "Code"}
    encoder = _Encoder()
    first = encoder.events([Ev(0, US, data, 1)])
    data_key = id(data)

    assert encoder.data[data_key] == (data, '{"app": "Code"}')
    assert encoder.events([Ev(0, US, data, 1)]) == first
    assert first == (
        '[{"id": 1, "timestamp": "1970-01-01T00:00:00+00:00", "duration": 1.0, '
        '"data": {"app": "Code"}}]'
    )


def test_the_pure_python_encoder_can_be_forced(monkeypatch):
    evs = [Ev(micros_at(2026, 12, 7, 9, 30, 0, 250000), 1_500_000, {"app": "Code"}, 7)]
    monkeypatch.setattr(events_module, "use_c_encoder", False)
    with monkeypatch.context() as patch:
        patch.setattr(events_module, "_c_events", None)
        python = dumps(evs)
    monkeypatch.setattr(events_module, "use_c_encoder", True)

    assert python == dumps(evs)
    assert python == (
        '[{"id": 7, "timestamp": "2026-12-07T09:30:00.250000+00:00", "duration": 1.5, '
        '"data": {"app": "Code"}}]'
    )


def test_the_agent_writes_event_lists_with_the_c_encoder():
    assert events_module._c_events is _encode.events
    assert events_module._c_answer is _encode.answer
    # (unless the environment forces Python, as one of CI's runs does)
    forced = bool(os.environ.get("MERIDIAN_AGENT_PURE_ENCODER"))
    assert events_module.use_c_encoder is not forced
    assert t.use_c_intersect is not forced


# filter_period_intersect's sweep in C ------------------------------------------------------

periods = st.lists(
    st.tuples(
        st.integers(min_value=-(10**7), max_value=10**7),
        st.one_of(st.integers(min_value=1, max_value=3 * 10**6), st.integers(-5, 5)),
        st.sampled_from([{"app": "Code"}, {"status": "not-afk"}, {}]),
        st.one_of(st.none(), st.integers(min_value=0, max_value=2**62)),
    ),
    max_size=25,
)


def pieces(evs):
    return [(e.ts, e.dur, e.data, e.id) for e in evs]


@given(periods, periods)
def test_the_c_intersection_gives_the_python_sweeps_pieces(first, second):
    evs = [Ev(*fields) for fields in first]
    filters = [Ev(*fields) for fields in second]
    by_start = sorted(evs, key=lambda e: e.ts), sorted(filters, key=lambda e: e.ts)
    lasting = all(e.dur > 0 for e in evs + filters)

    written = _encode.intersect_lasting(*by_start, Ev)

    if lasting:
        assert written is not None
        assert pieces(written) == pieces(t._intersect_sweep(*by_start))
    else:
        assert written is None
    assert pieces(t.filter_period_intersect(evs, filters)) == pieces(t._intersect_sweep(*by_start))


# merge_events_by_keys's loop in C ---------------------------------------------------------

merge_datas = [
    {"app": "Code", "title": "a"},
    {"app": "Code", "title": "b"},
    {"app": "Slack"},
    {"title": "b"},
    {"app": ["x", "y"], "title": {"nested": 1}},
    {},
]


@given(
    st.lists(
        st.tuples(
            st.integers(min_value=0, max_value=10**9),
            st.integers(min_value=0, max_value=10**7),
            st.integers(min_value=0, max_value=len(merge_datas) - 1),
            st.booleans(),  # a copy of the data object: equal content, another object
        ),
        max_size=40,
    ),
    st.sampled_from([["app"], ["app", "title"], ["title"], ["missing"]]),
)
def test_the_c_merge_gives_what_the_python_merge_gives(rows, keys):
    def events():
        shared = [dict(d) for d in merge_datas]
        return [Ev(ts, dur, dict(shared[i]) if copy else shared[i]) for ts, dur, i, copy in rows]

    def merged(evs):
        return [(e.ts, e.dur, e.data, e.id) for e in t.merge_events_by_keys(evs, keys)]

    with_c = merged(events())
    with python_only():
        python = merged(events())

    assert with_c == python


@given(
    st.lists(
        st.tuples(
            st.integers(min_value=0, max_value=len(merge_datas) - 1),
            st.booleans(),  # a copy of the data object: equal content, another object
        ),
        max_size=40,
    )
)
def test_the_c_labels_are_the_python_labels(rows):
    rules = [
        (["Work"], t.Rule({"type": "regex", "regex": "Code"})),
        (["Chat"], t.Rule({"type": "regex", "regex": "b"})),
    ]

    def events():
        shared = [dict(d) for d in merge_datas]
        return [Ev(i, 1, dict(shared[i]) if copy else shared[i]) for i, copy in rows]

    def labelled(evs):
        out = t.categorize(evs, rules)
        # Events that shared a data object still share one.
        sharing = [(a.data is b.data) for a in out for b in out]
        return [(e.ts, e.data) for e in out], sharing

    with_c = labelled(events())
    with python_only():
        python = labelled(events())

    assert with_c == python


# Whole answers as bytes in C ----------------------------------------------------------------

shared_datas = [{"app": "Code", "title": "main.py — meridian"}, {"status": "not-afk"}, {}]
answer_events = st.builds(
    Ev, stamps, durations, st.one_of(datas, st.sampled_from(shared_datas)), ids
)
answer_leaves = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),
    st.text(max_size=8),
    answer_events,
    st.builds(events_module.Duration, st.integers(min_value=-(2**53), max_value=2**53)),
)
answer_keys = st.one_of(
    st.sampled_from(["events", "duration", 'quo"te', "back\\slash", "tab\t", "é", "\x7f"]),
    st.text(max_size=6),
)
answers = st.recursive(
    answer_leaves,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.lists(answer_events, min_size=1, max_size=8),
        st.dictionaries(answer_keys, inner, max_size=4),
    ),
    max_leaves=25,
)


def python_bytes(value):
    with python_only():
        return dumps(value).encode()


@given(answers)
def test_the_c_answer_is_the_python_answers_bytes(value):
    written = c_module().answer(value, Ev, events_module.Duration, _encode_data)

    assert written is not None
    assert written == python_bytes(value)
    assert events_module.dumps_bytes(value) == written


@given(answers, st.sampled_from(["beyond", "long", "int key", "subclass", "deep"]))
def test_what_the_c_answer_leaves_to_python_is_written_by_python(value, odd):
    if odd == "beyond":
        value = [value, [Ev(2**70, 1, {}, None)]]
    elif odd == "long":
        value = {"a": value, "duration": events_module.Duration(2**60)}
    elif odd == "int key":
        value = {"a": value, 1: [Ev(0, 1, {}, 2)]}
    elif odd == "subclass":
        value = [value, type("Items", (list,), {})([1, 2])]
    else:
        for _ in range(120):
            value = [value]

    assert c_module().answer(value, Ev, events_module.Duration, _encode_data) is None
    try:
        expected = python_bytes(value)
    except OverflowError:
        with pytest.raises(OverflowError):
            events_module.dumps_bytes(value)
    else:
        assert events_module.dumps_bytes(value) == expected


def test_a_desktop_answer_in_c_is_the_python_answer():
    data = {"app": "Code", "title": "main.py — meridian"}
    day = micros_at(2026, 12, 7)
    evs = [Ev(day + i * 12_096_000, 12_096_000, data, i) for i in range(300)]
    value = [
        {
            "events": evs,
            "window": {"app_events": evs[:2], "duration": events_module.Duration(5)},
            "browser": {"domains": [], "duration": 0},
        }
    ]

    written = events_module.dumps_bytes(value)

    assert written == python_bytes(value)
    assert written.startswith(b'[{"events": [{"id": 0, "timestamp": "2026-12-07T00:00:00+00:00"')


def test_the_c_answer_raises_what_python_raises_and_keeps_no_memory():
    import tracemalloc

    value = {"events": [Ev(0, 1, {"app": "Code"}, 1)], "odd": object()}
    with pytest.raises(TypeError, match="cannot encode object"):
        events_module.dumps_bytes(value)
    with pytest.raises(TypeError, match="cannot encode object"):
        python_bytes(value)
    answers_ = [
        {"events": [Ev(i, 1_000_000, {"app": "Code"}, i) for i in range(50)], "é": [1.5]},
        [[Ev(2**70, 1, {}, None)]],
        value,
    ]

    def run():
        for each in answers_:
            with contextlib.suppress(TypeError):
                c_module().answer(each, Ev, events_module.Duration, _encode_data)

    run()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for _ in range(300):
            run()
        grown = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert grown < 20_000


# flood's pass over pairs in C ----------------------------------------------------------------

flood_rows = st.lists(
    st.tuples(
        st.integers(min_value=0, max_value=60 * US),
        st.one_of(st.integers(min_value=0, max_value=20 * US), st.sampled_from([0, 1, 999, 1000])),
        st.sampled_from([0, 1, 2]),  # one of three data objects
        st.booleans(),  # a copy of it: equal content, another object
    ),
    max_size=30,
)


@given(flood_rows, st.sampled_from([0, 5, 0.5, 30, -1]), st.booleans())
def test_the_c_flood_gives_what_the_python_flood_gives(rows, pulsetime, read_order):
    shared = [{"app": "Code"}, {"app": "Slack"}, {"status": "afk"}]

    def flooded():
        evs = [
            Ev(ts, dur, dict(shared[i]) if copy else shared[i], k)
            for k, (ts, dur, i, copy) in enumerate(rows)
        ]
        if read_order:  # as a bucket's read comes: oldest first, by start
            evs.sort(key=lambda e: e.ts)
            return t.flood_read(evs, [e.ts for e in evs], [e.dur for e in evs], pulsetime)
        return t.flood(evs, pulsetime)

    with_c = pieces(flooded())
    with python_only():
        python = pieces(flooded())

    assert with_c == python


def test_the_c_flood_leaves_odd_events_to_python():
    assert _encode.flood_pass([Ev(0, -1, {}), Ev(5, 1, {})], Ev, 5, 2) is None
    assert _encode.flood_pass([Ev(0, 1, {}), Ev(2**62, 1, {})], Ev, 5, 2) is None
    assert _encode.flood_pass([Ev(0, 1, {}), Ev(5, 1, {})], Ev, 2**60, 2) is None
    assert _encode.flood_pass([Ev(0, 1, []), Ev(5, 1, {})], Ev, 5, 2) is None  # type: ignore[arg-type]
    assert _encode.flood_pass([Ev(0, 10, {"a": 1}), Ev(5, 10, {"a": 2})], Ev, 5, 2) is not None
    # Starts that do not ascend from the index given: Python's way, nothing changed.
    assert _encode.flood_pass([Ev(5, 1, {}), Ev(5, 1, {}), Ev(9, 1, {})], Ev, 5, 0) is None
    assert _encode.flood_pass([Ev(5, 1, {}), Ev(5, 1, {}), Ev(9, 1, {})], Ev, 5, 1) is not None
    overlap = [Ev(0, 10 * US, {"a": 1}), Ev(5 * US, 10 * US, {"a": 2})]
    # The later event wins the overlap: pairs alone leave it, so Python normalizes.
    assert _encode.flood_pass(overlap, Ev, 0, 2) is False


@given(
    st.lists(
        st.tuples(
            st.integers(min_value=0, max_value=len(merge_datas) + 1),
            st.booleans(),  # a copy of the data object: equal content, another object
        ),
        max_size=40,
    ),
    st.sampled_from(["app", "title", "status", "missing"]),
    st.sampled_from([["Code"], ["b", "Slack"], [["x", "y"]], [], ["not-afk"], [{"nested": 1}]]),
    st.booleans(),
)
def test_the_c_filter_keeps_what_the_python_filter_keeps(rows, key, values, exclude):
    datas_ = [*merge_datas, {"status": "not-afk"}, {"status": "afk"}]

    def kept():
        shared = [dict(d) for d in datas_]
        evs = [Ev(i, 1, dict(shared[i]) if copy else shared[i], i) for i, copy in rows]
        return pieces(t.filter_keyvals(evs, key, values, exclude))

    with_c = kept()
    with python_only():
        python = kept()

    assert with_c == python
    assert _encode.filter_keyvals([Ev(0, 1, [])], Ev, key, values, exclude) is None  # type: ignore[arg-type]


# A read of a bucket's copy in memory in C -----------------------------------------------------


@given(
    st.lists(
        st.tuples(
            st.integers(min_value=0, max_value=100 * US),
            st.integers(min_value=0, max_value=30 * US),
            st.integers(min_value=0, max_value=len(merge_datas) - 1),
        ),
        max_size=30,
    ),
    st.integers(min_value=0, max_value=100 * US),
    st.integers(min_value=0, max_value=60 * US),
)
def test_the_c_read_of_a_copy_is_the_python_read(tmp_path_factory, rows, start, length):
    from meridian.agent.store import Store

    store = Store(tmp_path_factory.mktemp("read") / "agent.sqlite3")
    try:
        store.create_bucket("b", type="currentwindow", client="t", hostname="h")
        store.insert("b", [(None, ts, dur, merge_datas[i]) for ts, dur, i in rows])
        assert store._columns("b") is not None  # the copy in memory serves the read

        def read():
            evs, starts, durs = store.events_oldest_first("b", start=start, end=start + length)
            assert starts == [e.ts for e in evs]
            assert durs == [e.dur for e in evs]
            return pieces(evs)

        with_c = read()
        with python_only():
            python = read()
    finally:
        store.close()

    assert with_c == python
    assert with_c == [
        (max(ts, start), min(ts + dur, start + length) - max(ts, start), data, event_id)
        for ts, dur, data, event_id in sorted(
            ((e.ts, e.dur, e.data, e.id) for e in store_rows(rows)), key=lambda r: (r[0], r[3])
        )
        if ts + dur >= start and ts <= start + length
    ]


def store_rows(rows):
    return [Ev(ts, dur, merge_datas[i], k + 1) for k, (ts, dur, i) in enumerate(rows)]


# --- Python code run from inside a C loop (a comparison of data that is not JSON's) -----------
# JSON data never runs Python code when compared; these objects do, and the C loops must stay
# memory-safe and either agree with Python or refuse (a review's findings).


def test_filter_keeps_an_event_that_a_comparison_removed_from_its_list():
    events: list[Ev] = []

    class Empties:
        def __eq__(self, other: object) -> bool:
            events.clear()  # frees the event unless the C loop holds it
            return True

        __hash__ = object.__hash__

    marker = object()
    events.append(Ev(0, 1, {"k": marker}, 1))
    kept = c_module().filter_keyvals(events, Ev, "k", [Empties()], False)
    [Ev(9, 9, {"z": i}, i) for i in range(100)]  # would reuse freed memory
    assert len(kept) == 1
    assert isinstance(kept[0], Ev)
    assert kept[0].data == {"k": marker}


def test_flood_refuses_a_list_whose_later_item_a_comparison_replaced():
    events: list[object] = []

    class Replaces:
        def __eq__(self, other: object) -> bool:
            events[2] = "not an event"  # read as an event next, unless checked again
            return False

        __hash__ = object.__hash__

    events[:] = [
        Ev(0, 1000, {"k": Replaces()}, 1),
        Ev(1500, 1000, {"k": Replaces()}, 2),
        Ev(3000, 1000, {"k": 1}, 3),
        Ev(5000, 10, {"k": 2}, 4),
    ]
    with pytest.raises(RuntimeError, match="changed while it was flooded"):
        c_module().flood_pass(events, Ev, 5_000_000, 4)


def test_a_duration_subclass_is_written_as_python_writes_it():
    class Seconds(events_module.Duration):
        pass

    for value in (Seconds(float("inf")), Seconds(float("nan")), Seconds(1_500_000)):
        with python_only():
            expected = dumps(value).encode()
        assert c_module().answer(value, Ev, events_module.Duration, _encode_data) is None
        assert events_module.dumps_bytes(value) == expected


# The request head's header lines (server._fields) -------------------------------------------

FIELD_NAME = st.text(alphabet="aZ0-_!#~.Content-LengthHost", min_size=1, max_size=8)
# Every kind of byte a header line can hold, the separators and line ends among them.
ANY_TEXT = st.text(
    alphabet=st.sampled_from(list(" \t\r\n:;aB\x00\x7f\xe9\xff,"))
    | st.characters(max_codepoint=255),
    max_size=12,
)
FIELD_LINE = st.one_of(
    st.builds(
        lambda name, before, value, after: f"{name}:{before}{value}{after}\r\n",
        FIELD_NAME,
        st.sampled_from(["", " ", "\t", " \t "]),
        st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0xFF), max_size=10),
        st.sampled_from(["", " ", "\t\t"]),
    ),
    st.builds(lambda text: text + "\r\n", ANY_TEXT),  # anything, folded lines among it
    ANY_TEXT,  # a line without its CRLF
)


@given(st.lists(FIELD_LINE, max_size=8))
def test_the_c_header_reader_reads_what_the_python_reader_reads(lines):
    from meridian.agent.server import MAX_HEADERS, BadRequest, Headers, _py_fields

    block = "".join(lines)
    got = _encode.head_fields(block, Headers, MAX_HEADERS)
    if got is None:
        return  # (read in Python)
    assert type(got) is Headers
    try:
        expected = _py_fields(block)
    except BadRequest:
        raise AssertionError("C read a block that Python refuses") from None
    assert list(got.items()) == list(expected.items())


@given(st.lists(st.tuples(FIELD_NAME, st.sampled_from(["", "x", " a\tb ", "é"])), max_size=8))
def test_the_c_header_reader_reads_every_plain_head_without_repeated_names(fields):
    from meridian.agent.server import MAX_HEADERS, Headers, _py_fields

    block = "".join(f"{name}: {value}\r\n" for name, value in fields)
    got = _encode.head_fields(block, Headers, MAX_HEADERS)
    if len({name.lower() for name, _ in fields}) < len(fields):
        assert got is None  # Python keeps the first of repeated names (or refuses them)
    else:
        assert got is not None
        assert list(got.items()) == list(_py_fields(block).items())


def test_the_c_header_reader_leaves_more_fields_than_the_limit_to_python():
    from meridian.agent.server import Headers

    block = "".join(f"X-{n}: a\r\n" for n in range(5))
    assert _encode.head_fields(block, Headers, 5) == {f"x-{n}": "a" for n in range(5)}
    assert _encode.head_fields(block, Headers, 4) is None
    assert _encode.head_fields("X: \u0100\r\n", Headers, 5) is None  # not latin-1 text
    with pytest.raises(TypeError):
        _encode.head_fields(b"X: a\r\n", Headers, 5)
