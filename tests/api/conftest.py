"""Fixtures for API tests: clients that behave like a script and like a browser."""

import pytest
from django.test import Client


@pytest.fixture
def browser(db) -> Client:
    """A client that enforces CSRF as a real browser session is checked."""
    return Client(enforce_csrf_checks=True)
