"""Who sees what (sight), per-viewer option order, tallies as pages read them, fairness, start here."""

import pytest

from meridian.briefs.services import link_add
from meridian.decisions.models import Proposal, ProposalStatus, Visibility
from meridian.decisions.selectors import (
    ProposalFilters,
    proposal_detail_for,
    proposal_list_for,
    start_here_for,
    tally_view,
)
from meridian.decisions.services import pin_add, proposal_comment_add
from meridian.decisions.visibility import sight_for, viewer_order
from meridian.workspaces.services import team_create
from tests.briefs.factories import brief
from tests.decisions.factories import decided, ids, proposal, rank, vote


def unsaved(visibility: str, status: str = "open", anonymous: bool = False) -> Proposal:
    return Proposal(visibility=visibility, status=status, anonymous=anonymous)


@pytest.mark.parametrize(
    ("visibility", "anonymous", "responded", "expected"),
    [
        (Visibility.OPEN, False, False, (True, True, True)),
        (Visibility.BLIND, False, False, (False, False, False)),
        (Visibility.BLIND, False, True, (True, True, True)),
        (Visibility.HIDDEN, False, True, (False, False, True)),
        (Visibility.OPEN, True, True, (False, False, True)),
        (Visibility.BLIND, True, True, (False, False, True)),
    ],
)
def test_what_an_open_proposal_shows(visibility, anonymous, responded, expected):
    sight = sight_for(
        unsaved(visibility, anonymous=anonymous), responded=responded, is_participant=True
    )
    assert (sight.stances, sight.tally, sight.comments) == expected
    assert bool(sight.note) == (expected != (True, True, True))


@pytest.mark.parametrize("visibility", list(Visibility))
def test_after_close_everything_shows_but_never_who_chose_what_when_anonymous(visibility):
    named = sight_for(
        unsaved(visibility, ProposalStatus.CLOSED), responded=False, is_participant=False
    )
    anonymous = sight_for(
        unsaved(visibility, ProposalStatus.CLOSED, anonymous=True),
        responded=True,
        is_participant=True,
    )
    assert (named.stances, named.tally, named.comments) == (True, True, True)
    assert (anonymous.stances, anonymous.tally, anonymous.comments) == (False, True, True)


def test_a_viewers_option_order_is_stable_and_differs_between_viewers():
    class Item:
        def __init__(self, pk: int) -> None:
            self.pk = pk

    items = [Item(n) for n in range(10)]
    first = [i.pk for i in viewer_order(items, proposal_id=7, viewer_id=1)]
    assert first == [i.pk for i in viewer_order(reversed(items), proposal_id=7, viewer_id=1)]
    others = {
        tuple(i.pk for i in viewer_order(items, proposal_id=7, viewer_id=v)) for v in range(2, 8)
    }
    assert len(others | {tuple(first)}) > 1


def test_a_ranked_tally_reads_as_rounds_and_borda_points():
    data = {
        "kind": "ranked",
        "ballots": 3,
        "invalid": 0,
        "irv": {
            "winner": "2",
            "rounds": [
                {
                    "number": 1,
                    "counts": {"1": 1, "2": 1, "3": 1},
                    "exhausted": 0,
                    "eliminated": ["3"],
                    "winner": None,
                    "tie_break": "lots",
                },
                {
                    "number": 2,
                    "counts": {"1": 1, "2": 2},
                    "exhausted": 0,
                    "eliminated": [],
                    "winner": "2",
                },
            ],
        },
        "borda": {"points": {"1": 4, "2": 5, "3": 2}, "winner": "2"},
    }
    view = tally_view(data, {"1": "Python", "2": "Go", "3": "Rust"})
    assert [r.cells for r in view.rounds] == [
        [("Python", 1), ("Go", 1), ("Rust", 1)],
        [("Python", 1), ("Go", 2), ("Rust", None)],
    ]
    assert view.rounds[0].eliminated == ["Rust"] and view.rounds[0].tie_break == "lots"
    assert view.rounds[1].winner == "Go"
    assert [(b.label, b.value, b.winner) for b in view.borda] == [
        ("Go", 5, True),
        ("Python", 4, False),
        ("Rust", 2, False),
    ]


@pytest.mark.django_db
def test_the_owner_sees_fairness_with_anchoring_counted(owner, ana, bikram):
    p = proposal(owner, [ana, bikram], kind="ranked", visibility="blind")
    rank(ana, p, "Go")  # first stance: no change
    rank(ana, p, "Rust")  # changed, but nobody else had voted: nothing to anchor on
    rank(bikram, p, "Go")
    rank(ana, p, "Go", "Rust")  # changed after seeing Bikram's stance
    proposal_comment_add(acting=ana, proposal=p, body="a")
    proposal_comment_add(acting=ana, proposal=p, body="b")
    proposal_comment_add(acting=bikram, proposal=p, body="c")

    figures = proposal_detail_for(viewer=owner, proposal=p).fairness
    assert figures is not None
    assert (figures.participants, figures.took_part) == (3, 2)
    assert sorted(figures.comment_counts) == [0, 1, 2]
    assert figures.comment_gini == pytest.approx(4 / 9)
    assert (figures.changes, figures.changed_after_visible) == (2, 1)
    assert proposal_detail_for(viewer=ana, proposal=p).fairness is None


@pytest.mark.django_db
def test_the_running_tally_counts_only_what_the_viewer_may_see(owner, ana):
    p = proposal(owner, [ana], kind="single", visibility="open")
    vote(ana, p, choice=ids(p, "Go")[0])
    detail = proposal_detail_for(viewer=owner, proposal=p)
    assert detail.tally is not None and detail.tally.ballots == 1
    assert [b.label for b in detail.tally.bars if b.winner] == ["Go"]


@pytest.mark.django_db
def test_waiting_for_my_stance_lists_only_open_proposals_i_have_not_answered(owner, ana):
    answered = proposal(owner, [ana], title="Answered")
    proposal(owner, [ana], title="Waiting")
    proposal(owner, [ana], title="Draft", open_now=False)
    vote(ana, answered, position="agree")
    titles = [
        p.title for p in proposal_list_for(viewer=ana, filters=ProposalFilters(scope="to_answer"))
    ]
    assert titles == ["Waiting"]


@pytest.mark.django_db
def test_start_here_puts_pins_and_most_linked_first_in_order_of_age(owner, ana):
    team = team_create(acting=owner, name="Platform")
    old = decided(proposal(owner, [ana], title="Old foundation", teams=["platform"]))
    superseded = decided(proposal(owner, [ana], title="Replaced", teams=["platform"]))
    decided(proposal(owner, [ana], title="Replacement", teams=["platform"]), supersedes=superseded)
    popular = brief(owner, [ana], title="Popular brief")
    citing = brief(owner, [ana], title="Citing brief")
    link_add(acting=owner, brief=citing, target_brief=popular)
    pin_add(acting=owner, team=team, brief=popular)
    items = start_here_for(viewer=ana, team=team)
    assert [i.title for i in items] == ["Old foundation", "Replacement", "Popular brief"]
    assert items[0].record == old and items[2].pin is not None and items[2].links == 1
