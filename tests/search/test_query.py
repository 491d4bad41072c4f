"""Reading what people type into engine queries: pure functions, no database."""

import re

from hypothesis import given
from hypothesis import strategies as st

from meridian.search.query import MAX_TERMS, Term, parse_query
from meridian.search.text import marked, plain_text


def test_words_must_all_match_and_the_last_is_a_beginning():
    query = parse_query("Pricing Page rework")
    assert query.terms == (Term(("pricing",)), Term(("page",)), Term(("rework",), prefix=True))
    assert query.fts5() == '"pricing" AND "page" AND "rework" *'
    assert query.tsquery() == "'pricing' & 'page' & 'rework':*"


def test_a_long_last_word_is_also_matched_by_its_first_six_letters():
    query = parse_query("new architectu")
    assert query.terms[-1] == Term(("architectu",), beginning="archit")
    assert query.fts5() == '"new" AND ("architectu" OR "archit" *)'
    assert query.fts5("title") == 'title : ("new" AND ("architectu" OR "archit" *))'
    assert query.tsquery() == "'new' & ('architectu' | 'archit':*)"


def test_a_last_word_shorter_than_four_letters_or_quoted_is_matched_whole():
    assert parse_query("go to db").terms[-1] == Term(("db",))
    assert parse_query('"pricing"').terms == (Term(("pricing",)),)
    assert parse_query("pricing", prefix_last=False).terms == (Term(("pricing",)),)


def test_quotes_make_a_phrase_and_an_unclosed_quote_runs_to_the_end():
    query = parse_query('"pricing page" rework "annual disc')
    assert query.terms == (
        Term(("pricing", "page")),
        Term(("rework",)),
        Term(("annual", "disc")),
    )
    assert query.tsquery() == "('pricing' <-> 'page') & 'rework' & ('annual' <-> 'disc')"
    assert query.fts5() == '"pricing page" AND "rework" AND "annual disc"'


def test_a_star_asks_for_a_beginning_anywhere():
    query = parse_query("depl* review", prefix_last=False)
    assert query.terms == (Term(("depl",), prefix=True), Term(("review",)))


def test_operators_and_punctuation_are_words_or_nothing():
    query = parse_query('OR NEAR( -secret AND "" * ) title:x ^y', prefix_last=False)
    assert [t.words for t in query.terms] == [
        ("or",),
        ("near",),
        ("secret",),
        ("and",),
        ("title",),
        ("x",),
        ("y",),
    ]
    assert parse_query('*"()^:-').terms == ()
    assert not parse_query("   ")


def test_a_query_has_at_most_eight_terms():
    assert len(parse_query(" ".join(f"w{i}" for i in range(30))).terms) == MAX_TERMS


@given(st.text(max_size=300))
def test_any_text_becomes_quoted_words_only(text):
    query = parse_query(text)
    # Every term is a quoted run of letters and digits, maybe a beginning, joined by AND.
    term = r'(?:"[^\W_]+(?: [^\W_]+)*"(?: \*)?|\("[^\W_]+" OR "[^\W_]+" \*\))'
    assert re.fullmatch(rf"(?:{term}(?: AND {term})*)?", query.fts5())
    for term in query.terms:
        assert all(re.fullmatch(r"[^\W_]+", w) for w in term.words)
        assert "'" not in "".join(term.words)


def test_markdown_is_indexed_as_its_words():
    text = plain_text(
        "# Plan\n\nWe **simplify** the [plans](https://x.example/a) `now`.\n\n- one\n- two"
    )
    assert text == "Plan We simplify the plans now. one two"


def test_html_in_text_stays_text_and_control_characters_go():
    assert plain_text("<script>alert(1)</script>\x00\ue000 ok") == "<script>alert(1)</script> ok"


def test_marked_escapes_first_and_only_then_marks():
    html = marked("\ue000<b>\ue001 & \ue002script\ue003 \ue000open")
    assert html == "<mark>&lt;b&gt;</mark> &amp; &lt;script&gt; <mark>open</mark>"


@given(st.text(max_size=200))
def test_marked_never_lets_a_tag_through(text):
    html = marked(text)
    assert re.sub(r"</?mark>", "", html).count("<") == 0
    assert html.count("<mark>") == html.count("</mark>")
