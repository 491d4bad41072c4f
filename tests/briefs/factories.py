"""Test data builders for briefs, made through the real services."""

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any

from django.utils import timezone

from meridian.asks.deadlines import local_deadline, week_of
from meridian.briefs.models import Brief, BriefParticipant, Comment
from meridian.briefs.services import Deadline, Invitee, brief_create, comment_add
from meridian.workspaces.models import Membership, Workspace
from tests import factories

NINE_TO_FIVE = {str(d): [[540, 1020]] for d in range(5)}


def person(
    ws: Workspace, zone: str = "UTC", hours: dict | None = None, **kwargs: Any
) -> Membership:
    """A member working Monday to Friday (9 to 5 unless said otherwise) in their own zone."""
    return factories.member(
        ws, time_zone=zone, working_hours=NINE_TO_FIVE if hours is None else hours, **kwargs
    )


def next_week() -> date:
    """A weekday about a week ahead: a working day for everyone here, so no deadline moves."""
    day = (timezone.now() + timedelta(days=7)).date()
    return day + timedelta(days=max(0, 7 - day.weekday()) if day.weekday() >= 5 else 0)


def brief(
    author: Membership,
    required: Sequence[Membership] = (),
    *,
    optional: Sequence[Membership] = (),
    title: str = "Pricing page rework",
    deadline: Deadline | None = None,
    **kwargs: Any,
) -> Brief:
    participants = [Invitee(member_id=m.pk) for m in required] + [
        Invitee(member_id=m.pk, required=False) for m in optional
    ]
    return brief_create(
        author=author,
        title=title,
        participants=participants,
        deadline=deadline or Deadline(),
        **kwargs,
    )


def comment(
    brief: Brief, author: Membership, body: str = "Looks good to me.", **kwargs: Any
) -> Comment:
    return comment_add(acting=author, brief=brief, body=body, **kwargs)


def rewind(brief: Brief, *, asked_at: datetime, day: date) -> Brief:
    """Move a brief into the past for clock-controlled tests: asked at ``asked_at``, due ``day``.

    The services refuse deadlines in the past, so tests arrange them here, recomputing each
    participant's local deadline exactly as the service does.
    """
    Brief.objects.filter(pk=brief.pk).update(
        created_at=asked_at, deadline_kind="local_day", deadline_at=None, deadline_date=day
    )
    latest = None
    for p in BriefParticipant.objects.filter(brief=brief).select_related("membership__profile"):
        profile = p.membership.profile
        due = local_deadline(
            week_of(profile.time_zone, profile.working_hours), deadline_at=None, deadline_date=day
        )
        BriefParticipant.objects.filter(pk=p.pk).update(added_at=asked_at, local_deadline=due)
        latest = max(latest, due) if latest and due else due
    Brief.objects.filter(pk=brief.pk).update(respond_by=latest)
    return Brief.objects.get(pk=brief.pk)
