"""Pure logic of a task's or project's handover readiness: the checks and their reasons.

The selectors in meridian.work.handover gather the facts for every item at once; this module
turns one item's facts into the Checks a person reads, with no ORM (property-tested).
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from meridian.handovers.kinds import Check

RECENT = timedelta(days=14)
CONTRIBUTORS_WINDOW = timedelta(days=90)


@dataclass(frozen=True)
class Facts:
    """What readiness looks at for one item, gathered by the selectors."""

    description: str
    criteria: int  # how many acceptance criteria it has (a project: how many tasks)
    open_questions: int
    linked: int  # links to briefs, decisions or other tasks, plus briefs linking it
    updated_at: datetime
    contributors_90d: int


def readiness_checks(
    facts: Facts,
    now: datetime,
    *,
    criteria_label: str = "Has acceptance criteria",
    criteria_missing: str = "No acceptance criteria",
) -> list[Check]:
    """The six reasons of a readiness score, each held or missing, in the order a page shows."""
    has_criteria = facts.criteria > 0
    return [
        Check(
            "description",
            "Has a description",
            bool(facts.description.strip()),
            missing="No description",
        ),
        Check("criteria", criteria_label, has_criteria, missing=criteria_missing),
        Check(
            "no_open_questions",
            "No unanswered questions",
            facts.open_questions == 0,
            missing=(
                "1 unanswered question"
                if facts.open_questions == 1
                else f"{facts.open_questions} unanswered questions"
            ),
        ),
        Check(
            "linked",
            "Linked to its context (briefs, decisions, tasks)",
            facts.linked > 0,
            missing="Linked to nothing",
        ),
        Check(
            "recent",
            "Updated in the last 14 days",
            now - facts.updated_at <= RECENT,
            missing="Not updated in the last 14 days",
        ),
        Check(
            "contributors",
            "More than one contributor in 90 days",
            facts.contributors_90d > 1,
            missing=(
                "Nobody contributed in 90 days"
                if facts.contributors_90d == 0
                else "Only one contributor in 90 days"
            ),
        ),
    ]
