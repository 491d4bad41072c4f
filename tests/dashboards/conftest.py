"""Fixtures of the dashboards tests: the metrics tests' frozen clock and people, a team with a
lead (the owner of one of its goals), a custom metric."""

import pytest

from meridian.workspaces.services import team_add_member, team_create
from tests.goals.conftest import a_goal, a_key_result, push_daily, signups  # noqa: F401
from tests.metrics.conftest import NOW, ada, bo, clock  # noqa: F401


@pytest.fixture
def team(ada, bo):  # noqa: F811
    team = team_create(acting=ada, name="Design <b>crew</b>")
    team_add_member(acting=ada, team=team, member=bo)
    return team
