"""Fixtures of the search tests: two members of one workspace, and a helper to search as one."""

import pytest

from meridian.search.selectors import search_for
from tests.briefs.factories import person


@pytest.fixture
def author(workspace):
    return person(workspace, "Europe/Berlin")


@pytest.fixture
def reader(workspace):
    return person(workspace, "Asia/Tokyo")


def found(viewer, q: str, **kwargs) -> list[tuple[str, int]]:
    """(kind, object id) of every hit of a search, best first."""
    return [(hit.kind, hit.object_id) for hit in search_for(viewer=viewer, q=q, **kwargs)]
