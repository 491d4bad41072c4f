"""Fairness figures for a proposal's facilitator: pure functions over plain numbers, no ORM.

A decision is only as fair as the way positions were gathered. The facilitator sees how many
participants took part, how evenly the discussion was spread among them (a Gini coefficient
of comment counts: 0 when everyone wrote as much, approaching 1 when one voice did all the
talking), and how many stances changed after others' stances had become visible (anchoring).
"""

from collections.abc import Sequence
from dataclasses import dataclass


def gini(values: Sequence[float]) -> float:
    """The Gini coefficient of non-negative amounts: 0 is perfectly even, 1 - 1/n is one holder.

    No amounts, or amounts that are all zero, count as perfectly even (0.0): nobody spoke more
    than anyone else.
    """
    if any(v < 0 for v in values):
        raise ValueError("Gini is defined for amounts of 0 or more.")
    n = len(values)
    total = float(sum(values))
    if n == 0 or total == 0:
        return 0.0
    ordered = sorted(values)
    weighted = sum(rank * value for rank, value in enumerate(ordered, start=1))
    return max(0.0, (2 * weighted) / (n * total) - (n + 1) / n)


@dataclass(frozen=True)
class Fairness:
    """How fairly a proposal's positions were gathered, for the facilitator."""

    participants: int
    took_part: int
    comment_counts: tuple[int, ...]  # one per participant, zeros included
    changed_after_visible: int | None  # None for anonymous proposals: no history is kept
    changes: int | None

    @property
    def participation_rate(self) -> float:
        return self.took_part / self.participants if self.participants else 0.0

    @property
    def participation_percent(self) -> int:
        return round(100 * self.participation_rate)

    @property
    def comment_gini(self) -> float:
        return gini(self.comment_counts)

    @property
    def comments(self) -> int:
        return sum(self.comment_counts)
