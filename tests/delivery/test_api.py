"""The delivery API: preferences, held-until, deliveries, urgent budgets."""

from datetime import UTC, datetime

import pytest

from meridian.delivery.models import DeliverySettings
from meridian.delivery.services import delivery_accept
from tests import factories
from tests.api.support import bearer, get, problem, send
from tests.delivery.support import WEEKDAYS_9_TO_5, notice

pytestmark = pytest.mark.django_db

SATURDAY_NIGHT_BERLIN = datetime(2027, 3, 27, 22, 0, tzinfo=UTC)


def test_preferences_round_trip(client, member):
    headers = bearer(member)

    body = send(
        client,
        "PATCH",
        "/notification-preferences",
        {"channels": {"test.replied": "now"}, "quiet_hours": "23:00-06:30", "digest_time": "07:15"},
        headers,
    ).json()

    kinds = {k["kind"]: k for k in body["kinds"]}
    assert kinds["test.replied"] == {
        "kind": "test.replied",
        "label": "Replies to you",
        "description": "",
        "default_channel": "digest",
        "channel": "now",
    }
    assert body["quiet_hours"] == [[1380, 390]]
    assert body["quiet_hours_text"] == "23:00-06:30"
    assert body["digest_time"] == "07:15:00"
    assert get(client, "/notification-preferences", headers).json() == body


def test_bad_preferences_are_422_naming_each_field_and_change_nothing(client, member):
    body = problem(
        send(
            client,
            "PATCH",
            "/notification-preferences",
            {"channels": {"test.replied": "pigeon", "nope": "now"}, "quiet_hours": "late"},
            bearer(member),
        ),
        422,
    )

    assert set(body["errors"]) == {"channels.test.replied", "channels.nope", "quiet_hours"}
    assert not DeliverySettings.objects.exists()


def test_more_than_twelve_quiet_ranges_are_422_and_change_nothing(client, member):
    many = ", ".join(f"{h:02d}:00-{h:02d}:30" for h in range(24)) + ", 23:40-23:50"

    body = problem(
        send(client, "PATCH", "/notification-preferences", {"quiet_hours": many}, bearer(member)),
        422,
    )

    assert "at most 12 ranges" in body["errors"]["quiet_hours"][0]
    assert not DeliverySettings.objects.exists()


def test_the_sender_learns_until_when_a_notice_is_held_in_their_zone(
    client, workspace, member, time_machine
):
    berliner = factories.member(workspace, time_zone="Europe/Berlin", working_hours=WEEKDAYS_9_TO_5)
    time_machine.move_to(SATURDAY_NIGHT_BERLIN, tick=False)

    body = get(client, f"/delivery-hold/{berliner.pk}", bearer(member)).json()

    assert body == {
        "recipient_id": berliner.pk,
        "held": True,
        "until": "2027-03-29T07:00:00Z",
        "text": "Held until Mon 29 Mar, 07:00 UTC (your time)",
    }


def test_a_delivery_is_visible_to_its_sender_and_recipient_only(
    client, workspace, member, time_machine
):
    berliner = factories.member(workspace, time_zone="Europe/Berlin", working_hours=WEEKDAYS_9_TO_5)
    bystander = factories.member(workspace)
    time_machine.move_to(SATURDAY_NIGHT_BERLIN, tick=False)
    delivery = delivery_accept(notice(berliner, actor_id=member.pk))
    assert delivery is not None

    mine = get(client, f"/email-deliveries/{delivery.pk}", bearer(member)).json()
    theirs = get(client, f"/email-deliveries/{delivery.pk}", bearer(berliner)).json()

    assert mine["held_text"] == "Held until Mon 29 Mar, 07:00 UTC (your time)"
    assert theirs["held_text"] == "Held until Mon 29 Mar, 09:00 Europe/Berlin (your time)"
    assert mine["deliver_after"] == "2027-03-29T07:00:00Z"
    problem(get(client, f"/email-deliveries/{delivery.pk}", bearer(bystander)), 404)


def test_urgent_budget_and_policy(client, admin, member, time_machine):
    time_machine.move_to(datetime(2027, 3, 10, 12, tzinfo=UTC), tick=False)

    problem(send(client, "PUT", "/urgent-policy", {"weekly_budget": 5}, bearer(member)), 403)
    set_body = send(client, "PUT", "/urgent-policy", {"weekly_budget": 5}, bearer(admin)).json()
    body = get(client, "/urgent-budget", bearer(member)).json()

    assert set_body["weekly_budget"] == 5
    assert body == {
        "weekly_budget": 5,
        "used": 0,
        "left": 5,
        "refills_at": "2027-03-15T00:00:00Z",
        "text": "5 of 5 urgent notifications left this week; the budget refills on "
        "Mon 15 Mar, 00:00 UTC.",
    }
    problem(send(client, "PUT", "/urgent-policy", {"weekly_budget": 999}, bearer(admin)), 422)
