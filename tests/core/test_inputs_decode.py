"""The API's JSON decoding (msgspec, then ``json.loads`` for what msgspec refuses) reads every
body as ``json.loads`` reads it, and refuses what it refuses with the same error."""

import json
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from meridian.core.inputs import _reject_constant, json_decode


def _reference(body: bytes) -> object:
    return json.loads(body, parse_constant=_reject_constant)


def _same(a: object, b: object) -> bool:
    """Equal, and of the same types all the way down (1 is not 1.0, -0.0 is not 0.0), keys in
    the same order."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        assert isinstance(b, dict)
        return list(a) == list(b) and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        assert isinstance(b, list)
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float):
        assert isinstance(b, float)
        return math.copysign(1, a) == math.copysign(1, b) and a == b
    return a == b


def _outcome(decode, body: bytes) -> tuple[str, object]:
    try:
        return "value", decode(body)
    except (ValueError, RecursionError) as exc:  # JSONDecodeError, UnicodeDecodeError, NaN
        return type(exc).__name__, str(exc)


def _check(body: bytes) -> None:
    got, want = _outcome(json_decode, body), _outcome(_reference, body)
    assert got[0] == want[0]
    assert _same(got[1], want[1]) if got[0] == "value" else got == want


scalars = st.one_of(
    st.text(),
    st.integers(min_value=-(2**80), max_value=2**80),
    st.floats(allow_nan=False, allow_infinity=False),
    st.booleans(),
    st.none(),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=3), inner, max_size=4)
    ),
    max_leaves=16,
)


@given(
    values,
    st.booleans(),
    st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "utf-32"]),
    st.sampled_from([None, 0, 2]),
)
def test_any_json_document_decodes_as_json_loads_decodes_it(value, ascii_only, encoding, indent):
    text = json.dumps(value, ensure_ascii=ascii_only, indent=indent)
    _check(text.encode(encoding, "surrogatepass"))


json_bits = st.sampled_from(
    [
        '{"a":',
        "[",
        "]",
        "{",
        "}",
        ",",
        ":",
        '"',
        "\\u0000",
        "\\ud800",
        "\\udc00",
        "\\n",
        "é",
        "1",
        "-0",
        "1e400",
        "-1E+2",
        "0.5",
        "12345678901234567890123",
        "NaN",
        "Infinity",
        "true",
        "null",
        " ",
        "\t",
        "\x00",
        "\x7f",
        '"a"',
        '"k":',
        "x",
    ]
)


@given(st.lists(json_bits, max_size=12).map("".join), st.sampled_from(["utf-8", "utf-16"]))
def test_any_text_decodes_or_fails_as_json_loads_does(text, encoding):
    _check(text.encode(encoding, "surrogatepass"))


@given(st.binary(max_size=40))
def test_any_bytes_decode_or_fail_as_json_loads_does(body):
    _check(body)


@pytest.mark.parametrize(
    "body",
    [
        b'{"a": 1, "b": 2, "a": 3}',
        b'{"a": 1e400, "b": -1e400}',
        b'{"a": 18446744073709551616, "b": -9223372036854775809}',
        b'{"a": "\\ud800"}',
        b'\xef\xbb\xbf{"a": 1}',
        b'{"a": NaN}',
        b'{"a": -Infinity}',
        b"",
        b"[" * 100_000 + b"]" * 100_000,
    ],
)
def test_what_msgspec_reads_otherwise_or_refuses_decodes_as_before(body):
    _check(body)
