"""The dashboards' answer cache as a data structure: bounded by bytes, least recently used out."""

from datetime import date

from hypothesis import given
from hypothesis import strategies as st

from meridian.dashboards.answers import Answer, AnswerCache


@given(st.lists(st.tuples(st.integers(0, 9), st.integers(1, 40)), max_size=60))
def test_the_answer_cache_stays_within_its_bytes_and_keeps_the_latest(puts):
    cache = AnswerCache(max_bytes=100)
    for key, size in puts:
        cache.put(key, Answer(key, date(2026, 11, 5), "UTC", (), size))
        assert sum(a.size for a in cache._items.values()) <= 100
    if puts:
        key, size = puts[-1]
        found = cache.get(key)
        assert found is not None and found.payload == key and found.size == size


def test_the_least_recently_read_answer_goes_first():
    cache = AnswerCache(max_bytes=100)
    for key in "abc":
        cache.put(key, Answer(key, date(2026, 11, 5), "UTC", (), 40))
    assert cache.get("a") is None and cache.get("b") is not None
    cache.put("d", Answer("d", date(2026, 11, 5), "UTC", (), 40))
    assert cache.get("c") is None and cache.get("b") is not None and cache.get("d") is not None
