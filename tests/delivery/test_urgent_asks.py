"""Urgent on every ask: a proposal opened at once, a question in a brief's or proposal's thread;
the weekly budget checked before anything is written, and serialised between parallel sends."""

import threading
import time
from datetime import UTC, datetime

import pytest
from django.db import connection, transaction
from django.urls import reverse

from meridian.briefs.models import Comment
from meridian.core import registry
from meridian.decisions.models import Proposal, ProposalComment
from meridian.delivery.models import Delivery, UrgentUse
from meridian.delivery.services import UrgentBudgetExceeded, delivery_accept, urgent_policy_set
from meridian.notifications.models import InboxItem
from tests.api.support import bearer, problem, send
from tests.briefs.factories import brief, next_week, person
from tests.decisions.factories import proposal
from tests.delivery.support import notice

pytestmark = pytest.mark.django_db

# Saturday 27 March 2027, 23:00 in Berlin, 22:00 in Lisbon: nobody is working.
SATURDAY_NIGHT = datetime(2027, 3, 27, 22, 0, tzinfo=UTC)
REFILL = "refills on Mon 29 Mar, 00:00 Europe/Lisbon"


@pytest.fixture
def lisbon(workspace):
    return person(workspace, "Europe/Lisbon", display_name="Ana")


@pytest.fixture
def berliner(workspace):
    return person(workspace, "Europe/Berlin", display_name="Bert")


def proposal_body(*members, **overrides) -> dict:
    body = {
        "title": "Fail over to the US cluster?",
        "participants": [{"member_id": m.pk} for m in members],
        "deadline_date": next_week().isoformat(),
        "urgent": True,
    }
    body.update(overrides)
    return body


def test_an_urgent_proposal_is_emailed_at_once_and_over_budget_is_429_with_nothing_written(
    client, admin, lisbon, berliner, time_machine
):
    time_machine.move_to(SATURDAY_NIGHT, tick=False)
    urgent_policy_set(acting=admin, weekly_budget=1)

    first = send(client, "POST", "/proposals", proposal_body(berliner), bearer(lisbon))
    second = send(
        client, "POST", "/proposals", proposal_body(berliner, title="Again?"), bearer(lisbon)
    )

    assert first.status_code == 201, first.content
    delivery = Delivery.objects.get(recipient=berliner)
    assert delivery.urgent and delivery.deliver_after == SATURDAY_NIGHT
    refused = problem(second, 429)
    assert REFILL in refused["detail"]
    assert list(Proposal.objects.values_list("title", flat=True)) == [
        "Fail over to the US cluster?"
    ]
    assert Delivery.objects.count() == 1 and InboxItem.objects.count() == 1


def test_an_urgent_draft_is_refused_naming_the_field(client, lisbon, berliner):
    response = send(
        client, "POST", "/proposals", proposal_body(berliner, open=False), bearer(lisbon)
    )

    assert "urgent" in problem(response, 422)["errors"]
    assert not Proposal.objects.exists()


def test_the_proposal_form_offers_urgent_with_the_budget_and_refuses_over_it(
    client, workspace, admin, lisbon, berliner, time_machine
):
    time_machine.move_to(SATURDAY_NIGHT, tick=False)
    urgent_policy_set(acting=admin, weekly_budget=0)
    client.force_login(lisbon.user)
    url = reverse("proposal_new", kwargs={"workspace": workspace.slug})

    html = client.get(url).content.decode()
    response = client.post(
        url,
        {
            "title": "Fail over?",
            "body": "",
            "kind": "consent",
            "rule": "owner_decides",
            "visibility": "blind",
            "participants": [f"member:{berliner.pk}"],
            "deadline_kind": "local_day",
            "deadline_date": next_week().isoformat(),
            "urgent": "on",
            "open": "1",
        },
    )

    assert "Urgent — deliver now, even outside their working hours (0 of 0 left this week)" in html
    assert response.status_code == 422
    assert REFILL in response.content.decode()
    assert not Proposal.objects.exists()
    assert not Delivery.objects.exists() and not InboxItem.objects.exists()


def test_an_urgent_question_in_a_brief_reaches_its_author_at_once_and_over_budget_is_429(
    client, admin, lisbon, berliner, time_machine
):
    time_machine.move_to(SATURDAY_NIGHT, tick=False)
    b = brief(berliner, [lisbon], title="Outage")
    urgent_policy_set(acting=admin, weekly_budget=1)
    url = f"/briefs/{b.pk}/comments"
    question = {"body": "Which region?", "is_question": True, "urgent": True}

    first = send(client, "POST", url, question, bearer(lisbon))
    second = send(client, "POST", url, {**question, "body": "And when?"}, bearer(lisbon))

    assert first.status_code == 201, first.content
    urgent = Delivery.objects.get(recipient=berliner, urgent=True)
    assert urgent.deliver_after == SATURDAY_NIGHT and urgent.actor_id == lisbon.pk
    assert REFILL in problem(second, 429)["detail"]
    assert list(Comment.objects.values_list("body", flat=True)) == ["Which region?"]
    assert Delivery.objects.filter(recipient=berliner).count() == 1


def test_only_a_question_to_someone_else_can_be_urgent(client, lisbon, berliner):
    b = brief(berliner, [lisbon])
    url = f"/briefs/{b.pk}/comments"

    plain = send(client, "POST", url, {"body": "FYI", "urgent": True}, bearer(lisbon))
    own = send(
        client,
        "POST",
        url,
        {"body": "Anyone?", "is_question": True, "urgent": True},
        bearer(berliner),
    )

    assert problem(plain, 422)["errors"]["urgent"] == ["Only a question can be urgent."]
    assert "urgent" in problem(own, 422)["errors"]
    assert not Comment.objects.exists() and not UrgentUse.objects.exists()


def test_the_brief_page_offers_an_urgent_question_and_shows_the_refill_over_budget(
    client, workspace, admin, lisbon, berliner, time_machine
):
    time_machine.move_to(SATURDAY_NIGHT, tick=False)
    b = brief(berliner, [lisbon])
    urgent_policy_set(acting=admin, weekly_budget=0)
    client.force_login(lisbon.user)
    page = reverse("brief_detail", kwargs={"workspace": workspace.slug, "brief_id": b.pk})
    post = reverse("brief_comment_new", kwargs={"workspace": workspace.slug, "brief_id": b.pk})

    html = client.get(page).content.decode()
    response = client.post(post, {"body": "Which region?", "is_question": "on", "urgent": "on"})

    assert "(0 of 0 left this week)" in html
    assert response.status_code == 422
    assert REFILL in response.content.decode()
    assert not Comment.objects.exists()
    client.force_login(berliner.user)
    assert "left this week" not in client.get(page).content.decode()  # the author's own


def test_an_urgent_comment_to_a_proposals_owner_and_the_cases_that_reach_nobody(
    client, admin, lisbon, berliner, time_machine
):
    time_machine.move_to(SATURDAY_NIGHT, tick=False)
    open_one = proposal(berliner, [lisbon], visibility="open")
    blind = proposal(berliner, [lisbon], visibility="blind", title="Blind")
    urgent_policy_set(acting=admin, weekly_budget=1)
    question = {"body": "Can we wait until Monday?", "urgent": True}

    sent = send(client, "POST", f"/proposals/{open_one.pk}/comments", question, bearer(lisbon))
    over = send(client, "POST", f"/proposals/{open_one.pk}/comments", question, bearer(lisbon))
    own = send(client, "POST", f"/proposals/{open_one.pk}/comments", question, bearer(berliner))
    hidden = send(client, "POST", f"/proposals/{blind.pk}/comments", question, bearer(lisbon))

    assert sent.status_code == 201, sent.content
    urgent = Delivery.objects.get(recipient=berliner, urgent=True)
    assert urgent.deliver_after == SATURDAY_NIGHT
    assert REFILL in problem(over, 429)["detail"]
    assert "urgent" in problem(own, 422)["errors"]
    assert "urgent" in problem(hidden, 422)["errors"]
    assert ProposalComment.objects.count() == 1


# --- Two urgent sends at once --------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_two_parallel_urgent_sends_with_one_left_let_exactly_one_through(
    workspace, admin, time_machine
):
    """The first send holds its check open while the second starts: without the lock on the
    sender, the second counts no use yet and passes too. Runs on SQLite (one writing
    transaction at a time) and on PostgreSQL (the lock on the sender's row)."""
    time_machine.move_to(SATURDAY_NIGHT, tick=True)
    sender = person(workspace, "Europe/Lisbon")
    recipient = person(workspace, "Europe/Berlin")
    urgent_policy_set(acting=admin, weekly_budget=1)
    first_checked = threading.Event()
    outcomes: dict[str, str] = {}

    def first() -> None:
        try:
            with transaction.atomic():
                registry.urgent_check(sender, SATURDAY_NIGHT)
                first_checked.set()
                time.sleep(0.5)  # the second send starts meanwhile
                delivery_accept(notice(recipient, actor_id=sender.pk, urgent=True, cause="a"))
            outcomes["first"] = "sent"
        finally:
            first_checked.set()
            connection.close()

    def second() -> None:
        first_checked.wait(5)
        try:
            with transaction.atomic():
                registry.urgent_check(sender, SATURDAY_NIGHT)
                delivery_accept(notice(recipient, actor_id=sender.pk, urgent=True, cause="b"))
            outcomes["second"] = "sent"
        except UrgentBudgetExceeded:
            outcomes["second"] = "429"
        finally:
            connection.close()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert outcomes == {"first": "sent", "second": "429"}
    assert UrgentUse.objects.filter(sender=sender).count() == 1
    assert list(Delivery.objects.values_list("cause", "urgent")) == [("a", True)]
