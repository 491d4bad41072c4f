"""Only the browser tests may touch the database from a thread with a running event loop."""

import pytest


@pytest.fixture(autouse=True, scope="package")
def _allow_async_unsafe():
    """Playwright's sync API runs an event loop in the test thread, where Django then refuses
    ORM calls. The browser tests (and only they) switch that check off; package scope keeps it
    off until their database teardown (the flush after a live-server test) is done too."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        yield
