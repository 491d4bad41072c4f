"""Decision services: the rule up front, stances and their history, bad input, closing, records."""

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from meridian.briefs.models import BriefLink
from meridian.briefs.services import Invitee
from meridian.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from meridian.core.models import AuditEntry
from meridian.decisions.ballots import Ballot
from meridian.decisions.models import (
    AnonymousBallot,
    DecisionRecord,
    Option,
    Outcome,
    Proposal,
    ProposalParticipant,
    ProposalStatus,
    ProposalTeam,
    Stance,
    StanceRevision,
)
from meridian.decisions.services import (
    Deadline,
    OptionSpec,
    outcome_write,
    pin_add,
    pin_remove,
    proposal_close,
    proposal_comment_add,
    proposal_create,
    proposal_open,
    proposal_update,
    stance_submit,
)
from meridian.workspaces.models import Role
from meridian.workspaces.services import team_add_member, team_create
from tests import factories
from tests.briefs.factories import brief, comment, next_week, person
from tests.decisions.factories import decided, ids, past_deadline, proposal, rank, vote

pytestmark = pytest.mark.django_db


def rows() -> tuple[int, ...]:
    return (
        Proposal.objects.count(),
        Option.objects.count(),
        ProposalParticipant.objects.count(),
        Stance.objects.count(),
        StanceRevision.objects.count(),
        AnonymousBallot.objects.count(),
    )


# --- Drafting and opening ------------------------------------------------------------------------


def test_opening_asks_everyone_and_fixes_each_persons_deadline_in_their_zone(owner, ana, bikram):
    p = proposal(owner, [ana, bikram], deadline=Deadline(kind="local_day", day=next_week()))

    deadlines = {
        r.membership_id: r.local_deadline for r in ProposalParticipant.objects.filter(proposal=p)
    }
    assert set(deadlines) == {owner.pk, ana.pk, bikram.pk}
    # 17:00 in New York is the last of the three "end of day"s: that is when it closes.
    assert p.close_at == deadlines[ana.pk] == max(deadlines.values())
    assert deadlines[bikram.pk] < deadlines[owner.pk] < deadlines[ana.pk]
    assert p.status == ProposalStatus.OPEN and len(p.seed) == 32


def test_a_whole_team_can_be_asked_and_the_proposal_is_filed_under_it(owner, ana, bikram):
    team = team_create(acting=owner, name="Platform")
    team_add_member(acting=owner, team=team, member=ana)
    team_add_member(acting=owner, team=team, member=bikram)

    p = proposal_create(
        owner=owner,
        title="Move to Postgres",
        participants=[Invitee(team="platform")],
        deadline=Deadline(kind="working_day"),
        open_now=True,
    )

    asked = set(
        ProposalParticipant.objects.filter(proposal=p).values_list("membership_id", flat=True)
    )
    assert asked == {owner.pk, ana.pk, bikram.pk}
    assert list(ProposalTeam.objects.filter(proposal=p).values_list("team__slug", flat=True)) == [
        "platform"
    ]


def test_problems_are_named_together_and_nothing_is_written(owner):
    with pytest.raises(ValidationFailed) as caught:
        proposal_create(
            owner=owner,
            title=" ",
            participants=[Invitee(member_id=999999)],
            kind="ranked",
            options=[OptionSpec("Python"), OptionSpec("Python")],
            rule="no_blocks",
            quorum_pct=140,
            deadline=Deadline(kind="instant", at=timezone.now() - timedelta(hours=1)),
            tags=["ok", "not a/tag"],
        )

    errors = caught.value.errors
    assert set(errors) == {
        "title",
        "options",
        "rule",
        "quorum_pct",
        "deadline_at",
        "tags",
        "participants",
    }
    assert errors["options"] == ["'Python' is listed more than once."]
    assert "does not apply to a ranked choice proposal" in errors["rule"][0]
    assert rows() == (0, 0, 0, 0, 0, 0)


def test_a_consent_proposal_has_no_options(owner, ana):
    with pytest.raises(ValidationFailed) as caught:
        proposal(owner, [ana], kind="consent", options=["Yes", "No"])
    assert "has no options" in caught.value.errors["options"][0]


def test_a_draft_is_its_owners_until_it_opens(owner, ana):
    p = proposal(owner, [ana], open_now=False)
    assert p.status == ProposalStatus.DRAFT
    assert ProposalParticipant.objects.filter(proposal=p, local_deadline__isnull=False).count() == 0

    with pytest.raises(Conflict, match="not open yet"):
        vote(ana, p, position="agree")
    with pytest.raises(PermissionDenied):
        proposal_open(acting=ana, proposal=p)

    opened = proposal_open(acting=owner, proposal=p)
    assert opened.is_open and opened.close_at is not None


def test_guests_cannot_draft_proposals(workspace, ana):
    guest = factories.member(workspace, role=Role.GUEST)
    with pytest.raises(PermissionDenied):
        proposal(guest, [ana])


# --- The rule is fixed once the first stance is in -----------------------------------------------


def test_the_rule_can_change_until_the_first_stance_then_409_naming_the_rule(owner, ana):
    p = proposal(owner, [ana])
    proposal_update(acting=owner, proposal=p, rule="no_blocks", quorum_pct=50)
    p.refresh_from_db()
    assert (p.rule, p.quorum_pct) == ("no_blocks", 50)

    vote(ana, p, position="agree")
    with pytest.raises(Conflict) as caught:
        proposal_update(acting=owner, proposal=p, rule="majority")

    assert caught.value.detail.startswith(
        "The decision rule cannot change once the first stance is in"
    )
    p.refresh_from_db()
    assert p.rule == "no_blocks"


def test_only_the_owner_changes_a_proposal(owner, ana):
    p = proposal(owner, [ana])
    with pytest.raises(PermissionDenied):
        proposal_update(acting=ana, proposal=p, title="Mine now")


# --- Stances -------------------------------------------------------------------------------------


def test_a_stance_can_change_until_close_and_its_history_is_kept(owner, ana):
    p = proposal(owner, [ana], kind="ranked")

    first = rank(ana, p, "Python", "Rust")
    second = rank(ana, p, "Go", "Python")

    assert not first.changed and second.changed
    stance = Stance.objects.get(proposal=p, membership=ana)
    assert stance.payload == {"ranking": [str(i) for i in ids(p, "Go", "Python")]}
    history = list(StanceRevision.objects.filter(stance=stance).values_list("payload", flat=True))
    assert history == [
        {"ranking": [str(i) for i in ids(p, "Python", "Rust")]},
        {"ranking": [str(i) for i in ids(p, "Go", "Python")]},
    ]


def test_the_audit_log_records_that_a_stance_was_given_never_which(owner, ana):
    p = proposal(owner, [ana], kind="single")
    vote(ana, p, choice=ids(p, "Rust")[0])

    entry = AuditEntry.objects.get(action="decision.stance")
    revision = StanceRevision.objects.get()
    assert entry.data == {"changed": False, "revision": revision.pk}
    assert "Rust" not in entry.object_label


def test_a_stance_after_close_is_409_with_the_close_time(owner, ana):
    p = proposal(owner, [ana])
    closed = proposal_close(acting=owner, proposal=p, reason="We have enough.")

    with pytest.raises(Conflict) as caught:
        vote(ana, p, position="agree")

    assert caught.value.status_code == 409
    # Ana reads the time in her own zone, named.
    local = closed.closed_at.astimezone(ZoneInfo("America/New_York"))
    assert f"{local:%Y-%m-%d %H:%M} America/New_York" in caught.value.detail


def test_a_stance_after_the_deadline_is_refused_even_before_the_scheduler_closes(owner, ana):
    p = proposal(owner, [ana])
    moment = past_deadline(p)

    with pytest.raises(Conflict) as caught:
        vote(ana, p, position="agree")
    local = moment.astimezone(ZoneInfo("America/New_York"))
    assert f"{local:%Y-%m-%d %H:%M} America/New_York" in caught.value.detail


def test_a_non_participant_voting_gets_404(owner, ana, carmen):
    p = proposal(owner, [ana])
    with pytest.raises(NotFound):
        vote(carmen, p, position="agree")
    assert Stance.objects.count() == 0


def test_a_ranking_with_a_duplicate_option_is_422_naming_it(owner, ana):
    p = proposal(owner, [ana], kind="ranked")
    with pytest.raises(ValidationFailed) as caught:
        vote(ana, p, ranking=ids(p, "Rust", "Go", "Rust"))
    assert caught.value.status_code == 422
    assert caught.value.errors == {"ranking": ["“Rust” is ranked more than once."]}
    assert rows()[3:] == (0, 0, 0)
    assert ProposalParticipant.objects.get(proposal=p, membership=ana).responded_at is None


def test_a_ranking_with_an_unknown_option_is_422_naming_it(owner, ana):
    p = proposal(owner, [ana], kind="ranked")
    other = proposal(owner, [ana], kind="ranked", title="Another question")
    foreign = ids(other, "Go")[0]
    with pytest.raises(ValidationFailed) as caught:
        vote(ana, p, ranking=[ids(p, "Rust")[0], foreign])
    assert caught.value.errors == {
        "ranking": [f"Option {foreign} is not one of this proposal's options."]
    }


def test_a_dot_vote_over_budget_is_422_with_the_budget(owner, ana):
    p = proposal(owner, [ana], kind="dot", dot_budget=10)
    python, rust = ids(p, "Python", "Rust")
    with pytest.raises(ValidationFailed) as caught:
        vote(ana, p, dots={python: 7, rust: 5})
    assert caught.value.errors == {"dots": ["12 points were given, but the budget is 10."]}


def test_a_score_out_of_range_is_422(owner, ana):
    p = proposal(owner, [ana], kind="score", score_max=5)
    with pytest.raises(ValidationFailed) as caught:
        vote(ana, p, scores={ids(p, "Go")[0]: 6})
    assert caught.value.errors == {
        "scores": ["The score for “Go” must be a whole number from 0 to 5; got 6."]
    }


def test_a_reason_is_required_to_object_or_block(owner, ana):
    p = proposal(owner, [ana])
    for position in ("object", "block"):
        with pytest.raises(ValidationFailed) as caught:
            vote(ana, p, position=position, reason="  ")
        assert caught.value.errors == {"reason": [f"Give a reason to {position}."]}
    vote(ana, p, position="object", reason="It leaves support uncovered on Fridays.")
    assert Stance.objects.get().reason == "It leaves support uncovered on Fridays."


def test_a_ballot_without_the_field_of_its_kind_is_a_field_error(owner, ana):
    p = proposal(owner, [ana], kind="multiple", max_choices=2)
    with pytest.raises(ValidationFailed) as caught:
        stance_submit(acting=ana, proposal=p, ballot=Ballot(position="agree"))
    assert caught.value.errors == {"choices": ["Choose at least one option."]}
    with pytest.raises(ValidationFailed) as caught:
        vote(ana, p, choices=ids(p, "Go", "Rust", "Python"))
    assert caught.value.errors == {"choices": ["Choose at most 2 options; 3 were chosen."]}


def test_in_anonymous_mode_a_stance_is_final_once_cast(owner, ana):
    p = proposal(owner, [ana], anonymous=True, visibility="hidden_until_close")
    receipt = vote(ana, p, position="agree")

    assert receipt.anonymous and receipt.stance is None
    with pytest.raises(Conflict, match="In anonymous mode your stance is final once cast"):
        vote(ana, p, position="block", reason="Changed my mind")
    assert AnonymousBallot.objects.count() == 1
    assert Stance.objects.count() == 0


def test_each_anonymous_stance_rewrites_all_ballots_with_fresh_ids(owner, ana, bikram, carmen):
    p = proposal(owner, [ana, bikram, carmen], anonymous=True, kind="single")
    vote(ana, p, choice=ids(p, "Go")[0])
    vote(bikram, p, choice=ids(p, "Rust")[0])
    before = set(AnonymousBallot.objects.values_list("pk", flat=True))

    vote(carmen, p, choice=ids(p, "Go")[0])

    after = set(AnonymousBallot.objects.values_list("pk", flat=True))
    assert len(after) == 3 and not before & after
    assert sorted(
        b["choice"] for b in AnonymousBallot.objects.values_list("payload", flat=True)
    ) == sorted([str(ids(p, "Go")[0])] * 2 + [str(ids(p, "Rust")[0])])


# --- Discussion ----------------------------------------------------------------------------------


def test_commenting_is_refused_once_closed(owner, ana):
    p = proposal(owner, [ana])
    proposal_comment_add(acting=ana, proposal=p, body="What about support?")
    proposal_close(acting=owner, proposal=p, reason="Done")
    with pytest.raises(Conflict):
        proposal_comment_add(acting=ana, proposal=p, body="Too late?")


# --- Closing and the outcome ---------------------------------------------------------------------


def test_closing_freezes_the_tally_and_asks_the_owner_for_the_outcome(
    owner, ana, bikram, sent_mail
):
    p = proposal(owner, [ana, bikram], kind="ranked", rule="majority")
    with sent_mail.capture():
        rank(ana, p, "Rust", "Go")
        rank(bikram, p, "Go", "Rust")
        rank(owner, p, "Go")
    with sent_mail.capture():
        closed = proposal_close(acting=owner, proposal=p, reason="Everyone has spoken.")

    assert closed.tally["kind"] == "ranked"
    assert closed.tally["irv"]["winner"] == str(ids(p, "Go")[0])
    assert closed.verdict["outcome"] == "passed"
    assert "“Go”" in closed.verdict["explanation"]
    outcome_mail = [m for m in sent_mail.messages if owner.user.email in m.to]
    assert [m.subject for m in outcome_mail] == [
        f"[{owner.workspace.name}] Closed: write the outcome of {p.title}"
    ]


def test_early_close_needs_the_owner_and_a_reason(owner, ana):
    p = proposal(owner, [ana])
    with pytest.raises(PermissionDenied):
        proposal_close(acting=ana, proposal=p, reason="I want it over")
    with pytest.raises(ValidationFailed) as caught:
        proposal_close(acting=owner, proposal=p, reason=" ")
    assert "reason" in caught.value.errors


def test_the_outcome_becomes_an_immutable_snapshot_of_the_whole_decision(owner, ana, bikram):
    b = brief(owner, [ana, bikram], title="Which language for the worker?")
    p = proposal(owner, [ana, bikram], kind="ranked", brief=b, tags=["Backend"], rule="majority")
    rank(ana, p, "Rust", "Go", "Python")
    rank(bikram, p, "Go", "Rust")

    record = decided(
        p,
        statement="We write the worker in Go.",
        rationale="Two of three prefer it over Rust.",
        expected_effect="Deploys under 5 minutes",
        review_date=timezone.localdate() + timedelta(days=90),
    )

    assert record.number == 1 and record.adr_id == "ADR-0001"
    assert record.title == p.title and record.rule_text == "Majority of votes cast."
    assert [o["label"] for o in record.options] == ["Python", "Rust", "Go"]
    assert record.tally["irv"]["rounds"][0]["number"] == 1
    assert record.participation["invited"] == 3 and record.participation["took_part"] == 2
    assert {s["name"] for s in record.stances} == {
        ana.profile.display_name,
        bikram.profile.display_name,
    }
    assert record.tags == ["backend"]
    assert record.brief == b
    assert Outcome.objects.get(proposal=p).statement == "We write the worker in Go."
    link = BriefLink.objects.get(brief=b, target="decision")
    assert link.target_id == record.pk


def test_a_second_outcome_for_the_same_proposal_is_409(owner, ana):
    p = proposal(owner, [ana])
    record = decided(p)
    with pytest.raises(Conflict, match=record.adr_id):
        outcome_write(acting=owner, proposal=p, statement="Again", rationale="Again")


def test_the_outcome_needs_a_statement_and_a_rationale_and_a_future_review_date(owner, ana):
    p = proposal(owner, [ana])
    proposal_close(acting=owner, proposal=p, reason="Enough")
    with pytest.raises(ValidationFailed) as caught:
        outcome_write(
            acting=owner,
            proposal=p,
            statement="",
            rationale="",
            review_date=timezone.localdate(),
        )
    assert set(caught.value.errors) == {"statement", "rationale", "review_date"}
    assert not DecisionRecord.objects.exists() and not Outcome.objects.exists()


def test_an_open_proposal_has_no_outcome_yet(owner, ana):
    p = proposal(owner, [ana])
    with pytest.raises(Conflict, match="Close the proposal"):
        outcome_write(acting=owner, proposal=p, statement="x", rationale="y")


def test_a_later_record_supersedes_an_earlier_one_which_is_left_untouched(owner, ana):
    first = decided(proposal(owner, [ana], title="Office in Lisbon"))
    snapshot = DecisionRecord.objects.filter(pk=first.pk).values().get()

    second = decided(proposal(owner, [ana], title="Fully remote"), supersedes=first)

    assert second.supersedes == first and second.number == 2
    assert DecisionRecord.objects.get(pk=first.pk).superseded_by == second
    assert DecisionRecord.objects.filter(pk=first.pk).values().get() == snapshot
    with pytest.raises(Conflict, match="already been superseded"):
        decided(proposal(owner, [ana], title="Back to the office"), supersedes=first)


# --- Pins ----------------------------------------------------------------------------------------


def test_a_decision_is_pinned_once_per_team_and_can_be_unpinned(owner, ana):
    team = team_create(acting=owner, name="Platform")
    record = decided(proposal(owner, [ana]))
    pin = pin_add(acting=ana, team=team, record=record, note="Why we work four days")
    with pytest.raises(Conflict):
        pin_add(acting=ana, team=team, record=record)
    pin_remove(acting=ana, pin=pin)
    assert not team.pins.exists()


def test_options_can_come_from_a_briefs_comments(owner, ana):
    b = brief(owner, [ana], title="Where do we meet in spring?")
    lisbon = comment(b, ana, "Lisbon\nCheap flights from most places.")
    tallinn = comment(b, ana, "Tallinn")
    from meridian.decisions.services import options_from_comments

    p = proposal_create(
        owner=owner,
        title="Spring offsite",
        participants=[Invitee(member_id=ana.pk)],
        kind="single",
        options=options_from_comments([lisbon, tallinn]),
        brief=b,
        deadline=Deadline(kind="local_day", day=next_week()),
    )

    assert list(
        Option.objects.filter(proposal=p).values_list("label", "description", "source_comment")
    ) == [
        ("Lisbon", "Cheap flights from most places.", lisbon.pk),
        ("Tallinn", "", tallinn.pk),
    ]


def test_options_from_another_briefs_comments_are_refused(owner, ana):
    b = brief(owner, [ana], title="Ours")
    other = brief(owner, [ana], title="Theirs")
    stray = comment(other, ana, "Not from here")
    with pytest.raises(ValidationFailed) as caught:
        proposal_create(
            owner=owner,
            title="Mixed",
            participants=[Invitee(member_id=ana.pk)],
            kind="single",
            options=[
                OptionSpec("Fine", source_comment_id=None),
                OptionSpec("Stray", source_comment_id=stray.pk),
            ],
            brief=b,
            deadline=Deadline(kind="local_day", day=next_week()),
        )
    assert caught.value.errors["options"] == [f"Comment #{stray.pk} is not on the brief “Ours”."]
    assert not Proposal.objects.exists()


def test_a_participant_in_another_zone_whose_day_has_passed_is_named(workspace, owner):
    # It is always "today" somewhere: a day that has ended in Kiritimati (UTC+14) is refused.
    east = person(workspace, "Pacific/Kiritimati", hours={str(d): [[0, 60]] for d in range(7)})
    today_there = (
        timezone.now().astimezone(__import__("zoneinfo").ZoneInfo("Pacific/Kiritimati")).date()
    )
    with pytest.raises(ValidationFailed) as caught:
        proposal(
            owner, [east], deadline=Deadline(kind="local_day", day=today_there - timedelta(days=1))
        )
    assert "has already passed for" in caught.value.errors["deadline_date"][0]
