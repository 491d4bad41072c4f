"""The input gate's quick checks (``_fine`` on the decoded body, ``_plainly_fine`` on its bytes)
agree with the walk that names the problems."""

import json

from hypothesis import given
from hypothesis import strategies as st

from meridian.core.inputs import MAX_ID, _fine, _plainly_fine, _walk

texts = st.sampled_from(["", "a", "\x00", "x\x00y", "Code"])
numbers = st.sampled_from(
    [0, 1, -1, MAX_ID, MAX_ID + 1, -MAX_ID - 1, -MAX_ID - 2, 1.5, float(MAX_ID) * 4, 1e300]
)
scalars = st.one_of(texts, numbers, st.booleans(), st.none())
values = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(texts, inner, max_size=4)),
    max_leaves=12,
)


@given(st.dictionaries(texts, values, max_size=4))
def test_the_quick_check_passes_exactly_the_bodies_the_walk_finds_nothing_in(body):
    assert _fine(body) == (not list(_walk(body, "body")))


# Any text and any number, as an agent or a client could send them.
any_scalars = st.one_of(
    st.text(),
    st.text(alphabet="0123456789eE.-+:,[ "),
    st.uuids().map(str),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.booleans(),
    st.none(),
)
any_values = st.recursive(
    st.one_of(scalars, any_scalars),
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.one_of(texts, st.text()), inner, max_size=4)
    ),
    max_leaves=12,
)


@given(
    st.dictionaries(st.one_of(texts, st.text()), any_values, max_size=4),
    st.booleans(),
    st.sampled_from(["utf-8", "utf-16", "utf-32"]),
    st.sampled_from([None, 0, "\t"]),
)
def test_a_body_whose_bytes_look_plainly_fine_holds_nothing_the_walk_would_refuse(
    body, ascii_only, encoding, indent
):
    raw = json.dumps(body, ensure_ascii=ascii_only, indent=indent).encode(encoding, "surrogatepass")
    assert json.loads(raw) == body  # what the gate decodes
    if _plainly_fine(raw):
        assert not list(_walk(body, "body"))


def test_a_sync_body_of_plain_slots_needs_no_walk():
    slot = {"start": "2026-11-04T09:15:00Z", "category": "Coding", "active_seconds": 600}
    assert _plainly_fine(json.dumps({"agent_id": "x", "slots": [slot] * 3}).encode())
    assert not _plainly_fine(b'{"a": "\\u0000"}')
    assert not _plainly_fine(b'{"a": 12345678901234567890}')
    assert not _plainly_fine(b'{"a": 1.5e300}')


def test_an_agent_id_with_a_digit_before_an_e_needs_no_walk():
    # Most random UUIDs hold a digit before an "e"; a sync body always holds its agent's.
    slot = {"start": "2026-11-04T09:15:00Z", "category": "Coding", "active_seconds": 600}
    body = {"agent_id": "5e0c1e2a-93e1-4b7e-8f3e-2e5e9e1e0e7e", "slots": [slot] * 3}
    assert _plainly_fine(json.dumps(body).encode())


def test_a_number_with_an_exponent_in_any_value_place_is_walked():
    for raw in (b'{"a": [1, 2e5]}', b'{"a":-2.5E+400}', b'{"a":\n\t 1e400}', b'{"a": [0e0]}'):
        assert not _plainly_fine(raw)
