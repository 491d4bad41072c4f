"""Only the browser tests may touch the database from a thread with a running event loop."""

import os

import pytest


@pytest.fixture(autouse=True, scope="session")
def _allow_async_unsafe():
    """Playwright's sync API runs its event loop in the test thread, where Django then refuses
    ORM calls; the browser tests switch that check off. Once Playwright has started, its loop
    stays for the rest of the session (the session's own teardown included), so the switch is
    not turned back: tests/conftest.py runs the browser tests after all the others instead."""
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    return
