"""The input gate's quick check (``_fine``) agrees with the walk that names the problems."""

from hypothesis import given
from hypothesis import strategies as st

from meridian.core.inputs import MAX_ID, _fine, _walk

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
