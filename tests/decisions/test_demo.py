"""The demo's decisions: an open blind consent, a closed ranked choice, an anonymous poll, a
superseded record; and it mails nobody."""

import pytest

from meridian.decisions.models import AnonymousBallot, DecisionRecord, Proposal, Stance

pytestmark = pytest.mark.django_db


def test_demo_decisions_cover_every_mode_and_the_log(shared_demo):
    workspace = shared_demo.workspace

    proposals = Proposal.objects.filter(workspace=workspace)
    consent = proposals.get(kind="consent", status="open")
    assert consent.visibility == "blind" and consent.brief is not None
    assert Stance.objects.filter(proposal=consent, payload={"position": "object"}).exists()

    ranked = proposals.get(kind="ranked")
    rounds = ranked.tally["irv"]["rounds"]
    assert ranked.is_closed and len(rounds) == 3
    assert ranked.tally["irv"]["winner"] == str(ranked.options.get(label="Go").pk)

    poll = proposals.get(anonymous=True)
    assert poll.is_open and AnonymousBallot.objects.filter(proposal=poll).count() == 4

    records = DecisionRecord.objects.filter(workspace=workspace).order_by("number")
    assert [r.title for r in records] == [
        "Which language for the new background worker?",
        "Open an office in Lisbon",
        "Fully remote, meeting in person twice a year",
    ]
    assert records[2].supersedes == records[1]
    assert shared_demo.mailed == []  # every task and on-commit callback of the build was run
