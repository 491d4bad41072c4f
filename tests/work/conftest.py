"""Fixtures of the work tests: people in their own zones and working weeks, and a project."""

from datetime import UTC, datetime

import pytest
import time_machine

from tests.briefs.factories import person
from tests.work.factories import project

# A Monday morning in UTC, inside everyone's working week here.
MONDAY = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)


@pytest.fixture
def clock():
    with time_machine.travel(MONDAY, tick=False) as traveller:
        yield traveller


@pytest.fixture
def ana(workspace):
    return person(workspace, "Europe/Berlin", display_name="Ana Berlin")


@pytest.fixture
def ben(workspace):
    return person(workspace, "Asia/Kathmandu", display_name="Ben Kathmandu")


@pytest.fixture
def site(ana):
    return project(ana, "Website relaunch")
