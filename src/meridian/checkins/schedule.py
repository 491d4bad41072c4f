"""Time-based work of check-ins: each member is asked once per local working day.

The due-function reads every active check-in, its team's members and their zones, hours and
time off, and lists each member whose ask moment (meridian.checkins.rules) has come today in
their own zone and who has no prompt for that local day yet. The once-only key names the
check-in, the member and the local day, ``checkins.ask:7:42:2027-03-15``; the prompt's unique
(check-in, member, day) holds too. A scheduler that was down asks later the same local day, but
never for a day that has ended for the member. A constant number of queries per tick,
whatever the number of members; weeks and plans are cached per (zone, hours, day).
"""

from collections.abc import Iterator
from datetime import datetime, timedelta
from functools import partial

from meridian.asks.deadlines import week_of
from meridian.checkins.models import Checkin, CheckinPrompt
from meridian.checkins.rules import ask_moment
from meridian.checkins.services import prompt_ask
from meridian.core.scheduler import Occurrence, run_key
from meridian.workspaces.models import TeamMembership, TimeOff

JOB = "checkins.ask"


def prompts_due(now: datetime) -> Iterator[Occurrence]:
    """Every member whose check-in is due now on their local day and not asked yet."""
    checkins = list(Checkin.objects.filter(archived_at__isnull=True))
    if not checkins:
        return
    by_team: dict[int, list[Checkin]] = {}
    for checkin in checkins:
        by_team.setdefault(checkin.team_id, []).append(checkin)
    members = TeamMembership.objects.filter(
        team_id__in=list(by_team), membership__is_active=True
    ).values_list(
        "team_id",
        "membership_id",
        "membership__profile__time_zone",
        "membership__profile__working_hours",
    )
    # Local days around now, whatever the zone (UTC-12 to UTC+14).
    first, last = (now - timedelta(days=1)).date(), (now + timedelta(days=1)).date()
    asked = set(
        CheckinPrompt.objects.filter(
            checkin_id__in=[c.pk for c in checkins], local_date__range=(first, last)
        ).values_list("checkin_id", "membership_id", "local_date")
    )
    away: dict[int, set] = {}
    for member_id, off_first, off_last in TimeOff.objects.filter(
        workspace_id__in={c.workspace_id for c in checkins},
        first_day__lte=last,
        last_day__gte=first,
    ).values_list("membership_id", "first_day", "last_day"):
        days = away.setdefault(member_id, set())
        for n in range(max(off_first, first).toordinal(), min(off_last, last).toordinal() + 1):
            days.add(datetime.fromordinal(n).date())
    for team_id, member_id, zone, hours in members.iterator(chunk_size=2000):
        week = week_of(zone or "UTC", hours or {})
        today = now.astimezone(week.zone).date()
        for checkin in by_team[team_id]:
            if (checkin.pk, member_id, today) in asked:
                continue
            plan = ask_moment(
                week, today, checkin.ask_time, checkin.weekdays, away.get(member_id, ())
            )
            if plan is None or plan.moment > now:
                continue
            yield Occurrence(
                run_key(JOB, f"{checkin.pk}:{member_id}:{today.isoformat()}"),
                partial(
                    prompt_ask,
                    checkin_id=checkin.pk,
                    membership_id=member_id,
                    local_date=today,
                    now=now,
                ),
            )
