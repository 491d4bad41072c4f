"""Test data builders for check-ins, made through the real services."""

from datetime import date, datetime, time
from typing import Any

from meridian.checkins.models import Checkin, CheckinPrompt
from meridian.checkins.services import checkin_create, prompt_ask
from meridian.workspaces.models import Membership, Team
from meridian.workspaces.services import team_add_member, team_create
from tests import factories

WEEKDAYS_9_TO_5 = {str(d): [[540, 1020]] for d in range(5)}
MONDAY_TO_FRIDAY = [0, 1, 2, 3, 4]


def person(ws: Any, zone: str = "UTC", hours: dict | None = None, **kwargs: Any) -> Membership:
    """A member working Monday to Friday, 9 to 5 unless said otherwise, in their own zone."""
    return factories.member(
        ws, time_zone=zone, working_hours=WEEKDAYS_9_TO_5 if hours is None else hours, **kwargs
    )


def team(admin: Membership, *members: Membership, name: str = "Platform") -> Team:
    made = team_create(acting=admin, name=name)
    for member in members:
        team_add_member(acting=admin, team=made, member=member)
    return made


def checkin(admin: Membership, in_team: Team, **kwargs: Any) -> Checkin:
    values: dict[str, Any] = {
        "name": "Daily check-in",
        "questions": ["What did you finish?", "What's next?"],
        "weekdays": MONDAY_TO_FRIDAY,
        "ask_time": time(9, 30),
    }
    values.update(kwargs)
    return checkin_create(acting=admin, team=in_team, **values)


def asked(c: Checkin, member: Membership, day: date, now: datetime) -> CheckinPrompt:
    """Ask the member for that local day as the scheduler would."""
    prompt_ask(checkin_id=c.pk, membership_id=member.pk, local_date=day, now=now)
    return CheckinPrompt.objects.get(checkin=c, membership=member, local_date=day)
