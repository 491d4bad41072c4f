"""Fixtures of the inbox tests: a controlled clock on a Monday, people in their own zones."""

from datetime import UTC, datetime

import pytest
import time_machine

from tests.briefs.factories import person
from tests.support import IMMEDIATE_TASKS

MONDAY = datetime(2026, 3, 9, 10, 0, tzinfo=UTC)  # Kathmandu 15:45, Berlin 11:00, New York 06:00


@pytest.fixture
def monday():
    with time_machine.travel(MONDAY, tick=False) as traveller:
        yield traveller


@pytest.fixture
def ada(workspace, monday):
    return person(workspace, "Europe/Berlin", display_name="Ada")


@pytest.fixture
def kathmandu(workspace, monday):
    return person(workspace, "Asia/Kathmandu", display_name="Bikash")


@pytest.fixture
def new_york(workspace, monday):
    return person(workspace, "America/New_York", display_name="Nora")


@pytest.fixture
def sent_mail(settings, mailoutbox, django_capture_on_commit_callbacks):
    """Run notification tasks at once on commit; ``capture()`` wraps the writes that send."""
    settings.TASKS = IMMEDIATE_TASKS

    class Outbox:
        messages = mailoutbox

        def capture(self):
            return django_capture_on_commit_callbacks(execute=True)

    return Outbox()
