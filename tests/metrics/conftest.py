"""Fixtures of the metrics tests: a frozen clock, people in their own zones, projects, tasks."""

from datetime import UTC, datetime

import pytest
import time_machine

from meridian.workspaces.models import Role
from tests.briefs.factories import person

# Thursday 5 November 2026, 15:00 UTC (Berlin is at UTC+1 since 25 October).
NOW = datetime(2026, 11, 5, 15, 0, tzinfo=UTC)


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def ada(workspace, clock):
    """An admin in Berlin, working 9 to 5 on weekdays."""
    return person(workspace, "Europe/Berlin", role=Role.ADMIN, display_name="Ada")


@pytest.fixture
def bo(workspace, clock):
    return person(workspace, "Asia/Kathmandu", display_name="Bo")
