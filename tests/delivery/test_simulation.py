"""Two weeks of simulated time across eleven zones and two DST changes: the scheduler is right.

The clock is controlled (time-machine). Members in eleven zones — New York, Los Angeles and
Havana change their clocks on 14 March 2027, Berlin and London on 28 March — with working
hours, focus blocks, quiet hours and digest times of their own (two digest times fall in a
DST gap). Notices arrive at random (seeded) moments; the scheduler ticks every 5–15 simulated
minutes and its tasks email a real local SMTP server. Then, from what that server received:

* every member gets exactly one digest per local day, at their digest time (within a tick);
* nothing that is not urgent is emailed outside working hours or inside quiet hours or a
  focus block — judged on the recipient's wall clock, independently of the holding code;
* every notice is emailed exactly once (none lost, none repeated), urgent ones at once.
"""

import random
from collections import Counter
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import transaction

from meridian.delivery.models import Delivery, Digest
from meridian.delivery.rules import digest_moment
from meridian.delivery.services import (
    UrgentBudgetExceeded,
    delivery_accept,
    delivery_preferences_update,
    urgent_budget_check,
)
from tests import factories
from tests.delivery.support import notice, run_tick

pytestmark = pytest.mark.django_db

START = datetime(2027, 3, 14, 0, 0, tzinfo=UTC)
END = datetime(2027, 3, 28, 3, 0, tzinfo=UTC)  # 14 days, past Europe's change at 01:00 UTC
SEED = 20270314

WEEK = range(5)
PEOPLE = [
    # zone, working hours, focus blocks, quiet hours, digest time
    (
        "America/New_York",
        {d: [[540, 1020]] for d in WEEK},
        {1: [[540, 660]], 3: [[540, 660]]},
        "",
        time(8, 0),
    ),
    ("America/Los_Angeles", {d: [[480, 720], [780, 1020]] for d in WEEK}, {}, "", time(7, 30)),
    ("America/Havana", {d: [[480, 960]] for d in range(6)}, {}, "12:00-13:00", time(0, 30)),
    (
        "Europe/Berlin",
        {d: [[540, 1020]] for d in WEEK},
        {d: [[840, 900]] for d in WEEK},
        "22:00-07:00",
        time(2, 30),
    ),
    ("Europe/London", {d: [[600, 1080]] for d in WEEK}, {}, "", time(9, 0)),
    ("Asia/Kathmandu", {d: [[600, 1080]] for d in (6, 0, 1, 2, 3, 4)}, {}, "", time(8, 15)),
    ("Australia/Adelaide", {d: [[510, 1020]] for d in WEEK}, {}, "", time(6, 0)),
    ("Pacific/Chatham", {d: [[540, 1020]] for d in WEEK}, {0: [[600, 720]]}, "", time(8, 45)),
    ("Pacific/Kiritimati", {d: [[420, 900]] for d in WEEK}, {}, "", time(23, 30)),
    # A night shift across midnight, with a quiet hour inside it.
    (
        "Asia/Tokyo",
        {**{d: [[1320, 1440]] for d in WEEK}, **{d: [[0, 360]] for d in range(1, 6)}},
        {},
        "02:00-03:00",
        time(21, 0),
    ),
    # No working hours at all: only quiet hours hold their email.
    ("UTC", {}, {}, "23:00-07:00", time(12, 0)),
]


def _allowed_on_the_wall_clock(person: tuple, instant: datetime) -> bool:
    """The rule as a person reads it on their own clock: inside hours, outside focus and quiet."""
    zone, hours, focus, quiet, _ = person
    local = instant.astimezone(ZoneInfo(zone))
    minute = local.hour * 60 + local.minute + local.second / 60
    day = local.weekday()

    def inside(ranges: list[list[int]]) -> bool:
        return any(a <= minute < b for a, b in ranges)

    at_work = inside(hours.get(day, [])) if hours else True
    quiet_ranges: list[list[int]] = []
    for part in filter(None, (p.strip() for p in quiet.split(","))):
        start, end = (int(x[:2]) * 60 + int(x[3:]) for x in part.split("-"))
        quiet_ranges += [[start, end]] if start < end else [[start, 1440], [0, end]]
    return at_work and not inside(focus.get(day, [])) and not inside(quiet_ranges)


def test_two_weeks_across_zones_and_dst_changes(
    workspace, admin, time_machine, immediate_tasks, smtp_inbox, django_capture_on_commit_callbacks
):
    rng = random.Random(SEED)
    time_machine.move_to(START - timedelta(days=1), tick=False)
    members = []
    for zone, hours, focus, quiet, digest_time in PEOPLE:
        member = factories.member(
            workspace,
            time_zone=zone,
            working_hours={str(d): h for d, h in hours.items()},
            focus_blocks={str(d): f for d, f in focus.items()},
            digest_time=digest_time,
        )
        delivery_preferences_update(acting=member, quiet_hours=quiet)
        members.append(member)
    person_of = {m.pk: person for m, person in zip(members, PEOPLE, strict=True)}
    senders = [admin, *(factories.member(workspace) for _ in range(3))]

    # What arrives, and when: random notices, plus one digest item a day six hours before each
    # member's digest time, so that every local day has a digest to send.
    arrivals: list[tuple[datetime, int, dict]] = []
    for member, (zone, *_rest, digest_time) in zip(members, PEOPLE, strict=True):
        day = START.astimezone(ZoneInfo(zone)).date()
        while (moment := digest_moment(zone, digest_time, day)) < END:
            if moment - timedelta(hours=6) > START:
                arrivals.append((moment - timedelta(hours=6), member.pk, {"kind": "test.replied"}))
            day += timedelta(days=1)
        for _ in range(40):
            at = START + timedelta(seconds=rng.randrange(int((END - START).total_seconds())))
            kind = rng.choice(["test.asked", "test.asked", "test.replied"])
            arrivals.append((at, member.pk, {"kind": kind, "urgent": rng.random() < 0.05}))
    arrivals.sort(key=lambda a: a[0])

    ticks: list[datetime] = []
    t = START
    while t < END:
        ticks.append(t)
        t += timedelta(minutes=rng.randint(5, 15))

    by_pk = {m.pk: m for m in members}
    subjects: dict[str, tuple[int, bool, datetime]] = {}
    pending = iter(arrivals)
    upcoming = next(pending, None)
    for now in ticks:
        while upcoming is not None and upcoming[0] <= now:
            at, member_pk, fields = upcoming
            time_machine.move_to(at, tick=False)
            sender = rng.choice(senders)
            urgent = fields.get("urgent", False)
            if urgent:
                try:
                    urgent_budget_check(sender=sender, now=at)
                except UrgentBudgetExceeded:
                    urgent = False
            subject = f"Notice {len(subjects) + 1}"
            with transaction.atomic():
                delivery_accept(
                    notice(
                        by_pk[member_pk],
                        kind=fields["kind"],
                        subject=subject,
                        actor_id=sender.pk,
                        urgent=urgent,
                        cause=f"sim:{len(subjects) + 1}",
                    )
                )
            subjects[subject] = (member_pk, urgent, at)
            upcoming = next(pending, None)
        time_machine.move_to(now, tick=False)
        run_tick(django_capture_on_commit_callbacks, now)

    received = [(rcpt[0], message) for rcpt, message in smtp_inbox.received]
    email_of = {m.pk: m.user.email for m in members}

    # Exactly one digest per local day, at the member's digest time (within one tick).
    for member in members:
        zone, *_rest, digest_time = person_of[member.pk]
        digests = Digest.objects.filter(recipient=member).order_by("local_date")
        days = [d.local_date for d in digests]
        assert len(days) == len(set(days))
        expected = []
        day = START.astimezone(ZoneInfo(zone)).date()
        while (moment := digest_moment(zone, digest_time, day)) < END - timedelta(minutes=15):
            if moment - timedelta(hours=6) > START:
                expected.append(day)
            day += timedelta(days=1)
        assert days == expected, (zone, days, expected)
        for digest in digests:
            moment = digest_moment(zone, digest_time, digest.local_date)
            assert digest.emailed_at is not None
            assert moment <= digest.emailed_at <= moment + timedelta(minutes=15), (zone, digest)
            assert digest.emailed_at.astimezone(ZoneInfo(zone)).date() == digest.local_date
        digest_emails = [
            m for to, m in received if to == member.user.email and "Your digest" in m["Subject"]
        ]
        assert len(digest_emails) == len(days)
    assert date(2027, 3, 14) in {d.local_date for d in Digest.objects.all()}

    # Emails sent at once: each exactly once, never outside the recipient's allowed time.
    at_once = Counter(
        m["Subject"].split("] ")[-1].split(": ")[-1]
        for _, m in received
        if "Your digest" not in m["Subject"]
    )
    assert all(count == 1 for count in at_once.values()), at_once.most_common(3)
    sent_now = Delivery.objects.filter(channel="now")
    checked = Counter[str]()
    for delivery in sent_now:
        member_pk, urgent, at = subjects[delivery.subject]
        if delivery.created_at > END - timedelta(days=4):
            continue  # may still be held for the weekend after the simulation ends
        assert delivery.emailed_at is not None, delivery.subject
        assert at_once[delivery.subject] == 1, delivery.subject
        if urgent:
            assert delivery.emailed_at - at <= timedelta(minutes=15)
            checked["urgent"] += 1
        else:
            assert _allowed_on_the_wall_clock(person_of[member_pk], delivery.emailed_at), (
                person_of[member_pk][0],
                delivery.emailed_at,
            )
            checked["held" if delivery.emailed_at - at > timedelta(minutes=15) else "prompt"] += 1
    # Every digest item went into exactly one digest, shown once.
    shown = Counter(
        line.strip()[2:]
        for _, m in received
        if "Your digest" in m["Subject"]
        for line in m.get_body(preferencelist=("plain",)).get_content().splitlines()  # type: ignore[union-attr]
        if line.strip().startswith("- ")
    )
    assert all(count == 1 for count in shown.values())
    digest_items = Delivery.objects.filter(channel="digest", digest__emailed_at__isnull=False)
    assert set(shown) == set(digest_items.values_list("subject", flat=True))
    assert sorted(at_once) == sorted(
        sent_now.filter(emailed_at__isnull=False).values_list("subject", flat=True)
    )
    assert checked["urgent"] > 0 and checked["held"] > 50 and checked["prompt"] > 20, checked
    assert len({to for to, _ in received}) == len(email_of)
