"""The delivery API: notification preferences, held-until answers, urgent budgets."""

from typing import Any

from django.utils import timezone
from ninja import Router

from meridian.core.schemas import Problem
from meridian.delivery.access import delivery_get_for
from meridian.delivery.schemas import (
    EmailDeliveryOut,
    HoldOut,
    PreferencesIn,
    PreferencesOut,
    UrgentBudgetOut,
    UrgentPolicyIn,
)
from meridian.delivery.selectors import (
    Preferences,
    UrgentBudget,
    delivery_held_text,
    hold_for,
    preferences_for,
    urgent_budget_for,
)
from meridian.delivery.services import delivery_preferences_update, urgent_policy_set
from meridian.workspaces.access import ApiRequest, member_get_for, requires
from meridian.workspaces.models import Role

router = Router(tags=["delivery"])


@router.get("/notification-preferences", response=PreferencesOut)
@requires(Role.GUEST)
def preferences(request: ApiRequest) -> Preferences:
    """Your channel for each kind of notification (inbox only, daily digest, at once), your quiet
    hours and your digest time."""
    return preferences_for(viewer=request.membership)


@router.patch("/notification-preferences", response=PreferencesOut)
@requires(Role.GUEST)
def preferences_edit(request: ApiRequest, payload: PreferencesIn) -> Preferences:
    """Change what you send; if anything is invalid nothing changes and each problem is named."""
    delivery_preferences_update(acting=request.membership, **payload.dict(exclude_unset=True))
    return preferences_for(viewer=request.membership)


@router.get("/delivery-hold/{member_id}", response={200: HoldOut, 404: Problem})
@requires(Role.GUEST)
def hold(request: ApiRequest, member_id: int) -> dict[str, Any]:
    """Whether a notification you send this member now would be held for their working hours,
    quiet hours or focus time, and until when, in your own zone."""
    recipient = member_get_for(request.membership, member_id)
    found = hold_for(viewer=request.membership, recipient=recipient, now=timezone.now())
    return {
        "recipient_id": found.recipient_id,
        "held": found.until is not None,
        "until": found.until,
        "text": found.text,
    }


@router.get("/email-deliveries/{delivery_id}", response={200: EmailDeliveryOut, 404: Problem})
@requires(Role.GUEST)
def delivery(request: ApiRequest, delivery_id: int) -> dict[str, Any]:
    """A notification you sent or receive on its way by email: held until when, sent, accepted."""
    found = delivery_get_for(request.membership, delivery_id)
    return {
        "id": found.pk,
        "kind": found.kind,
        "subject": found.subject,
        "channel": found.channel,
        "urgent": found.urgent,
        "created_at": found.created_at,
        "deliver_after": found.deliver_after,
        "sent_at": found.sent_at,
        "emailed_at": found.emailed_at,
        "attempts": found.attempts,
        "held_text": delivery_held_text(
            viewer=request.membership, delivery=found, now=timezone.now()
        ),
    }


@router.get("/urgent-budget", response=UrgentBudgetOut)
@requires(Role.GUEST)
def urgent_budget(request: ApiRequest) -> UrgentBudget:
    """How many urgent notifications you may still send this week, and when the budget refills."""
    return urgent_budget_for(viewer=request.membership, now=timezone.now())


@router.put("/urgent-policy", response={200: UrgentBudgetOut, 403: Problem})
@requires(Role.ADMIN)
def urgent_policy(request: ApiRequest, payload: UrgentPolicyIn) -> UrgentBudget:
    """Set how many urgent notifications each member may send a week (admins)."""
    urgent_policy_set(acting=request.membership, weekly_budget=payload.weekly_budget)
    return urgent_budget_for(viewer=request.membership, now=timezone.now())
