"""What the areas tell webhooks: ids, titles, absolute URLs, the actor; never a hidden stance or voter."""

import json

import pytest
from django.conf import settings

from meridian.briefs.services import brief_close, respond
from meridian.decisions.services import proposal_close, proposal_comment_add
from meridian.webhooks.models import WebhookDelivery
from tests.briefs.factories import brief, comment, person
from tests.decisions.factories import option, proposal, vote
from tests.webhooks.support import endpoint

pytestmark = pytest.mark.django_db


@pytest.fixture
def events(admin, receiver, loopback_allowed, django_capture_on_commit_callbacks):
    """Every event's delivery body, as posted (deliveries are queued, not sent, here)."""
    endpoint(admin, receiver.url())

    class Log:
        def capture(self):
            return django_capture_on_commit_callbacks(execute=True)

        def bodies(self) -> list[dict]:
            rows = WebhookDelivery.objects.order_by("created_at", "id")
            return [json.loads(d.body) for d in rows]

        def raw(self) -> str:
            return "\n".join(d.body for d in WebhookDelivery.objects.all())

    return Log()


def test_briefs_emit_created_comment_and_closed_with_absolute_urls_and_the_actor(
    admin, workspace, events
):
    ana = person(workspace, display_name="Ana Asked")
    with events.capture():
        made = brief(admin, [ana], title="Hiring plan")
        comment(made, ana, body="The secret body of a comment")
        respond(acting=ana, brief=made, body="My answer")
        brief_close(acting=admin, brief=made, summary="Agreed.")

    sent = events.bodies()
    assert [b["event"] for b in sent] == [
        "brief.created",
        "comment.added",
        "comment.added",
        "brief.closed",
    ]
    url = f"{settings.BASE_URL}/w/{workspace.slug}/briefs/{made.pk}/"
    assert {b["data"]["brief"]["url"] for b in sent} == {url}
    assert sent[0]["data"]["actor"]["name"] == admin.profile.display_name
    assert sent[1]["data"]["actor"]["name"] == "Ana Asked"
    assert sent[1]["data"]["comment"]["url"].startswith(f"{url}#comment-")
    assert sent[2]["data"]["comment"]["is_response"] is True
    assert sent[3]["data"]["brief"]["status"] == "closed"
    assert all(b["workspace"]["slug"] == workspace.slug for b in sent)
    assert "secret body" not in events.raw()


def test_a_blind_proposal_tells_nothing_of_stances_or_its_discussion_before_close(
    workspace, admin, events
):
    ana = person(workspace, display_name="Ana Blindvoter")
    bo = person(workspace, display_name="Bo Blindtalker")
    with events.capture():
        p = proposal(admin, [ana, bo], title="Office move", visibility="blind")
        vote(ana, p, position="object", reason="ANA-SECRET-REASON")
        proposal_comment_add(acting=bo, proposal=p, body="BO-SECRET-COMMENT")
    before_close = events.raw()
    assert "proposal.opened" in before_close
    assert "Ana Blindvoter" not in before_close
    assert "Bo Blindtalker" not in before_close  # the blind discussion's author stays hidden
    assert "object" not in before_close.replace('"kind":"consent"', "")
    assert "ANA-SECRET-REASON" not in before_close
    assert "BO-SECRET-COMMENT" not in before_close

    with events.capture():
        proposal_close(acting=admin, proposal=p, reason="Enough said.")
    closed = events.bodies()[-1]
    assert closed["event"] == "proposal.closed"
    assert closed["data"]["outcome"]["result"]
    assert closed["data"]["reason"] == "Enough said."
    assert closed["data"]["actor"]["name"] == admin.profile.display_name
    assert "ANA-SECRET-REASON" not in events.raw()


def test_an_anonymous_proposal_never_names_who_voted_even_after_close(workspace, admin, events):
    ana = person(workspace, display_name="Ana Anonymous")
    bo = person(workspace, display_name="Bo Anonymous")
    with events.capture():
        p = proposal(admin, [ana, bo], kind="single", options=["Lisbon", "Oslo"], anonymous=True)
        vote(ana, p, choice=option(p, "Oslo").pk, reason="ANA-ANON-REASON")
        vote(bo, p, choice=option(p, "Oslo").pk)
        proposal_close(acting=admin, proposal=p, reason="All in.")

    raw = events.raw()
    assert [b["event"] for b in events.bodies()] == ["proposal.opened", "proposal.closed"]
    assert "Ana Anonymous" not in raw and "Bo Anonymous" not in raw
    assert str(ana.pk) not in [str(b["data"]["actor"]["id"]) for b in events.bodies()]
    assert "ANA-ANON-REASON" not in raw
    outcome = events.bodies()[-1]["data"]["outcome"]
    assert outcome["result"] == "owner_decides"
    assert "“Oslo” with 2 of 2 ballots" in outcome["explanation"]


def test_a_comment_on_a_draft_only_its_owner_can_see_sends_nothing(workspace, admin, events):
    with events.capture():
        ana = person(workspace)
        draft = proposal(admin, [ana], title="DRAFT-SECRET-REORG", open_now=False)
        proposal_comment_add(acting=admin, proposal=draft, body="Note to self.")
    assert "DRAFT-SECRET-REORG" not in events.raw()
    assert WebhookDelivery.objects.count() == 0
