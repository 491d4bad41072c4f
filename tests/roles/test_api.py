"""The roles API: list (constant queries), create, read, patch with a version, holders, ticks,
rotas, and the one error shape."""

from datetime import UTC, datetime

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from meridian.roles.models import DutyCheck, Role, RoleHolding, Rota
from tests import factories
from tests.api.support import bearer, get, problem, send
from tests.roles.factories import held, role, weekly_rota

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 12, 9, 10, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _clock():
    with time_machine.travel(NOW, tick=False):
        yield


def count_queries(client, path, headers) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert get(client, path, headers).status_code == 200
    return len(ctx.captured_queries)


def test_the_list_answers_holders_and_duties_done_in_constant_queries(client, admin, member):
    headers = bearer(member)
    held(admin, role(admin, name="Support lead"), member)
    get(client, "/roles", headers)  # the token's first use is recorded once
    one = count_queries(client, "/roles", headers)
    for n in range(5):
        held(admin, role(admin, name=f"Role {n}"), admin, factories.member(admin.workspace))
    assert count_queries(client, "/roles", headers) == one
    body = get(client, "/roles?limit=2", headers).json()
    assert [r["name"] for r in body["items"]] == ["Role 0", "Role 1"] and body["next"]
    support = next(
        r for r in get(client, "/roles", headers).json()["items"] if r["name"] == "Support lead"
    )
    assert support["holders"][0]["member"]["id"] == member.pk
    assert (support["duties_done"], support["duties_total"]) == (0, 3)


def test_a_role_is_created_and_read_with_its_duties(client, member):
    created = send(
        client,
        "POST",
        "/roles",
        {
            "name": "On-call",
            "responsibilities": "Answer *pages*.",
            "duties": [{"text": "Review alerts", "cadence": "daily"}],
        },
        bearer(member),
    )
    assert created.status_code == 201, created.content
    data = created.json()
    assert data["responsibilities_html"].strip() == "<p>Answer <em>pages</em>.</p>"
    assert data["duties"][0]["done"] is False and data["duties"][0]["period_start"] == "2026-12-09"
    assert data["holders"] == [] and data["rota"] is None and data["version"] == 1


def test_a_bad_role_is_a_422_naming_the_field_and_writes_nothing(client, member):
    body = problem(
        send(
            client,
            "POST",
            "/roles",
            {"name": "X", "duties": [{"text": "Rotate", "cadence": "hourly"}]},
            bearer(member),
        ),
        422,
    )
    assert "duties" in body["errors"]
    assert not Role.objects.exists()


def test_a_patch_from_a_stale_version_is_409_with_the_other_change(client, admin, member):
    r = role(admin)
    first = send(
        client, "PATCH", f"/roles/{r.pk}", {"version": 1, "name": "Release captain"}, bearer(admin)
    )
    assert first.status_code == 200 and first.json()["version"] == 2
    body = problem(
        send(
            client,
            "PATCH",
            f"/roles/{r.pk}",
            {"version": 1, "name": "Release lead"},
            bearer(member),
        ),
        409,
    )
    assert "Release captain" in body["errors"]["name"][0]
    assert Role.objects.get().name == "Release captain"


def test_holders_are_assigned_and_released_and_the_history_kept(client, admin, member):
    r = role(admin)
    headers = bearer(admin)
    added = send(client, "POST", f"/roles/{r.pk}/holders", {"member_id": member.pk}, headers)
    assert added.status_code == 201 and added.json()["how"] == "assigned"
    gone = send(client, "DELETE", f"/roles/{r.pk}/holders/{member.pk}", None, headers)
    assert gone.status_code == 204
    data = get(client, f"/roles/{r.pk}", headers).json()
    assert data["holders"] == []
    assert [h["member"]["id"] for h in data["history"]] == [member.pk]
    assert data["history"][0]["ended_at"] is not None


def test_assigning_a_non_member_is_a_field_error(client, admin, outsider):
    r = role(admin)
    body = problem(
        send(client, "POST", f"/roles/{r.pk}/holders", {"member_id": outsider.pk}, bearer(admin)),
        422,
    )
    assert "member_id" in body["errors"]
    assert not RoleHolding.objects.exists()


def test_a_holder_ticks_a_duty_and_others_are_refused(client, admin, member):
    r = held(admin, role(admin), member)
    duty = r.duties.first()
    other = factories.member(admin.workspace)
    problem(
        send(client, "POST", f"/roles/{r.pk}/duties/{duty.pk}/tick", {"done": True}, bearer(other)),
        403,
    )
    ticked = send(
        client, "POST", f"/roles/{r.pk}/duties/{duty.pk}/tick", {"done": True}, bearer(member)
    )
    assert ticked.status_code == 200
    assert ticked.json()["done"] is True and ticked.json()["done_by"]["id"] == member.pk
    assert DutyCheck.objects.count() == 1


def test_a_rota_is_put_and_read_with_its_next_turns(client, admin, member):
    r = role(admin)
    put = send(
        client,
        "PUT",
        f"/roles/{r.pk}/rota",
        {
            "member_ids": [member.pk, admin.pk],
            "period": "days",
            "every_days": 3,
            "at": "08:00",
            "zone": "Europe/Berlin",
            "starts_on": "2026-12-10",
        },
        bearer(admin),
    )
    assert put.status_code == 200, put.content
    upcoming = put.json()["upcoming"]
    assert upcoming[0]["starts_at"] == "2026-12-10T07:00:00Z"
    assert [t["member"]["id"] for t in upcoming[:3]] == [member.pk, admin.pk, member.pk]
    assert get(client, f"/roles/{r.pk}/rota", bearer(member)).json()["every_days"] == 3
    bad = send(
        client,
        "PUT",
        f"/roles/{r.pk}/rota",
        {"member_ids": [], "at": "08:00", "zone": "Mars/Olympus", "starts_on": "2026-12-10"},
        bearer(admin),
    )
    body = problem(bad, 422)
    assert {"member_ids", "zone"} <= set(body["errors"])
    assert Rota.objects.get().zone == "Europe/Berlin"


def test_roles_of_another_workspace_are_not_found(client, member, outsider):
    theirs = role(outsider)
    headers = bearer(member)
    problem(get(client, f"/roles/{theirs.pk}", headers), 404)
    problem(
        send(client, "PATCH", f"/roles/{theirs.pk}", {"version": 1, "name": "Mine"}, headers), 404
    )
    problem(
        send(client, "POST", f"/roles/{theirs.pk}/holders", {"member_id": member.pk}, headers), 404
    )
    assert get(client, "/roles", headers).json()["items"] == []


def test_a_repeated_create_with_the_same_idempotency_key_makes_one_role(client, member):
    headers = {**bearer(member), "Idempotency-Key": "role-create-1"}
    body = {"name": "On-call"}
    first = send(client, "POST", "/roles", body, headers)
    again = send(client, "POST", "/roles", body, headers)
    assert first.status_code == again.status_code == 201
    assert again["Idempotent-Replayed"] == "true"
    assert Role.objects.count() == 1


def test_the_rota_of_a_role_without_one_is_not_found(client, admin):
    r = role(admin)
    problem(get(client, f"/roles/{r.pk}/rota", bearer(admin)), 404)
    weekly_rota(admin, r, [admin], NOW.date())
    assert get(client, f"/roles/{r.pk}/rota", bearer(admin)).status_code == 200
