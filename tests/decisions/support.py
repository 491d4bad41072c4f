"""Helpers of the decisions tests shared with other suites (the tenancy sweep)."""

from meridian.briefs.models import Brief
from meridian.briefs.services import Invitee
from meridian.decisions.ballots import Ballot
from meridian.decisions.services import (
    Deadline,
    OptionSpec,
    outcome_write,
    pin_add,
    proposal_close,
    proposal_comment_add,
    proposal_create,
    stance_submit,
)
from meridian.workspaces.models import Membership, Team
from tests.briefs.factories import next_week


def victim_decisions(admin: Membership, other: Membership, team: Team, brief: Brief) -> dict:
    """A closed proposal with a record, a pin and an open one, named with the tenancy markers."""
    closed = proposal_create(
        owner=admin,
        title="Zeta Secret Works decision",
        body="Zed Secretname proposes it.",
        participants=[Invitee(member_id=other.pk), Invitee(team=team.slug)],
        kind="ranked",
        options=[OptionSpec("Zeta Secret Works A"), OptionSpec("Zeta Secret Works B")],
        deadline=Deadline(kind="local_day", day=next_week()),
        brief=brief,
        open_now=True,
    )
    first = closed.options.order_by("position").first()
    assert first is not None
    stance_submit(acting=other, proposal=closed, ballot=Ballot(ranking=[first.pk]))
    proposal_comment_add(acting=other, proposal=closed, body="Zed Secretname comments.")
    proposal_close(acting=admin, proposal=closed, reason="Zeta Secret Works are done")
    record = outcome_write(
        acting=admin, proposal=closed, statement="Zeta Secret Works A", rationale="Zed Secretname"
    )
    pin = pin_add(acting=admin, team=team, record=record, note="Zeta Secret Works")
    proposal_create(
        owner=admin,
        title="Zeta Secret Works open question",
        participants=[Invitee(member_id=other.pk)],
        deadline=Deadline(kind="working_day"),
        open_now=True,
    )
    return {"proposal_id": closed.pk, "record_id": record.pk, "pin_id": pin.pk}
