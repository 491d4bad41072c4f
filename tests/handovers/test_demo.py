"""The demo's handovers: every state, one with an unanswered question, and nobody mailed."""

import pytest

from meridian.handovers.demo import demo_handovers
from meridian.handovers.models import HandoverComment, HandoverState
from tests.briefs.factories import person
from tests.handovers.factories import many_briefs

pytestmark = pytest.mark.django_db


def test_demo_handovers_cover_every_state_and_an_open_question(workspace, mailoutbox):
    people = {f"P{i}": person(workspace) for i in range(3)}
    for member in people.values():
        many_briefs(member, 2)

    made = demo_handovers(workspace, people)

    states = sorted(h.state for h in made)
    assert states == sorted(
        [
            HandoverState.PENDING,
            HandoverState.PENDING,
            HandoverState.ACKNOWLEDGED,
            HandoverState.CANCELLED,
        ]
    )
    open_questions = HandoverComment.objects.filter(is_question=True, answered_at__isnull=True)
    assert open_questions.count() == 1
    assert open_questions.get().handover.state == HandoverState.PENDING
    assert all(h.note for h in made)
    assert mailoutbox == []


def test_demo_handovers_need_two_people(workspace):
    assert demo_handovers(workspace, {"Only": person(workspace)}) == []
