"""Every write of the notifications layer: telling a member something, and their inbox.

``notification_send`` is the one way an area tells a person anything. What awaits the member
(the call names a ``cause``) becomes an inbox item; every channel registered at
``registry.NOTIFICATION_CHANNELS`` then receives the notice inside the sender's transaction and
decides itself how and when to deliver it. Until a channel is registered, the notice is emailed
at once after commit, as Meridian always did.
"""

from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.tasks import task
from django.utils import timezone

from meridian.core import registry
from meridian.core.errors import Conflict, ValidationFailed
from meridian.core.moments import moment_text
from meridian.core.muting import is_muted, muted  # noqa: F401  (muted is part of this API)
from meridian.notifications import snooze
from meridian.notifications.models import InboxItem, InboxState
from meridian.notifications.sources import source_for
from meridian.workspaces.models import Membership

SNOOZE_HORIZON = timedelta(days=5 * 365 + 1)
"""How far ahead an item may be snoozed: five years (and a leap day), as for a deadline."""


def _name(member: Membership | None) -> str:
    return str(member.profile.display_name) if member is not None else ""


def notification_send(
    *,
    recipient: Membership,
    kind: str,
    subject: str,
    url: str,
    body: str = "",
    excerpt: str = "",
    actor: Membership | None = None,
    due_at: datetime | None = None,
    cause: str = "",
    urgent: bool = False,
) -> None:
    """Tell a member about something; with a ``cause`` it also awaits them in their inbox.

    ``url`` is where to act (site-relative); ``due_at`` is the recipient's own deadline;
    ``cause`` names what it is about (``briefs.asked:42``), so a reminder of the same
    cause updates the inbox item instead of adding one.
    """
    if not recipient.is_active:
        return
    if cause:
        inbox_item_put(
            recipient=recipient,
            kind=kind,
            cause=cause,
            title=subject,
            url=url,
            actor=actor,
            due_at=due_at,
        )
    if is_muted():
        return
    notice = registry.Notice(
        workspace_id=recipient.workspace_id,
        recipient_id=recipient.pk,
        kind=kind,
        subject=subject,
        url=url,
        body=body,
        excerpt=excerpt,
        actor_id=actor.pk if actor is not None else None,
        due_at=due_at,
        cause=cause,
        urgent=urgent,
    )
    channels = registry.items(registry.NOTIFICATION_CHANNELS)
    for channel in channels:
        channel(notice)
    if not channels:
        # No delivery channel yet: email at once, after commit, as before the inbox existed.
        recipient_id = recipient.pk
        transaction.on_commit(
            lambda: notification_email_send.enqueue(
                membership_id=recipient_id, kind=kind, subject=subject, url=url, body=body
            )
        )


def notification_send_many(notices: Sequence[registry.Notice]) -> None:
    """Tell many members something at once, as ``notification_send`` would tell each of them.

    For a job that tells hundreds of people in one transaction (a check-in asked of a whole
    zone): the inbox items are written in one statement (a cause already open for its recipient
    is updated, as a reminder), and each channel gets the whole batch when it registered a
    batch form at ``NOTIFICATION_CHANNEL_BATCHES`` (delivery keeps its per-kind preferences,
    held delivery and digests), else one notice at a time. Inactive recipients get nothing.
    """
    if not notices:
        return
    ids = {n.recipient_id for n in notices} | {n.actor_id for n in notices if n.actor_id}
    people = {m.pk: m for m in Membership.objects.select_related("profile").filter(pk__in=ids)}
    notices = [
        n
        for n in notices
        if (recipient := people.get(n.recipient_id)) is not None
        and recipient.is_active
        and recipient.workspace_id == n.workspace_id
    ]
    _inbox_items_put_many(notices, people)
    if is_muted():
        return
    channels = registry.items(registry.NOTIFICATION_CHANNELS)
    batches = dict(registry.items(registry.NOTIFICATION_CHANNEL_BATCHES))
    for channel in channels:
        many = batches.get(channel)
        if many is not None:
            many(notices)
        else:
            for notice in notices:
                channel(notice)
    if not channels:
        for notice in notices:
            _email_after_commit(notice)


def _email_after_commit(notice: registry.Notice) -> None:
    transaction.on_commit(
        lambda: notification_email_send.enqueue(
            membership_id=notice.recipient_id,
            kind=notice.kind,
            subject=notice.subject,
            url=notice.url,
            body=notice.body,
        )
    )


def _inbox_items_put_many(
    notices: Sequence[registry.Notice], people: dict[int, Membership]
) -> None:
    wanted = [n for n in notices if n.cause]
    if not wanted:
        return
    open_now = set(
        InboxItem.objects.filter(
            cause__in={n.cause[:120] for n in wanted},
            recipient_id__in={n.recipient_id for n in wanted},
            state=InboxState.OPEN,
        ).values_list("recipient_id", "cause")
    )
    now = timezone.now()
    new = []
    for n in wanted:
        actor = people.get(n.actor_id) if n.actor_id else None
        recipient = people[n.recipient_id]
        if (n.recipient_id, n.cause[:120]) in open_now:
            inbox_item_put(
                recipient=recipient,
                kind=n.kind,
                cause=n.cause,
                title=n.subject,
                url=n.url,
                actor=actor,
                due_at=n.due_at,
            )
            continue
        new.append(
            InboxItem(
                workspace_id=n.workspace_id,
                recipient_id=n.recipient_id,
                kind=n.kind,
                cause=n.cause[:120],
                title=n.subject[:300],
                reason=_reason(n.cause, actor)[:300],
                url=n.url[:500],
                actor=actor,
                due_at=n.due_at,
                created_at=now,
                updated_at=now,
                state=InboxState.OPEN,
            )
        )
    # A cause opened by another transaction meanwhile keeps its item (one open item per cause).
    InboxItem.objects.bulk_create(new, batch_size=500, ignore_conflicts=True)


@task()
def notification_email_send(
    *, membership_id: int, kind: str, subject: str, url: str, body: str = ""
) -> None:
    """Email one notification; a member who left in the meantime gets nothing."""
    recipient = (
        Membership.objects.select_related("user", "workspace")
        .filter(pk=membership_id, is_active=True)
        .first()
    )
    if recipient is None:
        return
    link = url if url.startswith(("http://", "https://")) else settings.BASE_URL + url
    text = f"{body}\n\n{link}" if body else link
    send_mail(
        subject=f"[{recipient.workspace.name}] {subject}",
        message=f"{text}\n\n— Meridian ({kind})",
        from_email=None,
        recipient_list=[recipient.user.email],
    )


# --- The inbox ------------------------------------------------------------------------------


def _reason(cause: str, actor: Membership | None) -> str:
    source = source_for(cause)
    if source is None:
        return f"{_name(actor)} needs you" if actor is not None else "Waiting for you"
    if actor is None:
        return source.reason_without_actor
    return source.reason.format(actor=_name(actor))


@transaction.atomic
def inbox_item_put(
    *,
    recipient: Membership,
    kind: str,
    cause: str,
    title: str,
    url: str,
    actor: Membership | None = None,
    due_at: datetime | None = None,
) -> InboxItem:
    """Put something awaiting the member in their inbox; the same cause again updates it."""
    now = timezone.now()
    fields = {
        "kind": kind,
        "title": title[:300],
        "reason": _reason(cause, actor)[:300],
        "url": url[:500],
        "actor": actor,
        "due_at": due_at,
        "updated_at": now,
    }
    item = (
        InboxItem.objects.select_for_update()
        .filter(recipient=recipient, cause=cause[:120], state=InboxState.OPEN)
        .first()
    )
    if item is None:
        try:
            # A savepoint: another transaction may open the same cause's item at this moment.
            with transaction.atomic():
                return InboxItem.objects.create(
                    workspace_id=recipient.workspace_id,
                    recipient=recipient,
                    cause=cause[:120],
                    created_at=now,
                    state=InboxState.OPEN,
                    **fields,
                )
        except IntegrityError:
            item = InboxItem.objects.select_for_update().get(
                recipient=recipient, cause=cause[:120], state=InboxState.OPEN
            )
    for name, value in fields.items():
        setattr(item, name, value)
    item.save(update_fields=[*fields])
    return item


def inbox_resolve(*, cause: str | Iterable[str], recipient: Membership | None = None) -> int:
    """The cause is gone (answered, closed, removed from the ask): its items leave inboxes.

    Items the member had marked done go too, so that Undo cannot bring back something that no
    longer needs them. ``cause`` is one cause or several; ``recipient`` limits it to one member.
    """
    causes = [cause] if isinstance(cause, str) else list(cause)
    if not causes:
        return 0
    rows = InboxItem.objects.filter(cause__in=causes, state__in=[InboxState.OPEN, InboxState.DONE])
    if recipient is not None:
        rows = rows.filter(recipient=recipient)
    return rows.update(state=InboxState.GONE, updated_at=timezone.now())


def inbox_resolve_all(*, recipient: Membership, now: datetime) -> int:
    """The member was removed from the workspace: everything in their inbox is resolved (kept,
    as gone, not deleted), and Undo cannot bring back what they had marked done."""
    return InboxItem.objects.filter(
        recipient=recipient, state__in=[InboxState.OPEN, InboxState.DONE]
    ).update(state=InboxState.GONE, updated_at=now)


def inbox_due_change(*, cause: str, recipient: Membership, due_at: datetime | None) -> None:
    """The member's own deadline for a cause moved: their open item shows the new one."""
    InboxItem.objects.filter(cause=cause, recipient=recipient, state=InboxState.OPEN).update(
        due_at=due_at, updated_at=timezone.now()
    )


def _locked(item: InboxItem) -> InboxItem:
    return InboxItem.objects.select_for_update().get(pk=item.pk)


@transaction.atomic
def inbox_done(*, acting: Membership, item: InboxItem) -> InboxItem:
    """The member has dealt with the item; it leaves their inbox (undo brings it back)."""
    item = _locked(item)
    if item.state == InboxState.GONE:
        raise Conflict("This item is already gone: what it was about no longer needs you.")
    if item.state == InboxState.OPEN:
        now = timezone.now()
        item.state, item.done_at, item.updated_at = InboxState.DONE, now, now
        item.save(update_fields=["state", "done_at", "updated_at"])
    return item


def member_week_for(member: Membership) -> snooze.WorkingWeek:
    """The member's working week, for their snooze moments and deadlines."""
    profile = member.profile
    return snooze.member_week(profile.time_zone, profile.working_hours)


def snooze_until(
    *,
    acting: Membership,
    moment: str = "",
    until: datetime | None = None,
    day: date | None = None,
    now: datetime | None = None,
) -> datetime:
    """The instant a snooze choice means for the member: a named moment, an instant, or the
    morning of a date, in their own zone and working hours; the past is refused (422)."""
    now = now or timezone.now()
    week = member_week_for(acting)
    if moment:
        if moment not in snooze.MOMENTS:
            raise ValidationFailed.field(
                "moment", f"Choose one of: {', '.join(snooze.MOMENTS)} (not {moment[:40]!r})."
            )
        return snooze.moment_at(moment, week, now)
    zone = week.zone.key
    latest = now + SNOOZE_HORIZON
    too_far = (
        f"is too far ahead: snooze to a moment before {moment_text(latest, zone, 'long')} "
        "(at most five years from now)."
    )
    if day is not None:
        field = "date"
        # Bounded before any date arithmetic, which fails near the years 1 and 9999.
        if day > latest.astimezone(week.zone).date():
            raise ValidationFailed.field(field, f"{day.isoformat()} {too_far}")
        try:
            at = snooze.morning_of(week, day)
        except OverflowError:  # around 0001-01-01
            raise ValidationFailed.field(field, f"{day.isoformat()} is in the past.") from None
    elif until is not None:
        if until.tzinfo is None or until.utcoffset() is None:
            raise ValidationFailed.field(
                "until", "Give the time with its UTC offset, e.g. 2026-12-10T09:00:00+01:00."
            )
        at, field = until, "until"
        try:
            at.astimezone(UTC)
        except OverflowError:  # 0001-01-01T00:00+14:00 or 9999-12-31T23:00-05:00
            where = "is in the past." if at.year < 5000 else too_far
            raise ValidationFailed.field(field, f"{at.isoformat()} {where}") from None
        if at > latest:
            raise ValidationFailed.field(field, f"{moment_text(at, zone, 'long')} {too_far}")
    else:
        raise ValidationFailed.field("moment", "Choose when the item should come back.")
    if at <= now:
        raise ValidationFailed.field(
            field,
            f"{moment_text(at, zone, 'long')} is in the past; snooze to a moment after "
            f"{moment_text(now, zone, 'datetime')}.",
        )
    return at


@transaction.atomic
def inbox_snooze(*, acting: Membership, item: InboxItem, until: datetime) -> InboxItem:
    """Hide the item until a moment of the member's choosing; it comes back by itself then."""
    item = _locked(item)
    if until <= timezone.now():
        raise ValidationFailed.field("until", "Snooze to a moment in the future.")
    if item.state != InboxState.OPEN:
        raise Conflict("Only an item still in your inbox can be snoozed.")
    item.snoozed_until, item.updated_at = until, timezone.now()
    item.save(update_fields=["snoozed_until", "updated_at"])
    return item


@transaction.atomic
def inbox_undo(*, acting: Membership, item: InboxItem) -> InboxItem:
    """Take back marking the item done or snoozing it: it is in the inbox again."""
    item = _locked(item)
    now = timezone.now()
    if item.state == InboxState.DONE:
        if InboxItem.objects.filter(
            recipient_id=item.recipient_id, cause=item.cause, state=InboxState.OPEN
        ).exists():
            raise Conflict("The same thing is already back in your inbox.")
        item.state, item.done_at, item.updated_at = InboxState.OPEN, None, now
        item.save(update_fields=["state", "done_at", "updated_at"])
    elif item.state == InboxState.OPEN and item.snoozed_until is not None:
        item.snoozed_until, item.updated_at = None, now
        item.save(update_fields=["snoozed_until", "updated_at"])
    elif item.state == InboxState.GONE:
        raise Conflict("This item is gone: what it was about no longer needs you.")
    return item
