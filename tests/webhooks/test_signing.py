"""The Meridian-Signature header, checked the way docs/user/webhooks.md tells receivers to."""

import hashlib
import hmac

from hypothesis import assume, given
from hypothesis import strategies as st

from meridian.webhooks.sending import signature


def _receiver_accepts(secret: str, header: str, body: bytes) -> bool:
    parts = dict(item.split("=", 1) for item in header.split(","))
    expected = hmac.new(secret.encode(), f"{parts['t']}.".encode() + body, hashlib.sha256)
    return hmac.compare_digest(expected.hexdigest(), parts["v1"])


@given(st.text(min_size=1), st.integers(min_value=0, max_value=2**40), st.binary())
def test_the_documented_check_accepts_every_signed_body(secret, timestamp, body):
    header = signature(secret, timestamp, body)
    assert header.startswith(f"t={timestamp},v1=")
    assert _receiver_accepts(secret, header, body)


@given(st.text(min_size=1), st.integers(min_value=0, max_value=2**40), st.binary(), st.binary())
def test_a_changed_body_is_rejected(secret, timestamp, body, other):
    assume(other != body)
    assert not _receiver_accepts(secret, signature(secret, timestamp, body), other)


@given(st.text(min_size=1), st.integers(min_value=0, max_value=2**40), st.binary())
def test_a_changed_timestamp_is_rejected(secret, timestamp, body):
    header = signature(secret, timestamp, body)
    moved = header.replace(f"t={timestamp},", f"t={timestamp + 1},")
    assert not _receiver_accepts(secret, moved, body)
