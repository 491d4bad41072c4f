import pytest

from meridian.webhooks.services import allowed_host_add
from tests.support import IMMEDIATE_TASKS
from tests.webhooks.support import Receiver, Silent


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()


@pytest.fixture
def silent():
    s = Silent()
    yield s
    s.close()


@pytest.fixture
def loopback_allowed(admin):
    """The workspace's admin allowed 127.0.0.1 (the test receivers listen there)."""
    return allowed_host_add(acting=admin, host="127.0.0.1")


@pytest.fixture
def run_tasks(settings, django_capture_on_commit_callbacks):
    """Run tasks at once when the surrounding transaction commits (events, then deliveries)."""
    settings.TASKS = IMMEDIATE_TASKS
    settings.WEBHOOK_TIMEOUT_SECONDS = 0.5
    return lambda: django_capture_on_commit_callbacks(execute=True)
