"""The Gini coefficient of comment volume: pure, property-tested, with worked examples."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from meridian.decisions.fairness import Fairness, gini

PROPERTY = settings(max_examples=300, deadline=None)
amounts = st.lists(st.integers(min_value=0, max_value=1000), min_size=1, max_size=40)


def test_worked_examples():
    assert gini([]) == 0.0
    assert gini([0, 0, 0]) == 0.0
    assert gini([5, 5, 5, 5]) == 0.0
    assert gini([0, 0, 0, 10]) == pytest.approx(0.75)  # one voice of four: 1 - 1/4
    assert gini([1, 2, 3, 4, 5]) == pytest.approx(4 / 15)


@PROPERTY
@given(amounts)
def test_it_lies_between_perfect_evenness_and_one_voice(values):
    assert 0.0 <= gini(values) <= 1 - 1 / len(values) + 1e-12


@PROPERTY
@given(amounts, st.randoms())
def test_the_order_of_participants_does_not_matter(values, rng):
    shuffled = values[:]
    rng.shuffle(shuffled)
    assert gini(shuffled) == pytest.approx(gini(values))


@PROPERTY
@given(amounts, st.integers(min_value=1, max_value=50))
def test_scaling_everyones_volume_changes_nothing(values, factor):
    assert gini([v * factor for v in values]) == pytest.approx(gini(values))


@PROPERTY
@given(st.integers(min_value=1, max_value=40), st.integers(min_value=1, max_value=1000))
def test_equal_volumes_are_perfectly_even_and_one_voice_is_the_maximum(n, amount):
    assert gini([amount] * n) == pytest.approx(0.0)
    assert gini([0] * (n - 1) + [amount]) == pytest.approx(1 - 1 / n)


@PROPERTY
@given(amounts)
def test_a_silent_participant_joining_never_makes_it_more_even(values):
    assert gini([*values, 0]) >= gini(values) - 1e-12


def test_negative_amounts_are_refused():
    with pytest.raises(ValueError):
        gini([1, -1])


def test_the_facilitators_figures():
    figures = Fairness(
        participants=4, took_part=3, comment_counts=(0, 0, 0, 6), changed_after_visible=1, changes=2
    )
    assert figures.participation_rate == 0.75 and figures.participation_percent == 75
    assert figures.comments == 6 and figures.comment_gini == pytest.approx(0.75)
