"""Fixtures of the goals tests: the metrics tests' frozen clock and people, a custom metric."""

from datetime import date, timedelta

import pytest

from meridian.goals.services import GoalFields, KeyResultFields, goal_create, key_result_add
from meridian.metrics.services import custom_metric_create, value_push
from tests.metrics.conftest import NOW, ada, bo, clock  # noqa: F401

START = date(2026, 11, 1)
DUE = date(2026, 11, 30)


@pytest.fixture
def signups(ada):  # noqa: F811
    return custom_metric_create(acting=ada, key="signups", label="Sign-ups", definition="New")


def push_daily(member, metric, per_day, days=5):
    """``per_day`` at noon UTC on each of the last ``days`` days, today included."""
    for i in range(days):
        at = NOW.replace(hour=12) - timedelta(days=days - 1 - i)
        value_push(acting=member, metric=metric, at=at, value=per_day)


def a_goal(member, title="Grow", **over):
    return goal_create(acting=member, fields=GoalFields(title=title, due=DUE, **over))


def kr_fields(**over):
    base = {
        "title": "Sign-ups",
        "metric": "signups",
        "baseline": 0.0,
        "target": 300.0,
        "start": START,
        "due": DUE,
    }
    return KeyResultFields(**{**base, **over})


def a_key_result(member, goal, **over):
    return key_result_add(acting=member, goal=goal, fields=kr_fields(**over))
