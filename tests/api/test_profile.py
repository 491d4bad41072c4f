"""PATCH /profile: only sent fields change, and a bad field changes nothing and is named."""

from datetime import time

import pytest

from meridian.core.models import AuditEntry
from meridian.workspaces.models import Profile
from tests.api.support import bearer, get, problem, send

pytestmark = pytest.mark.django_db


def _row(member) -> dict:
    return Profile.objects.filter(membership=member).values().get()


def test_profile_shows_zone_hours_and_focus_blocks(client, member):
    body = get(client, "/profile", bearer(member)).json()
    assert (body["membership_id"], body["time_zone"]) == (member.pk, "UTC")
    assert body["working_hours"]["0"] == [[540, 1020]]


def test_patch_changes_only_the_fields_sent(client, member):
    before = _row(member)
    body = send(client, "PATCH", "/profile", {"time_zone": "Asia/Kathmandu"}, bearer(member)).json()
    after = _row(member)
    assert (body["time_zone"], after["time_zone"]) == ("Asia/Kathmandu", "Asia/Kathmandu")
    assert (after["display_name"], after["working_hours"]) == (
        before["display_name"],
        before["working_hours"],
    )


def test_patch_sets_working_hours_focus_blocks_and_digest_time(client, member):
    payload = {
        "working_hours": {"0": [[840, 1080], [480, 720]]},
        "focus_blocks": {"2": [[540, 660]]},
        "digest_time": "08:30",
    }
    body = send(client, "PATCH", "/profile", payload, bearer(member)).json()
    assert body["working_hours"] == {"0": [[480, 720], [840, 1080]]}
    assert (body["focus_blocks"], body["digest_time"]) == ({"2": [[540, 660]]}, "08:30:00")
    assert _row(member)["digest_time"] == time(8, 30)


def test_invalid_time_zone_is_422_naming_the_zone_and_changes_nothing(client, member):
    headers = bearer(member)
    before, audits = _row(member), AuditEntry.objects.count()
    response = send(
        client,
        "PATCH",
        "/profile",
        {"display_name": "Renamed", "time_zone": "Mars/Olympus_Mons"},
        headers,
    )
    body = problem(response, 422)
    assert "Mars/Olympus_Mons" in body["detail"]
    assert list(body["errors"]) == ["time_zone"]
    assert (_row(member), AuditEntry.objects.count()) == (before, audits)


def test_overlapping_working_hours_are_422_naming_the_day_and_change_nothing(client, member):
    headers = bearer(member)
    before = _row(member)
    hours = {"1": [[540, 720], [700, 900]]}
    body = problem(send(client, "PATCH", "/profile", {"working_hours": hours}, headers), 422)
    assert "Tuesday" in body["detail"] and "overlaps" in body["detail"]
    assert list(body["errors"]) == ["working_hours"]
    assert _row(member) == before


def test_inverted_working_hours_are_422_saying_they_end_before_they_start(client, member):
    headers = bearer(member)
    before = _row(member)
    hours = {"0": [[1020, 540]]}
    body = problem(send(client, "PATCH", "/profile", {"working_hours": hours}, headers), 422)
    assert "Monday" in body["detail"] and "ends before it starts" in body["detail"]
    assert _row(member) == before


def test_overlapping_focus_blocks_are_422_naming_focus_blocks(client, member):
    blocks = {"4": [[600, 700], [650, 720]]}
    response = send(client, "PATCH", "/profile", {"focus_blocks": blocks}, bearer(member))
    assert list(problem(response, 422)["errors"]) == ["focus_blocks"]


def test_unknown_weekday_is_422_naming_it(client, member):
    response = send(
        client, "PATCH", "/profile", {"working_hours": {"9": [[540, 600]]}}, bearer(member)
    )
    assert "“9” is not a weekday" in problem(response, 422)["detail"]


def test_interval_that_is_not_a_pair_is_422_naming_the_field(client, member):
    response = send(
        client, "PATCH", "/profile", {"working_hours": {"0": [[540, 600, 700]]}}, bearer(member)
    )
    body = problem(response, 422)
    assert all(field.startswith("working_hours") for field in body["errors"])


def test_every_invalid_field_is_named_at_once(client, member):
    payload = {"time_zone": "Nowhere/Town", "working_hours": {"0": [[600, 500]]}, "locale": "xx"}
    body = problem(send(client, "PATCH", "/profile", payload, bearer(member)), 422)
    assert set(body["errors"]) == {"time_zone", "working_hours", "locale"}
