"""Fixtures of the handovers tests: a briefs-based kind installed in place of work and roles."""

import pytest

from meridian.core import registry
from meridian.handovers.kinds import HANDOVER_KINDS
from tests.briefs.factories import brief, person
from tests.handovers.kinds import BRIEF_KIND


@pytest.fixture(autouse=True)
def brief_kind():
    """Only the test kind is handable, whatever work and roles register."""
    with registry.replaced(HANDOVER_KINDS, [BRIEF_KIND]):
        yield BRIEF_KIND


@pytest.fixture
def giver(workspace):
    return person(workspace, "Europe/Berlin")


@pytest.fixture
def receiver(workspace):
    return person(workspace, "Asia/Kathmandu")


@pytest.fixture
def item(giver, workspace):
    """A brief its author holds, with a description (asked of a bystander)."""
    return brief(
        giver,
        [person(workspace)],
        title="Vendor migration",
        body="Move billing to the **new** vendor.",
    )
