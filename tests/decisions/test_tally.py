"""Tests for meridian.decisions.tally: worked examples from the literature, errors, properties."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Sequence
from itertools import pairwise
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from meridian.core.errors import ValidationFailed
from meridian.decisions.tally import (
    TIE_BREAK_RULES,
    BallotError,
    DecisionRule,
    Kind,
    Outcome,
    Position,
    Rule,
    draw_order,
    evaluate,
    summary,
    tally_borda,
    tally_consent,
    tally_dots,
    tally_irv,
    tally_multiple,
    tally_ranked,
    tally_scores,
    tally_single,
    validate_choice,
    validate_choices,
    validate_consent,
    validate_dots,
    validate_options,
    validate_ranking,
    validate_scores,
)

PROPERTY = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SEED = "seed-of-the-proposal"
POOL = ("A", "B", "C", "D", "E", "F")

Ranking = tuple[str, ...]


def ballots_from(schedule: Sequence[tuple[int, str]]) -> list[Ranking]:
    """Ballots from a preference schedule: (how many voters, their ranking as letters)."""
    return [tuple(ranking) for count, ranking in schedule for _ in range(count)]


def valid(check: Callable[..., object], *args: Any, **kwargs: Any) -> bool:
    """Whether the validator accepts the stance."""
    try:
        check(*args, **kwargs)
    except BallotError:
        return False
    return True


# --- Strategies ------------------------------------------------------------------------------

option_lists = st.lists(st.sampled_from(POOL), min_size=2, max_size=len(POOL), unique=True)
seeds = st.text(max_size=6)


def rankings_of(options: Sequence[str]) -> st.SearchStrategy[Ranking]:
    """A ranking of one or more of the options (a partial ranking is fine)."""
    return st.permutations(list(options)).flatmap(
        lambda order: st.integers(1, len(order)).map(lambda k: tuple(order[:k]))
    )


@st.composite
def elections(draw: st.DrawFn, min_ballots: int = 1) -> tuple[list[str], list[Ranking]]:
    options = draw(option_lists)
    return options, draw(st.lists(rankings_of(options), min_size=min_ballots, max_size=40))


@st.composite
def messy_rankings(draw: st.DrawFn) -> tuple[list[str], list[list[str]]]:
    """Rankings that may name an unknown option, repeat one, or be empty."""
    options = draw(option_lists)
    entries = st.sampled_from([*options, "Z"])
    return options, draw(st.lists(st.lists(entries, max_size=4), max_size=30))


# --- Worked examples from the election-method literature -------------------------------------

# The "Tennessee capital" example: Wikipedia, "Instant-runoff voting" and "Borda count", and
# electowiki.org/wiki/Effects_of_different_voting_systems_under_similar_circumstances.
# Per 100 voters: 42 Memphis > Nashville > Chattanooga > Knoxville; 26 Nashville > Chattanooga
# > Knoxville > Memphis; 15 Chattanooga > Knoxville > Nashville > Memphis; 17 Knoxville >
# Chattanooga > Nashville > Memphis. IRV elects Knoxville; the Borda count elects Nashville
# (classic n-1 … 0 points there: Nashville 194, Chattanooga 173, Memphis 126, Knoxville 107).
M, N, C, K = "Memphis", "Nashville", "Chattanooga", "Knoxville"
TENNESSEE_OPTIONS = [M, N, C, K]
TENNESSEE = [(M, N, C, K)] * 42 + [(N, C, K, M)] * 26 + [(C, K, N, M)] * 15 + [(K, C, N, M)] * 17


def test_tennessee_instant_runoff_elects_knoxville_round_by_round() -> None:
    result = tally_irv(TENNESSEE_OPTIONS, TENNESSEE, seed=SEED)

    assert result.winner == K
    assert [r.counts for r in result.rounds] == [
        {M: 42, N: 26, C: 15, K: 17},
        {M: 42, N: 26, K: 32},
        {M: 42, K: 58},
    ]
    assert [r.eliminated for r in result.rounds] == [(C,), (N,), ()]
    assert [r.winner for r in result.rounds] == [None, None, K]
    assert [r.exhausted for r in result.rounds] == [0, 0, 0]


def test_tennessee_borda_count_elects_nashville() -> None:
    result = tally_borda(TENNESSEE_OPTIONS, TENNESSEE, seed=SEED)

    # Complete rankings: the modified count is the classic one plus a point per ballot.
    assert result.points == {N: 194 + 100, C: 173 + 100, M: 126 + 100, K: 107 + 100}
    assert result.order == (N, C, M, K)
    assert result.winner == N
    assert result.first_preferences == {M: 42, N: 26, C: 15, K: 17}


# "The Borda Count Method", University of Alabama Math 103 (ctl.ua.edu/math103/voting/borda.htm):
# the Smallville mayoral election, 500 voters, scored 4-3-2-1 (the modified count on complete
# rankings). Rita is nobody's first choice yet wins the Borda count; IRV eliminates her first.
SMALLVILLE = ballots_from([(130, "PRST"), (120, "TRSP"), (100, "TRPS"), (150, "SRPT")])


def test_smallville_borda_count_elects_the_compromise_nobody_ranked_first() -> None:
    result = tally_ranked(list("PRST"), SMALLVILLE, seed=SEED)

    assert result.borda.points == {"R": 1500, "S": 1200, "T": 1160, "P": 1140}
    assert result.borda.winner == "R"
    assert result.irv.rounds[0].eliminated == ("R",)
    assert result.irv.winner == "S"


# "Democracy and voting", Mathematics at Grace (mathatgrace.github.io/qw/sec-democracy-voting):
# five slogans ... 5 DACB, 3 ACBD, 6 CBAD, 4 BDAC, 2 ADCB. IRV elects D; Borda elects A with 55
# points, then C 51, and B and D 47 each.
SLOGANS = ballots_from([(5, "DACB"), (3, "ACBD"), (6, "CBAD"), (4, "BDAC"), (2, "ADCB")])


def test_slogans_instant_runoff_and_borda_disagree() -> None:
    result = tally_ranked(list("ABCD"), SLOGANS, seed=SEED)

    assert [r.eliminated for r in result.irv.rounds] == [("B",), ("A",), ()]
    assert result.irv.rounds[-1].counts == {"C": 9, "D": 11}
    assert result.irv.winner == "D"
    assert result.borda.points == {"A": 55, "B": 47, "C": 51, "D": 47}
    assert result.borda.winner == "A"


# Tannenbaum's non-monotonicity example, as given in Duke's "Discrete Models" course notes
# (users.cs.duke.edu/~elk27/courses/DiscreteModels/Fall22): C wins; when 4 voters move C up to
# first place, B wins. IRV is not monotonic, which is why that property is tested for Borda only.
def test_instant_runoff_is_not_monotonic() -> None:
    before = ballots_from([(7, "ABC"), (8, "BCA"), (10, "CAB"), (4, "ACB")])
    after = ballots_from([(7, "ABC"), (8, "BCA"), (10, "CAB"), (4, "CAB")])

    assert tally_irv(list("ABC"), before, seed=SEED).winner == "C"
    assert tally_irv(list("ABC"), after, seed=SEED).winner == "B"


# --- Instant-runoff details ------------------------------------------------------------------


def test_ballots_without_a_continuing_choice_are_exhausted() -> None:
    ballots = ballots_from([(4, "A"), (3, "B"), (2, "C"), (2, "CB")])

    result = tally_irv(list("ABC"), ballots, seed=SEED)

    assert [(r.counts, r.exhausted, r.eliminated) for r in result.rounds] == [
        ({"A": 4, "B": 3, "C": 4}, 0, ("B",)),
        ({"A": 4, "C": 4}, 3, ("A",)),
        ({"C": 4}, 7, ()),
    ]
    assert result.winner == "C"


def test_options_without_votes_are_eliminated_together() -> None:
    ballots = ballots_from([(2, "AB"), (2, "BC"), (1, "CA")])

    result = tally_irv(list("ABCDE"), ballots, seed=SEED)

    assert result.rounds[0].eliminated == ("D", "E")
    assert result.rounds[0].tied == ()
    assert [r.eliminated for r in result.rounds[1:]] == [("C",), ()]
    assert result.winner == "A"


def test_tie_on_fewest_votes_is_broken_by_the_earlier_round() -> None:
    # Round 1: A 5, B 4, C 3, D 1 -> D goes to C. Round 2: A 5, B 4, C 4 -> B and C are level;
    # in round 1 C had fewer, so C goes.
    ballots = ballots_from([(5, "A"), (4, "BA"), (3, "CB"), (1, "DC")])

    result = tally_irv(list("ABCD"), ballots, seed=SEED)

    assert result.rounds[1].counts == {"A": 5, "B": 4, "C": 4}
    assert result.rounds[1].tied == ("B", "C")
    assert result.rounds[1].tie_break == "round 1"
    assert result.rounds[1].eliminated == ("C",)
    assert result.winner == "B"


def test_tie_level_in_every_round_is_broken_by_the_recorded_draw_of_lots() -> None:
    ballots = ballots_from([(3, "A"), (2, "B"), (2, "C")])
    last_drawn = [o for o in draw_order(list("ABC"), SEED) if o in "BC"][-1]

    result = tally_irv(list("ABC"), ballots, seed=SEED)

    assert result.rounds[0].tied == ("B", "C")
    assert result.rounds[0].tie_break == "lots"
    assert result.rounds[0].eliminated == (last_drawn,)


def test_no_ballots_means_no_rounds_and_no_winner() -> None:
    result = tally_ranked(list("AB"), [], seed=SEED)

    assert result.irv.winner is None
    assert result.irv.rounds == ()
    assert result.borda.winner is None
    assert evaluate(DecisionRule(Rule.MAJORITY), result, 5).outcome is Outcome.FAILED


def test_a_ranked_tally_snapshots_as_json() -> None:
    snapshot = dataclasses.asdict(tally_ranked(TENNESSEE_OPTIONS, TENNESSEE, seed=SEED))

    restored = json.loads(json.dumps(snapshot))

    assert restored["irv"]["rounds"][2]["counts"] == {M: 42, K: 58}
    assert restored["borda"]["winner"] == N
    assert restored["kind"] == "ranked"


def test_draw_of_lots_depends_only_on_the_seed_and_the_option() -> None:
    assert draw_order(list("ABCDEF"), "one") == draw_order(list("FEDCBA"), "one")
    assert draw_order(list("ABCDEF"), "one") != draw_order(list("ABCDEF"), "two")


def test_every_kind_has_its_tie_break_rule_written_out() -> None:
    assert set(TIE_BREAK_RULES) == set(Kind)
    assert "round before" in TIE_BREAK_RULES[Kind.RANKED]


# --- Ballot errors ---------------------------------------------------------------------------


def test_ranking_an_option_twice_names_it() -> None:
    with pytest.raises(BallotError) as caught:
        validate_ranking(list("ABC"), ["A", "B", "A"])

    assert caught.value.field_name == "ranking"
    assert caught.value.code == "duplicate_option"
    assert caught.value.params == {"option": "A"}
    assert "'A' is ranked more than once" in caught.value.message


def test_ranking_an_unknown_option_names_it() -> None:
    with pytest.raises(BallotError) as caught:
        validate_ranking(list("ABC"), ["A", "Q"])

    assert caught.value.code == "unknown_option"
    assert caught.value.params == {"option": "Q"}
    assert "'Q'" in caught.value.message


def test_ballot_errors_are_422s_naming_the_field() -> None:
    with pytest.raises(ValidationFailed) as caught:
        validate_ranking(list("ABC"), [])

    assert caught.value.status_code == 422
    assert caught.value.errors == {"ranking": ["Rank at least one option."]}


def test_dot_vote_over_budget_gives_the_budget() -> None:
    with pytest.raises(BallotError) as caught:
        validate_dots(list("ABC"), {"A": 7, "B": 5}, budget=10)

    assert caught.value.field_name == "dots"
    assert caught.value.code == "over_budget"
    assert caught.value.params == {"budget": 10, "given": 12}
    assert caught.value.message == "12 points were given, but the budget is 10."


@pytest.mark.parametrize("points", [-1, 1.5, True])
def test_dot_vote_points_are_whole_and_not_negative(points: Any) -> None:
    with pytest.raises(BallotError) as caught:
        validate_dots(list("ABC"), {"A": points}, budget=10)

    assert caught.value.code == "invalid_points"


@pytest.mark.parametrize("score", [-1, 6, 2.5, True, "3"])
def test_score_out_of_range_is_refused(score: Any) -> None:
    with pytest.raises(BallotError) as caught:
        validate_scores(list("ABC"), {"B": score}, maximum=5)

    assert caught.value.field_name == "scores"
    assert caught.value.code == "out_of_range"
    assert caught.value.params == {"option": "B", "score": score, "minimum": 0, "maximum": 5}


def test_scores_left_out_count_as_zero() -> None:
    assert validate_scores(list("ABC"), {"B": 5}, maximum=5) == {"A": 0, "B": 5, "C": 0}


def test_too_many_choices_gives_the_maximum() -> None:
    with pytest.raises(BallotError) as caught:
        validate_choices(list("ABCD"), ["A", "B", "C"], maximum=2)

    assert caught.value.code == "too_many_choices"
    assert caught.value.params == {"maximum": 2, "given": 3}


@pytest.mark.parametrize(
    ("choices", "code"),
    [([], "empty"), (["A", "A"], "duplicate_option"), (["X"], "unknown_option")],
)
def test_multiple_choice_needs_different_known_options(choices: list[str], code: str) -> None:
    with pytest.raises(BallotError) as caught:
        validate_choices(list("ABCD"), choices, maximum=3)

    assert caught.value.code == code


def test_single_choice_must_be_an_option() -> None:
    assert validate_choice(list("AB"), "B") == "B"
    with pytest.raises(BallotError) as caught:
        validate_choice(list("AB"), "C")

    assert caught.value.field_name == "choice"


@pytest.mark.parametrize("position", ["object", "block"])
def test_objecting_or_blocking_needs_a_reason(position: str) -> None:
    with pytest.raises(BallotError) as caught:
        validate_consent(position, "   ")

    assert caught.value.field_name == "reason"
    assert caught.value.code == "reason_required"


def test_agreeing_needs_no_reason_and_reasons_are_trimmed() -> None:
    assert validate_consent("agree") == (Position.AGREE, "")
    assert validate_consent("block", "  unsafe  ") == (Position.BLOCK, "unsafe")


def test_a_stored_block_without_a_reason_is_counted_as_invalid() -> None:
    result = tally_consent([("agree", None), ("block", None), ("block", "unsafe")])

    assert result.counts[Position.BLOCK] == 1
    assert result.invalid == 1
    assert result.reasons[Position.BLOCK] == ("unsafe",)


def test_unknown_consent_position_is_refused() -> None:
    with pytest.raises(BallotError) as caught:
        validate_consent("maybe")

    assert caught.value.field_name == "position"


@pytest.mark.parametrize(
    ("options", "code"),
    [(["A"], "too_few_options"), (["A", "A"], "duplicate_option"), (["A", " "], "empty_option")],
)
def test_proposal_options_are_checked(options: list[str], code: str) -> None:
    with pytest.raises(BallotError) as caught:
        validate_options(options)

    assert caught.value.code == code


# --- Decision rules: consent examples --------------------------------------------------------


def consent(agree: int = 0, abstain: int = 0, object: int = 0, block: int = 0) -> Any:
    stances = (
        [("agree", "")] * agree
        + [("abstain", "")] * abstain
        + [("object", "too soon")] * object
        + [("block", "breaks the contract")] * block
    )
    return tally_consent(stances)


def test_consent_passes_with_objections_but_no_blocks() -> None:
    verdict = evaluate(DecisionRule(Rule.NO_BLOCKS), consent(agree=4, object=1), 6)

    assert verdict.outcome is Outcome.PASSED
    assert verdict.explanation == "Passed with no blocks (4 agree, 0 abstain, 1 object, 0 block)."


def test_one_block_fails_a_consent_proposal() -> None:
    verdict = evaluate(DecisionRule(Rule.NO_BLOCKS), consent(agree=9, block=1), 10)

    assert verdict.outcome is Outcome.FAILED
    assert verdict.explanation.startswith("Failed: 1 block")


def test_silence_is_consent_unless_a_quorum_is_set() -> None:
    assert evaluate(DecisionRule(Rule.NO_BLOCKS), consent(), 8).outcome is Outcome.PASSED
    assert evaluate(DecisionRule(Rule.NO_BLOCKS, 25), consent(), 8).outcome is Outcome.NO_QUORUM


def test_majority_of_votes_cast_leaves_abstentions_out() -> None:
    rule = DecisionRule(Rule.MAJORITY)

    assert evaluate(rule, consent(agree=3, abstain=5, object=2), 10).outcome is Outcome.PASSED
    assert evaluate(rule, consent(agree=2, abstain=5, object=1, block=1), 9).outcome is (
        Outcome.FAILED
    )


def test_the_owner_decides_after_hearing_advice() -> None:
    tally = consent(agree=2, abstain=1, object=1)

    verdict = evaluate(DecisionRule(Rule.OWNER_DECIDES), tally, 5)

    assert verdict.outcome is Outcome.OWNER_DECIDES
    assert verdict.explanation == (
        "The owner decides after hearing advice. 2 agree, 1 abstain, 1 object, 0 block."
    )
    assert tally.reasons == {Position.OBJECT: ("too soon",), Position.BLOCK: ()}


def test_quorum_is_a_share_of_participants_checked_first() -> None:
    rule = DecisionRule(Rule.NO_BLOCKS, quorum_percent=50)

    assert evaluate(rule, consent(agree=5), 10).outcome is Outcome.PASSED
    verdict = evaluate(rule, consent(agree=4), 10)
    assert verdict.outcome is Outcome.NO_QUORUM
    assert verdict.explanation == (
        "No quorum: 4 of 10 participants gave a valid stance; 50 % (5) were needed."
    )


def test_a_poll_with_a_majority_passes_naming_the_option() -> None:
    tally = tally_single(list("AB"), ["A", "A", "B"], seed=SEED)

    verdict = evaluate(DecisionRule(Rule.MAJORITY), tally, 3, labels={"A": "Ship it"})

    assert verdict.outcome is Outcome.PASSED
    assert verdict.option == "A"
    assert verdict.explanation == "Passed: “Ship it” has a majority, 2 of 3 ballots."


def test_a_plurality_is_not_a_majority() -> None:
    tally = tally_single(list("ABC"), ["A", "A", "B", "C"], seed=SEED)

    assert evaluate(DecisionRule(Rule.MAJORITY), tally, 4).outcome is Outcome.FAILED


def test_ranked_majority_is_the_instant_runoff_winner() -> None:
    tally = tally_ranked(TENNESSEE_OPTIONS, TENNESSEE, seed=SEED)

    verdict = evaluate(DecisionRule(Rule.MAJORITY), tally, 100)

    assert verdict.option == K
    assert "round 3 with 58 of the 100 ballots still in the count" in verdict.explanation


def test_rules_that_do_not_fit_the_kind_are_refused() -> None:
    with pytest.raises(ValueError, match="does not apply"):
        evaluate(DecisionRule(Rule.NO_BLOCKS), tally_ranked(list("AB"), [("A",)], seed=SEED), 1)
    with pytest.raises(ValueError, match="quorum"):
        DecisionRule(Rule.MAJORITY, quorum_percent=0)


def test_score_and_dot_summaries_for_the_owner() -> None:
    scores = tally_scores(list("AB"), [{"A": 4, "B": 1}, {"A": 2}], maximum=5, seed=SEED)
    dots = tally_dots(list("AB"), [{"A": 3, "B": 7}, {"B": 2}], budget=10, seed=SEED)

    assert summary(scores) == "Highest score: “A” with a mean of 3.00 out of 5 on 2 ballots."
    assert summary(dots) == "Most points: “B” with 9 of 12 spent on 2 ballots."
    assert scores.means == {"A": 3.0, "B": 0.5}


# --- Properties the issue asks for -----------------------------------------------------------


@PROPERTY
@given(data=st.data(), election=elections(min_ballots=0), seed=seeds)
def test_irv_with_a_majority_first_choice_returns_that_winner(
    data: st.DataObject, election: tuple[list[str], list[Ranking]], seed: str
) -> None:
    options, others = election
    favourite = data.draw(st.sampled_from(options))
    rest = [o for o in options if o != favourite]
    majority = data.draw(
        st.lists(
            st.permutations(rest).map(lambda r: (favourite, *r)),
            min_size=len(others) + 1,
            max_size=len(others) + 3,
        )
    )

    result = tally_irv(options, data.draw(st.permutations(others + majority)), seed=seed)

    assert result.winner == favourite
    assert len(result.rounds) == 1


@PROPERTY
@given(data=st.data(), election=elections(), seed=seeds)
def test_borda_totals_do_not_depend_on_ballot_order(
    data: st.DataObject, election: tuple[list[str], list[Ranking]], seed: str
) -> None:
    options, ballots = election
    shuffled = data.draw(st.permutations(ballots))

    assert tally_borda(options, shuffled, seed=seed) == tally_borda(options, ballots, seed=seed)


@PROPERTY
@given(data=st.data(), election=elections(), seed=seeds)
def test_ranking_the_borda_winner_first_never_makes_them_lose(
    data: st.DataObject, election: tuple[list[str], list[Ranking]], seed: str
) -> None:
    options, ballots = election
    winner = tally_borda(options, ballots, seed=seed).winner
    assert winner is not None
    tail = data.draw(rankings_of(options).map(lambda r: tuple(o for o in r if o != winner)))

    after = tally_borda(options, [*ballots, (winner, *tail)], seed=seed)

    assert after.winner == winner


@PROPERTY
@given(data=st.data(), election=elections(), seed=seeds)
def test_removing_a_losing_option_nobody_ranked_first_keeps_the_irv_winner(
    data: st.DataObject, election: tuple[list[str], list[Ranking]], seed: str
) -> None:
    options, ballots = election
    winner = tally_irv(options, ballots, seed=seed).winner
    firsts = {b[0] for b in ballots}
    removable = [o for o in options if o not in firsts and o != winner]
    assume(removable and len(options) > 2)
    gone = data.draw(st.sampled_from(removable))

    after = tally_irv(
        [o for o in options if o != gone],
        [tuple(o for o in b if o != gone) for b in ballots],
        seed=seed,
    )

    assert after.winner == winner


@PROPERTY
@given(election=messy_rankings(), seed=seeds)
def test_ranked_totals_equal_the_number_of_valid_ballots(
    election: tuple[list[str], list[list[str]]], seed: str
) -> None:
    options, ballots = election
    accepted = [b for b in ballots if valid(validate_ranking, options, b)]

    result = tally_ranked(options, ballots, seed=seed)

    assert result.ballots == result.irv.ballots == result.borda.ballots == len(accepted)
    assert result.invalid == len(ballots) - len(accepted)
    assert sum(result.borda.first_preferences.values()) == len(accepted)
    assert sum(result.borda.points.values()) == sum(len(b) * (len(b) + 1) // 2 for b in accepted)
    assert bool(result.irv.rounds) == bool(accepted)
    assert all(sum(r.counts.values()) == len(accepted) for r in result.irv.rounds[:1])


@PROPERTY
@given(
    options=option_lists,
    choices=st.lists(st.sampled_from([*POOL, "Z"]), max_size=30),
    seed=seeds,
)
def test_single_choice_totals_equal_the_number_of_valid_ballots(
    options: list[str], choices: list[str], seed: str
) -> None:
    accepted = [c for c in choices if c in options]

    result = tally_single(options, choices, seed=seed)

    assert result.ballots == sum(result.counts.values()) == len(accepted)
    assert result.invalid == len(choices) - len(accepted)
    assert result.counts == {o: accepted.count(o) for o in options}


@PROPERTY
@given(election=messy_rankings(), maximum=st.integers(1, 4), seed=seeds)
def test_multiple_choice_totals_equal_the_choices_on_valid_ballots(
    election: tuple[list[str], list[list[str]]], maximum: int, seed: str
) -> None:
    options, ballots = election
    accepted = [b for b in ballots if valid(validate_choices, options, b, maximum=maximum)]

    result = tally_multiple(options, ballots, maximum=maximum, seed=seed)

    assert result.ballots == len(accepted)
    assert result.invalid == len(ballots) - len(accepted)
    assert sum(result.counts.values()) == sum(map(len, accepted))


@PROPERTY
@given(
    stances=st.lists(
        st.tuples(
            st.sampled_from(["agree", "abstain", "object", "block", "maybe"]),
            st.sampled_from(["", "a reason"]),
        ),
        max_size=30,
    )
)
def test_consent_totals_equal_the_number_of_valid_stances(stances: list[tuple[str, str]]) -> None:
    accepted = [s for s in stances if valid(validate_consent, *s)]

    result = tally_consent(stances)

    assert result.ballots == sum(result.counts.values()) == len(accepted)
    assert result.invalid == len(stances) - len(accepted)
    assert len(result.reasons[Position.BLOCK]) == result.counts[Position.BLOCK]


score_ballots = st.lists(
    st.dictionaries(st.sampled_from([*POOL, "Z"]), st.integers(-1, 6), max_size=4), max_size=25
)


@PROPERTY
@given(options=option_lists, ballots=score_ballots, maximum=st.integers(1, 5), seed=seeds)
def test_score_totals_and_means_are_the_sums_over_valid_ballots(
    options: list[str], ballots: list[dict[str, int]], maximum: int, seed: str
) -> None:
    accepted = [b for b in ballots if valid(validate_scores, options, b, maximum=maximum)]

    result = tally_scores(options, ballots, maximum=maximum, seed=seed)

    assert result.ballots == len(accepted)
    assert result.invalid == len(ballots) - len(accepted)
    assert result.totals == {o: sum(b.get(o, 0) for b in accepted) for o in options}
    assert result.means == {o: result.totals[o] / max(1, len(accepted)) for o in options}


@PROPERTY
@given(options=option_lists, ballots=score_ballots, budget=st.integers(1, 12), seed=seeds)
def test_dot_totals_are_the_sums_over_valid_ballots_within_budget(
    options: list[str], ballots: list[dict[str, int]], budget: int, seed: str
) -> None:
    accepted = [b for b in ballots if valid(validate_dots, options, b, budget=budget)]

    result = tally_dots(options, ballots, budget=budget, seed=seed)

    assert result.ballots == len(accepted)
    assert result.totals == {o: sum(b.get(o, 0) for b in accepted) for o in options}
    assert result.spent == sum(result.totals.values()) <= budget * len(accepted)


# --- Properties of the instant-runoff rounds -------------------------------------------------


@PROPERTY
@given(election=elections(), seed=seeds)
def test_each_round_counts_every_ballot_not_yet_exhausted(
    election: tuple[list[str], list[Ranking]], seed: str
) -> None:
    options, ballots = election

    rounds = tally_irv(options, ballots, seed=seed).rounds

    assert all(sum(r.counts.values()) + r.exhausted == len(ballots) for r in rounds)
    assert [r.exhausted for r in rounds] == sorted(r.exhausted for r in rounds)
    assert [r.number for r in rounds] == list(range(1, len(rounds) + 1))
    assert len(rounds) <= len(options)


@PROPERTY
@given(election=elections(), seed=seeds)
def test_eliminated_options_never_reappear(
    election: tuple[list[str], list[Ranking]], seed: str
) -> None:
    options, ballots = election

    rounds = tally_irv(options, ballots, seed=seed).rounds

    assert all(
        set(later.counts) == set(r.counts) - set(r.eliminated) for r, later in pairwise(rounds)
    )
    eliminated = [o for r in rounds for o in r.eliminated]
    assert len(eliminated) == len(set(eliminated))
    assert all(
        not set(r.eliminated) & set(later.counts)
        for i, r in enumerate(rounds)
        for later in rounds[i + 1 :]
    )


@PROPERTY
@given(election=elections(), seed=seeds)
def test_each_round_eliminates_the_fewest_until_one_option_has_a_majority(
    election: tuple[list[str], list[Ranking]], seed: str
) -> None:
    options, ballots = election

    result = tally_irv(options, ballots, seed=seed)

    *losing, last = result.rounds
    assert all(max(r.counts.values()) * 2 <= sum(r.counts.values()) for r in losing)
    assert all(r.counts[o] == min(r.counts.values()) for r in losing for o in r.eliminated)
    assert all(len(r.eliminated) == 1 for r in losing if r.tied)
    assert all(r.winner is None and r.eliminated for r in losing)
    assert last.winner is not None
    assert last.winner == result.winner
    assert last.counts[last.winner] * 2 > sum(last.counts.values()) or len(last.counts) == 1


@PROPERTY
@given(data=st.data(), election=elections(), seed=seeds)
def test_instant_runoff_does_not_depend_on_ballot_order(
    data: st.DataObject, election: tuple[list[str], list[Ranking]], seed: str
) -> None:
    options, ballots = election
    shuffled = data.draw(st.permutations(ballots))

    assert tally_irv(options, shuffled, seed=seed) == tally_irv(options, ballots, seed=seed)


@PROPERTY
@given(election=elections(), seed=seeds)
def test_tally_ranked_is_both_counts_from_one_pass(
    election: tuple[list[str], list[Ranking]], seed: str
) -> None:
    options, ballots = election

    both = tally_ranked(options, ballots, seed=seed)

    assert both.irv == tally_irv(options, ballots, seed=seed)
    assert both.borda == tally_borda(options, ballots, seed=seed)
    assert both.winner == both.irv.winner


@PROPERTY
@given(data=st.data(), options=option_lists, seed=seeds)
def test_complete_rankings_score_as_the_classic_borda_count_plus_one_per_ballot(
    data: st.DataObject, options: list[str], seed: str
) -> None:
    ballots = data.draw(st.lists(st.permutations(options).map(tuple), min_size=1, max_size=30))
    n = len(options)
    classic = {o: sum(n - 1 - b.index(o) for b in ballots) for o in options}

    result = tally_borda(options, ballots, seed=seed)

    assert result.points == {o: classic[o] + len(ballots) for o in options}


@PROPERTY
@given(data=st.data(), options=option_lists, seed=seeds)
def test_removing_an_option_leaves_the_draw_of_the_others_alone(
    data: st.DataObject, options: list[str], seed: str
) -> None:
    gone = data.draw(st.sampled_from(options))

    remaining = draw_order([o for o in options if o != gone], seed)

    assert remaining == tuple(o for o in draw_order(options, seed) if o != gone)


@PROPERTY
@given(
    counts=st.tuples(*[st.integers(0, 6)] * 4),
    participants=st.integers(0, 40),
    quorum=st.none() | st.integers(1, 100),
    rule=st.sampled_from(list(Rule)),
)
def test_consent_verdicts_follow_the_stated_rule(
    counts: tuple[int, int, int, int], participants: int, quorum: int | None, rule: Rule
) -> None:
    agree, abstain, objections, blocks = counts
    tally = consent(agree, abstain, objections, blocks)
    quorum_met = quorum is None or sum(counts) * 100 >= quorum * participants
    expected = {
        Rule.OWNER_DECIDES: Outcome.OWNER_DECIDES,
        Rule.NO_BLOCKS: Outcome.FAILED if blocks else Outcome.PASSED,
        Rule.MAJORITY: (
            Outcome.PASSED if agree * 2 > agree + objections + blocks else Outcome.FAILED
        ),
    }[rule]

    verdict = evaluate(DecisionRule(rule, quorum), tally, participants)

    assert verdict.outcome is (expected if quorum_met else Outcome.NO_QUORUM)
