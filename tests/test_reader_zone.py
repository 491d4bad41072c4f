"""Every page shows times in the reader's own zone and names it; none falls back to bare UTC.

The sweep walks Django's URL resolver like the tenancy test, so a page added later is covered
without touching this file. The reader lives in Pacific/Kiritimati (UTC+14), where a time left
in UTC is off by more than half a day, and the clock stands on a Saturday night at 23:30 UTC,
which is already Sunday afternoon for the reader: a date taken in UTC is a day off.
"""

import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from meridian.briefs.services import Deadline, Invitee, brief_create
from meridian.decisions.services import Deadline as CloseBy
from meridian.decisions.services import proposal_create
from meridian.workspaces.models import Membership
from meridian.workspaces.services import profile_update
from tests.test_tenancy import _fill, _page_routes, _victim_ints, victim  # noqa: F401

pytestmark = pytest.mark.django_db

READER_ZONE = "Pacific/Kiritimati"
OTHER_ZONE = "Asia/Kathmandu"
SATURDAY_NIGHT = datetime(2026, 12, 5, 23, 30, tzinfo=UTC)  # Sunday 13:30 for the reader

# An offset ("UTC+14:00" on a member's clock) describes a zone; it is not a time shown in UTC.
OFFSET = re.compile(r"UTC[+\u2212-]\d\d:\d\d")
# The zone picker of the profile form lists "UTC" among the zones a person can choose.
SELECT = re.compile(r"<(select|datalist)\b.*?</\1>", re.S)


@pytest.fixture
def clock():
    with time_machine.travel(SATURDAY_NIGHT, tick=True):
        yield


@pytest.fixture
def reader(clock, victim):  # noqa: F811 (the tenancy test's data set, imported above)
    """The victim workspace's admin as a reader in Kiritimati, with timed things to read."""
    ws, ids = victim
    members = list(Membership.objects.filter(workspace=ws).select_related("profile"))
    admin = next(m for m in members if m.is_admin)
    for m in members:
        zone = READER_ZONE if m.pk == admin.pk else OTHER_ZONE
        profile_update(acting=m, member=m, time_zone=zone)
    admin = Membership.objects.select_related("profile", "user", "workspace").get(pk=admin.pk)
    other = next(m for m in members if m.pk != admin.pk)
    due = SATURDAY_NIGHT + timedelta(days=5, hours=-1)  # Thu 10 Dec 22:30 UTC
    brief_create(
        author=admin,
        title="Timed brief",
        participants=[Invitee(member_id=other.pk)],
        deadline=Deadline(at=due),
    )
    proposal_create(
        owner=admin,
        title="Timed proposal",
        participants=[Invitee(member_id=other.pk)],
        deadline=CloseBy(kind="instant", at=due),
        open_now=True,
    )
    client = Client()
    client.force_login(admin.user)
    return admin, client, ids


UTC_WORD = re.compile(r"\bUTC\b")


def _visible(html: str) -> str:
    return OFFSET.sub("", SELECT.sub("", html))


def _utc_context(html: str) -> list[str]:
    return [html[max(0, m.start() - 80) : m.end() + 20] for m in UTC_WORD.finditer(html)]


def test_no_page_shows_a_reader_far_from_utc_a_time_in_utc(reader):
    admin, client, ids = reader
    own = {**ids, "workspace": admin.workspace.slug}
    ints = _victim_ints(admin.workspace_id)
    pages = naming = 0
    for route in _page_routes():
        for url in _fill(route, own, ints):
            response = client.get(url)
            assert response.status_code < 500, f"GET {url}: {response.status_code}"
            if response.status_code != 200 or "text/html" not in response.get("Content-Type", ""):
                continue
            html = _visible(response.content.decode())
            # As a word: a random token (CSRF, nonce) may hold the letters "UTC".
            assert not UTC_WORD.search(html), (
                f"GET {url} shows UTC to a reader in {READER_ZONE}: "
                + (" | ".join(_utc_context(html)))
            )
            pages += 1
            naming += READER_ZONE in html
    assert pages >= 20, pages  # the walk reached the workspace's pages, not only redirects
    assert naming >= 6, naming  # and the pages that show times name the reader's zone


def test_lists_and_pages_of_one_deadline_agree_in_the_readers_zone(reader):
    admin, client, _ = reader
    ws = admin.workspace.slug
    # 22:30 UTC on Thursday 10 December is 12:30 on Friday 11 December in Kiritimati.
    briefs = client.get(reverse("brief_list", kwargs={"workspace": ws})).content.decode()
    assert "Fri 11 Dec, 12:30 Pacific/Kiritimati" in briefs
    proposals = client.get(reverse("proposal_list", kwargs={"workspace": ws})).content.decode()
    assert "Fri 11 Dec, 12:30 Pacific/Kiritimati" in proposals


def test_a_record_decided_on_saturday_night_utc_is_dated_sunday_for_the_reader(reader):
    admin, client, ids = reader
    page = client.get(
        reverse(
            "decision_record",
            kwargs={"workspace": admin.workspace.slug, "record_id": ids["record_id"]},
        )
    ).content.decode()
    assert "Decided 6 December 2026" in page
    log = client.get(reverse("decision_log", kwargs={"workspace": admin.workspace.slug}))
    assert "Decided 6 December 2026" in log.content.decode()
    # The log's date filter is the reader's date too: the record is found on the 6th alone.
    on_sixth = client.get(
        reverse("decision_log", kwargs={"workspace": admin.workspace.slug}),
        {"from": "2026-12-06", "to": "2026-12-06"},
    ).content.decode()
    on_fifth = client.get(
        reverse("decision_log", kwargs={"workspace": admin.workspace.slug}),
        {"from": "2026-12-05", "to": "2026-12-05"},
    ).content.decode()
    assert "Zeta Secret Works decision" in on_sixth
    assert "Zeta Secret Works decision" not in on_fifth


def test_a_reader_in_utc_is_shown_utc_by_name(reader):
    admin, client, _ = reader
    profile_update(acting=admin, member=admin, time_zone="UTC")
    briefs = client.get(reverse("brief_list", kwargs={"workspace": admin.workspace.slug}))
    assert "Thu 10 Dec, 22:30 UTC" in briefs.content.decode()


def test_the_markdown_export_dates_the_record_on_the_readers_day(reader):
    admin, client, ids = reader
    kwargs = {"workspace": admin.workspace.slug, "record_id": ids["record_id"]}
    text = client.get(reverse("decision_record_markdown", kwargs=kwargs)).content.decode()
    assert "- Date: 2026-12-06" in text


def test_the_audit_logs_date_filter_takes_the_readers_days(reader):
    admin, client, _ = reader
    audit = reverse("audit_log", kwargs={"workspace": admin.workspace.slug})
    # Everything was written at 23:30 UTC on Saturday 5 December: Sunday the 6th for the reader.
    # (The action filter's menu lists every action, so only the page outside it is read.)
    sunday = _visible(
        client.get(audit, {"since": "2026-12-06", "until": "2026-12-06"}).content.decode()
    )
    saturday = _visible(
        client.get(audit, {"since": "2026-12-05", "until": "2026-12-05"}).content.decode()
    )
    assert "test.marker" in sunday
    assert re.search(r"2026-12-06 13:\d\d Pacific/Kiritimati", sunday)
    assert "test.marker" not in saturday
