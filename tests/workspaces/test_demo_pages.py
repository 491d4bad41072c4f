"""Every page and API list of the demo workspace reads the database a known number of times.

bench/pages.py measures these pages (docs/benchmarks.md); a query more per request on any of
them fails here, with the page named, before it shows up as a slower page.
"""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from meridian.accounts.services import token_create
from meridian.briefs.models import Brief
from meridian.checkins.models import Checkin
from meridian.decisions.models import DecisionRecord, Proposal
from meridian.workspaces.models import Membership

pytestmark = pytest.mark.django_db

# SQL statements per request once warm (the second request: the first fills caches such as a
# proposal's tally). Inside a test the page's transactions are savepoints, which count too.
# Every page reads the signed-in user with their membership in one query (workspaces/access.py).
PAGES = {
    "members": 7,
    "teams": 3,
    "team": 6,
    # The calendar feed panel reads the member's feed; the time off panel their time off.
    "profile": 4,
    "briefs list": 5,
    # The recording player (a panel of the recordings area) reads its recording with its
    # transcript and the member's resume point and speed in one query, then its chapters,
    # reactions, and captions with their cues; for its author, the delivery layer says whose
    # email is still held (one query, registry.HELD_NOTES).
    "brief page": 17,
    "proposals list": 4,
    "proposal page": 17,  # for its owner, whose email is still held (registry.HELD_NOTES)
    "decision log": 7,
    "decision record": 7,
    "start here": 7,
    "audit log": 5,
    "API tokens": 3,
    "check-in team page": 8,  # the task titles its blockers name
}
API = {
    "/api/v1/me": 1,
    "/api/v1/members": 3,
    "/api/v1/teams": 2,
    "/api/v1/briefs": 2,
    "/api/v1/proposals": 2,
    "/api/v1/decisions": 2,
    "/api/v1/audit": 2,
}

# Search asks PostgreSQL for its estimates first (meridian/search/backends.py): four more.
# "release" finds the demo's "Release manager" role: its highlights and rows are read too.
SEARCH_PAGE = {"sqlite": 8, "postgresql": 12}
SEARCH_API = {"sqlite": 7, "postgresql": 11}


@pytest.fixture
def demo(shared_demo_on_a_tuesday: Membership) -> Membership:
    """The demo's admin, in the demo built on a Tuesday morning in Europe with the clock stopped
    there: its deadlines, and so its overdue briefs, are fixed."""
    return shared_demo_on_a_tuesday


def _queries(get, path: str) -> int:
    assert get(path).status_code == 200, path
    connection.queries_log.clear()
    with CaptureQueriesContext(connection) as captured:
        assert get(path).status_code == 200, path
    return len(captured.captured_queries)


def _urls(admin: Membership) -> dict[str, str]:
    ws = admin.workspace
    w = f"/w/{ws.slug}"
    brief = Brief.objects.filter(workspace=ws).order_by("id")[0]
    proposal = Proposal.objects.filter(workspace=ws).order_by("id")[0]
    record = DecisionRecord.objects.filter(workspace=ws).order_by("id")[0]
    checkin = Checkin.objects.get(workspace=ws, name="Platform daily")
    return {
        "members": f"{w}/members/",
        "teams": f"{w}/teams/",
        "team": f"{w}/teams/platform/",
        "profile": f"{w}/profile/",
        "briefs list": f"{w}/briefs/",
        "brief page": f"{w}/briefs/{brief.pk}/",
        "proposals list": f"{w}/decisions/",
        "proposal page": f"{w}/decisions/proposals/{proposal.pk}/",
        "decision log": f"{w}/decisions/log/",
        "decision record": f"{w}/decisions/log/{record.pk}/",
        "start here": f"{w}/decisions/teams/platform/",
        "audit log": f"{w}/audit/",
        "API tokens": f"{w}/tokens/",
        "check-in team page": f"{w}/checkins/{checkin.pk}/",
    }


def test_every_demo_page_and_api_list_makes_its_known_number_of_queries(
    client: Client, demo: Membership
):
    client.force_login(demo.user)
    _, token = token_create(acting=demo, name="queries")
    api = Client(headers={"Authorization": f"Bearer {token}"})
    pages = {name: _queries(client.get, path) for name, path in _urls(demo).items()}
    lists = {path: _queries(api.get, path) for path in API}
    search = (
        _queries(client.get, f"/w/{demo.workspace.slug}/search/?q=release"),
        _queries(api.get, "/api/v1/search?q=release"),
    )
    expected_search = (SEARCH_PAGE[connection.vendor], SEARCH_API[connection.vendor])
    assert (pages, lists, search) == (PAGES, API, expected_search)
