"""Time-based work of check-ins: each member is asked once per local working day.

The due-function reads every active check-in, its team's members and their zones, hours and
time off, and lists each member whose ask moment (meridian.checkins.rules) has come today in
their own zone and who has no prompt for that local day yet. Those due on the same local day
are asked together, in batches of up to ``BATCH`` (check-in, member) pairs, each batch one
effect and one transaction (meridian.checkins.services.prompts_ask). The once-only key names
the day and the batch, ``checkins.ask:2027-03-15:417:<digest of who>``: a worker that lists
the same members due gets the same key and skips it; a batch that overlaps another (members
listed at another moment) waits for the other's lock and skips who it asked, and the prompt's
unique (check-in, member, day) holds besides. A scheduler that was down asks later the same
local day, but never for a day that has ended for the member. A constant number of queries
per tick, whatever the number of members; weeks and plans are cached per (zone, hours, day).
"""

import hashlib
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from functools import partial

from django.conf import settings
from django.db.models import Q

from meridian.asks.deadlines import week_of
from meridian.checkins.models import Checkin, CheckinPrompt
from meridian.checkins.rules import NEXT_HORIZON_DAYS, REMIND_AFTER, ask_moment, remind_moment
from meridian.checkins.services import prompt_remind, prompts_ask
from meridian.core import registry
from meridian.core.scheduler import Occurrence, run_key
from meridian.core.workingtime import is_working
from meridian.workspaces.models import TeamMembership, TimeOff

JOB = "checkins.ask"
REMIND = "checkins.remind"
# Members asked in one transaction at most (a scheduler that was down may find a whole day
# due); the setting ``CHECKIN_ASK_BATCH`` overrides it (the worker-kill tests use small ones).
BATCH = 1000


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
    due: dict[date, list[tuple[int, int]]] = {}
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
            due.setdefault(today, []).append((checkin.pk, member_id))
    size = int(getattr(settings, "CHECKIN_ASK_BATCH", BATCH))
    for today, pairs in sorted(due.items()):
        pairs.sort()
        for start in range(0, len(pairs), size):
            batch = pairs[start : start + size]
            yield Occurrence(
                run_key(JOB, batch_key(today, batch)),
                partial(prompts_ask, asks=batch, local_date=today, now=now),
            )


def batch_key(day: date, pairs: list[tuple[int, int]]) -> str:
    """What names a batch: the local day, how many are asked and a digest of who, e.g.
    ``2027-03-15:417:5f0c…``; the same members due again (after a crash) give the same key."""
    digest = hashlib.sha256(";".join(f"{c}:{m}" for c, m in pairs).encode()).hexdigest()[:24]
    return f"{day.isoformat()}:{len(pairs)}:{digest}"


def reminders_due(now: datetime) -> Iterator[Occurrence]:
    """Unanswered prompts to remind now, once each: ``REMIND_AFTER`` of the member's working
    time after they were asked, before their next prompt, and only at a moment the member may
    be nudged (in working hours, outside focus blocks and quiet hours: ``registry.not_now``).
    A moment that is not allowed is waited out; the next prompt ends the wait. Key
    ``checkins.remind:<prompt>``."""
    waiting = (
        CheckinPrompt.objects.filter(
            responded_at__isnull=True,
            last_reminded_at__isnull=True,
            membership__is_active=True,
            checkin__archived_at__isnull=True,
            asked_at__gte=now - timedelta(days=NEXT_HORIZON_DAYS + 1),
            asked_at__lte=now - REMIND_AFTER,
        )
        .filter(Q(local_deadline__isnull=True) | Q(local_deadline__gt=now))
        .values_list(
            "pk",
            "membership_id",
            "asked_at",
            "membership__profile__time_zone",
            "membership__profile__working_hours",
        )
    )
    due: list[tuple[int, int]] = []
    for prompt_id, member_id, asked_at, zone, hours in waiting.iterator(chunk_size=2000):
        week = week_of(zone or "UTC", hours or {})
        if remind_moment(week, asked_at) > now:
            continue
        if week.has_hours and not is_working(week, now):
            continue
        due.append((prompt_id, member_id))
    busy = registry.not_now({m for _, m in due}, now) if due else set()
    for prompt_id, member_id in due:
        if member_id not in busy:
            yield Occurrence(
                run_key(REMIND, prompt_id), partial(prompt_remind, prompt_id=prompt_id, now=now)
            )
