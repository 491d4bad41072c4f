"""Every write to decisions: proposals, stances, the discussion, closing, outcomes and pins.

Each service checks who acts, runs in one transaction, writes the audit log and tells people
through meridian.core.notify after commit. Input problems are collected and raised together
as one ValidationFailed naming each field, before anything is written. Writes that depend on a
proposal's state lock its row first, so a stance, an edit of the rule and the close at the
deadline happen one after another, never across each other.

Anonymity: an anonymous stance marks the participant as having responded and rewrites the
proposal's anonymous ballots, the new one among them, in a random order with fresh random
ids; after the commit, meridian.decisions.erasure removes the replaced ballots from the raw
database files. Nothing else is written about it: the audit entry says that a stance was
recorded and nothing of what, and no notification or log line mentions it.

One module per concept, re-exported here so callers import from ``meridian.decisions.services``:
``proposals`` (drafting, changing and opening a proposal, who is asked), ``stances``,
``discussion``, ``closing`` (by the owner, at the deadline, and the reminders before it),
``outcomes`` (the outcome and the immutable record, its review), ``pins`` and ``common``.
"""

from meridian.asks.people import DayOffShift
from meridian.decisions.services.closing import (
    participant_remind,
    proposal_close,
    proposal_close_due,
)
from meridian.decisions.services.common import (
    ANONYMOUS_FINAL,
    DEFAULT_DOT_BUDGET,
    DEFAULT_SCORE_MAX,
    MAX_BODY,
    MAX_CLOSE_REASON,
    MAX_COMMENT,
    MAX_DOTS,
    MAX_EFFECT,
    MAX_NOTE,
    MAX_OPTION_DESCRIPTION,
    MAX_OPTION_LABEL,
    MAX_OPTIONS,
    MAX_REASON,
    MAX_SCORE,
    MAX_TAG,
    MAX_TAGS,
    MAX_TEXT,
    MAX_TITLE,
    PROPOSAL_FIXED,
    RULE_FIXED,
    Deadline,
    OptionSpec,
    asked_cause,
    proposal_url,
    record_url,
)
from meridian.decisions.services.discussion import proposal_comment_add
from meridian.decisions.services.outcomes import outcome_write, record_review_remind
from meridian.decisions.services.pins import pin_add, pin_remove
from meridian.decisions.services.proposals import (
    TAG_RE,
    options_from_comments,
    proposal_create,
    proposal_day_off_shifts,
    proposal_deadlines_after_time_off,
    proposal_open,
    proposal_update,
)
from meridian.decisions.services.stances import StanceReceipt, stance_submit

__all__ = [
    "ANONYMOUS_FINAL",
    "DEFAULT_DOT_BUDGET",
    "DEFAULT_SCORE_MAX",
    "MAX_BODY",
    "MAX_CLOSE_REASON",
    "MAX_COMMENT",
    "MAX_DOTS",
    "MAX_EFFECT",
    "MAX_NOTE",
    "MAX_OPTIONS",
    "MAX_OPTION_DESCRIPTION",
    "MAX_OPTION_LABEL",
    "MAX_REASON",
    "MAX_SCORE",
    "MAX_TAG",
    "MAX_TAGS",
    "MAX_TEXT",
    "MAX_TITLE",
    "PROPOSAL_FIXED",
    "RULE_FIXED",
    "TAG_RE",
    "DayOffShift",
    "Deadline",
    "OptionSpec",
    "StanceReceipt",
    "asked_cause",
    "options_from_comments",
    "outcome_write",
    "participant_remind",
    "pin_add",
    "pin_remove",
    "proposal_close",
    "proposal_close_due",
    "proposal_comment_add",
    "proposal_create",
    "proposal_day_off_shifts",
    "proposal_deadlines_after_time_off",
    "proposal_open",
    "proposal_update",
    "proposal_url",
    "record_review_remind",
    "record_url",
    "stance_submit",
]
