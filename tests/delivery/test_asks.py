"""Delivery as a sender meets it on an ask: held emails shown on the page, urgent, excerpts."""

from datetime import UTC, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from meridian.briefs.models import Brief
from meridian.decisions.services import proposal_comment_add
from meridian.delivery.models import Delivery
from meridian.delivery.services import urgent_policy_set
from meridian.notifications.models import InboxItem
from tests.api.support import bearer, get, problem, send
from tests.briefs.factories import brief, comment, next_week, person
from tests.decisions.factories import proposal, vote
from tests.delivery.support import run_tick
from tests.delivery.test_services import plain

pytestmark = pytest.mark.django_db

# Saturday 27 March 2027, 23:00 in Berlin, 22:00 in Lisbon.
SATURDAY_NIGHT = datetime(2027, 3, 27, 22, 0, tzinfo=UTC)
MONDAY_0900_BERLIN = datetime(2027, 3, 29, 7, 0, tzinfo=UTC)
LONG_BODY = "We want to **simplify** the [plans](https://example.com/plans). " + "More words. " * 40


def page(client, viewer, b: Brief) -> str:
    client.force_login(viewer.user)
    url = reverse("brief_detail", kwargs={"workspace": b.workspace.slug, "brief_id": b.pk})
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def test_the_author_sees_each_participants_email_held_until_in_the_authors_own_zone(
    client, workspace, time_machine
):
    time_machine.move_to(SATURDAY_NIGHT, tick=False)
    author = person(workspace, "Europe/Lisbon", display_name="Ana")
    berliner = person(workspace, "Europe/Berlin", display_name="Bert")
    always = person(workspace, "Asia/Tokyo", hours={}, display_name="Kei")
    b = brief(author, [berliner, always])

    html = page(client, author, b)

    # Bert's Monday 09:00 in Berlin is 08:00 in Lisbon (both on summer time by then).
    assert "email held until Mon 29 Mar, 08:00 Europe/Lisbon (your time)" in html
    assert html.count("email held until") == 1  # Kei keeps no hours: told at once
    assert "email held until" not in page(client, berliner, b)


def test_the_api_gives_the_author_the_held_note_the_brief_page_shows(
    client, workspace, time_machine
):
    time_machine.move_to(SATURDAY_NIGHT, tick=False)
    author = person(workspace, "Europe/Lisbon", display_name="Ana")
    berliner = person(workspace, "Europe/Berlin", display_name="Bert")
    always = person(workspace, "Asia/Tokyo", hours={}, display_name="Kei")
    b = brief(author, [berliner, always])

    mine = get(client, f"/briefs/{b.pk}", bearer(author)).json()
    theirs = get(client, f"/briefs/{b.pk}", bearer(berliner)).json()

    held = {p["member"]["display_name"]: p["held"] for p in mine["participants"]}
    assert held == {
        "Bert": "email held until Mon 29 Mar, 08:00 Europe/Lisbon (your time)",
        "Kei": "",
    }
    assert held["Bert"] in page(client, author, b)
    # Only the author is told; a participant sees no one's delivery.
    assert {p["held"] for p in theirs["participants"]} == {""}


def test_no_held_note_beside_a_participant_who_already_responded(client, workspace, time_machine):
    from meridian.briefs.services import respond

    time_machine.move_to(SATURDAY_NIGHT, tick=False)
    author = person(workspace, "Europe/Lisbon", display_name="Ana")
    berliner = person(workspace, "Europe/Berlin", display_name="Bert")
    b = brief(author, [berliner])

    respond(acting=berliner, brief=b, body="Fine by me.")  # in Meridian, on Saturday night

    assert "email held until" not in page(client, author, b)


def test_held_notes_cost_one_query_whatever_the_number_of_participants(
    client, workspace, time_machine
):
    time_machine.move_to(SATURDAY_NIGHT, tick=False)
    author = person(workspace, "Europe/Lisbon")
    few = brief(author, [person(workspace, "Europe/Berlin")], title="Few")
    many = brief(author, [person(workspace, "Europe/Berlin") for _ in range(6)], title="Many")
    page(client, author, few)

    counts = []
    for b in (few, many):
        with CaptureQueriesContext(connection) as captured:
            page(client, author, b)
        counts.append(len(captured.captured_queries))

    assert counts[0] == counts[1]


def new_brief_post(*members, **overrides) -> dict:
    data = {
        "title": "Outage on the EU cluster",
        "body": "The EU cluster is down.",
        "ask_kind": "decision",
        "questions": "Fail over now?",
        "required": [f"member:{m.pk}" for m in members],
        "optional": [],
        "deadline_kind": "day",
        "deadline_date": next_week().isoformat(),
        "deadline_at": "",
        "meeting_people": "",
        "meeting_minutes": "",
    }
    data.update(overrides)
    return data


def test_the_brief_form_offers_urgent_with_the_authors_budget_left(client, workspace, admin):
    author = person(workspace, "Europe/Lisbon")
    urgent_policy_set(acting=admin, weekly_budget=2)
    client.force_login(author.user)

    html = client.get(reverse("brief_new", kwargs={"workspace": workspace.slug})).content.decode()

    assert "Urgent — deliver now, even outside their working hours (2 of 2 left this week)" in html


def test_an_urgent_brief_is_emailed_at_once_on_a_saturday_night(client, workspace, time_machine):
    time_machine.move_to(SATURDAY_NIGHT, tick=False)
    author = person(workspace, "Europe/Lisbon")
    berliner = person(workspace, "Europe/Berlin")
    client.force_login(author.user)

    response = client.post(
        reverse("brief_new", kwargs={"workspace": workspace.slug}),
        new_brief_post(berliner, urgent="on"),
    )

    assert response.status_code == 302
    delivery = Delivery.objects.get(recipient=berliner)
    assert delivery.urgent and delivery.deliver_after == SATURDAY_NIGHT
    assert "email held until" not in page(client, author, Brief.objects.get())


def test_over_the_urgent_budget_the_form_says_when_it_refills_and_nothing_is_written(
    client, workspace, admin, time_machine
):
    time_machine.move_to(SATURDAY_NIGHT, tick=False)
    author = person(workspace, "Europe/Lisbon")
    berliner = person(workspace, "Europe/Berlin")
    urgent_policy_set(acting=admin, weekly_budget=0)
    client.force_login(author.user)

    response = client.post(
        reverse("brief_new", kwargs={"workspace": workspace.slug}),
        new_brief_post(berliner, urgent="on"),
    )

    html = response.content.decode()
    assert response.status_code == 422
    assert "refills on Mon 29 Mar, 00:00 Europe/Lisbon" in html
    assert "(0 of 0 left this week)" in html
    assert not Brief.objects.exists()
    assert not Delivery.objects.exists() and not InboxItem.objects.exists()


def test_the_api_sends_an_urgent_brief_and_answers_429_over_budget(
    client, workspace, admin, time_machine
):
    time_machine.move_to(SATURDAY_NIGHT, tick=False)
    author = person(workspace, "Europe/Lisbon")
    berliner = person(workspace, "Europe/Berlin")
    urgent_policy_set(acting=admin, weekly_budget=1)
    headers = bearer(author)
    body = {
        "title": "Outage",
        "participants": [{"member_id": berliner.pk}],
        "deadline_date": next_week().isoformat(),
        "urgent": True,
    }

    first = send(client, "POST", "/briefs", body, headers)
    second = send(client, "POST", "/briefs", {**body, "title": "Outage again"}, headers)

    assert first.status_code == 201, first.content
    assert Delivery.objects.get().urgent
    refused = problem(second, 429)
    assert "refills on Mon 29 Mar, 00:00 Europe/Lisbon" in refused["detail"]
    assert list(Brief.objects.values_list("title", flat=True)) == ["Outage"]
    assert Delivery.objects.count() == 1 and InboxItem.objects.count() == 1


def test_the_asked_email_quotes_the_start_of_the_brief_as_plain_text(
    workspace, time_machine, immediate_tasks, smtp_inbox, django_capture_on_commit_callbacks
):
    time_machine.move_to(MONDAY_0900_BERLIN, tick=False)
    author = person(workspace, "Europe/Lisbon")
    berliner = person(workspace, "Europe/Berlin")
    with django_capture_on_commit_callbacks(execute=True):
        b = brief(author, [berliner], body=LONG_BODY)
        comment(b, berliner, body="I'd keep the **annual** plan.")

    run_tick(django_capture_on_commit_callbacks, MONDAY_0900_BERLIN)

    [(_, asked)] = smtp_inbox.received
    text = plain(asked)
    assert "> We want to simplify the plans. More words." in text
    assert "**" not in text and "example.com" not in text
    quoted = Delivery.objects.get(recipient=berliner).excerpt
    assert len(quoted) <= 200 and quoted.endswith("More words.…")
    # The comment waits for the author's digest, quoted the same way.
    assert Delivery.objects.get(recipient=author).excerpt == "I'd keep the annual plan."


def test_a_blind_proposals_notices_quote_the_proposal_never_a_stance_or_a_hidden_comment(
    workspace, time_machine, immediate_tasks, smtp_inbox, django_capture_on_commit_callbacks
):
    time_machine.move_to(MONDAY_0900_BERLIN, tick=False)
    owner = person(workspace, "Europe/Lisbon")
    ana = person(workspace, "Europe/Berlin")
    bikram = person(workspace, "Asia/Kathmandu", hours={})
    with django_capture_on_commit_callbacks(execute=True):
        p = proposal(owner, [ana, bikram], visibility="blind", body="Work *Monday to Thursday*.")
        vote(ana, p, position="agree", reason="Zebra: I secretly agree")
        proposal_comment_add(acting=ana, proposal=p, body="Zebra comment nobody may see yet")

    run_tick(django_capture_on_commit_callbacks, MONDAY_0900_BERLIN)

    assert Delivery.objects.get(recipient=bikram).excerpt == "Work Monday to Thursday."
    # Ana took her stance before the tick, so her ask is no longer emailed: only Bikram's is.
    [(to, message)] = smtp_inbox.received
    assert to == [bikram.user.email]
    assert "> Work Monday to Thursday." in plain(message)
    assert "Zebra" not in message.as_string()
    assert not Delivery.objects.filter(excerpt__contains="Zebra").exists()


def test_a_proposals_owner_sees_whose_email_is_held_and_until_when(client, workspace, time_machine):
    time_machine.move_to(SATURDAY_NIGHT, tick=False)
    owner = person(workspace, "Europe/Lisbon")
    berliner = person(workspace, "Europe/Berlin")
    p = proposal(owner, [berliner])
    client.force_login(owner.user)
    url = reverse("proposal_detail", kwargs={"workspace": workspace.slug, "proposal_id": p.pk})

    html = client.get(url).content.decode()

    assert "email held until Mon 29 Mar, 08:00 Europe/Lisbon (your time)" in html
    client.force_login(berliner.user)
    assert "email held until" not in client.get(url).content.decode()


def test_the_api_gives_a_proposals_owner_the_held_note_the_page_shows(
    client, workspace, time_machine
):
    time_machine.move_to(SATURDAY_NIGHT, tick=False)
    owner = person(workspace, "Europe/Lisbon")
    berliner = person(workspace, "Europe/Berlin")
    p = proposal(owner, [berliner])

    mine = get(client, f"/proposals/{p.pk}", bearer(owner)).json()
    theirs = get(client, f"/proposals/{p.pk}", bearer(berliner)).json()

    held = {row["member"]["id"]: row["held"] for row in mine["participants"]}
    assert held[berliner.pk] == "email held until Mon 29 Mar, 08:00 Europe/Lisbon (your time)"
    assert held.get(owner.pk, "") == ""
    assert {row["held"] for row in theirs["participants"]} == {""}
