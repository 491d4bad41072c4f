"""Fixtures of the check-in tests: a team in several zones and a frozen Monday."""

from datetime import UTC, datetime

import pytest
import time_machine

from tests.checkins.factories import checkin, person, team

# Monday 7 December 2026, 10:00 UTC: inside the working day in Berlin and London.
MONDAY = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)


@pytest.fixture
def clock():
    with time_machine.travel(MONDAY, tick=False) as traveller:
        yield traveller


@pytest.fixture
def ana(workspace):
    return person(workspace, "Europe/Berlin", display_name="Ana Berlin")


@pytest.fixture
def ben(workspace):
    return person(workspace, "Europe/London", display_name="Ben London")


@pytest.fixture
def crew(admin, ana, ben):
    return team(admin, ana, ben)


@pytest.fixture
def daily(admin, crew):
    return checkin(admin, crew)
