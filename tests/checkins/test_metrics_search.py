"""Check-ins as facts for metrics (participation, blockers, time to unblock in working hours,
per team) and as search documents (answers found; moods never indexed)."""

from datetime import date, timedelta

import pytest

from meridian.checkins.models import Blocker
from meridian.checkins.services import BlockerIn, blocker_resolve, prompt_answer
from meridian.metrics.models import MetricFact
from tests.checkins.conftest import MONDAY
from tests.checkins.factories import asked
from tests.search.conftest import found

pytestmark = pytest.mark.django_db

DAY = date(2026, 12, 7)


def _facts(metric: str) -> list[tuple[int | None, float]]:
    rows = MetricFact.objects.filter(metric=metric).order_by("source_id")
    return list(rows.values_list("team_id", "value"))


def test_participation_blockers_and_time_to_unblock_are_facts_per_team(
    daily, crew, ana, ben, clock, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        prompt = asked(daily, ana, DAY, MONDAY)
        asked(daily, ben, DAY, MONDAY)
        prompt_answer(
            acting=ana,
            prompt=prompt,
            answers=["x"],
            blocker=BlockerIn("Stuck", person_id=ben.pk),
            now=MONDAY,
        )
    # Raised and not resolved: one open blocker.
    assert _facts("checkin_open_blockers") == [(crew.pk, 1.0)]
    with django_capture_on_commit_callbacks(execute=True):
        # Ana works 9 to 5 in Berlin: from 11:00 her time Monday to 11:00 Tuesday is 8 hours.
        blocker_resolve(acting=ben, blocker=Blocker.objects.get(), now=MONDAY + timedelta(days=1))
    assert sorted(_facts("checkin_participation")) == [(crew.pk, 0.0), (crew.pk, 1.0)]
    assert _facts("checkin_blockers") == [(crew.pk, 1.0)]
    assert _facts("checkin_time_to_unblock") == [(crew.pk, 8.0)]
    # Resolved: the level goes back down (+1 when raised, −1 when resolved).
    assert sorted(_facts("checkin_open_blockers")) == [(crew.pk, -1.0), (crew.pk, 1.0)]


def test_answers_are_found_by_search_and_moods_are_not_indexed(admin, crew, ana, clock):
    from tests.checkins.factories import checkin

    moody = checkin(admin, crew, ask_mood=True)
    prompt = asked(moody, ana, DAY, MONDAY)
    prompt_answer(acting=ana, prompt=prompt, answers=["Migrated the warehouse"], mood=2)
    assert found(admin, "warehouse") == [("checkin", prompt.pk)]
    assert found(admin, "2") == []
