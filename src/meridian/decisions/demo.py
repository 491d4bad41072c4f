"""The demo's decisions: an open blind consent proposal turned from a brief, a closed ranked
choice with its instant-runoff rounds, an anonymous poll, and a decision superseding another.

Everything is written through the services with notifications muted. Records are never
back-dated (nothing may rewrite one, not even the demo), so the log shows them decided today.
"""

from datetime import timedelta

from django.utils import timezone

from meridian.asks.people import Invitee
from meridian.briefs.demo import demo_working_day
from meridian.briefs.models import Brief
from meridian.decisions.ballots import Ballot
from meridian.decisions.models import DecisionRecord, Option, Proposal
from meridian.decisions.services import (
    Deadline,
    OptionSpec,
    outcome_write,
    pin_add,
    proposal_close,
    proposal_comment_add,
    proposal_create,
    stance_submit,
)
from meridian.notifications.services import muted
from meridian.workspaces.models import Membership, Team, Workspace

PLATFORM = (
    "Chen Wei",
    "Divya Nair",
    "Emeka Eze",
    "Freya Lind",
    "Gabriel Roux",
    "Quinn Taylor",
    "Sam Carter",
    "Victor Dubois",
)
# Ranked ballots for the worker language: Go wins in the third round, after Elixir and then
# Python go out (one ballot that ranked only Python is exhausted); Borda agrees, 16 to 13.
RANKINGS = {
    "Bruno Costa": ("Rust", "Go"),
    "Chen Wei": ("Go", "Rust", "Python", "Elixir"),
    "Divya Nair": ("Python",),
    "Emeka Eze": ("Rust", "Go", "Python"),
    "Freya Lind": ("Elixir", "Go", "Rust"),
    "Gabriel Roux": ("Go", "Python"),
    "Quinn Taylor": ("Python", "Go", "Rust"),
    "Sam Carter": ("Rust", "Elixir"),
    "Victor Dubois": ("Go", "Elixir", "Rust"),
}
OFFSITE = {
    "Hana Sato": "Lisbon",
    "Ines Duarte": "Lisbon",
    "Jonah Miller": "Mexico City",
    "Kiri Walker": "Tallinn",
    "Uma Reddy": "Lisbon",
}


def _ids(proposal: Proposal) -> dict[str, int]:
    return dict(Option.objects.filter(proposal=proposal).values_list("label", "pk"))


def _people(members: dict[str, Membership], names: tuple[str, ...]) -> list[Invitee]:
    return [Invitee(member_id=members[name].pk) for name in names]


def _in_days(days: int) -> Deadline:
    """The end of a working day (for every demo person) about ``days`` from now."""
    return Deadline(
        kind="local_day", day=demo_working_day(timezone.localdate() + timedelta(days=days))
    )


def _three_plans(ws: Workspace, members: dict[str, Membership]) -> Proposal:
    """Open, blind consent with a follow-the-sun deadline, turned from the pricing brief."""
    ada = members["Ada Okafor"]
    brief = Brief.objects.filter(workspace=ws, title__startswith="Q3 pricing").first()
    proposal = proposal_create(
        owner=ada,
        title="Adopt three plans (Starter, Team, Enterprise) from Q3",
        body=(
            "From the brief's discussion: fold *Plus* into *Team* and *Pro* into *Enterprise*; "
            "existing customers keep their price for 12 months.\n\nConsent means: you can live "
            "with it and see no reason it would harm us. Object or block with a reason."
        ),
        kind="consent",
        rule="no_blocks",
        visibility="blind",
        participants=[Invitee(team="leadership"), Invitee(team="customers")],
        teams=["leadership"],
        tags=["pricing"],
        deadline=_in_days(5),
        brief=brief,
        open_now=True,
    )
    stance_submit(
        acting=members["Bruno Costa"],
        proposal=proposal,
        ballot=Ballot(position="agree"),
    )
    stance_submit(
        acting=members["Mateo Rojas"],
        proposal=proposal,
        ballot=Ballot(
            position="object",
            reason="Support needs a migration guide for Plus customers before the switch.",
        ),
    )
    proposal_comment_add(
        acting=members["Mateo Rojas"],
        proposal=proposal,
        body="I can write the migration guide if we get two weeks before launch.",
    )
    return proposal


def _worker_language(ws: Workspace, members: dict[str, Membership]) -> DecisionRecord:
    """Closed ranked choice with three instant-runoff rounds, recorded with a review date."""
    bruno = members["Bruno Costa"]
    proposal = proposal_create(
        owner=bruno,
        title="Which language for the new background worker?",
        body="The worker runs reminders, digests and rollups. We want one language we can all review.",
        kind="ranked",
        options=[OptionSpec(label) for label in ("Python", "Go", "Rust", "Elixir")],
        rule="majority",
        visibility="blind",
        participants=_people(members, PLATFORM),
        teams=["platform"],
        tags=["architecture", "backend"],
        deadline=_in_days(3),
        open_now=True,
    )
    ids = _ids(proposal)
    for name, ranking in RANKINGS.items():
        stance_submit(
            acting=members[name],
            proposal=proposal,
            ballot=Ballot(ranking=[ids[label] for label in ranking]),
        )
    proposal_comment_add(
        acting=members["Chen Wei"],
        proposal=proposal,
        body="Go's tooling makes reviews easy for everyone, not just the language's fans.",
    )
    proposal_close(acting=bruno, proposal=proposal, reason="Everyone on Platform has ranked.")
    return outcome_write(
        acting=bruno,
        proposal=proposal,
        statement="We write the background worker in **Go**.",
        rationale=(
            "Go won the instant-runoff count in the third round and the Borda count. Rust's "
            "supporters' concern (memory safety) is met by Go's runtime for this workload."
        ),
        expected_effect="Worker p95 latency under 200 ms; every engineer can review it",
        review_date=timezone.localdate() + timedelta(days=90),
    )


def _offsite(ws: Workspace, members: dict[str, Membership]) -> Proposal:
    """An open anonymous poll, its tally hidden until it closes."""
    ines = members["Ines Duarte"]
    proposal = proposal_create(
        owner=ines,
        title="Where should the Product team meet in spring?",
        kind="single",
        options=[OptionSpec(label) for label in ("Lisbon", "Tallinn", "Mexico City")],
        visibility="hidden_until_close",
        anonymous=True,
        participants=[Invitee(team="product")],
        teams=["product"],
        tags=["offsite"],
        deadline=Deadline(kind="working_day"),
        open_now=True,
    )
    ids = _ids(proposal)
    for name, city in OFFSITE.items():
        if name != ines.profile.display_name:
            stance_submit(acting=members[name], proposal=proposal, ballot=Ballot(choice=ids[city]))
    return proposal


def _remote_first(ws: Workspace, members: dict[str, Membership]) -> DecisionRecord:
    """An earlier decision, and the later one that supersedes it."""
    ada, wanjiru = members["Ada Okafor"], members["Wanjiru Kamau"]
    leadership = ("Bruno Costa", "Ines Duarte", "Rosa Jiménez", "Wanjiru Kamau")
    first = proposal_create(
        owner=ada,
        title="Open an office in Lisbon",
        kind="consent",
        rule="owner_decides",
        visibility="open",
        participants=_people(members, leadership),
        teams=["leadership"],
        tags=["workplace"],
        deadline=_in_days(2),
        open_now=True,
    )
    stance_submit(acting=members["Rosa Jiménez"], proposal=first, ballot=Ballot(position="agree"))
    proposal_close(acting=ada, proposal=first, reason="Advice heard.")
    office = outcome_write(
        acting=ada,
        proposal=first,
        statement="We open a small office in Lisbon for the EMEA team.",
        rationale="Most of EMEA lives within a short flight of Lisbon.",
    )
    second = proposal_create(
        owner=wanjiru,
        title="Fully remote, meeting in person twice a year",
        body="The Lisbon office was used by four people in six months.",
        kind="consent",
        rule="no_blocks",
        visibility="blind",
        participants=_people(members, ("Ada Okafor", "Bruno Costa", "Ines Duarte", "Rosa Jiménez")),
        teams=["leadership"],
        tags=["workplace"],
        deadline=_in_days(2),
        open_now=True,
    )
    for name in ("Ada Okafor", "Bruno Costa", "Rosa Jiménez"):
        stance_submit(acting=members[name], proposal=second, ballot=Ballot(position="agree"))
    stance_submit(
        acting=members["Ines Duarte"],
        proposal=second,
        ballot=Ballot(position="abstain", reason="Fine either way for Product."),
    )
    proposal_close(acting=wanjiru, proposal=second, reason="Everyone has answered.")
    remote = outcome_write(
        acting=wanjiru,
        proposal=second,
        statement="We are fully remote and meet in person twice a year.",
        rationale="The office went unused; the money buys two company-wide meetups.",
        expected_effect="Meetup attendance above 80 %",
        supersedes=office,
    )
    leadership_team = Team.objects.get(workspace=ws, slug="leadership")
    pin_add(acting=wanjiru, team=leadership_team, record=remote, note="How and where we work.")
    return remote


def demo_decisions(workspace: Workspace, members: dict[str, Membership]) -> list[DecisionRecord]:
    """Write the demo's proposals and decision records; nobody is notified."""
    with muted():
        _three_plans(workspace, members)
        language = _worker_language(workspace, members)
        _offsite(workspace, members)
        _remote_first(workspace, members)
        platform = Team.objects.get(workspace=workspace, slug="platform")
        pin_add(acting=members["Bruno Costa"], team=platform, record=language)
    return list(DecisionRecord.objects.filter(workspace=workspace).order_by("number"))
