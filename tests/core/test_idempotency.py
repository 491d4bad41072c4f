"""The pure parts of once-only creates: request fingerprints and which keys are accepted."""

from hypothesis import given
from hypothesis import strategies as st

from meridian.core.idempotency import fingerprint, key_is_valid

parts = st.lists(st.binary(max_size=40), min_size=1, max_size=4)


@given(parts, parts)
def test_two_requests_share_a_fingerprint_only_when_every_part_is_the_same(a, b):
    # Length-prefixed parts: ("ab", "c") and ("a", "bc") are different requests.
    assert (fingerprint(*a) == fingerprint(*b)) == (a == b)


@given(st.text(max_size=40))
def test_text_and_its_utf8_bytes_give_the_same_fingerprint(text):
    assert fingerprint("POST", text) == fingerprint(b"POST", text.encode())


@given(
    st.text(
        alphabet=st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1, max_size=255
    )
)
def test_any_printable_ascii_key_up_to_255_characters_is_accepted(key):
    assert key_is_valid(key)


@given(st.text(min_size=1, max_size=300))
def test_a_key_with_spaces_controls_non_ascii_or_over_255_characters_is_refused(key):
    printable = all(0x21 <= ord(c) <= 0x7E for c in key)
    assert key_is_valid(key) == (printable and len(key) <= 255)


def test_an_empty_key_is_refused():
    assert not key_is_valid("")
