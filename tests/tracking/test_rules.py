"""The pure rules: rollup deltas never double-count, days split at local midnight, the k rule,
and the check of a category rule's pattern."""

import re
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from meridian.core.workingtime import working_week
from meridian.tracking.rules import (
    PATTERN_MAX,
    Figures,
    Slot,
    _slots_kept_general,  # the reference
    category_problem,
    day_start,
    group_refusal,
    outside_working_seconds,
    parse_slot,
    parse_slots,
    pattern_problem,
    rollup_deltas,
    rollup_deltas_from_sums,
    seconds_per_day,
    slots_kept,
    split_weeks,
    week_days,
)

BERLIN = ZoneInfo("Europe/Berlin")
BASE = datetime(2026, 10, 20, tzinfo=UTC)

keys = st.tuples(
    st.integers(0, 200).map(lambda n: BASE + timedelta(minutes=15 * n)),
    st.sampled_from(["Coding", "Writing", "Meetings"]),
    st.sampled_from(["", "editor"]),
    st.just(""),
)
figures = st.integers(0, 900).flatmap(
    lambda a: st.integers(0, 900 - a).map(lambda f: Figures(a, f))
)
batches = st.lists(st.dictionaries(keys, figures, max_size=20), min_size=1, max_size=6)


def _totals(store: dict) -> dict:
    totals: dict = {}
    for (start, category, _, _), f in store.items():
        key = (start.date(), category)
        a, k = totals.get(key, (0, 0))
        totals[key] = (a + f.active, k + f.afk)
    return {k: v for k, v in totals.items() if v != (0, 0)}


@given(batches)
def test_rollups_moved_by_deltas_equal_the_sum_of_the_last_figures_of_each_slot(batches):
    store: dict = {}
    rollup: dict = {}
    for batch in batches:
        new = {k: (k[0].date(), f) for k, f in batch.items()}
        old = {k: (k[0].date(), store[k]) for k in batch if k in store}
        for key, d in rollup_deltas(old, new).items():
            a, f = rollup.get(key, (0, 0))
            rollup[key] = (a + d.active, f + d.afk)
        store.update(batch)
    assert {k: v for k, v in rollup.items() if v != (0, 0)} == _totals(store)


@given(batches, st.integers(0, 3))
def test_deltas_from_the_databases_sums_equal_deltas_from_each_stored_slot(batches, shift):
    """PostgreSQL sums the stored figures of the keys sent per (stored day, category); the
    rollups must move exactly as when each stored slot is read (a stored day may differ from
    the new one: the member's zone changed between two syncs)."""
    stored, batch = batches[0], batches[-1]
    old = {k: (k[0].date() + timedelta(days=shift), stored[k]) for k in batch if k in stored}
    new = {k: (k[0].date(), f) for k, f in batch.items()}
    sums: dict = {}
    for key, (day, f) in old.items():
        a, k = sums.get((day, key[1]), (0, 0))
        sums[(day, key[1])] = Figures(a + f.active, k + f.afk)
    assert rollup_deltas_from_sums(new, sums) == rollup_deltas(old, new)


sent_slots = st.lists(
    st.builds(
        lambda start, category, f, app, title: Slot(start, category, f.active, f.afk, app, title),
        st.integers(0, 12).map(lambda n: BASE + timedelta(minutes=15 * n)),
        st.sampled_from(["Coding", "Writing"]),
        figures,
        st.sampled_from([None, "", "editor", "browser"]),
        st.sampled_from([None, "", "notes.md"]),
    ),
    max_size=40,
)


@given(sent_slots, st.integers(-2, 14), st.booleans(), st.booleans())
def test_the_one_pass_of_a_plain_sync_keeps_what_the_general_pass_keeps(
    slots, cut, allow_apps, allow_titles
):
    """A sync whose details the policy shares takes one pass: the same slots, in the same
    order, the same days, later figures winning, and the same counts as the general pass
    (which drops details and adds up the slots that became one)."""
    cutoff = BASE + timedelta(minutes=15 * cut)
    got = slots_kept(slots, cutoff, BERLIN, allow_apps=allow_apps, allow_titles=allow_titles)
    want = _slots_kept_general(
        slots, cutoff, BERLIN, allow_apps=allow_apps, allow_titles=allow_titles
    )
    assert got == want
    assert list(got[0]) == list(want[0])  # the order the rows go to the database
    assert all(type(figures) is Figures for _, figures in got[0].values())


@given(batches)
def test_sending_the_same_batch_again_changes_nothing(batches):
    batch = batches[0]
    new = {k: (k[0].date(), f) for k, f in batch.items()}
    assert rollup_deltas(new, new) == {}


def test_a_week_is_monday_to_sunday():
    assert week_days(date(2026, 10, 25)) == [
        date(2026, 10, 19) + timedelta(days=i) for i in range(7)
    ]


def test_the_day_summer_time_ends_has_25_hours_in_berlin():
    day = date(2026, 10, 25)
    assert day_start(day + timedelta(days=1), BERLIN) - day_start(day, BERLIN) == timedelta(
        hours=25
    )
    whole = [(day_start(day, BERLIN), day_start(day + timedelta(days=1), BERLIN))]
    assert seconds_per_day(whole, [day], BERLIN) == {day: 25 * 3600}


@given(
    st.integers(0, 14 * 24 * 4).map(lambda n: BASE + timedelta(minutes=15 * n)),
    st.integers(1, 3 * 24 * 60),
)
def test_seconds_split_over_days_add_up_to_the_span(start, minutes):
    end = start + timedelta(minutes=minutes)
    days = [date(2026, 10, 19) + timedelta(days=i) for i in range(21)]
    assert sum(seconds_per_day([(start, end)], days, BERLIN).values()) == minutes * 60


def test_a_group_smaller_than_k_is_refused():
    everyone = frozenset(range(20))
    assert "at least 5" in group_refusal(frozenset(range(4)), everyone, [], 5)
    assert group_refusal(frozenset(range(5)), everyone, [], 5) is None


def test_a_group_whose_complement_is_smaller_than_k_is_refused():
    everyone = frozenset(range(10))
    refusal = group_refusal(frozenset(range(7)), everyone, [everyone], 5)
    assert refusal and "rest of the workspace would be 3" in refusal


def test_two_teams_differing_by_one_person_are_both_refused():
    everyone = frozenset(range(30))
    a, b = frozenset(range(6)), frozenset(range(7))
    assert "differs from another team by 1" in group_refusal(a, everyone, [a, b], 5)
    assert "differs from another team by 1" in group_refusal(b, everyone, [a, b], 5)


@given(st.sets(st.integers(0, 30)), st.sets(st.integers(0, 30)), st.integers(2, 8))
def test_no_two_allowed_groups_differ_by_fewer_than_k(a, b, k):
    everyone = frozenset(range(31))
    a, b = frozenset(a), frozenset(b)
    teams = [everyone, a, b]
    if (
        group_refusal(a, everyone, teams, k) is None
        and group_refusal(b, everyone, teams, k) is None
    ):
        assert len(a - b) in (0,) or len(a - b) >= k
        assert len(b - a) in (0,) or len(b - a) >= k


def test_time_outside_working_hours():
    week = working_week("Europe/Berlin", {0: [(540, 1020)]})  # Mondays 9 to 17
    monday = datetime(2026, 11, 2, 7, 0, tzinfo=UTC)  # 08:00 Berlin
    assert outside_working_seconds(week, [(monday, monday + timedelta(hours=2))]) == (7200, 3600)


slot_json = st.fixed_dictionaries(
    {
        "start": st.integers(0, 10_000).map(
            lambda n: (BASE + timedelta(minutes=15 * n)).isoformat().replace("+00:00", "Z")
        ),
        "category": st.text(min_size=1, max_size=100).filter(
            lambda s: s.strip() and "\x00" not in s
        ),
        "active_seconds": st.integers(0, 900),
    }
).flatmap(
    lambda d: st.integers(0, 900 - d["active_seconds"]).map(lambda afk: {**d, "afk_seconds": afk})
)


@given(slot_json)
def test_every_valid_slot_parses_to_its_values(raw):
    slot, field, message = parse_slot(raw)
    assert (field, message) == ("", "")
    assert slot.start == datetime.fromisoformat(raw["start"]) and slot.category == raw["category"]
    assert (slot.active_seconds, slot.afk_seconds) == (raw["active_seconds"], raw["afk_seconds"])


@given(st.lists(st.one_of(slot_json, slot_json.map(lambda r: {**r, "start": r["start"][:-1]}))))
def test_a_request_reading_its_starts_once_parses_each_slot_as_alone(raws):
    starts: dict[str, datetime] = {}
    assert [parse_slot(raw, starts) for raw in raws] == [parse_slot(raw) for raw in raws]


details = {
    "app": st.one_of(st.none(), st.sampled_from(["", "editor", "é" * 200])),
    "title": st.one_of(st.none(), st.sampled_from(["", "notes.md", "😀" * 500])),
}
odd_values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-2, 902),
    st.floats(allow_nan=False, max_value=1000),
    st.text(max_size=3),
    st.sampled_from(["Coding", " ", "a\x00b", "x" * 101, "y" * 201, "z" * 501]),
    st.sampled_from(["\u2003", "é" * 100, "é" * 101, "😀" * 200, "😀" * 201, "\ud800" * 500]),
    st.sampled_from(["2026-10-20T09:15:00Z", "2026-10-20T09:15:00", "2026-10-20T09:16:00Z"]),
    st.sampled_from(["2026-10-20T10:15:00+01:00", "20261020T0915Z", "2026-10-20 09:15Z"]),
    st.integers(2**63, 2**65),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=2), st.integers(), max_size=2),
)


@given(
    slot_json,
    st.dictionaries(
        st.sampled_from(["category", "active_seconds", "afk_seconds", "app", "title", "extra"]),
        odd_values,
        max_size=4,
    ),
)
def test_any_slot_parses_with_its_start_read_before_as_it_parses_alone(raw, changes):
    """The quick path for a start already read in the request answers exactly what the full
    checks answer: the same slot, or the same field and message."""
    odd = {**raw, **changes}
    starts = {raw["start"]: parse_slot(raw)[0].start}
    assert parse_slot(odd, starts) == parse_slot(odd)


def _one_by_one(raws):
    starts: dict[str, datetime] = {}
    slots = []
    for index, raw in enumerate(raws):
        slot, field, message = parse_slot(raw, starts)
        if slot is None:
            return [], index, field, message
        slots.append(slot)
    return slots, -1, "", ""


@given(
    st.lists(
        st.one_of(
            slot_json,
            st.tuples(
                slot_json,
                st.dictionaries(
                    st.sampled_from(
                        ["start", "category", "active_seconds", "afk_seconds", "app", "title", "x"]
                    ),
                    odd_values,
                    max_size=2,
                ),
            ).map(lambda pair: {**pair[0], **pair[1]}),
            odd_values,
        ),
        max_size=12,
    )
)
def test_a_sync_parsed_in_one_loop_answers_what_its_slots_parsed_one_by_one_answer(raws):
    """The same slots (as named tuples), or the same first wrong slot, field and message."""
    parsed = parse_slots(raws)
    assert parsed == _one_by_one(raws)
    assert all(type(slot) is Slot for slot in parsed[0])


@given(st.lists(slot_json, min_size=1, max_size=40), st.data())
def test_a_sync_of_valid_slots_parses_to_their_values_in_order(raws, data):
    """Valid slots, sharing starts as a real sync's do, with or without app and title."""
    for raw in raws:
        raw["start"] = data.draw(st.sampled_from([raws[0]["start"], raw["start"]]))
        raw.update(data.draw(st.fixed_dictionaries({}, optional=details)))
    parsed = parse_slots(raws)
    assert parsed == _one_by_one(raws)
    assert [(s.category, s.app, s.title) for s in parsed[0]] == [
        (r["category"], r.get("app") or None, r.get("title") or None) for r in raws
    ]


def test_a_wrong_slot_is_named_before_a_later_start_python_cannot_read():
    good = {"start": "2026-12-05T09:15:00Z", "category": "Coding", "active_seconds": 1}
    raws = [{**good, "category": " "}, {**good, "start": "0001-01-01T00:00:00+01:00"}]
    assert parse_slots(raws) == ([], 0, "category", "category must be a non-empty string")


@given(slot_json, st.integers(1, 899))
def test_a_start_off_the_quarter_hour_is_refused_naming_start(raw, seconds):
    start = datetime.fromisoformat(raw["start"]) + timedelta(seconds=seconds)
    slot, field, message = parse_slot({**raw, "start": start.isoformat()})
    assert slot is None and field == "start" and "aligned to 15 minutes" in message


def test_bad_slots_name_their_field():
    good = {
        "start": "2026-12-05T09:15:00Z",
        "category": "Coding",
        "active_seconds": 1,
        "afk_seconds": 0,
    }
    assert parse_slot({**good, "start": "2026-12-05T09:15:00"})[1:] == (
        "start",
        "must carry a UTC offset, e.g. 2026-12-05T09:15:00Z",
    )
    assert parse_slot({**good, "afk_seconds": 900})[1] == "afk_seconds"
    assert parse_slot({**good, "active_seconds": True})[1] == "active_seconds"
    assert parse_slot({**good, "category": ""})[1] == "category"
    assert parse_slot({**good, "colour": "red"})[1] == "colour"
    assert parse_slot([1])[1:] == ("", "must be an object")


# --- Category rule patterns ---------------------------------------------------------------------

PIECES = st.sampled_from(
    ["a", "b", ".", r"\w", r"\d", "[a-z]", "(", ")", "|", "+", "*", "?", "{2}", "^", "$", "\\"]
)


@given(st.one_of(st.text(max_size=250), st.lists(PIECES, max_size=30).map("".join)))
def test_an_accepted_pattern_compiles_and_is_bounded(pattern):
    if pattern_problem(pattern) is None:
        assert 0 < len(pattern) <= PATTERN_MAX and pattern.strip()
        re.compile(pattern, re.IGNORECASE)


@given(
    st.sampled_from(["a", r"\w", "[a-z]", r"\s?x", "ab|c"]),
    st.sampled_from(["+", "*", "{1,}"]),
    st.sampled_from(["+", "*", "{2,}", "{3}"]),
)
def test_a_repeat_of_an_unbounded_repeat_is_refused(atom, inner, outer):
    pattern = f"(?:({atom}){inner}){outer}"
    assert pattern_problem(pattern) is not None
    assert pattern_problem(f"({atom}){inner}") is None  # one level is fine


@given(st.text(max_size=120))
def test_a_category_is_refused_exactly_when_blank_or_too_long(name):
    bad = not name.strip() or len(name.strip()) > 100 or "\x00" in name
    assert (category_problem(name) is not None) == bad


@given(st.dates(date(2020, 1, 1), date(2030, 1, 1)), st.integers(0, 400))
def test_a_period_splits_into_whole_weeks_and_the_days_around_them_exactly(first, length):
    last = first + timedelta(days=length)
    edges, weeks = split_weeks(first, last)
    days = [lo + timedelta(days=i) for lo, hi in edges for i in range((hi - lo).days + 1)]
    if weeks is not None:
        assert weeks[0].weekday() == 0 and weeks[1].weekday() == 0
        days += [weeks[0] + timedelta(days=i) for i in range((weeks[1] - weeks[0]).days + 7)]
    assert sorted(days) == [first + timedelta(days=i) for i in range(length + 1)]
    assert (len(edges) <= 2 and all((hi - lo).days < 7 for lo, hi in edges)) or weeks is None
