import pytest

from tests.core.test_email import smtp_inbox  # noqa: F401  (the local SMTP server fixture)
from tests.support import IMMEDIATE_TASKS


@pytest.fixture
def immediate_tasks(settings):
    settings.TASKS = IMMEDIATE_TASKS
