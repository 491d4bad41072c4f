"""The check-ins part of tests/test_tenancy.py's victim workspace."""

from datetime import time

from django.utils import timezone

from meridian.checkins.models import Blocker
from meridian.checkins.services import BlockerIn, checkin_create, prompt_answer
from meridian.core.moments import local_date
from meridian.workspaces.models import Membership, Team
from tests.checkins.factories import asked


def victim_checkins(admin: Membership, other: Membership, team: Team) -> dict[str, int | str]:
    """A check-in of the victim's team, answered by its member with a blocker on the admin."""
    checkin = checkin_create(
        acting=admin,
        team=team,
        name="Zeta Secret Works standup",
        questions=["What did Zed Secretname finish?"],
        weekdays=list(range(7)),
        ask_time=time(0, 0),
        ask_mood=True,
    )
    now = timezone.now()
    day = local_date(now, other.profile.time_zone)
    prompt = asked(checkin, other, day, now)
    prompt_answer(
        acting=other,
        prompt=prompt,
        answers=["Zeta Secret Works launch"],
        mood=2,
        blocker=BlockerIn("Zeta Secret Works approval", person_id=admin.pk),
    )
    return {
        "checkin_id": checkin.pk,
        "prompt_id": prompt.pk,
        "blocker_id": Blocker.objects.get(checkin=checkin).pk,
        "day": day.isoformat(),
    }
