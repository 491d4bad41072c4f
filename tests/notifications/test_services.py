"""The inbox as its services keep it: items arrive with their cause and leave once it is gone."""

from datetime import UTC, date, datetime, timedelta

import pytest
from django.utils import timezone

from meridian.briefs.models import BriefParticipant
from meridian.briefs.services import (
    Deadline,
    Invitee,
    brief_close,
    brief_update,
    comment_add,
    participant_remind,
    question_answer,
    respond,
)
from meridian.core import registry
from meridian.core.errors import Conflict, ValidationFailed
from meridian.decisions.models import DecisionRecord
from meridian.decisions.services import Deadline as DecisionDeadline
from meridian.decisions.services import (
    outcome_write,
    proposal_close,
    proposal_close_due,
    proposal_update,
    record_review_remind,
)
from meridian.notifications.models import InboxItem, InboxState
from meridian.notifications.selectors import inbox_count_for, inbox_entries_for, inbox_list_for
from meridian.notifications.services import (
    inbox_done,
    inbox_snooze,
    inbox_undo,
    muted,
    notification_send,
    snooze_until,
)
from meridian.notifications.sources import source_for
from tests.briefs.factories import brief
from tests.decisions.factories import proposal, vote

pytestmark = pytest.mark.django_db

THURSDAY = date(2026, 3, 12)


def waiting(member) -> list[InboxItem]:
    return list(inbox_list_for(viewer=member))


def why(member) -> list[str]:
    return [e.why for e in inbox_entries_for(viewer=member, items=waiting(member))]


@pytest.fixture
def asked(ada, kathmandu, new_york):
    return brief(ada, [kathmandu, new_york], title="Pricing page", deadline=Deadline(day=THURSDAY))


def test_being_asked_in_a_brief_puts_it_in_your_inbox_by_the_end_of_your_own_thursday(
    asked, kathmandu, new_york
):
    [item] = waiting(kathmandu)
    assert item.title == "Ada asks for your feedback: Pricing page"
    assert item.due_at == BriefParticipant.objects.get(membership=kathmandu).local_deadline
    assert why(kathmandu) == [
        "Ada asked you to respond by the end of your Thursday (17:00 Asia/Kathmandu)"
    ]
    assert why(new_york) == [
        "Ada asked you to respond by the end of your Thursday (17:00 America/New_York)"
    ]


def test_a_reminder_of_the_same_ask_updates_the_item_instead_of_adding_one(
    asked, kathmandu, monday
):
    participant = BriefParticipant.objects.get(membership=kathmandu)
    monday.move_to(datetime(2026, 3, 10, 4, 0, tzinfo=UTC))  # Tuesday 09:45 in Kathmandu
    participant_remind(participant_id=participant.pk, now=timezone.now(), overdue=False)
    [item] = waiting(kathmandu)
    assert item.title.startswith("Reminder: Ada asks for your response")
    assert InboxItem.objects.filter(recipient=kathmandu).count() == 1


def test_responding_takes_the_brief_out_of_your_inbox_and_no_one_elses(asked, kathmandu, new_york):
    respond(acting=kathmandu, brief=asked, body="Looks good.")
    assert waiting(kathmandu) == []
    assert len(waiting(new_york)) == 1
    assert InboxItem.objects.get(recipient=kathmandu).state == InboxState.GONE


def test_being_removed_from_the_ask_takes_it_out_of_your_inbox(asked, ada, kathmandu, new_york):
    brief_update(acting=ada, brief=asked, participants=[Invitee(member_id=new_york.pk)])
    assert waiting(kathmandu) == []
    assert len(waiting(new_york)) == 1


def test_a_new_deadline_shows_in_the_open_item(asked, ada, kathmandu):
    brief_update(acting=ada, brief=asked, deadline=Deadline(day=date(2026, 3, 13)))
    [entry] = why(kathmandu)
    assert entry.endswith("by the end of your Friday (17:00 Asia/Kathmandu)")


def test_closing_the_brief_empties_every_inbox_of_its_ask_and_questions(
    asked, ada, kathmandu, new_york
):
    comment_add(acting=kathmandu, brief=asked, body="Which plans?", is_question=True)
    assert [i.reason for i in waiting(ada)] == ["Bikash asked you a question"]
    brief_close(acting=ada, brief=asked, summary="We keep three plans.")
    assert waiting(ada) == waiting(kathmandu) == waiting(new_york) == []


def test_a_question_waits_for_the_author_until_it_is_answered(asked, ada, kathmandu):
    question = comment_add(acting=kathmandu, brief=asked, body="Which plans?", is_question=True)
    assert len(waiting(ada)) == 1
    question_answer(acting=ada, question=question)
    assert waiting(ada) == []


def test_mentions_and_replies_wait_for_the_person_named(asked, ada, kathmandu, new_york):
    handle = new_york.user.email.split("@")[0]
    first = comment_add(acting=ada, brief=asked, body=f"What do you think, @{handle}?")
    comment_add(acting=kathmandu, brief=asked, body="I agree.", parent=first)
    # The ask has a deadline, so it comes first; the mention (none) after it.
    assert [i.reason for i in waiting(new_york)] == [
        "Ada asked you to respond",
        "Ada mentioned you",
    ]
    assert "Bikash replied to your comment" in [i.reason for i in waiting(ada)]


def test_a_proposal_waits_for_your_stance_and_leaves_once_you_give_it(ada, kathmandu):
    p = proposal(ada, [kathmandu], title="Four-day week")
    [item] = waiting(kathmandu)
    assert item.reason == "Ada asked you to take a stance" and item.due_at is not None
    vote(kathmandu, p, position="agree")
    assert waiting(kathmandu) == []


def test_being_removed_from_an_open_proposal_takes_it_out_of_your_inbox(ada, kathmandu, new_york):
    p = proposal(ada, [kathmandu, new_york], title="Four-day week")
    proposal_update(acting=ada, proposal=p, participants=[Invitee(member_id=new_york.pk)])
    assert waiting(kathmandu) == [] and inbox_count_for(viewer=kathmandu) == 0
    assert len(waiting(new_york)) == 1


def test_a_proposal_closed_by_the_scheduler_leaves_every_inbox(ada, kathmandu, monday):
    p = proposal(ada, [kathmandu], title="Four-day week", deadline=DecisionDeadline(day=THURSDAY))
    assert len(waiting(kathmandu)) == 1
    monday.move_to(datetime(2026, 3, 14, tzinfo=UTC))
    proposal_close_due(proposal_id=p.pk, now=timezone.now())
    assert waiting(kathmandu) == []
    assert [i.cause for i in waiting(ada)] == [f"decisions.outcome:{p.pk}"]


def test_moving_an_open_proposals_deadline_moves_it_in_your_inbox(ada, kathmandu):
    p = proposal(ada, [kathmandu], title="Four-day week", deadline=DecisionDeadline(day=THURSDAY))
    proposal_update(acting=ada, proposal=p, deadline=DecisionDeadline(day=date(2026, 3, 13)))
    [entry] = why(kathmandu)
    assert entry.endswith("by the end of your Friday (17:00 Asia/Kathmandu)")


def test_closing_a_proposal_clears_stances_and_asks_the_owner_for_the_outcome(ada, kathmandu):
    p = proposal(ada, [kathmandu], title="Four-day week")
    proposal_close(acting=ada, proposal=p, reason="Enough.")
    assert waiting(kathmandu) == []
    [outcome] = waiting(ada)
    assert outcome.title == "Closed: write the outcome of Four-day week"
    p.refresh_from_db()
    outcome_write(
        acting=ada,
        proposal=p,
        statement="We try it.",
        rationale="Agreed.",
        review_date=date(2026, 6, 1),
    )
    assert waiting(ada) == []


def test_a_decision_review_due_waits_for_its_owner(ada, kathmandu):
    p = proposal(ada, [kathmandu], title="Four-day week")
    proposal_close(acting=ada, proposal=p, reason="Enough.")
    p.refresh_from_db()
    outcome_write(acting=ada, proposal=p, statement="We try it.", rationale="Agreed.")
    record = DecisionRecord.objects.get(proposal=p)
    record_review_remind(record_id=record.pk)
    [item] = waiting(ada)
    assert item.reason == "The decision's review date has come"


def test_done_hides_the_item_and_undo_brings_it_back(asked, kathmandu):
    [item] = waiting(kathmandu)
    inbox_done(acting=kathmandu, item=item)
    assert waiting(kathmandu) == [] and inbox_count_for(viewer=kathmandu) == 0
    assert list(inbox_list_for(viewer=kathmandu, view="done")) == [item]
    inbox_undo(acting=kathmandu, item=item)
    assert waiting(kathmandu) == [item]


def test_a_snoozed_item_comes_back_by_itself_at_the_next_working_morning(asked, kathmandu, monday):
    [item] = waiting(kathmandu)
    until = snooze_until(acting=kathmandu, moment="next_working_morning")
    assert until == datetime(2026, 3, 10, 3, 15, tzinfo=UTC)  # Tuesday 09:00 in Kathmandu
    inbox_snooze(acting=kathmandu, item=item, until=until)
    assert waiting(kathmandu) == []
    assert list(inbox_list_for(viewer=kathmandu, view="snoozed")) == [item]
    monday.move_to(until)
    assert waiting(kathmandu) == [item]


def test_undo_takes_back_a_snooze(asked, kathmandu):
    [item] = waiting(kathmandu)
    inbox_snooze(
        acting=kathmandu,
        item=item,
        until=snooze_until(acting=kathmandu, moment="in_2_working_hours"),
    )
    inbox_undo(acting=kathmandu, item=item)
    assert waiting(kathmandu) == [item]


def test_snoozing_into_the_past_is_refused_naming_the_moment(asked, kathmandu):
    with pytest.raises(ValidationFailed) as refused:
        snooze_until(acting=kathmandu, until=timezone.now() - timedelta(hours=1))
    assert "is in the past" in refused.value.errors["until"][0]
    assert "Asia/Kathmandu" in refused.value.errors["until"][0]
    with pytest.raises(ValidationFailed):
        snooze_until(acting=kathmandu, day=date(2026, 3, 8))
    assert waiting(kathmandu)[0].snoozed_until is None


def test_an_item_whose_cause_is_gone_cannot_be_marked_done(asked, kathmandu):
    [item] = waiting(kathmandu)
    respond(acting=kathmandu, brief=asked, body="Done.")
    with pytest.raises(Conflict):
        inbox_done(acting=kathmandu, item=item)


def test_undo_cannot_bring_back_an_item_whose_cause_went_after_it_was_done(asked, kathmandu):
    [item] = waiting(kathmandu)
    inbox_done(acting=kathmandu, item=item)
    respond(acting=kathmandu, brief=asked, body="Answered after marking it done.")
    with pytest.raises(Conflict):
        inbox_undo(acting=kathmandu, item=item)
    assert waiting(kathmandu) == [] and inbox_count_for(viewer=kathmandu) == 0


def test_muted_writes_the_inbox_but_sends_no_mail(ada, kathmandu, sent_mail):
    with sent_mail.capture(), muted():
        brief(ada, [kathmandu], title="Quiet one")
    assert len(waiting(kathmandu)) == 1 and sent_mail.messages == []


def test_without_a_delivery_channel_a_notice_is_emailed_at_once(ada, kathmandu, sent_mail):
    with sent_mail.capture():
        brief(ada, [kathmandu], title="Loud one")
    assert [m.to for m in sent_mail.messages] == [[kathmandu.user.email]]


def test_a_registered_channel_receives_the_notice_instead_of_the_immediate_email(
    ada, kathmandu, sent_mail, monkeypatch
):
    received: list[registry.Notice] = []
    monkeypatch.setitem(registry._points, registry.NOTIFICATION_CHANNELS, [received.append])
    with sent_mail.capture():
        notification_send(
            recipient=kathmandu,
            kind="brief.asked",
            subject="Please look",
            url="/somewhere/",
            actor=ada,
            cause="briefs.asked:999",
            due_at=timezone.now() + timedelta(days=1),
        )
    assert sent_mail.messages == []
    [notice] = received
    assert (notice.recipient_id, notice.actor_id, notice.cause) == (
        kathmandu.pk,
        ada.pk,
        "briefs.asked:999",
    )


def test_every_notice_the_areas_send_is_a_declared_kind_and_every_cause_a_declared_source(
    asked, ada, kathmandu, new_york, monkeypatch
):
    received: list[registry.Notice] = []
    monkeypatch.setitem(registry._points, registry.NOTIFICATION_CHANNELS, [received.append])
    handle = new_york.user.email.split("@")[0]
    first = comment_add(acting=ada, brief=asked, body=f"@{handle}, thoughts?")
    comment_add(acting=new_york, brief=asked, body="Some.", parent=first)
    question = comment_add(acting=kathmandu, brief=asked, body="Which?", is_question=True)
    question_answer(acting=ada, question=question)
    respond(acting=kathmandu, brief=asked, body="Fine.")
    brief_close(acting=ada, brief=asked, summary="Done.")
    p = proposal(ada, [kathmandu], title="Four-day week")
    proposal_close(acting=ada, proposal=p, reason="Enough.")
    p.refresh_from_db()
    outcome_write(acting=ada, proposal=p, statement="We try it.", rationale="Agreed.")
    record_review_remind(record_id=DecisionRecord.objects.get(proposal=p).pk)

    declared = registry.notification_kinds()
    assert {n.kind for n in received} - set(declared) == set()
    causes = {n.cause for n in received if n.cause}
    assert {c.split(":")[0] for c in causes} == {
        "briefs.mention",
        "briefs.reply",
        "briefs.question",
        "decisions.asked",
        "decisions.outcome",
        "decisions.review",
    }
    assert all(source_for(cause) is not None for cause in causes)


def test_an_item_opened_meanwhile_by_another_transaction_is_updated_not_doubled(
    asked, kathmandu, ada, monkeypatch
):
    # Another worker opened the item between this one's look and its insert.
    from meridian.notifications import services

    [existing] = waiting(kathmandu)
    real_filter = services.InboxItem.objects.select_for_update
    calls = iter([True])

    def blind_first_look(*args, **kwargs):
        queryset = real_filter(*args, **kwargs)
        return queryset.none() if next(calls, False) else queryset

    monkeypatch.setattr(services.InboxItem.objects, "select_for_update", blind_first_look)
    services.inbox_item_put(
        recipient=kathmandu,
        kind="brief.reminder",
        cause=existing.cause,
        title="Reminder",
        url=existing.url,
        actor=ada,
    )
    assert [i.title for i in waiting(kathmandu)] == ["Reminder"]
