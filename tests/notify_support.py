"""Tests of what an area tells people, apart from when delivery emails it."""

from typing import Any

from meridian.core import registry


def email_at_once(monkeypatch: Any) -> None:
    """No delivery channel for this test: notification_send emails each notice at once after
    commit, so a test of who is told what need not run the scheduler (tests/delivery covers
    holding, digests and urgency)."""
    registry.items(registry.NOTIFICATION_CHANNELS)  # import every hooks module first
    monkeypatch.setitem(registry._points, registry.NOTIFICATION_CHANNELS, [])
