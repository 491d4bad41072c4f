"""Fixtures of the decisions tests: an owner and participants in several time zones, real mail."""

import pytest

from tests.briefs.factories import person
from tests.support import IMMEDIATE_TASKS


@pytest.fixture
def owner(workspace):
    return person(workspace, "Europe/Berlin")


@pytest.fixture
def ana(workspace):
    return person(workspace, "America/New_York")


@pytest.fixture
def bikram(workspace):
    return person(workspace, "Asia/Kathmandu")


@pytest.fixture
def carmen(workspace):
    return person(workspace, "Europe/Madrid")


@pytest.fixture
def sent_mail(settings, mailoutbox, django_capture_on_commit_callbacks):
    """Run notification tasks at once when a transaction commits; returns a way to collect mail."""
    settings.TASKS = IMMEDIATE_TASKS

    class Outbox:
        def __init__(self) -> None:
            self.messages = mailoutbox

        def capture(self):
            return django_capture_on_commit_callbacks(execute=True)

        def to(self) -> list[str]:
            return sorted(address for m in self.messages for address in m.to)

    return Outbox()
