"""Between stored stances and the pure tally: reading a ballot in, counting ballots out.

A ballot arrives as a :class:`Ballot` (from a form or the API) naming options by id; it is
checked by meridian.decisions.tally's validators and stored *normalized*, with option ids as
strings, e.g. ``{"position": "object"}``, ``{"choice": "12"}``, ``{"ranking": ["12", "9"]}``,
``{"scores": {"12": 3, "9": 0}}``. Counting hands those stored ballots back to the tally as
plain data. Errors name options by their labels, not their ids, so a person can act on them.
"""

import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from meridian.core.errors import ValidationFailed
from meridian.decisions import tally as t
from meridian.decisions.models import AnonymousBallot, Kind, Option, Proposal, Stance

OptionRef = int | str


@dataclass(frozen=True)
class Ballot:
    """A stance as given: the field that fits the proposal's kind, and a reason."""

    position: str | None = None  # consent
    choice: OptionRef | None = None  # single
    choices: Sequence[OptionRef] | None = None  # multiple
    ranking: Sequence[OptionRef] | None = None  # ranked, best first
    scores: Mapping[Any, Any] | None = None  # score: option → score
    dots: Mapping[Any, Any] | None = None  # dot: option → points
    reason: str = ""


FIELD_OF_KIND = {
    Kind.CONSENT: "position",
    Kind.SINGLE: "choice",
    Kind.MULTIPLE: "choices",
    Kind.RANKED: "ranking",
    Kind.SCORE: "scores",
    Kind.DOT: "dots",
}


def _key(ref: object) -> str:
    """An option reference as the tally knows options: the id's decimal string."""
    if isinstance(ref, bool):
        return repr(ref)
    if isinstance(ref, int):
        return str(ref)
    text = str(ref).strip()
    return str(int(text)) if text.isdigit() else text


def _relabelled(exc: t.BallotError, labels: Mapping[str, str]) -> t.BallotError:
    """The tally's error, naming options by label (or by the unknown id as it was given)."""
    params = exc.params
    option = str(params.get("option", ""))
    name = f"“{labels[option]}”" if option in labels else f"option {option}"
    messages = {
        "unknown_option": f"Option {option} is not one of this proposal's options.",
        "duplicate_option": (
            f"{name} is ranked more than once."
            if exc.field_name == "ranking"
            else f"{name} is chosen more than once."
        ),
        "out_of_range": (
            f"The score for {name} must be a whole number from 0 to {params.get('maximum')}; "
            f"got {params.get('score')!r}."
        ),
        "invalid_points": (
            f"The points for {name} must be a whole number, 0 or more; got {params.get('points')!r}."
        ),
    }
    message = messages.get(exc.code, exc.message)
    return t.BallotError(exc.field_name, message, code=exc.code, params=params)


def normalize(proposal: Proposal, options: Sequence[Option], ballot: Ballot) -> tuple[dict, str]:
    """The stored form of a ballot and its reason, or a 422 naming the field and the problem."""
    keys = [str(o.pk) for o in options]
    labels = {str(o.pk): o.label for o in options}
    kind = Kind(proposal.kind)
    field = FIELD_OF_KIND[kind]
    given = getattr(ballot, field)
    reason = (ballot.reason or "").strip()
    if given is None or given == "":
        what = {
            Kind.CONSENT: "Choose agree, abstain, object or block.",
            Kind.SINGLE: "Choose an option.",
            Kind.MULTIPLE: "Choose at least one option.",
            Kind.RANKED: "Rank at least one option.",
            Kind.SCORE: "Score the options.",
            Kind.DOT: "Spread your points over the options.",
        }[kind]
        raise ValidationFailed.field(field, what)
    try:
        if kind == Kind.CONSENT:
            position, reason = t.validate_consent(str(given), reason)
            return {"position": position.value}, reason
        if kind == Kind.SINGLE:
            return {"choice": t.validate_choice(keys, _key(given))}, reason
        if kind == Kind.MULTIPLE:
            chosen = t.validate_choices(
                keys, [_key(c) for c in given], maximum=proposal.max_choices or len(keys)
            )
            return {"choices": list(chosen)}, reason
        if kind == Kind.RANKED:
            return {"ranking": list(t.validate_ranking(keys, [_key(r) for r in given]))}, reason
        if kind == Kind.SCORE:
            scores = t.validate_scores(
                keys, {_key(k): v for k, v in given.items()}, maximum=proposal.score_max or 0
            )
            return {"scores": scores}, reason
        dots = t.validate_dots(
            keys, {_key(k): v for k, v in given.items()}, budget=proposal.dot_budget or 0
        )
        return {"dots": dots}, reason
    except t.BallotError as exc:
        raise _relabelled(exc, labels) from None


def stored(proposal: Proposal) -> list[tuple[dict, str]]:
    """A proposal's ballots as stored, ``(payload, reason)``: named stances or anonymous ballots."""
    if proposal.anonymous:
        return [
            (dict(p), r)
            for p, r in AnonymousBallot.objects.filter(proposal=proposal).values_list(
                "payload", "reason"
            )
        ]
    return [
        (dict(p), r)
        for p, r in Stance.objects.filter(proposal=proposal).values_list("payload", "reason")
    ]


def count(
    proposal: Proposal, options: Sequence[Option], ballots: Iterable[tuple[Mapping, str]]
) -> t.Tally:
    """The tally of stored ballots (``(payload, reason)`` pairs) under the proposal's kind."""
    keys = [str(o.pk) for o in options]
    seed = proposal.seed or str(proposal.pk)
    kind = Kind(proposal.kind)
    payloads = list(ballots)
    if kind == Kind.CONSENT:
        return t.tally_consent((str(p.get("position", "")), reason) for p, reason in payloads)
    if kind == Kind.SINGLE:
        return t.tally_single(keys, (str(p.get("choice", "")) for p, _ in payloads), seed=seed)
    if kind == Kind.MULTIPLE:
        return t.tally_multiple(
            keys,
            (list(p.get("choices", [])) for p, _ in payloads),
            maximum=proposal.max_choices or len(keys),
            seed=seed,
        )
    if kind == Kind.RANKED:
        return t.tally_ranked(keys, (list(p.get("ranking", [])) for p, _ in payloads), seed=seed)
    if kind == Kind.SCORE:
        return t.tally_scores(
            keys,
            (dict(p.get("scores", {})) for p, _ in payloads),
            maximum=proposal.score_max or 0,
            seed=seed,
        )
    return t.tally_dots(
        keys,
        (dict(p.get("dots", {})) for p, _ in payloads),
        budget=proposal.dot_budget or 0,
        seed=seed,
    )


def as_json(result: t.Tally) -> dict[str, Any]:
    """A tally as JSON-ready data (the shape stored on the proposal and in its record)."""
    data = dataclasses.asdict(result)
    data["kind"] = str(result.kind)
    return _plain(data)


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, str):
        return str(value)
    return value


def verdict(
    proposal: Proposal, result: t.Tally, participants: int, labels: Mapping[str, str]
) -> dict[str, Any]:
    """What the proposal's stated rule makes of its tally, as JSON-ready data."""
    rule = t.DecisionRule(t.Rule(proposal.rule), proposal.quorum_pct)
    found = t.evaluate(rule, result, participants, labels=labels)
    return {
        "outcome": str(found.outcome),
        "explanation": found.explanation,
        "option": found.option,
    }


def rule_text(proposal: Proposal) -> str:
    """The decision rule in words, with its quorum, as every reader sees it before voting."""
    from meridian.decisions.models import Rule

    text = Rule(proposal.rule).label
    if proposal.quorum_pct:
        text += f", with a quorum of {proposal.quorum_pct} % of participants"
    return text + "."


def tie_break_text(proposal: Proposal) -> str:
    """How ties are broken for this kind of proposal, written on its page and in its record."""
    kind = t.Kind(proposal.kind)
    text = t.TIE_BREAK_RULES[kind]
    if kind == t.Kind.CONSENT:
        return text
    if kind == t.Kind.RANKED:
        text = f"{text} {t.BORDA_RULE}"
    return f"{text} {t.DRAW_OF_LOTS}"


def describe(proposal: Proposal, payload: dict, labels: dict[str, str]) -> str:
    """A stored ballot in words, e.g. "1. Postgres, 2. SQLite" or "object"."""

    def name(key: object) -> str:
        return labels.get(str(key), f"option {key}")

    kind = proposal.kind
    if kind == Kind.CONSENT:
        return str(payload.get("position", ""))
    if kind == Kind.SINGLE:
        return name(payload.get("choice"))
    if kind == Kind.MULTIPLE:
        return ", ".join(name(c) for c in payload.get("choices", []))
    if kind == Kind.RANKED:
        return ", ".join(f"{i}. {name(o)}" for i, o in enumerate(payload.get("ranking", []), 1))
    values = payload.get("scores" if kind == Kind.SCORE else "dots", {})
    return ", ".join(f"{name(k)}: {v}" for k, v in values.items() if v)
