"""Time-based work of the delivery layer, run by the scheduler (see meridian.core.scheduler);
registered in ``delivery/hooks.py`` in this order, so a tick builds digests before sending them.

* ``delivery.send``: each notification whose moment has come is handed to email once
  (key ``delivery.send:<id>``), checked again against the recipient's rules as they are now;
  one whose cause no longer waits for the member (its inbox item is gone) is dropped.
* ``delivery.digest``: each member's digest once per local day at their digest time
  (key ``digest:<membership>:<local date>``), when something waited for it, and never twice
  within one local day, even after a move west across the date line.
* ``delivery.weekly``: a member who has had no digest in their local week (Monday to Sunday)
  gets one with the weekly summary alone (the goals' status, registry.DIGEST_SECTIONS) at their
  digest time on the week's first day their working hours, focus blocks and quiet hours allow
  (key ``digest.weekly:<membership>:<Monday>``); none when no area has anything for them or
  they turned the weekly summary off (its kind set to "Inbox only").
* ``digest.send``: built digests are handed to email in batches of ``SEND_BATCH`` (one task
  and one SMTP connection per batch; each digest is leased and recorded on its own).
* ``delivery.retry`` / ``digest.retry``: an email whose task failed or was lost is enqueued
  again (key per attempt), with backoff, up to ``MAX_ATTEMPTS`` tries.
"""

from collections.abc import Iterable, Iterator
from datetime import date, datetime, time, timedelta
from functools import partial

from django.conf import settings
from django.db import transaction
from django.db.models import CharField, Exists, Max, Min, OuterRef, Q, Subquery, Value
from django.db.models.functions import Cast, Concat

from meridian.core import registry
from meridian.core.models import ScheduledRun
from meridian.core.moments import reader_zone
from meridian.core.scheduler import Occurrence, run_key
from meridian.delivery import rules as delivery_rules
from meridian.delivery.holding import deliver_after, hold_until, local_moment, rules_for
from meridian.delivery.models import (
    MAX_ATTEMPTS,
    Channel,
    Delivery,
    DeliveryPreference,
    DeliverySettings,
    Digest,
)
from meridian.delivery.tasks import delivery_email_send, digest_email_send
from meridian.notifications.models import InboxItem, InboxState
from meridian.workspaces.models import Membership

# An inbox item's cause is this long at most (notifications.models.InboxItem.cause).
CAUSE_LENGTH = 120

# At most this many emails are handed over per job and tick; the next tick continues.
BATCH = 1000
# Digests handed to one sending task at a time.
SEND_BATCH = 200


def _quiet_hours(member_ids: set[int]) -> dict[int, list[list[int]]]:
    return dict(
        DeliverySettings.objects.filter(membership_id__in=member_ids).values_list(
            "membership_id", "quiet_hours"
        )
    )


def gone_causes(pairs: Iterable[tuple[int, str]]) -> set[tuple[int, str]]:
    """The (member, cause) pairs whose inbox item is gone (answered, closed, removed from the
    ask) and not opened again since: a notice about them that has not reached the member yet
    never will. One query for all."""
    wanted = {(member, cause[:CAUSE_LENGTH]): cause for member, cause in pairs if cause}
    if not wanted:
        return set()
    states: dict[tuple[int, str], set[str]] = {}
    rows = InboxItem.objects.filter(
        recipient_id__in={member for member, _ in wanted},
        cause__in={cause for _, cause in wanted},
    ).values_list("recipient_id", "cause", "state")
    for member, cause, state in rows:
        states.setdefault((member, cause), set()).add(state)
    return {
        (key[0], wanted[key])
        for key, found in states.items()
        if key in wanted and found == {InboxState.GONE}
    }


def hand_over(*, delivery_id: int, now: datetime) -> None:
    """Mark one notification as handed to email and send it once the claim commits."""
    if Delivery.objects.filter(pk=delivery_id, sent_at__isnull=True).update(sent_at=now):
        transaction.on_commit(lambda: delivery_email_send.enqueue(delivery_id=delivery_id))


def deliveries_due(now: datetime) -> Iterator[Occurrence]:
    """Notifications whose moment has come and whose recipient may be reached now."""
    due = list(
        Delivery.objects.filter(channel=Channel.NOW, sent_at__isnull=True, deliver_after__lte=now)
        .select_related("recipient__profile")
        .only(
            "pk",
            "urgent",
            "cause",
            "recipient__is_active",
            "recipient__profile__time_zone",
            "recipient__profile__working_hours",
            "recipient__profile__focus_blocks",
        )
        .order_by("deliver_after", "pk")[:BATCH]
    )
    quiet = _quiet_hours({d.recipient_id for d in due})
    gone = gone_causes((d.recipient_id, d.cause) for d in due)
    if gone:
        Delivery.objects.filter(
            pk__in=[d.pk for d in due if (d.recipient_id, d.cause) in gone], sent_at__isnull=True
        ).delete()
    for delivery in due:
        if (delivery.recipient_id, delivery.cause) in gone:
            continue
        if not delivery.urgent:
            profile = delivery.recipient.profile
            member_rules = rules_for(
                profile.time_zone,
                profile.working_hours,
                profile.focus_blocks,
                quiet.get(delivery.recipient_id, []),
            )
            moment = hold_until(member_rules, now)
            if moment is not None and moment > now:
                # The member's hours changed, or the tick came late: hold it again. (No allowed
                # moment at all, e.g. quiet all day, goes out now rather than never.)
                Delivery.objects.filter(pk=delivery.pk, sent_at__isnull=True).update(
                    deliver_after=moment
                )
                continue
        yield Occurrence(
            run_key("delivery.send", delivery.pk),
            partial(hand_over, delivery_id=delivery.pk, now=now),
        )


def digest_build(*, recipient_id: int, workspace_id: int, day: date, now: datetime) -> Digest:
    """Put everything waiting for a member's digest into their digest of local ``day``.

    Items whose cause already reached the member (in an earlier digest or at once) are folded
    in without being shown, and several items of one cause show once (the latest), so nothing
    is told twice.
    """
    pending = list(
        Delivery.objects.filter(
            recipient_id=recipient_id, channel=Channel.DIGEST, sent_at__isnull=True
        )
        .values_list("pk", "cause")
        .order_by("-created_at", "-pk")
    )
    causes = {cause for _, cause in pending if cause}
    # What no longer waits for the member (answered, closed, removed from the ask) is folded in
    # without being shown, as a repeat is.
    gone = {cause for _, cause in gone_causes((recipient_id, cause) for cause in causes)}
    told = (
        set(
            Delivery.objects.filter(
                recipient_id=recipient_id, cause__in=causes, sent_at__isnull=False
            )
            .exclude(repeat=True)
            .values_list("cause", flat=True)
        )
        if causes
        else set()
    )
    shown: list[int] = []
    repeats: list[int] = []
    for pk, cause in pending:
        if cause and (cause in told or cause in gone):
            repeats.append(pk)
            continue
        if cause:
            told.add(cause)
        shown.append(pk)
    digest = Digest.objects.create(
        workspace_id=workspace_id,
        recipient_id=recipient_id,
        local_date=day,
        created_at=now,
        item_count=len(shown),
    )
    Delivery.objects.filter(pk__in=shown).update(sent_at=now, digest=digest)
    if repeats:
        Delivery.objects.filter(pk__in=repeats).update(sent_at=now, digest=digest, repeat=True)
    return digest


def digests_due(now: datetime) -> Iterator[Occurrence]:
    """Members whose digest time has come today (their day) with something waiting from before it."""
    waiting = (
        Delivery.objects.filter(
            channel=Channel.DIGEST, sent_at__isnull=True, recipient__is_active=True
        )
        .values(
            "recipient_id",
            "workspace_id",
            "recipient__profile__time_zone",
            "recipient__profile__digest_time",
        )
        .annotate(first=Min("created_at"))
        .order_by()
    )
    due = []
    for row in waiting:
        zone_name = row["recipient__profile__time_zone"]
        day = now.astimezone(reader_zone(zone_name)).date()
        moment = delivery_rules.digest_moment(
            zone_name, row["recipient__profile__digest_time"], day
        )
        if now < moment or row["first"] > moment:
            continue
        due.append((row, day))
    # A member who moved west across the date line after today's digest is back in a local day
    # that already had one (under another date): judged by real instants, one query for all.
    last = dict(
        Digest.objects.filter(recipient_id__in=[row["recipient_id"] for row, _ in due])
        .values("recipient_id")
        .annotate(last=Max("created_at"))
        .order_by()
        .values_list("recipient_id", "last")
    )
    for row, day in due:
        zone = reader_zone(row["recipient__profile__time_zone"])
        previous = last.get(row["recipient_id"])
        if previous is not None and previous >= local_moment(zone, day, time(0)):
            continue
        yield Occurrence(
            f"digest:{row['recipient_id']}:{day.isoformat()}",
            partial(
                digest_build,
                recipient_id=row["recipient_id"],
                workspace_id=row["workspace_id"],
                day=day,
                now=now,
            ),
        )


WEEKLY_JOB = "digest.weekly"


def weekly_moment(
    zone_name: str, digest_time: time | None, rules: object, monday: date
) -> datetime | None:
    """When a member's weekly summary of the week starting ``monday`` is due: their digest time
    on Monday, or the first moment after it their rules allow; None if that is not in the week."""
    zone = reader_zone(zone_name)
    moment = deliver_after(
        rules,  # type: ignore[arg-type]
        delivery_rules.digest_moment(zone_name, digest_time, monday),
    )
    if moment >= local_moment(zone, monday + timedelta(days=7), time(0)):
        return None
    return moment


def weekly_digest_build(
    *, recipient_id: int, workspace_id: int, day: date, now: datetime
) -> Digest | None:
    """The member's digest of local ``day`` holding only the weekly summary — unless a digest
    of theirs already went into this week, they turned it off, or no area has anything for
    them (then nothing, and the week's key is spent)."""
    monday = delivery_rules.week_monday(day)
    if Digest.objects.filter(recipient_id=recipient_id, local_date__gte=monday).exists():
        return None
    member = Membership.objects.select_related("workspace").get(pk=recipient_id)
    if not member.is_active or delivery_rules.weekly_off([recipient_id]):
        return None
    sections = registry.digest_sections([(member, day)]).get(recipient_id, [])
    if not any(section.lines for section in sections):
        return None
    return Digest.objects.create(
        workspace_id=workspace_id,
        recipient_id=recipient_id,
        local_date=day,
        created_at=now,
        weekly_only=True,
    )


def weekly_digests_due(now: datetime) -> Iterator[Occurrence]:
    """Members without a digest yet in their local week whose weekly moment has come."""
    # The latest Monday any zone can be in: a member with a digest or a weekly key from it on
    # is surely done for their week, and is left out in the query (most members, most ticks).
    latest = delivery_rules.week_monday((now + timedelta(days=1)).date())
    key = Concat(
        Value(f"{WEEKLY_JOB}:"), Cast(OuterRef("pk"), output_field=CharField()), Value(f":{latest}")
    )
    turned_off = DeliveryPreference.objects.filter(
        membership_id=OuterRef("pk"), kind=delivery_rules.WEEKLY_KIND, channel=Channel.INBOX
    )
    digests = Digest.objects.filter(recipient_id=OuterRef("pk"))
    candidates = (
        Membership.objects.filter(is_active=True)
        .filter(
            ~Exists(digests.filter(local_date__gte=latest)),
            ~Exists(turned_off),
            ~Exists(ScheduledRun.objects.filter(key=key)),
        )
        .annotate(last=Subquery(digests.order_by("-local_date").values("local_date")[:1]))
        .values_list(
            "pk",
            "workspace_id",
            "last",
            "profile__time_zone",
            "profile__digest_time",
            "profile__working_hours",
            "profile__focus_blocks",
        )
    )
    rows = list(candidates)
    quiet = _quiet_hours({row[0] for row in rows}) if rows else {}
    moments: dict[tuple[object, ...], datetime | None] = {}
    for pk, workspace_id, last, zone_name, digest_time, hours, focus in rows:
        day = now.astimezone(reader_zone(zone_name)).date()
        monday = delivery_rules.week_monday(day)
        if last is not None and last >= monday:
            continue
        shape = (zone_name, digest_time, repr(hours), repr(focus), repr(quiet.get(pk, [])), monday)
        if shape not in moments:
            rules = rules_for(zone_name, hours, focus, quiet.get(pk, []))
            moments[shape] = weekly_moment(zone_name, digest_time, rules, monday)
        moment = moments[shape]
        if moment is None or now < moment:
            continue
        yield Occurrence(
            run_key(WEEKLY_JOB, f"{pk}:{monday.isoformat()}"),
            partial(
                weekly_digest_build, recipient_id=pk, workspace_id=workspace_id, day=day, now=now
            ),
        )


def digests_to_send(now: datetime) -> Iterator[Occurrence]:
    """Digests built and not yet tried, handed to email in batches (one task, one SMTP
    connection per batch); a batch's key names its first and last digest."""
    fresh = list(
        Digest.objects.filter(
            Q(item_count__gt=0) | Q(weekly_only=True),
            _free(now),
            emailed_at__isnull=True,
            attempts=0,
        )
        .order_by("pk")
        .values_list("pk", flat=True)[: BATCH * 10]
    )
    for start in range(0, len(fresh), SEND_BATCH):
        batch = fresh[start : start + SEND_BATCH]
        yield Occurrence(
            f"digest.send:{batch[0]}-{batch[-1]}",
            partial(transaction.on_commit, partial(digest_email_send.enqueue, digest_ids=batch)),
        )


def _retry_after() -> timedelta:
    """A handed-over email not accepted by the mail server after this long is enqueued again."""
    return timedelta(seconds=settings.DELIVERY_RETRY_SECONDS)


def _free(now: datetime) -> Q:
    return Q(lease_until__isnull=True) | Q(lease_until__lt=now)


def deliveries_to_retry(now: datetime) -> Iterator[Occurrence]:
    """Emails handed over a while ago that the mail server has not accepted: enqueue again."""
    stale = Delivery.objects.filter(
        _free(now),
        channel=Channel.NOW,
        sent_at__lte=now - _retry_after(),
        emailed_at__isnull=True,
        attempts__lt=MAX_ATTEMPTS,
        recipient__is_active=True,
    ).values_list("pk", "attempts")[:BATCH]
    for pk, attempts in stale:
        yield Occurrence(
            f"delivery.retry:{pk}:{attempts}",
            partial(transaction.on_commit, partial(delivery_email_send.enqueue, delivery_id=pk)),
        )


def digests_to_retry(now: datetime) -> Iterator[Occurrence]:
    """Digests built a while ago that the mail server has not accepted: enqueue again."""
    stale = Digest.objects.filter(
        Q(item_count__gt=0) | Q(weekly_only=True),
        _free(now),
        created_at__lte=now - _retry_after(),
        emailed_at__isnull=True,
        attempts__lt=MAX_ATTEMPTS,
        recipient__is_active=True,
    ).values_list("pk", "attempts")[:BATCH]
    for pk, attempts in stale:
        yield Occurrence(
            f"digest.retry:{pk}:{attempts}",
            partial(transaction.on_commit, partial(digest_email_send.enqueue, digest_ids=[pk])),
        )
