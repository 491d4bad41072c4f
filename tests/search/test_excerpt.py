"""The excerpt a notification quotes: plain words from Markdown, short, cut at a word."""

from hypothesis import given
from hypothesis import strategies as st

from meridian.search.text import EXCERPT_LENGTH, excerpt, plain_text


@given(st.text())
def test_an_excerpt_is_never_longer_than_its_limit_and_short_text_is_kept_whole(markdown):
    quoted = excerpt(markdown)
    assert len(quoted) <= EXCERPT_LENGTH
    if len(plain_text(markdown)) <= EXCERPT_LENGTH:
        assert quoted == plain_text(markdown)
    else:
        assert quoted.endswith("…")


def test_an_excerpt_drops_markup_and_link_targets_and_cuts_between_words():
    text = "A **bold** [plan](https://example.com/x) for *everyone*. " + "Lorem ipsum " * 30

    quoted = excerpt(text, limit=40)

    assert quoted == "A bold plan for everyone. Lorem ipsum…"
