"""The briefs area's built-in metrics: the facts each brief gives (registry.METRICS).

A brief (source kind ``brief``) gives:

* ``brief_response_time``: for each required participant who responded, the hours from the ask
  (the brief's creation) to their response that fall in the participant's working hours
  (elapsed hours when they set none), at the response, about the participant;
* ``brief_completeness``: for each required participant, 100 once they responded and 0 while
  they have not, at the ask, about the participant (its mean is the share who responded);
* ``brief_questions_open`` (a level): +1 when a question is asked in the thread, −1 when it is
  marked answered, about the brief's author (who owes the answers);
* ``sync_hours_saved``: people × minutes ÷ 60 of the meeting the author says the brief
  replaced, at the ask, about the author; a brief that names no meeting gives no fact.
"""

from collections import defaultdict
from collections.abc import Iterator
from datetime import datetime

from meridian.briefs.models import (
    Brief,
    BriefParticipant,
    BriefStatus,
    Comment,
    ParticipantKind,
)
from meridian.core.registry import FactIn
from meridian.core.workingtime import member_week, working_hours_or_elapsed


def _briefs(
    workspace_id: int, ids: list[int] | None
) -> list[tuple[int, int, datetime, int | None, int | None]]:
    briefs = Brief.objects.filter(workspace_id=workspace_id)
    if ids is not None:
        briefs = briefs.filter(pk__in=ids)
    return list(
        briefs.order_by("pk").values_list(
            "pk", "author_id", "created_at", "meeting_people", "meeting_minutes"
        )
    )


def _required(workspace_id: int, ids: list[int] | None) -> dict[int, list[tuple]]:
    rows = BriefParticipant.objects.filter(
        workspace_id=workspace_id, kind=ParticipantKind.REQUIRED
    ).exclude(brief__status=BriefStatus.DRAFT)  # a draft asks nobody yet
    if ids is not None:
        rows = rows.filter(brief_id__in=ids)
    out: dict[int, list[tuple]] = defaultdict(list)
    for row in rows.order_by("pk").values_list(
        "brief_id",
        "membership_id",
        "responded_at",
        "brief__created_at",
        "membership__profile__time_zone",
        "membership__profile__working_hours",
    ):
        out[row[0]].append(row)
    return out


def response_time_facts(workspace_id: int, ids: list[int] | None) -> Iterator[FactIn]:
    for brief_id, rows in _required(workspace_id, ids).items():
        for _, member_id, responded, asked, zone, hours in rows:
            if responded is None:
                continue
            value = working_hours_or_elapsed(member_week(zone, hours), asked, responded)
            yield FactIn(brief_id, responded, value, member_id=member_id, part=f"m{member_id}")


def completeness_facts(workspace_id: int, ids: list[int] | None) -> Iterator[FactIn]:
    for brief_id, rows in _required(workspace_id, ids).items():
        for _, member_id, responded, asked, _zone, _hours in rows:
            value = 100.0 if responded is not None else 0.0
            yield FactIn(brief_id, asked, value, member_id=member_id, part=f"m{member_id}")


def questions_open_facts(workspace_id: int, ids: list[int] | None) -> Iterator[FactIn]:
    questions = Comment.objects.filter(workspace_id=workspace_id, is_question=True)
    if ids is not None:
        questions = questions.filter(brief_id__in=ids)
    for pk, brief_id, author_id, asked, answered in questions.order_by("pk").values_list(
        "pk", "brief_id", "brief__author_id", "created_at", "answered_at"
    ):
        yield FactIn(brief_id, asked, 1, member_id=author_id, part=f"q{pk}:asked")
        if answered is not None:
            yield FactIn(brief_id, answered, -1, member_id=author_id, part=f"q{pk}:answered")


def hours_saved_facts(workspace_id: int, ids: list[int] | None) -> Iterator[FactIn]:
    for brief_id, author_id, created, people, minutes in _briefs(workspace_id, ids):
        if people and minutes:
            yield FactIn(brief_id, created, people * minutes / 60, member_id=author_id, part="met")
