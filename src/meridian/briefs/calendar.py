"""The briefs a member is asked to respond to, as entries of their calendar feed."""

from django.conf import settings
from django.urls import reverse

from meridian.briefs.models import BriefParticipant, BriefStatus
from meridian.core.calendar import CalendarEntry
from meridian.workspaces.models import Membership


def brief_deadlines(member: Membership) -> list[CalendarEntry]:
    """Open briefs awaiting the member's response, each at the member's own deadline."""
    rows = (
        BriefParticipant.objects.filter(
            membership=member,
            brief__status=BriefStatus.OPEN,
            responded_at__isnull=True,
            local_deadline__isnull=False,
        )
        .select_related("brief__workspace", "brief__author__profile")
        .order_by("local_deadline", "pk")
    )
    entries = []
    for row in rows:
        brief = row.brief
        assert row.local_deadline is not None  # filtered above
        url = settings.BASE_URL + reverse(
            "brief_detail", kwargs={"workspace": brief.workspace.slug, "brief_id": brief.pk}
        )
        need = "needs" if row.is_required else "would welcome"
        entries.append(
            CalendarEntry(
                uid=f"brief-participant-{row.pk}",
                at=row.local_deadline,
                summary=f"Respond to the brief: {brief.title}",
                url=url,
                description=(
                    f"{brief.author.profile.display_name} {need} your "
                    f"{brief.get_ask_kind_display().lower()} by this time.\n{url}"
                ),
                stamp=brief.updated_at,
            )
        )
    return entries
