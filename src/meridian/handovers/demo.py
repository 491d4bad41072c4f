"""The demo's handovers: for each registered kind, a few held items in every state."""

from typing import Any

from meridian.core.muting import muted
from meridian.handovers.kinds import handover_kinds
from meridian.handovers.models import Handover
from meridian.handovers.services import (
    handover_acknowledge,
    handover_ask,
    handover_cancel,
    handover_start,
)
from meridian.workspaces.models import Membership, Workspace

NOTES = [
    "Going on leave for three weeks. The **open question** is the vendor's answer; the rest is "
    "in the description.",
    "You know this area best now. Criteria are current; ask me anything before Friday.",
    "Handing over as agreed in the team brief.",
    "Moving to another project; everything I know is in the packet.",
]


def demo_handovers(workspace: Workspace, members: dict[str, Any]) -> list[Handover]:
    """Pending, acknowledged and cancelled handovers, and one with an unanswered question."""
    people: list[Membership] = [m for m in members.values() if isinstance(m, Membership)]
    made: list[Handover] = []
    if len(people) < 2:
        return made
    with muted():
        for kind in handover_kinds().values():
            plan = ["question", "pending", "acknowledged", "cancelled"]
            for giver in people:
                if not plan:
                    break
                owned = kind.owned(workspace.pk, giver.pk)
                for object_id, _label in owned[:2]:
                    if not plan:
                        break
                    receiver = people[(people.index(giver) + 1) % len(people)]
                    state = plan.pop(0)
                    handover = handover_start(
                        actor=giver,
                        kind=kind.kind,
                        object_id=object_id,
                        receiver=receiver,
                        note=NOTES[len(made) % len(NOTES)],
                    )
                    if state == "question":
                        handover_ask(
                            actor=receiver,
                            handover=handover,
                            body="Who is the contact at the vendor, and is the deadline firm?",
                        )
                    elif state == "acknowledged":
                        handover = handover_acknowledge(actor=receiver, handover=handover)
                    elif state == "cancelled":
                        handover = handover_cancel(actor=giver, handover=handover)
                    made.append(handover)
    return made
