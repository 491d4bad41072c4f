"""The tenancy walk's handovers in the victim workspace (tests/test_tenancy.py)."""

from meridian.briefs.models import Brief
from meridian.core import registry
from meridian.handovers.kinds import HANDOVER_KINDS
from meridian.handovers.services import (
    Assignment,
    handover_ask,
    handover_bulk_start,
    handover_start,
)
from meridian.workspaces.models import Membership
from tests.handovers.kinds import BRIEF_KIND


def victim_handovers(admin: Membership, other: Membership, brief: Brief) -> dict[str, int]:
    """A pending handover of the victim's brief with a question, and a batch (by the briefs kind)."""
    with registry.replaced(HANDOVER_KINDS, [BRIEF_KIND]):
        handover = handover_start(
            actor=admin,
            kind="brief",
            object_id=brief.pk,
            receiver=other,
            note="Zeta Secret Works handover note",
        )
        question = handover_ask(actor=other, handover=handover, body="Zed Secretname asks why?")
        handover.refresh_from_db()
        # The brief is in handover already: the batch skips it, but exists with its progress.
        batch = handover_bulk_start(
            actor=admin,
            member=admin,
            assignments=[Assignment("brief", brief.pk, other.pk)],
            note="Zeta Secret Works leave",
        )
    return {"handover_id": handover.pk, "question_id": question.pk, "batch_id": batch.pk}
