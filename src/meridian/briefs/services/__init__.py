"""Every write to briefs: the ask and who is asked, the thread, links, reminders and closing.

Each service checks who acts, runs in one transaction, writes the audit log, and tells people
through meridian.core.notify after the transaction commits. Input problems are collected and
raised together as one ValidationFailed naming each field, before anything is written.

One module per concept, re-exported here so callers import from ``meridian.briefs.services``:
``lifecycle`` (writing, changing and closing a brief), ``participants`` (who is asked, seen,
reminded), ``comments`` (the thread: comments, responses, questions, mentions), ``links``
(related items and attached files) and ``common`` (limits and checks they share).
"""

from meridian.asks.deadlines import Deadline
from meridian.asks.people import DayOffShift, Invitee
from meridian.briefs.services.comments import comment_add, comment_edit, question_answer, respond
from meridian.briefs.services.common import (
    MAX_BODY,
    MAX_COMMENT,
    MAX_MEETING_MINUTES,
    MAX_MEETING_PEOPLE,
    MAX_MENTIONS,
    MAX_NOTE,
    MAX_PIN_SECONDS,
    MAX_QUESTION,
    MAX_QUESTIONS,
    MAX_SUMMARY,
    MAX_TITLE,
    asked_cause,
    brief_url,
)
from meridian.briefs.services.lifecycle import (
    Meeting,
    SendResult,
    brief_check_editable,
    brief_close,
    brief_create,
    brief_send,
    brief_send_when_ready,
    brief_update,
)
from meridian.briefs.services.links import decision_link_add, file_link_add, link_add, link_remove
from meridian.briefs.services.participants import (
    brief_day_off_shifts,
    brief_mark_seen,
    participant_deadlines_after_time_off,
    participant_remind,
)

__all__ = [
    "MAX_BODY",
    "MAX_COMMENT",
    "MAX_MEETING_MINUTES",
    "MAX_MEETING_PEOPLE",
    "MAX_MENTIONS",
    "MAX_NOTE",
    "MAX_PIN_SECONDS",
    "MAX_QUESTION",
    "MAX_QUESTIONS",
    "MAX_SUMMARY",
    "MAX_TITLE",
    "DayOffShift",
    "Deadline",
    "Invitee",
    "Meeting",
    "SendResult",
    "asked_cause",
    "brief_check_editable",
    "brief_close",
    "brief_create",
    "brief_day_off_shifts",
    "brief_mark_seen",
    "brief_send",
    "brief_send_when_ready",
    "brief_update",
    "brief_url",
    "comment_add",
    "comment_edit",
    "decision_link_add",
    "file_link_add",
    "link_add",
    "link_remove",
    "participant_deadlines_after_time_off",
    "participant_remind",
    "question_answer",
    "respond",
]
