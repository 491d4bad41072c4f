"""Request bodies are decoded by pydantic-core's parser with ``json.loads`` deciding whatever it
refuses: the same documents are accepted, to the same values (property-tested)."""

import json
import math

from hypothesis import given
from hypothesis import strategies as st

from meridian.agent.events import loads

scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**30), max_value=10**30)
    | st.floats(allow_nan=False)
    | st.text()
)
documents = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(), inner, max_size=5),
    max_leaves=30,
)


def _same(a, b):
    """Equal values of equal types all the way down (1, 1.0 and True are told apart)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict):
        return list(a) == list(b) and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, float) and math.isnan(a):
        return math.isnan(b)
    return bool(a == b) and (not isinstance(a, float) or math.copysign(1, a) == math.copysign(1, b))


@given(documents, st.booleans())
def test_a_document_decodes_as_json_loads_decodes_it(document, ascii_only):
    raw = json.dumps(document, ensure_ascii=ascii_only).encode()
    assert _same(loads(raw), json.loads(raw))


@given(st.binary(max_size=40) | st.text(max_size=40).map(str.encode))
def test_any_bytes_are_accepted_or_refused_as_json_loads_does(raw):
    try:
        expected = json.loads(raw)
    except ValueError:
        try:
            loads(raw)
        except ValueError:
            return
        raise AssertionError(f"accepted what json.loads refuses: {raw!r}") from None
    assert _same(loads(raw), expected)


def test_the_edges_json_loads_accepts_are_kept():
    raw = (
        b'\xef\xbb\xbf[NaN, -Infinity, "\\ud800", 123456789012345678901234567890, {"a": 1, "a": 2}]'
    )
    got = loads(raw)
    assert math.isnan(got[0]) and got[1] == -math.inf and got[2] == "\ud800"
    assert got[3] == 123456789012345678901234567890 and got[4] == {"a": 2}
