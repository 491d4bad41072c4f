"""The proposals a member is asked to take a stance on, as entries of their calendar feed.

Entries say what is asked and by when; never anyone's stance, nor how many have voted.
"""

from django.conf import settings

from meridian.core.calendar import CalendarEntry
from meridian.decisions import ballots
from meridian.decisions.models import ProposalParticipant, ProposalStatus
from meridian.workspaces.models import Membership


def proposal_deadlines(member: Membership) -> list[CalendarEntry]:
    """Open proposals awaiting the member's stance, each at the member's own deadline."""
    rows = (
        ProposalParticipant.objects.filter(
            membership=member,
            proposal__status=ProposalStatus.OPEN,
            responded_at__isnull=True,
            local_deadline__isnull=False,
        )
        .select_related("proposal__workspace", "proposal__owner__profile")
        .order_by("local_deadline", "pk")
    )
    entries = []
    for row in rows:
        proposal = row.proposal
        assert row.local_deadline is not None  # filtered above
        url = settings.BASE_URL + proposal.get_absolute_url()
        entries.append(
            CalendarEntry(
                uid=f"proposal-participant-{row.pk}",
                at=row.local_deadline,
                summary=f"Give your stance: {proposal.title}",
                url=url,
                description=(
                    f"{proposal.owner.profile.display_name} asks for your stance. "
                    f"Rule: {ballots.rule_text(proposal)}\n{url}"
                ),
                stamp=proposal.updated_at,
            )
        )
    return entries
