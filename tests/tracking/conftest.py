"""Fixtures of the tracking tests: a frozen clock, people in their own zones, a fake link kind."""

from datetime import UTC, datetime

import pytest
import time_machine

from meridian.core import registry
from meridian.core.registry import LinkKind
from tests.briefs.factories import person

# Wednesday 4 November 2026, 12:00 UTC: Berlin left summer time on Sunday 25 October.
NOW = datetime(2026, 11, 4, 12, 0, tzinfo=UTC)
PROJECTS = {7: "Website relaunch", 8: "Billing"}


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def ada(workspace, clock):
    return person(workspace, "Europe/Berlin", display_name="Ada")


@pytest.fixture
def bo(workspace, clock):
    return person(workspace, "Asia/Kathmandu", display_name="Bo")


@pytest.fixture
def projects():
    """A "project" link kind as the work area will register it (workspace-free, for tests)."""
    kind = LinkKind(
        kind="project",
        noun="project",
        titles=lambda ws, ids: {i: PROJECTS[i] for i in ids if i in PROJECTS},
        recent=lambda ws, limit: list(PROJECTS.items())[:limit],
    )
    with registry.replaced(registry.LINK_KINDS, [kind]):
        yield kind
