"""Closing at the deadline exactly once, reminders in working hours, review dates in the inbox.

The clock is controlled: each tick passes its own instant to the scheduler.
"""

import threading
from datetime import UTC, date, datetime, timedelta

import pytest
from django.db import connections
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from meridian.asks.deadlines import participant_deadline, week_of
from meridian.core.models import AuditEntry, ScheduledRun
from meridian.core.scheduler import Job, tick
from meridian.decisions import schedule
from meridian.decisions.models import DecisionRecord, Proposal, ProposalParticipant, ProposalStatus
from meridian.decisions.services import proposal_close
from meridian.workspaces.models import Membership
from tests.briefs.factories import person
from tests.decisions.factories import decided, past_deadline, proposal, vote

CLOSE = Job(schedule.CLOSE, schedule.proposals_to_close)
REMIND = Job(schedule.REMIND, schedule.proposal_reminders)
REVIEW = Job(schedule.REVIEW, schedule.decision_reviews)


def closes() -> int:
    return AuditEntry.objects.filter(action="decision.proposal_close").count()


# --- Closing -------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_scheduler_closes_a_due_proposal_once_and_asks_for_the_outcome(owner, ana, sent_mail):
    p = proposal(owner, [ana])
    vote(ana, p, position="agree")
    past_deadline(p)

    with sent_mail.capture():
        first = tick(timezone.now(), jobs=[CLOSE])
        second = tick(timezone.now(), jobs=[CLOSE])

    p.refresh_from_db()
    assert first.ran == [f"proposal.close:{p.pk}"] and second.ran == []
    assert p.status == ProposalStatus.CLOSED and p.closed_by is None
    assert p.close_reason == "The deadline passed."
    assert p.tally["counts"]["agree"] == 1
    assert closes() == 1
    assert [m.subject for m in sent_mail.messages if owner.user.email in m.to] == [
        f"[{owner.workspace.name}] Closed: write the outcome of {p.title}"
    ]


@pytest.mark.django_db
def test_a_proposal_not_yet_due_stays_open(owner, ana):
    p = proposal(owner, [ana])
    assert tick(timezone.now(), jobs=[CLOSE]).ran == []
    assert Proposal.objects.get(pk=p.pk).is_open


@pytest.mark.django_db
def test_a_worker_killed_mid_close_leaves_no_trace_and_the_next_tick_closes(
    owner, ana, monkeypatch
):
    p = proposal(owner, [ana])
    past_deadline(p)
    from meridian.decisions.services import closing as services

    real = services.notification_send

    def dies(**kwargs):
        raise SystemError("the worker was killed")

    monkeypatch.setattr(services, "notification_send", dies)
    crashed = tick(timezone.now(), jobs=[CLOSE])
    assert crashed.failed == [f"proposal.close:{p.pk}"]
    assert Proposal.objects.get(pk=p.pk).is_open
    assert not ScheduledRun.objects.filter(key=f"proposal.close:{p.pk}").exists()
    assert closes() == 0

    monkeypatch.setattr(services, "notification_send", real)
    assert tick(timezone.now(), jobs=[CLOSE]).ran == [f"proposal.close:{p.pk}"]
    assert Proposal.objects.get(pk=p.pk).is_closed and closes() == 1


@pytest.mark.django_db
def test_an_early_close_is_not_repeated_at_the_deadline(owner, ana):
    p = proposal(owner, [ana])
    proposal_close(acting=owner, proposal=p, reason="Clear enough")
    past_deadline(p)
    assert tick(timezone.now(), jobs=[CLOSE]).ran == []
    assert closes() == 1


@pytest.mark.django_db(transaction=True)
def test_two_workers_ticking_at_once_close_each_proposal_exactly_once(workspace, owner, ana):
    due = [proposal(owner, [ana], title=f"Question {n}") for n in range(6)]
    for p in due:
        vote(ana, p, position="agree")
        past_deadline(p)
    now = timezone.now()
    both_listed = threading.Barrier(2, timeout=20)
    errors: list[BaseException] = []

    def worker(reverse: bool) -> None:
        def listed(moment: datetime):
            occurrences = list(schedule.proposals_to_close(moment))
            both_listed.wait()
            return occurrences[::-1] if reverse else occurrences

        try:
            tick(now, jobs=[Job(schedule.CLOSE, listed)])
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(r,)) for r in (False, True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    tick(now, jobs=[CLOSE])  # picks up anything that lost a lock

    assert errors == []
    assert Proposal.objects.filter(status=ProposalStatus.CLOSED).count() == 6
    assert closes() == 6
    assert ScheduledRun.objects.filter(job=schedule.CLOSE).count() == 6
    outcome_due = [
        t for t in DBTaskResult.objects.all() if "decision.outcome_due" in str(t.args_kwargs)
    ]
    assert len(outcome_due) == 6


# --- Reminders -----------------------------------------------------------------------------------

ASKED = datetime(2026, 3, 9, 10, 0, tzinfo=UTC)  # Monday
THURSDAY = date(2026, 3, 12)


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 3, day, hour, minute, tzinfo=UTC)


def rewind(p: Proposal) -> Proposal:
    """Asked on Monday 9 March 2026, closing at the end of Thursday in each person's zone."""
    latest = None
    for row in ProposalParticipant.objects.filter(proposal=p).select_related("membership__profile"):
        profile = row.membership.profile
        due = participant_deadline(
            week_of(profile.time_zone, profile.working_hours),
            "local_day",
            opened_at=ASKED,
            deadline_at=None,
            deadline_date=THURSDAY,
        )
        ProposalParticipant.objects.filter(pk=row.pk).update(added_at=ASKED, local_deadline=due)
        latest = max(latest or due, due)
    Proposal.objects.filter(pk=p.pk).update(
        opened_at=ASKED, created_at=ASKED, deadline_date=THURSDAY, close_at=latest
    )
    return Proposal.objects.get(pk=p.pk)


def answered(p: Proposal, member: Membership) -> None:
    """The member took part (stances are refused in the rewound past, so set it directly)."""
    ProposalParticipant.objects.filter(proposal=p, membership=member).update(responded_at=ASKED)


def reminded_at(sent_mail, instant: datetime) -> list[str]:
    before = len(sent_mail.messages)
    with sent_mail.capture():
        tick(instant, jobs=[REMIND])
    return sorted(a for m in sent_mail.messages[before:] for a in m.to)


@pytest.mark.django_db
def test_reminders_go_to_those_without_a_stance_in_their_working_hours_once_a_day(
    workspace, sent_mail
):
    owner = person(workspace, "Europe/Berlin")
    kathmandu = person(workspace, "Asia/Kathmandu")
    new_york = person(workspace, "America/New_York")
    p = rewind(proposal(owner, [kathmandu, new_york], title="Pricing tiers"))
    answered(p, owner)
    ktm, nyc = kathmandu.user.email, new_york.user.email

    assert reminded_at(sent_mail, at(9, 14)) == []  # the day they were asked
    assert reminded_at(sent_mail, at(10, 4)) == [ktm]  # Kathmandu 09:45
    assert reminded_at(sent_mail, at(10, 6)) == []  # once a day
    assert reminded_at(sent_mail, at(10, 23)) == []  # New York 19:00, Kathmandu 04:45
    assert reminded_at(sent_mail, at(10, 14)) == [nyc]  # New York 10:00
    assert "closes Thursday 12 March 2026, 17:00 America/New_York" in sent_mail.messages[-1].body
    answered(p, kathmandu)
    assert reminded_at(sent_mail, at(11, 4)) == []  # Kathmandu has answered
    assert reminded_at(sent_mail, at(11, 14)) == [nyc]
    assert reminded_at(sent_mail, at(13, 14)) == []  # past their deadline: no nagging


@pytest.mark.django_db
def test_a_reminder_already_sent_that_local_day_is_not_sent_again(workspace, sent_mail):
    from meridian.decisions.services import participant_remind

    owner = person(workspace, "Europe/Berlin")
    kathmandu = person(workspace, "Asia/Kathmandu")
    p = rewind(proposal(owner, [kathmandu], title="Pricing tiers"))
    row = ProposalParticipant.objects.get(proposal=p, membership=kathmandu)
    from meridian.core.scheduler import NotNow

    with sent_mail.capture():
        participant_remind(participant_id=row.pk, now=at(10, 4))  # Kathmandu 09:45
        with pytest.raises(NotNow):
            participant_remind(participant_id=row.pk, now=at(10, 8))  # 13:45, the same day
    assert len(sent_mail.messages) == 1
    with sent_mail.capture():
        participant_remind(participant_id=row.pk, now=at(11, 4))  # the next local day
    assert len(sent_mail.messages) == 2


# --- Review dates --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_review_date_reaches_the_owner_once_in_their_working_hours(workspace, sent_mail):
    owner = person(workspace, "Asia/Tokyo")
    ana = person(workspace, "America/New_York")
    review = timezone.localdate() + timedelta(days=30)
    with sent_mail.capture():
        record = decided(
            proposal(owner, [ana]), expected_effect="Cycle time down 20 %", review_date=review
        )
    assert DecisionRecord.objects.filter(pk=record.pk).exists()

    def reviewed_at(instant: datetime) -> list[str]:
        before = len(sent_mail.messages)
        with sent_mail.capture():
            tick(instant, jobs=[REVIEW])
        return [m.subject for m in sent_mail.messages[before:]]

    tokyo_morning = datetime(review.year, review.month, review.day, 1, 0, tzinfo=UTC)  # 10:00 JST
    day_before = tokyo_morning - timedelta(days=1)
    is_weekday = review.weekday() < 5
    assert reviewed_at(day_before - timedelta(hours=2)) == []
    expected = [f"[{workspace.name}] Review due: {record.adr_id} {record.title}"]
    if is_weekday:
        assert reviewed_at(tokyo_morning - timedelta(hours=9)) == []  # 01:00 in Tokyo
        assert reviewed_at(tokyo_morning) == expected
    else:
        monday = tokyo_morning + timedelta(days=7 - review.weekday())
        assert reviewed_at(tokyo_morning) == []
        assert reviewed_at(monday) == expected
    assert reviewed_at(tokyo_morning + timedelta(days=10)) == []
    assert "Cycle time down 20 %" in sent_mail.messages[-1].body


@pytest.mark.django_db
def test_notifications_never_go_to_a_member_who_left(workspace, owner, ana, sent_mail):
    p = proposal(owner, [ana])
    Membership.objects.filter(pk=ana.pk).update(is_active=False)
    past_deadline(p)
    with sent_mail.capture():
        tick(timezone.now(), jobs=[CLOSE])
    assert ana.user.email not in sent_mail.to()
