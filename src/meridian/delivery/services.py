"""Writes of the delivery layer: accepting notices, preferences, quiet hours, urgent budgets."""

from collections.abc import Mapping, Sequence
from datetime import datetime, time, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from meridian.core import registry
from meridian.core.errors import FieldErrors, MeridianError, ValidationFailed
from meridian.core.moments import moment_text, reader_zone
from meridian.core.services import audit_record
from meridian.core.workingtime import WorkingHoursError
from meridian.delivery import rules as delivery_rules
from meridian.delivery.holding import (
    deliver_after,
    local_moment,
    parse_quiet_hours,
    validate_quiet_hours,
)
from meridian.delivery.models import (
    MAX_ATTEMPTS,
    URGENT_BUDGET_DEFAULT,
    Channel,
    Delivery,
    DeliveryPreference,
    DeliverySettings,
    Digest,
    UrgentPolicy,
    UrgentUse,
)
from meridian.workspaces.access import require_role
from meridian.workspaces.models import Membership, Profile, Role
from meridian.workspaces.services import profile_update

MAX_URGENT_BUDGET = 50
# Quiet hours are a few daily ranges; more is a mistake (or an attempt to store a lot).
MAX_QUIET_RANGES = 12


class UrgentBudgetExceeded(MeridianError):
    """The sender has used this week's urgent notifications; the message says when it refills."""

    status_code = 429

    def __init__(self, detail: str, refills_at: datetime) -> None:
        super().__init__(detail)
        self.refills_at = refills_at


def urgent_budget(workspace_id: int) -> int:
    """How many urgent notifications a member of the workspace may send a week."""
    found = (
        UrgentPolicy.objects.filter(workspace_id=workspace_id)
        .values_list("weekly_budget", flat=True)
        .first()
    )
    return URGENT_BUDGET_DEFAULT if found is None else found


def _sender_zone(sender: Membership) -> str:
    return (
        Profile.objects.filter(membership_id=sender.pk).values_list("time_zone", flat=True).first()
        or "UTC"
    )


def _lock_sender(sender: Membership) -> None:
    """Serialise the sender's urgent sends until the transaction ends.

    Two sends at once by a sender with one left would otherwise both count the uses before
    either writes its own, and both pass. On PostgreSQL the second waits here for the first
    to commit, then counts its use; SQLite runs one writing transaction at a time (IMMEDIATE)
    and ignores the lock. NO KEY: rows that merely point at the member are not blocked.
    Outside a transaction (a read of the budget) there is nothing to serialise.
    """
    if transaction.get_connection().in_atomic_block:
        list(
            Membership.objects.select_for_update(no_key=True)
            .filter(pk=sender.pk)
            .values_list("pk", flat=True)
        )


def urgent_budget_check(*, sender: Membership, now: datetime, cause: str = "") -> int:
    """How many urgent notifications the sender has left this (their local) week.

    Raises ``UrgentBudgetExceeded`` (HTTP 429) when none is left, saying when the budget refills
    in the sender's own zone. A ``cause`` already sent urgently this week costs nothing again
    (the same ask to more people is one use).
    """
    _lock_sender(sender)
    zone = _sender_zone(sender)
    week = delivery_rules.week_start(zone, now)
    uses = UrgentUse.objects.filter(sender_id=sender.pk, week=week)
    if cause and uses.filter(cause=cause).exists():
        return max(urgent_budget(sender.workspace_id) - uses.count(), 0)
    left = urgent_budget(sender.workspace_id) - uses.count()
    if left <= 0:
        refills = local_moment(reader_zone(zone), week + timedelta(days=7), time(0, 0))
        raise UrgentBudgetExceeded(
            f"You have used this week's urgent notifications ({urgent_budget(sender.workspace_id)} "
            f"a week). Your budget refills on {moment_text(refills, zone, 'datetime')}; until then, "
            "send it as a normal notification: it reaches them at their next working moment.",
            refills_at=refills,
        )
    return left


def _spend_urgent(*, sender: Membership, cause: str, now: datetime) -> None:
    urgent_budget_check(sender=sender, now=now, cause=cause)
    week = delivery_rules.week_start(_sender_zone(sender), now)
    try:
        with transaction.atomic():
            UrgentUse.objects.create(
                workspace_id=sender.workspace_id, sender=sender, week=week, cause=cause, used_at=now
            )
    except IntegrityError:
        pass  # the same cause to another recipient: already counted


@transaction.atomic
def delivery_accept(notice: registry.Notice) -> Delivery | None:
    """The delivery channel: decide whether and when a notice reaches its recipient by email.

    Called by the notifications layer inside the sender's transaction. Inbox-only notices write
    nothing here; digest ones wait for the member's next digest; "at once" ones are held until
    the recipient's next allowed moment (working hours, outside focus blocks and quiet hours)
    unless urgent, which spends one of the sender's weekly urgent notifications.
    """
    now = timezone.now()
    recipient = (
        Membership.objects.select_related("profile")
        .filter(pk=notice.recipient_id, workspace_id=notice.workspace_id, is_active=True)
        .first()
    )
    if recipient is None:
        return None
    sender = None
    if notice.actor_id is not None:
        sender = Membership.objects.filter(
            pk=notice.actor_id, workspace_id=notice.workspace_id
        ).first()
    urgent = bool(notice.urgent and sender is not None)
    channel: str
    if urgent and sender is not None:
        _spend_urgent(sender=sender, cause=notice.cause or f"subject:{notice.subject}", now=now)
        channel = Channel.NOW
    else:
        channel = delivery_rules.channel_for(recipient, notice.kind)
    if channel == Channel.INBOX:
        return None
    after = None
    if channel == Channel.NOW:
        after = deliver_after(delivery_rules.member_rules(recipient.profile), now, urgent=urgent)
    fields: dict[str, Any] = {
        "kind": notice.kind,
        "subject": notice.subject[:300],
        "url": notice.url[:500],
        "body": notice.body,
        "excerpt": notice.excerpt,
        # Only a member of the notice's workspace can be named as its sender.
        "actor_id": sender.pk if sender is not None else None,
        "due_at": notice.due_at,
        "urgent": urgent,
        "notification_id": notice.notification_id,
        "deliver_after": after,
    }
    if notice.cause:
        # The same cause again, not yet sent, is the same item: keep one, with the latest text.
        waiting = Delivery.objects.filter(
            recipient=recipient, channel=channel, cause=notice.cause[:200], sent_at__isnull=True
        ).first()
        if waiting is not None:
            if waiting.deliver_after and after and waiting.deliver_after < after:
                fields["deliver_after"] = waiting.deliver_after
            for name, value in fields.items():
                setattr(waiting, name, value)
            waiting.save(update_fields=list(fields))
            return waiting
    return Delivery.objects.create(
        workspace_id=notice.workspace_id,
        recipient=recipient,
        channel=channel,
        cause=notice.cause[:200],
        created_at=now,
        **fields,
    )


def delivery_accept_many(notices: Sequence[registry.Notice]) -> None:
    """The delivery channel for many notices at once (``notification_send_many``): the
    recipients' channel choices are read in one query; notices that stay in the inbox write
    nothing, the others go through :func:`delivery_accept` one by one (held, digest, urgent)."""
    if not notices:
        return
    chosen = {
        (member_id, kind): channel
        for member_id, kind, channel in DeliveryPreference.objects.filter(
            membership_id__in={n.recipient_id for n in notices},
            kind__in={n.kind for n in notices},
        ).values_list("membership_id", "kind", "channel")
    }
    kinds = registry.notification_kinds()
    for notice in notices:
        declared = kinds.get(notice.kind)
        channel = chosen.get(
            (notice.recipient_id, notice.kind), declared.default_channel if declared else ""
        )
        if channel == Channel.INBOX and not notice.urgent:
            continue
        delivery_accept(notice)


@transaction.atomic
def delivery_preferences_update(
    *,
    acting: Membership,
    channels: Mapping[str, str] | None = None,
    quiet_hours: str | Sequence[Sequence[int]] | None = None,
    digest_time: time | None = None,
) -> None:
    """A member chooses, per kind of notification, inbox only, daily digest or at once; their
    quiet hours; and the local time of their digest. Nothing changes if any field is invalid."""
    errors = FieldErrors()
    kinds = registry.notification_kinds()
    chosen: dict[str, str] = {}
    for kind, channel in (channels or {}).items():
        if kind not in kinds:
            errors.add(f"channels.{kind}", f"There is no kind of notification called “{kind}”.")
        elif channel not in Channel.values:
            errors.add(
                f"channels.{kind}", f"“{channel}” is not a channel; use inbox, digest or now."
            )
        else:
            chosen[kind] = channel
    quiet: list[list[int]] | None = None
    if quiet_hours is not None:
        try:
            if isinstance(quiet_hours, str):
                parsed = parse_quiet_hours(quiet_hours)
            else:
                parsed = validate_quiet_hours([tuple(r) for r in quiet_hours])
            if len(parsed) > MAX_QUIET_RANGES:
                raise WorkingHoursError(
                    f"{len(parsed)} ranges are too many; give at most {MAX_QUIET_RANGES} ranges"
                )
            quiet = [list(r) for r in parsed]
        except (WorkingHoursError, TypeError) as exc:
            errors.add("quiet_hours", f"Quiet hours: {exc}")
    if digest_time is not None and digest_time.tzinfo is not None:
        errors.add(
            "digest_time", "The digest time is a time of your own day; leave out any UTC offset."
        )
    errors.raise_any()
    for kind, channel in chosen.items():
        if channel == kinds[kind].default_channel:
            # The kind's default is kept as no row, so a later change of default applies.
            DeliveryPreference.objects.filter(membership=acting, kind=kind).delete()
            continue
        DeliveryPreference.objects.update_or_create(
            membership=acting,
            kind=kind,
            defaults={"channel": channel, "workspace_id": acting.workspace_id},
        )
    if quiet is not None:
        DeliverySettings.objects.update_or_create(
            membership=acting,
            defaults={"quiet_hours": quiet, "workspace_id": acting.workspace_id},
        )
    if digest_time is not None:
        profile_update(acting=acting, member=acting, digest_time=digest_time)
    if quiet is not None:
        held_rehold(member=acting, now=timezone.now())
    audit_record(
        actor=acting,
        action="delivery.preferences",
        obj=acting,
        data={"channels": chosen, "quiet_hours": quiet},
    )


def held_rehold(*, member: Membership, now: datetime) -> int:
    """The member's hours, focus blocks or quiet hours changed: each email held for them goes at
    the next moment the new rules allow (sooner when they widened, later when they narrowed,
    at the next tick when now is allowed). Urgent ones were never held. Returns how many moved."""
    held = list(
        Delivery.objects.filter(
            recipient=member,
            channel=Channel.NOW,
            sent_at__isnull=True,
            urgent=False,
            deliver_after__isnull=False,
        ).values_list("pk", "deliver_after")
    )
    if not held:
        return 0
    profile = Profile.objects.get(membership=member)
    moment = deliver_after(delivery_rules.member_rules(profile), now)
    moved = [pk for pk, after in held if after != moment]
    Delivery.objects.filter(pk__in=moved, sent_at__isnull=True).update(deliver_after=moment)
    return len(moved)


@transaction.atomic
def urgent_policy_set(*, acting: Membership, weekly_budget: int) -> UrgentPolicy:
    """An admin sets how many urgent notifications each member may send a week."""
    require_role(acting, Role.ADMIN)
    if not 0 <= weekly_budget <= MAX_URGENT_BUDGET:
        raise ValidationFailed.field(
            "weekly_budget", f"The weekly urgent budget must be between 0 and {MAX_URGENT_BUDGET}."
        )
    policy, _ = UrgentPolicy.objects.update_or_create(
        workspace_id=acting.workspace_id, defaults={"weekly_budget": weekly_budget}
    )
    audit_record(
        actor=acting, action="delivery.urgent_budget", obj=policy, data={"weekly": weekly_budget}
    )
    return policy


@transaction.atomic
def delivery_stop_for(*, recipient: Membership, now: datetime) -> None:
    """The member was removed from the workspace: nothing more is emailed to them.

    Held and digest notifications not yet handed to email are dropped (as a notification whose
    cause went away is); digests built but not yet accepted by the mail server are given up, so
    that rejoining later does not bring back old mail.
    """
    Delivery.objects.filter(recipient=recipient, sent_at__isnull=True).delete()
    Digest.objects.filter(recipient=recipient, emailed_at__isnull=True).update(
        attempts=MAX_ATTEMPTS, lease_until=None, last_error="The member was removed."
    )
