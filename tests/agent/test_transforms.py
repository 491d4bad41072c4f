"""Property tests for the transforms against simple reference models, and against aw-core.

aw-core (installed with aw-client from PyPI) is ActivityWatch's own implementation, so where a
behaviour is its definition (aw_transform/flood.py, union_no_overlap.py, heartbeats.py,
merge_events_by_keys.py, classify.py) the agent's answer is compared with aw-core's answer.
"""

import itertools
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aw_transform
from aw_core.models import Event
from hypothesis import given
from hypothesis import strategies as st

from meridian.agent import transforms as t
from meridian.agent.events import US, Ev
from meridian.agent.store import Store

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
BASE = 1_796_000_000 * US  # December 2026
DATA = [{"app": "Code"}, {"app": "Slack"}, {"app": "Code", "title": "x"}, {}]

millis = st.integers(min_value=0, max_value=120_000).map(lambda ms: BASE + ms * 1000)
# Durations in microseconds (aw-client sends float seconds); timestamps in milliseconds.
durations = st.integers(min_value=0, max_value=30_000_000)
datas = st.sampled_from(DATA)
events = st.lists(
    st.builds(lambda ts, dur, data: Ev(ts, dur, dict(data)), millis, durations, datas),
    max_size=25,
)
# Whole-millisecond durations: aw-core drops the microseconds of a timestamp it assigns
# (a cut event's end moves by < 1 ms), so exact coverage holds only for these.
ms_events = st.lists(
    st.builds(lambda ts, dur, data: Ev(ts, dur - dur % 1000, dict(data)), millis, durations, datas),
    max_size=25,
)


def to_aw(event: Ev) -> Event:
    return Event(
        timestamp=EPOCH + timedelta(microseconds=event.ts),
        duration=timedelta(microseconds=event.dur),
        data=dict(event.data),
    )


def from_aw(event: Event) -> tuple[int, int, dict]:
    delta = event.timestamp - EPOCH
    return (
        delta // timedelta(microseconds=1),
        event.duration // timedelta(microseconds=1),
        dict(event.data),
    )


def plain(evs: list[Ev]) -> list[tuple[int, int, dict]]:
    return [(e.ts, e.dur, dict(e.data)) for e in evs]


def disjoint(evs: list[Ev]) -> list[Ev]:
    """Make a list non-overlapping (as watchers' buckets are) by laying events end to end."""
    out, cursor = [], BASE
    for e in sorted(evs, key=lambda e: e.ts):
        start = max(-(-cursor // 1000) * 1000, e.ts)  # stored timestamps are whole ms
        out.append(Ev(start, e.dur, e.data))
        cursor = start + e.dur
    return out


# Heartbeats --------------------------------------------------------------------------------


def reference_heartbeats(beats: list[tuple[int, int, dict]], pulse: int) -> list[list]:
    """The rule as aw_server/api.py heartbeat + aw_transform.heartbeat_merge state it."""
    stored: list[list] = []
    last = None
    for ts, dur, data in beats:
        if last is not None and last[2] == data and last[0] <= ts <= last[0] + last[1] + pulse:
            last[1] = max(last[1], ts - last[0] + dur)
            continue
        last = [ts, dur, data]
        stored.append(last)
    return stored


beats = st.lists(st.tuples(millis, durations.map(lambda d: d // 10), datas), max_size=30)


@given(beats, st.integers(min_value=0, max_value=20))
def test_store_heartbeats_merge_like_the_reference_model(beats, pulse_s):
    with tempfile.TemporaryDirectory() as directory:
        store = Store(Path(directory) / "a.sqlite3")
        store.create_bucket("b", type="t", client="c", hostname="h")
        for ts, dur, data in beats:
            store.heartbeat("b", ts, dur, dict(data), pulse_s)
        got = sorted(plain(store.events("b")), key=lambda e: (e[0], e[1], str(e[2])))
        store.close()

    expected = sorted(
        (tuple(e) for e in reference_heartbeats(beats, pulse_s * US)),
        key=lambda e: (e[0], e[1], str(e[2])),
    )
    assert got == [tuple(e) for e in expected]


@given(events, st.integers(min_value=0, max_value=20))
def test_heartbeat_reduce_matches_aw_core(evs, pulse_s):
    mine = t.heartbeat_reduce([e.copy() for e in evs], pulse_s)
    theirs = aw_transform.heartbeat_reduce([to_aw(e) for e in evs], pulse_s)

    assert plain(mine) == [from_aw(e) for e in theirs]


# Period intersect / union -------------------------------------------------------------------


@given(events, events)
def test_filter_period_intersect_keeps_exactly_the_covered_parts(evs, filters):
    evs = [e for e in disjoint(evs) if e.dur > 0]
    filters = [f for f in disjoint(filters) if f.dur > 0]

    result = t.filter_period_intersect(evs, filters)

    expected = []
    for e in sorted(evs, key=lambda e: e.ts):
        for f in sorted(filters, key=lambda f: f.ts):
            start, end = max(e.ts, f.ts), min(e.ts + e.dur, f.ts + f.dur)
            if start < end:
                expected.append((start, end - start, e.data))
    assert plain(result) == expected


@given(events, events)
def test_filter_period_intersect_matches_aw_core(evs, filters):
    mine = t.filter_period_intersect(evs, filters)
    theirs = aw_transform.filter_period_intersect(
        [to_aw(e) for e in evs], [to_aw(f) for f in filters]
    )

    assert plain(mine) == [from_aw(e) for e in theirs]


# Events that last (duration > 0), overlapping or not: filter_period_intersect's path for them.
lasting = st.lists(
    st.builds(
        Ev,
        millis,
        st.integers(min_value=1, max_value=30_000_000),
        datas,
        st.one_of(st.none(), st.integers(min_value=1, max_value=10**6)),
    ),
    max_size=25,
)


@given(lasting, lasting)
def test_filter_period_intersect_of_lasting_events_is_the_sweeps_and_aw_cores(evs, filters):
    mine = t.filter_period_intersect(evs, filters)
    by_start = lambda e: e.ts  # noqa: E731
    swept = t._intersect_sweep(sorted(evs, key=by_start), sorted(filters, key=by_start))
    theirs = aw_transform.filter_period_intersect(
        [to_aw(e) for e in evs], [to_aw(f) for f in filters]
    )

    assert [(e.ts, e.dur, e.data, e.id) for e in mine] == [
        (e.ts, e.dur, e.data, e.id) for e in swept
    ]
    assert all(a.data is b.data for a, b in zip(mine, swept, strict=True))
    assert plain(mine) == [from_aw(e) for e in theirs]


def covered(evs: list[Ev]) -> set[int]:
    """The covered instants, at 1 ms resolution (whole milliseconds inside an event)."""
    return {ms for e in evs for ms in range(-(-e.ts // 1000), (e.ts + e.dur) // 1000)}


@given(ms_events, ms_events)
def test_period_union_covers_the_union_without_overlap_or_data(a, b):
    result = t.period_union([e.copy() for e in a], [e.copy() for e in b])

    assert covered(result) == covered(a) | covered(b)
    assert all(x.ts + x.dur < y.ts for x, y in itertools.pairwise(result))
    assert all(e.data == {} for e in result)


@given(ms_events, ms_events)
def test_union_no_overlap_gives_the_first_list_precedence(a, b):
    # Zero-length events in the first list make aw-core drop the event they touch (a quirk
    # the agent shares, checked by the comparison); coverage holds without them.
    a, b = [e for e in disjoint(a) if e.dur > 0], disjoint(b)

    result = t.union_no_overlap(a, b)
    theirs = aw_transform.union_no_overlap([to_aw(e) for e in a], [to_aw(e) for e in b])

    assert plain(result) == [from_aw(e) for e in theirs]
    assert covered(result) == covered(a) | covered(b)
    for e in a:
        assert (e.ts, e.dur, e.data) in plain(result)


# Flood -----------------------------------------------------------------------------------------


@given(events, st.integers(min_value=0, max_value=10))
def test_flood_matches_aw_core(evs, pulse_s):
    mine = t.flood(evs, pulse_s)
    theirs = aw_transform.flood([to_aw(e) for e in evs], pulse_s)

    assert plain(mine) == [from_aw(e) for e in theirs]


# Whole seconds: flood's midpoints then fall on whole milliseconds, which aw-core keeps.
s_events = st.lists(
    st.builds(
        lambda ts, dur, data: Ev(ts - ts % US, dur - dur % US, dict(data)), millis, durations, datas
    ),
    max_size=25,
)


@given(s_events, st.integers(min_value=0, max_value=10))
def test_flood_leaves_no_overlap_and_loses_no_time(evs, pulse_s):
    # (Overlapping input loses time by design: the later event takes precedence.)
    evs = disjoint(evs)

    mine = t.flood(evs, pulse_s)

    assert all(x.ts + x.dur <= y.ts for x, y in itertools.pairwise(mine))
    assert covered(mine) >= covered(evs)


@given(events)
def test_flood_does_not_change_its_input(evs):
    before = plain(evs)

    t.flood(evs)

    assert plain(evs) == before


# Merging and categories ---------------------------------------------------------------------


@given(events, st.sampled_from([["app"], ["app", "title"], ["title"], []]))
def test_merge_events_by_keys_matches_aw_core(evs, keys):
    mine = t.merge_events_by_keys(evs, keys)
    theirs = aw_transform.merge_events_by_keys([to_aw(e) for e in evs], keys)

    assert plain(mine) == [from_aw(e) for e in theirs]
    assert sum(e.dur for e in mine) == (
        sum(e.dur for e in evs) if keys else sum(e.dur for e in mine)
    )


# Events sharing data objects, as the store's and categorize's do, two of them equal in content.
SHARED = [{"app": "Code"}, {"app": "Slack"}, {"app": "Code", "title": "x"}, {}, {"app": "Code"}]
shared_events = st.lists(
    st.builds(lambda ts, dur, i: Ev(ts, dur, SHARED[i]), millis, durations, st.integers(0, 4)),
    max_size=25,
)


@given(shared_events, st.sampled_from([["app"], ["app", "title"], ["title"]]))
def test_merge_events_by_keys_over_shared_data_matches_aw_core(evs, keys):
    mine = t.merge_events_by_keys(evs, keys)
    theirs = aw_transform.merge_events_by_keys([to_aw(e) for e in evs], keys)

    assert plain(mine) == [from_aw(e) for e in theirs]


CLASSES = [
    (["Work"], {"type": "regex", "regex": "Code"}),
    (["Work", "Programming"], {"type": "regex", "regex": "^x$"}),
    (["Chat"], {"type": "regex", "regex": "slack", "ignore_case": True}),
    (["Chat", "Priority"], {"type": "regex", "regex": "Slack", "priority": 1}),
]


@given(events)
def test_categorize_and_tag_match_aw_core(evs):
    mine = t.categorize([e.copy() for e in evs], [(c, t.Rule(r)) for c, r in CLASSES])
    theirs = aw_transform.categorize(
        [to_aw(e) for e in evs], [(c, aw_transform.Rule(r)) for c, r in CLASSES]
    )
    mine_tags = t.tag([e.copy() for e in evs], [(c[-1], t.Rule(r)) for c, r in CLASSES])
    their_tags = aw_transform.tag(
        [to_aw(e) for e in evs], [(c[-1], aw_transform.Rule(r)) for c, r in CLASSES]
    )

    assert plain(mine) == [from_aw(e) for e in theirs]
    assert plain(mine_tags) == [from_aw(e) for e in their_tags]


def test_deepest_category_wins_and_priority_overrides_depth():
    # aw_transform/classify.py _pick_category: rank = priority, else 10 × depth; ties → later.
    rules = [(c, t.Rule(r)) for c, r in CLASSES]
    [code_x] = t.categorize([Ev(BASE, US, {"app": "Code", "title": "x"})], rules)
    [slack] = t.categorize([Ev(BASE, US, {"app": "Slack"})], rules)
    [other] = t.categorize([Ev(BASE, US, {"app": "Mail"})], rules)

    assert code_x.data["$category"] == ["Work", "Programming"]
    assert slack.data["$category"] == ["Chat"]  # priority 1 ranks below depth 1 (10)
    assert other.data["$category"] == ["Uncategorized"]


def test_split_url_events_adds_the_url_parts():
    # aw_transform/split_url_events.py: "www." is dropped from $domain.
    [event] = t.split_url_events([Ev(BASE, US, {"url": "https://www.example.com/a/b;p?q=1#frag"})])

    assert event.data == {
        "url": "https://www.example.com/a/b;p?q=1#frag",
        "$protocol": "https",
        "$domain": "example.com",
        "$path": "/a/b",
        "$params": "p",
        "$options": "q=1",
        "$identifier": "frag",
    }
