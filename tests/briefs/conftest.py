"""Fixtures of the briefs tests: people in several time zones, and mail that is really sent."""

import pytest

from tests.briefs.factories import person
from tests.support import IMMEDIATE_TASKS


@pytest.fixture
def author(workspace):
    return person(workspace, "Europe/Berlin")


@pytest.fixture
def kathmandu(workspace):
    return person(workspace, "Asia/Kathmandu")


@pytest.fixture
def new_york(workspace):
    return person(workspace, "America/New_York")


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
