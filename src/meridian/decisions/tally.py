"""Tallying decisions: plain data in, plain data out, no ORM and no Django.

The decisions area stores stances; to show a running tally and to close a proposal it hands
them here as plain Python values and snapshots what comes back into the decision record. Every
result is a frozen dataclass, so ``dataclasses.asdict(result)`` is ready for JSON.

Options are strings (the proposal's option ids), passed in the proposal's own order. Each kind
of proposal has a validator, called when a member gives a stance, which raises
:class:`BallotError` (a 422 naming the field and the problem, with a machine-readable ``code``
and ``params``), and a tally, which counts the valid ballots and reports how many were not
valid (``invalid``) instead of raising, so that closing a proposal never fails on one bad stored
stance. A tally counts exactly the ballots its validator accepts.

Kinds
-----
* consent/advice: agree, abstain, object or block; a reason is required to object or block.
* single choice: one option.
* multiple choice: one to ``maximum`` different options.
* ranked choice: one or more different options in order of preference (a partial ranking is
  fine), tallied by instant-runoff and by a Borda count.
* score: a whole number from 0 to ``maximum`` per option; an option left out scores 0.
* dot vote: whole, non-negative points spread over the options, at most ``budget`` in all.

Ranked choice
-------------
Instant-runoff (IRV): each round counts every ballot for its highest-ranked option still in the
count. An option with more than half of the ballots still in the count (the exhausted ones left
out), or the last option standing, wins. Otherwise the option with the fewest votes is
eliminated (all options with no votes at all go together: they hold no ballots, so nothing
changes hands) and its ballots pass to their next choice still in the count; a ballot with no
choice left is *exhausted*. Every round is returned: the count per option, the exhausted
ballots, and who was eliminated and why.

Borda count, the *modified* Borda count: a ballot that ranks ``m`` options gives ``m`` points to
its first choice, ``m - 1`` to its second, and so on down to 1 point for its last; unranked
options get nothing. With complete rankings it orders options exactly as the classic
``n - 1 … 0`` count does (each option simply gets one more point per ballot). With partial
rankings it removes the classic count's reward for truncating: ranking more options never
shrinks your first choice's lead over any other option, so members have no reason to rank only
their favourite.

Ties (:data:`TIE_BREAK_RULES`, shown on the proposal page)
----------------------------------------------------------
Ties are broken deterministically, never by a random draw at tally time. The last resort is a
*draw of lots* fixed by a seed that the proposal records when it opens (and the decision record
shows): each option's lot is the SHA-256 of ``"<seed>:<option id>"`` and options are drawn in
ascending order of their lots (:func:`draw_order`). An option's lot depends on nothing but the
seed and its own id, so adding or removing other options never reorders the rest.

* IRV elimination: among options tied on the fewest votes, the one with fewer votes in the
  previous round is eliminated, looking further back round by round to the first preferences;
  if they were level in every round, the one drawn last is eliminated. Borda points are
  deliberately not used here: they would let an option nobody ranked first change who wins.
* Borda: among options tied on points, the one ranked first on more ballots wins; then the draw.
* single choice, multiple choice, score and dot vote: the draw.

Decision rules
--------------
:func:`evaluate` applies the rule stated before the proposal opened: the optional quorum (a
percentage of participants who must give a valid stance) is checked first, whatever the rule;
then "the owner decides after hearing advice" (no automatic outcome, an advice summary),
"passes with no blocks" (consent only; silence is consent unless a quorum is set) or
"majority of votes cast" (abstentions are not votes cast; for ranked choice, the IRV winner).
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from itertools import chain, compress, groupby, repeat

from meridian.core.errors import ValidationFailed

__all__ = [
    "BORDA_RULE",
    "DRAW_OF_LOTS",
    "RULES_FOR_KIND",
    "TIE_BREAK_RULES",
    "BallotError",
    "BordaResult",
    "ChoiceTally",
    "ConsentTally",
    "DecisionRule",
    "DotTally",
    "IrvResult",
    "IrvRound",
    "Kind",
    "Outcome",
    "Position",
    "RankedTally",
    "Rule",
    "ScoreTally",
    "Tally",
    "Verdict",
    "draw_order",
    "evaluate",
    "summary",
    "tally_borda",
    "tally_consent",
    "tally_dots",
    "tally_irv",
    "tally_multiple",
    "tally_ranked",
    "tally_scores",
    "tally_single",
    "validate_choice",
    "validate_choices",
    "validate_consent",
    "validate_dots",
    "validate_options",
    "validate_ranking",
    "validate_scores",
]


class Kind(StrEnum):
    """How a proposal asks for positions, which fixes its ballot and its tally."""

    CONSENT = "consent"
    SINGLE = "single"
    MULTIPLE = "multiple"
    RANKED = "ranked"
    SCORE = "score"
    DOT = "dot"


class Position(StrEnum):
    """A member's stance on a consent/advice proposal."""

    AGREE = "agree"
    ABSTAIN = "abstain"
    OBJECT = "object"
    BLOCK = "block"


class Rule(StrEnum):
    """The decision rule stated before a proposal opens."""

    OWNER_DECIDES = "owner_decides"
    NO_BLOCKS = "no_blocks"
    MAJORITY = "majority"


class Outcome(StrEnum):
    """What the decision rule says once the tally is in."""

    PASSED = "passed"
    FAILED = "failed"
    NO_QUORUM = "no_quorum"
    OWNER_DECIDES = "owner_decides"


RULES_FOR_KIND: Mapping[Kind, tuple[Rule, ...]] = {
    Kind.CONSENT: (Rule.OWNER_DECIDES, Rule.NO_BLOCKS, Rule.MAJORITY),
    Kind.SINGLE: (Rule.OWNER_DECIDES, Rule.MAJORITY),
    Kind.MULTIPLE: (Rule.OWNER_DECIDES, Rule.MAJORITY),
    Kind.RANKED: (Rule.OWNER_DECIDES, Rule.MAJORITY),
    Kind.SCORE: (Rule.OWNER_DECIDES,),
    Kind.DOT: (Rule.OWNER_DECIDES,),
}
"""The rules a proposal of each kind may state (the form offers only these)."""

DRAW_OF_LOTS = (
    "Lots are drawn when the proposal opens: each option's lot is the SHA-256 hash of the "
    "proposal's recorded seed, a colon and the option's id, and options are drawn in ascending "
    "order of their lots. The seed is printed in the decision record, so anyone can check the draw."
)
"""How the draw of lots works, for the page and the decision record."""

BORDA_RULE = (
    "Modified Borda count: a ballot that ranks m options gives m points to its first choice, "
    "m − 1 to its second, and so on down to 1 point for its last; options it does not rank get "
    "no points. Ranking more options never weakens your first choice."
)
"""The Borda variant, for the page and the decision record."""

_LOTS = "the draw of lots decides."
TIE_BREAK_RULES: Mapping[Kind, str] = {
    Kind.CONSENT: "Consent has no ties to break: the decision rule reads the counts directly.",
    Kind.SINGLE: "If options share the most votes, " + _LOTS,
    Kind.MULTIPLE: "If options share the most votes, " + _LOTS,
    Kind.RANKED: (
        "Instant-runoff: if options share the fewest votes in a round, the one with fewer votes "
        "in the round before is eliminated, looking further back round by round to the first "
        "preferences; if they were level in every round, the option drawn last is eliminated. "
        "Options without any votes are eliminated together. Borda count: if options share the "
        "most points, the one ranked first on more ballots wins; if still level, " + _LOTS
    ),
    Kind.SCORE: "If options share the highest total score, " + _LOTS,
    Kind.DOT: "If options share the most points, " + _LOTS,
}
"""The tie-break rule of each kind, written on the proposal page and in the decision record."""


# --- Errors ----------------------------------------------------------------------------------


class BallotError(ValidationFailed):
    """A stance the proposal cannot accept, naming the field and the problem (HTTP 422)."""

    def __init__(
        self,
        field: str,
        message: str,
        *,
        code: str,
        params: Mapping[str, object] | None = None,
    ) -> None:
        super().__init__(message, {field: [message]})
        self.field_name = field  # `field` is MeridianError.field, the constructor
        self.message = message
        self.code = code
        self.params: dict[str, object] = dict(params or {})


def _unknown(field: str, option: object) -> BallotError:
    return BallotError(
        field,
        f"{option!r} is not one of this proposal's options.",
        code="unknown_option",
        params={"option": option},
    )


# --- Results ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ConsentTally:
    """The stances on a consent/advice proposal, with the reasons given for objections and blocks."""

    counts: dict[Position, int]
    reasons: dict[Position, tuple[str, ...]]
    ballots: int
    invalid: int
    kind: Kind = Kind.CONSENT


@dataclass(frozen=True)
class ChoiceTally:
    """Votes per option of a single- or multiple-choice poll, most votes first in ``order``."""

    counts: dict[str, int]
    order: tuple[str, ...]
    winner: str | None
    tied: tuple[str, ...]
    ballots: int
    invalid: int
    kind: Kind = Kind.SINGLE


@dataclass(frozen=True)
class IrvRound:
    """One round of an instant-runoff count, as the page shows it."""

    number: int  # from 1
    counts: dict[str, int]  # votes of each option still in the count at the start of the round
    exhausted: int  # ballots without a choice left in the count, so far
    eliminated: tuple[str, ...]  # one option, or every option without votes; () in the last round
    winner: str | None  # set in the last round only
    tied: tuple[str, ...] = ()  # the options that shared the fewest votes, when a tie was broken
    tie_break: str = ""  # what broke it: "round <n>" (an earlier round's count) or "lots"


@dataclass(frozen=True)
class IrvResult:
    """An instant-runoff count: every round, and the winner (none only without valid ballots)."""

    winner: str | None
    rounds: tuple[IrvRound, ...]
    ballots: int
    invalid: int


@dataclass(frozen=True)
class BordaResult:
    """A modified Borda count: points and first preferences per option, most points first."""

    points: dict[str, int]
    first_preferences: dict[str, int]
    order: tuple[str, ...]
    winner: str | None
    tied: tuple[str, ...]
    ballots: int
    invalid: int


@dataclass(frozen=True)
class RankedTally:
    """A ranked-choice poll counted both ways; the instant-runoff winner is the poll's result."""

    irv: IrvResult
    borda: BordaResult
    ballots: int
    invalid: int
    kind: Kind = Kind.RANKED

    @property
    def winner(self) -> str | None:
        """The option the ranked-choice poll chose: the instant-runoff winner."""
        return self.irv.winner


@dataclass(frozen=True)
class ScoreTally:
    """Total and mean score per option of a score poll, highest total first in ``order``."""

    totals: dict[str, int]
    means: dict[str, float]
    order: tuple[str, ...]
    winner: str | None
    tied: tuple[str, ...]
    maximum: int
    ballots: int
    invalid: int
    kind: Kind = Kind.SCORE


@dataclass(frozen=True)
class DotTally:
    """Points per option of a dot vote, most points first in ``order``."""

    totals: dict[str, int]
    order: tuple[str, ...]
    winner: str | None
    tied: tuple[str, ...]
    budget: int
    spent: int
    ballots: int
    invalid: int
    kind: Kind = Kind.DOT


Tally = ConsentTally | ChoiceTally | RankedTally | ScoreTally | DotTally


@dataclass(frozen=True)
class DecisionRule:
    """The rule a proposal states before it opens, with an optional quorum in % of participants."""

    rule: Rule
    quorum_percent: int | None = None

    def __post_init__(self) -> None:
        if self.quorum_percent is not None and not 1 <= self.quorum_percent <= 100:
            raise ValueError(f"A quorum is 1-100 % of participants, not {self.quorum_percent}.")


@dataclass(frozen=True)
class Verdict:
    """What the decision rule makes of a tally, in words the page can show as they are."""

    outcome: Outcome
    explanation: str
    option: str | None = None


# --- Options and the draw of lots ------------------------------------------------------------


def _index(options: Sequence[str]) -> dict[str, int]:
    index = {option: i for i, option in enumerate(options)}
    if not options or len(index) != len(options):
        raise ValueError("A tally needs at least one option and no option twice.")
    return index


def validate_options(options: Sequence[str], *, minimum: int = 2) -> tuple[str, ...]:
    """Check a proposal's options when it is drafted: enough of them, none empty or repeated."""
    seen: set[str] = set()
    for option in options:
        if not option.strip():
            raise BallotError("options", "An option cannot be empty.", code="empty_option")
        if option in seen:
            raise BallotError(
                "options",
                f"{option!r} is listed more than once.",
                code="duplicate_option",
                params={"option": option},
            )
        seen.add(option)
    if len(options) < minimum:
        raise BallotError(
            "options",
            f"Give at least {minimum} options.",
            code="too_few_options",
            params={"minimum": minimum},
        )
    return tuple(options)


def _lot(seed: str, option: str) -> str:
    return hashlib.sha256(f"{seed}:{option}".encode()).hexdigest()


def draw_order(options: Sequence[str], seed: str) -> tuple[str, ...]:
    """The options in the order the proposal's recorded draw of lots ranks them, first drawn first."""
    return tuple(sorted(options, key=lambda option: (_lot(seed, option), option)))


def _draw_ranks(options: Sequence[str], seed: str) -> list[int]:
    """Each option's place in the draw (by option index): lower is drawn earlier."""
    place = {option: i for i, option in enumerate(draw_order(options, seed))}
    return [place[option] for option in options]


def _ranked(
    options: Sequence[str], values: Sequence[int], draw: Sequence[int], *extra: Sequence[int]
) -> tuple[tuple[str, ...], str | None, tuple[str, ...]]:
    """Order options by ``values`` (then ``extra`` keys, then the draw), with winner and top tie."""

    def key(i: int) -> tuple[int, ...]:
        return (-values[i], *(-e[i] for e in extra), draw[i])

    order = sorted(range(len(options)), key=key)
    top = values[order[0]]
    if top <= 0:
        return tuple(options[i] for i in order), None, ()
    tied = tuple(options[i] for i in order if values[i] == top)
    return tuple(options[i] for i in order), options[order[0]], tied if len(tied) > 1 else ()


# --- Consent / advice ------------------------------------------------------------------------


def validate_consent(position: str, reason: str | None = "") -> tuple[Position, str]:
    """Check a consent/advice stance: a known position, and a reason to object or block."""
    try:
        chosen = Position(position)
    except ValueError:
        raise BallotError(
            "position",
            f"{position!r} is not a position; choose agree, abstain, object or block.",
            code="unknown_position",
            params={"position": position},
        ) from None
    reason = (reason or "").strip()
    if chosen in (Position.OBJECT, Position.BLOCK) and not reason:
        raise BallotError(
            "reason",
            f"Give a reason to {chosen.value}.",
            code="reason_required",
            params={"position": chosen.value},
        )
    return chosen, reason


def tally_consent(stances: Iterable[tuple[str, str | None]]) -> ConsentTally:
    """Count consent/advice stances given as ``(position, reason)`` pairs."""
    counts = dict.fromkeys(Position, 0)
    reasons: dict[Position, list[str]] = {Position.OBJECT: [], Position.BLOCK: []}
    invalid = 0
    for position, reason in stances:
        try:
            chosen, text = validate_consent(position, reason)
        except BallotError:
            invalid += 1
            continue
        counts[chosen] += 1
        if chosen in reasons:
            reasons[chosen].append(text)
    return ConsentTally(
        counts=counts,
        reasons={p: tuple(r) for p, r in reasons.items()},
        ballots=sum(counts.values()),
        invalid=invalid,
    )


# --- Single and multiple choice --------------------------------------------------------------


def validate_choice(options: Sequence[str], choice: str) -> str:
    """Check a single-choice stance: one of the proposal's options."""
    if choice not in _index(options):
        raise _unknown("choice", choice)
    return choice


def validate_choices(
    options: Sequence[str], choices: Sequence[str], *, maximum: int
) -> tuple[str, ...]:
    """Check a multiple-choice stance: one to ``maximum`` different options of the proposal."""
    index = _index(options)
    if not choices:
        raise BallotError("choices", "Choose at least one option.", code="empty")
    seen: set[str] = set()
    for choice in choices:
        if choice not in index:
            raise _unknown("choices", choice)
        if choice in seen:
            raise BallotError(
                "choices",
                f"{choice!r} is chosen more than once.",
                code="duplicate_option",
                params={"option": choice},
            )
        seen.add(choice)
    if len(choices) > maximum:
        raise BallotError(
            "choices",
            f"Choose at most {maximum} options; {len(choices)} were chosen.",
            code="too_many_choices",
            params={"maximum": maximum, "given": len(choices)},
        )
    return tuple(choices)


def tally_single(options: Sequence[str], choices: Iterable[str], *, seed: str) -> ChoiceTally:
    """Count a single-choice poll: one vote per ballot for the option it names."""
    index = _index(options)
    counts = [0] * len(options)
    invalid = 0
    for choice, n in Counter(choices).items():
        i = index.get(choice)
        if i is None:
            invalid += n
        else:
            counts[i] += n
    order, winner, tied = _ranked(options, counts, _draw_ranks(options, seed))
    return ChoiceTally(
        counts=dict(zip(options, counts, strict=True)),
        order=order,
        winner=winner,
        tied=tied,
        ballots=sum(counts),
        invalid=invalid,
        kind=Kind.SINGLE,
    )


def tally_multiple(
    options: Sequence[str], ballots: Iterable[Sequence[str]], *, maximum: int, seed: str
) -> ChoiceTally:
    """Count a multiple-choice poll: one vote for each option a ballot chooses."""
    index = _index(options)
    counts = [0] * len(options)
    valid = invalid = 0
    for ballot, n in Counter(map(tuple, ballots)).items():
        try:
            chosen = validate_choices(options, ballot, maximum=maximum)
        except BallotError:
            invalid += n
            continue
        valid += n
        for choice in chosen:
            counts[index[choice]] += n
    order, winner, tied = _ranked(options, counts, _draw_ranks(options, seed))
    return ChoiceTally(
        counts=dict(zip(options, counts, strict=True)),
        order=order,
        winner=winner,
        tied=tied,
        ballots=valid,
        invalid=invalid,
        kind=Kind.MULTIPLE,
    )


# --- Ranked choice ---------------------------------------------------------------------------


def validate_ranking(options: Sequence[str], ranking: Sequence[str]) -> tuple[str, ...]:
    """Check a ranked-choice stance: one or more different options of the proposal, best first."""
    index = _index(options)
    if not ranking:
        raise BallotError("ranking", "Rank at least one option.", code="empty")
    seen: set[str] = set()
    for option in ranking:
        if option not in index:
            raise _unknown("ranking", option)
        if option in seen:
            raise BallotError(
                "ranking",
                f"{option!r} is ranked more than once.",
                code="duplicate_option",
                params={"option": option},
            )
        seen.add(option)
    return tuple(ranking)


@dataclass
class _Ballots:
    """Valid rankings as tuples of option indices, identical ones grouped with their weight."""

    distinct: list[tuple[int, ...]]  # grouped by length, shortest first
    weights: list[int]
    valid: int
    invalid: int
    # Per length: (length, the group's rankings end to end, the first index in ``distinct``).
    columns: list[tuple[int, list[int], int]]


def _prepare(options: Sequence[str], ballots: Iterable[Sequence[str]]) -> _Ballots:
    """Group identical rankings, turn them into option indices and set the invalid ones aside.

    The checks are validate_ranking's, made once per distinct ranking and, for rankings of one
    length at a time, in bulk (map, zip and set run in C); a group holding an unknown option
    falls back to one ranking at a time.
    """
    index = _index(options)
    get, known = index.__getitem__, index.__contains__
    groups = Counter(map(tuple, ballots))
    distinct: list[tuple[int, ...]] = []
    kept: list[tuple[str, ...]] = []
    columns: list[tuple[int, list[int], int]] = []
    for length, same in groupby(sorted(groups, key=len), key=len):
        ballots_of_length = list(same)
        if not length:
            continue
        try:
            flat = list(map(get, chain.from_iterable(ballots_of_length)))
        except KeyError:
            ballots_of_length = [b for b in ballots_of_length if all(map(known, b))]
            flat = list(map(get, chain.from_iterable(ballots_of_length)))
        rankings = list(zip(*[iter(flat)] * length, strict=True))
        no_repeats = list(map(length.__eq__, map(len, map(set, rankings))))
        if not all(no_repeats):
            rankings = list(compress(rankings, no_repeats))
            ballots_of_length = list(compress(ballots_of_length, no_repeats))
            flat = list(chain.from_iterable(rankings))
        columns.append((length, flat, len(distinct)))
        distinct.extend(rankings)
        kept.extend(ballots_of_length)
    weights = list(map(groups.__getitem__, kept))
    valid = sum(weights)
    return _Ballots(distinct, weights, valid, groups.total() - valid, columns)


def _irv(options: Sequence[str], data: _Ballots, draw: Sequence[int]) -> IrvResult:
    """Instant-runoff over prepared ballots: each ballot keeps a pointer to its current choice."""
    n = len(options)
    distinct, weights = data.distinct, data.weights
    if not data.valid:
        return IrvResult(winner=None, rounds=(), ballots=0, invalid=data.invalid)
    alive = [True] * n
    counts = [0] * n
    piles: list[list[int]] = [[] for _ in range(n)]  # which distinct ballots sit with each option
    for k, ranking in enumerate(distinct):
        first = ranking[0]
        piles[first].append(k)
        counts[first] += weights[k]
    pointer = [0] * len(distinct)
    continuing = list(range(n))
    exhausted = 0
    history: list[list[int]] = []
    rounds: list[IrvRound] = []
    winner: int | None = None
    while True:
        history.append(counts.copy())
        in_count = data.valid - exhausted
        shown = {options[o]: counts[o] for o in continuing}
        top = max(continuing, key=lambda o: (counts[o], -draw[o]))
        if in_count == 0:  # cannot happen (options with votes outlast those without); be safe
            rounds.append(IrvRound(len(history), shown, exhausted, (), None))
            break
        if counts[top] * 2 > in_count or len(continuing) == 1:
            winner = top
            rounds.append(IrvRound(len(history), shown, exhausted, (), options[top]))
            break
        fewest = min(counts[o] for o in continuing)
        lowest = [o for o in continuing if counts[o] == fewest]
        tied: tuple[str, ...] = ()
        how = ""
        if fewest > 0 and len(lowest) > 1:
            tied = tuple(options[o] for o in lowest)
            out, how = _irv_tie_break(lowest, history, draw)
            lowest = [out]
        rounds.append(
            IrvRound(
                len(history),
                shown,
                exhausted,
                tuple(options[o] for o in lowest),
                None,
                tied,
                how,
            )
        )
        for o in lowest:
            alive[o] = False
        continuing = [o for o in continuing if alive[o]]
        # Only the eliminated options' ballots move, and a ballot's pointer only moves forward,
        # so all rounds together cost one pass over the rankings, not a rescan per round.
        for o in lowest:
            pile, piles[o], counts[o] = piles[o], [], 0
            for k in pile:
                ranking = distinct[k]
                p = pointer[k] + 1
                end = len(ranking)
                while p < end and not alive[ranking[p]]:
                    p += 1
                if p < end:
                    pointer[k] = p
                    nxt = ranking[p]
                    piles[nxt].append(k)
                    counts[nxt] += weights[k]
                else:
                    exhausted += weights[k]
    return IrvResult(
        winner=None if winner is None else options[winner],
        rounds=tuple(rounds),
        ballots=data.valid,
        invalid=data.invalid,
    )


def _irv_tie_break(
    lowest: list[int], history: list[list[int]], draw: Sequence[int]
) -> tuple[int, str]:
    """Which of the options tied on the fewest votes goes, and what decided it."""
    candidates = lowest
    for earlier in range(len(history) - 2, -1, -1):
        counts = history[earlier]
        fewest = min(counts[o] for o in candidates)
        candidates = [o for o in candidates if counts[o] == fewest]
        if len(candidates) == 1:
            return candidates[0], f"round {earlier + 1}"
    return max(candidates, key=draw.__getitem__), "lots"


def _borda(options: Sequence[str], data: _Ballots, draw: Sequence[int]) -> BordaResult:
    """Modified Borda over prepared ballots, one place of the rankings at a time (counted in C)."""
    n = len(options)
    points = [0] * n
    firsts = [0] * n
    for length, flat, begin in data.columns:
        weights = data.weights[begin : begin + len(flat) // length]
        weighted = sum(weights) != len(weights)  # are some rankings on several ballots?
        for place in range(length):
            column = flat[place::length]  # every ranking's option at this place
            counted = Counter(
                chain.from_iterable(map(repeat, column, weights)) if weighted else column
            )
            value = length - place
            for option, count in counted.items():
                points[option] += value * count
                if place == 0:
                    firsts[option] += count
    order, winner, tied = _ranked(options, points, draw, firsts)
    return BordaResult(
        points=dict(zip(options, points, strict=True)),
        first_preferences=dict(zip(options, firsts, strict=True)),
        order=order,
        winner=winner,
        tied=tied,
        ballots=data.valid,
        invalid=data.invalid,
    )


def tally_irv(options: Sequence[str], ballots: Iterable[Sequence[str]], *, seed: str) -> IrvResult:
    """Count a ranked-choice poll by instant-runoff, every round shown."""
    return _irv(options, _prepare(options, ballots), _draw_ranks(options, seed))


def tally_borda(
    options: Sequence[str], ballots: Iterable[Sequence[str]], *, seed: str
) -> BordaResult:
    """Count a ranked-choice poll by the modified Borda count."""
    return _borda(options, _prepare(options, ballots), _draw_ranks(options, seed))


def tally_ranked(
    options: Sequence[str], ballots: Iterable[Sequence[str]], *, seed: str
) -> RankedTally:
    """Count a ranked-choice poll both ways from one pass over the ballots."""
    data = _prepare(options, ballots)
    draw = _draw_ranks(options, seed)
    return RankedTally(
        irv=_irv(options, data, draw),
        borda=_borda(options, data, draw),
        ballots=data.valid,
        invalid=data.invalid,
    )


# --- Score and dot vote ----------------------------------------------------------------------


def _whole(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def validate_scores(
    options: Sequence[str], scores: Mapping[str, int], *, maximum: int
) -> dict[str, int]:
    """Check a score stance: a whole number from 0 to ``maximum`` per option, left-out ones 0."""
    index = _index(options)
    for option, score in scores.items():
        if option not in index:
            raise _unknown("scores", option)
        if not _whole(score) or not 0 <= score <= maximum:
            raise BallotError(
                "scores",
                f"The score for {option!r} must be a whole number from 0 to {maximum}; "
                f"got {score!r}.",
                code="out_of_range",
                params={"option": option, "score": score, "minimum": 0, "maximum": maximum},
            )
    return {option: scores.get(option, 0) for option in options}


def _sum_points(
    options: Sequence[str],
    ballots: Iterable[Mapping[str, int]],
    validate: Callable[[Mapping[str, int]], dict[str, int]],
) -> tuple[dict[str, int], int, int]:
    """Points per option summed over the ballots ``validate`` accepts; (totals, valid, invalid)."""
    totals = dict.fromkeys(options, 0)
    valid = invalid = 0
    for ballot in ballots:
        try:
            points = validate(ballot)
        except BallotError:
            invalid += 1
            continue
        valid += 1
        for option, given in points.items():
            totals[option] += given
    return totals, valid, invalid


def tally_scores(
    options: Sequence[str], ballots: Iterable[Mapping[str, int]], *, maximum: int, seed: str
) -> ScoreTally:
    """Count a score poll: each option's total and its mean over the valid ballots."""
    totals, valid, invalid = _sum_points(
        options, ballots, lambda ballot: validate_scores(options, ballot, maximum=maximum)
    )
    values = list(totals.values())
    order, winner, tied = _ranked(options, values, _draw_ranks(options, seed))
    return ScoreTally(
        totals=totals,
        means={o: (t / valid if valid else 0.0) for o, t in totals.items()},
        order=order,
        winner=winner,
        tied=tied,
        maximum=maximum,
        ballots=valid,
        invalid=invalid,
    )


def validate_dots(
    options: Sequence[str], dots: Mapping[str, int], *, budget: int
) -> dict[str, int]:
    """Check a dot-vote stance: whole, non-negative points per option, at most ``budget`` in all."""
    index = _index(options)
    for option, given in dots.items():
        if option not in index:
            raise _unknown("dots", option)
        if not _whole(given) or given < 0:
            raise BallotError(
                "dots",
                f"The points for {option!r} must be a whole number, 0 or more; got {given!r}.",
                code="invalid_points",
                params={"option": option, "points": given},
            )
    spent = sum(dots.values())
    if spent > budget:
        raise BallotError(
            "dots",
            f"{spent} points were given, but the budget is {budget}.",
            code="over_budget",
            params={"budget": budget, "given": spent},
        )
    return {option: dots.get(option, 0) for option in options}


def tally_dots(
    options: Sequence[str], ballots: Iterable[Mapping[str, int]], *, budget: int, seed: str
) -> DotTally:
    """Count a dot vote: the points each option received, and how many were spent."""
    totals, valid, invalid = _sum_points(
        options, ballots, lambda ballot: validate_dots(options, ballot, budget=budget)
    )
    values = list(totals.values())
    order, winner, tied = _ranked(options, values, _draw_ranks(options, seed))
    return DotTally(
        totals=totals,
        order=order,
        winner=winner,
        tied=tied,
        budget=budget,
        spent=sum(values),
        ballots=valid,
        invalid=invalid,
    )


# --- The decision rule -----------------------------------------------------------------------


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


@dataclass(frozen=True)
class _Namer:
    """Names an option in an explanation by its label, when the caller gives labels."""

    labels: Mapping[str, str] | None

    def __call__(self, option: str) -> str:
        return f"“{(self.labels or {}).get(option, option)}”"


def _consent_counts(tally: ConsentTally) -> str:
    c = tally.counts
    return (
        f"{c[Position.AGREE]} agree, {c[Position.ABSTAIN]} abstain, "
        f"{c[Position.OBJECT]} object, {c[Position.BLOCK]} block"
    )


def summary(tally: Tally, labels: Mapping[str, str] | None = None) -> str:
    """The advice summary of a tally in one sentence, for the owner and the decision record."""
    name = _Namer(labels)
    if isinstance(tally, ConsentTally):
        return f"{_consent_counts(tally)}."
    if not tally.ballots:
        return "No valid stances were given."
    if isinstance(tally, ChoiceTally):
        if tally.winner is None:
            return "No option was chosen."
        lead = "Tied at the top" if tally.tied else "Leading"
        return (
            f"{lead}: {name(tally.winner)} with {tally.counts[tally.winner]} of "
            f"{_plural(tally.ballots, 'ballot')}."
        )
    if isinstance(tally, RankedTally):
        irv, borda = tally.irv, tally.borda
        assert irv.winner is not None and borda.winner is not None  # there are ballots
        return (
            f"Instant-runoff: {name(irv.winner)} in round {len(irv.rounds)}; Borda count: "
            f"{name(borda.winner)} with {borda.points[borda.winner]} points; "
            f"{_plural(tally.ballots, 'ballot')}."
        )
    if isinstance(tally, ScoreTally):
        if tally.winner is None:
            return f"Every option scored 0 on {_plural(tally.ballots, 'ballot')}."
        return (
            f"Highest score: {name(tally.winner)} with a mean of "
            f"{tally.means[tally.winner]:.2f} out of {tally.maximum} on "
            f"{_plural(tally.ballots, 'ballot')}."
        )
    if tally.winner is None:
        return f"No points were spent on {_plural(tally.ballots, 'ballot')}."
    return (
        f"Most points: {name(tally.winner)} with {tally.totals[tally.winner]} of "
        f"{tally.spent} spent on {_plural(tally.ballots, 'ballot')}."
    )


def evaluate(
    rule: DecisionRule,
    tally: Tally,
    participants_count: int,
    *,
    labels: Mapping[str, str] | None = None,
) -> Verdict:
    """Apply the proposal's stated decision rule (quorum first) to its tally."""
    if rule.rule not in RULES_FOR_KIND[tally.kind]:
        raise ValueError(f"The rule {rule.rule.value!r} does not apply to {tally.kind.value!r}.")
    if participants_count < 0:
        raise ValueError("participants_count cannot be negative.")
    name = _Namer(labels)
    took_part = tally.ballots
    if (
        rule.quorum_percent is not None
        and took_part * 100 < rule.quorum_percent * participants_count
    ):
        needed = -(-rule.quorum_percent * participants_count // 100)
        return Verdict(
            Outcome.NO_QUORUM,
            f"No quorum: {took_part} of {_plural(participants_count, 'participant')} gave a "
            f"valid stance; {rule.quorum_percent} % ({needed}) were needed.",
        )
    if rule.rule is Rule.OWNER_DECIDES:
        return Verdict(
            Outcome.OWNER_DECIDES,
            f"The owner decides after hearing advice. {summary(tally, labels)}",
        )
    if isinstance(tally, ConsentTally):
        counts = tally.counts
        if rule.rule is Rule.NO_BLOCKS:
            blocks = counts[Position.BLOCK]
            if blocks:
                return Verdict(
                    Outcome.FAILED,
                    f"Failed: {_plural(blocks, 'block')} ({_consent_counts(tally)}).",
                )
            return Verdict(Outcome.PASSED, f"Passed with no blocks ({_consent_counts(tally)}).")
        agree = counts[Position.AGREE]
        cast = agree + counts[Position.OBJECT] + counts[Position.BLOCK]
        if agree * 2 > cast:
            return Verdict(
                Outcome.PASSED,
                f"Passed: {agree} of {_plural(cast, 'vote')} cast agree "
                "(abstentions are not votes cast).",
            )
        return Verdict(
            Outcome.FAILED,
            f"Failed: {agree} of {_plural(cast, 'vote')} cast agree, not more than half "
            "(abstentions are not votes cast).",
        )
    if isinstance(tally, ChoiceTally):
        if tally.winner is not None and tally.counts[tally.winner] * 2 > tally.ballots:
            votes = tally.counts[tally.winner]
            return Verdict(
                Outcome.PASSED,
                f"Passed: {name(tally.winner)} has a majority, {votes} of "
                f"{_plural(tally.ballots, 'ballot')}.",
                tally.winner,
            )
        if tally.winner is None:
            return Verdict(Outcome.FAILED, "Failed: no votes were cast.")
        return Verdict(
            Outcome.FAILED,
            f"Failed: no option has a majority of the {_plural(tally.ballots, 'ballot')}; the "
            f"most, {tally.counts[tally.winner]}, went to {name(tally.winner)}.",
        )
    if isinstance(tally, RankedTally):
        irv = tally.irv
        if irv.winner is None:
            return Verdict(Outcome.FAILED, "Failed: no votes were cast.")
        last = irv.rounds[-1]
        in_count = sum(last.counts.values())
        return Verdict(
            Outcome.PASSED,
            f"Passed: {name(irv.winner)} won the instant-runoff count in round {last.number} "
            f"with {last.counts[irv.winner]} of the {in_count} ballots still in the count.",
            irv.winner,
        )
    raise ValueError(f"The rule {rule.rule.value!r} does not apply to {tally.kind.value!r}.")
