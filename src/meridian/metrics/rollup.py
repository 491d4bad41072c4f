"""Pure rollup arithmetic: which rollup rows a fact feeds, merging deltas, period values.

No ORM here (CONVENTIONS 15): services turn rows into :class:`FactRow` and back, and the
property tests check that applying deltas fact by fact equals recomputing from the facts.
"""

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

# (metric, subject, subject_id, day)
RollupKey = tuple[str, str, int, date]


@dataclass(frozen=True)
class FactRow:
    """What of a fact the rollups depend on."""

    metric: str
    day: date
    value: float
    member_id: int | None = None
    project_id: int | None = None
    team_id: int | None = None


def keys_of(fact: FactRow) -> list[RollupKey]:
    """The rollup rows one fact feeds: its workspace's, and its member's, project's, team's."""
    keys: list[RollupKey] = [(fact.metric, "workspace", 0, fact.day)]
    if fact.member_id is not None:
        keys.append((fact.metric, "member", fact.member_id, fact.day))
    if fact.project_id is not None:
        keys.append((fact.metric, "project", fact.project_id, fact.day))
    if fact.team_id is not None:
        keys.append((fact.metric, "team", fact.team_id, fact.day))
    return keys


def add(deltas: dict[RollupKey, list[float]], fact: FactRow, sign: int) -> None:
    """Add (``sign=1``) or take away (``sign=-1``) one fact's contribution to ``deltas``."""
    value = sign * fact.value
    for key in keys_of(fact):
        entry = deltas.get(key)
        if entry is None:
            deltas[key] = [sign, value]
        else:
            entry[0] += sign
            entry[1] += value


def change(
    before: FactRow | None, after: FactRow | None, deltas: dict[RollupKey, list[float]]
) -> None:
    """The delta of a fact written (``before=None``), rewritten, or deleted (``after=None``)."""
    if before is not None:
        add(deltas, before, -1)
    if after is not None:
        add(deltas, after, 1)


def recompute(facts: Iterable[FactRow]) -> dict[RollupKey, tuple[int, float]]:
    """Every rollup row from scratch: (count, total) per key, rows without facts left out."""
    deltas: dict[RollupKey, list[float]] = {}
    for fact in facts:
        add(deltas, fact, 1)
    return {key: (int(c), t) for key, (c, t) in deltas.items() if c}


def percentile(values: Sequence[float], q: float) -> float | None:
    """The ``q``-th percentile (0-100) by linear interpolation between closest ranks; None if
    there are no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100
    low = math.floor(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def ratio(numerator: float | None, denominator: float | None) -> float | None:
    """numerator / denominator, or None ("no data") when either is missing or the denominator
    is zero: a ratio over nothing is not 0."""
    if numerator is None or denominator is None or denominator == 0:
        return None
    return numerator / denominator
