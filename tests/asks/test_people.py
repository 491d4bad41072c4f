"""Who is asked: members and whole teams, as the people of the workspace an ask reaches."""

from datetime import UTC, date, datetime

import pytest
import time_machine

from meridian.asks.deadlines import Deadline
from meridian.asks.people import (
    Invitee,
    deadline_day_off_shifts,
    local_deadlines,
    people_resolve,
)
from meridian.core.errors import FieldErrors
from meridian.workspaces.services import member_deactivate, team_add_member, team_create
from tests.briefs.factories import NINE_TO_FIVE, person

pytestmark = pytest.mark.django_db


@pytest.fixture
def asker(workspace):
    return person(workspace, "Europe/Berlin")


@pytest.fixture
def design(workspace, asker):
    """A team of three in three zones; the asker is in it too."""
    team = team_create(acting=asker, name="Design")
    people = [person(workspace, zone) for zone in ("Asia/Kathmandu", "America/New_York", "UTC")]
    for member in [asker, *people]:
        team_add_member(acting=asker, team=team, member=member)
    return team, people


def resolve(asker, *invitees, **options):
    problems = FieldErrors()
    asked = people_resolve(acting=asker, invitees=list(invitees), problems=problems, **options)
    return asked, problems.errors


def test_a_team_is_asked_as_its_people_without_the_asker(asker, design):
    team, people = design

    asked, errors = resolve(asker, Invitee(team=team.slug))

    assert errors == {}
    assert list(asked.people) == [m.pk for m in people]
    assert {a.via_team for a in asked.people.values()} == {team}
    assert asked.teams == [team]


def test_someone_named_twice_is_asked_once_required_and_directly(asker, design):
    team, (ktm, nyc, _) = design

    asked, errors = resolve(
        asker,
        Invitee(team=team.slug, required=False),
        Invitee(member_id=ktm.pk),
        Invitee(member_id=ktm.pk, required=False),
    )

    assert errors == {}
    assert len(asked.people) == 3
    assert asked.people[ktm.pk].required and asked.people[ktm.pk].via_team is None
    assert asked.people[ktm.pk].kind == "required"
    assert asked.people[nyc.pk].kind == "optional"
    assert asked.people[nyc.pk].via_team == team


def test_departed_members_are_not_asked_through_their_team(asker, admin, design):
    team, (ktm, nyc, utc) = design
    member_deactivate(acting=admin, member=nyc)

    asked, errors = resolve(asker, Invitee(team=team.slug))

    assert errors == {}
    assert set(asked.people) == {ktm.pk, utc.pk}


def test_naming_a_departed_member_directly_is_an_error_naming_them(asker, admin, workspace):
    gone = person(workspace, "UTC", display_name="Grace Hopper")
    member_deactivate(acting=admin, member=gone)

    asked, errors = resolve(asker, Invitee(member_id=gone.pk))

    assert errors == {"participants": ["Grace Hopper is no longer a member."]}
    assert asked.people == {}


def test_unknown_people_and_teams_and_other_workspaces_are_named_all_at_once(asker, outsider):
    asked, errors = resolve(
        asker, Invitee(member_id=outsider.pk), Invitee(team="ghosts"), Invitee()
    )

    assert errors == {
        "participants": [
            f"There is no member #{outsider.pk} in this workspace.",
            "There is no team “ghosts” in this workspace.",
            "Each participant is either a member or a team.",
        ]
    }
    assert asked.people == {}


def test_a_team_with_nobody_else_in_it_is_an_error_unless_allowed(asker):
    alone = team_create(acting=asker, name="Just me")
    team_add_member(acting=asker, team=alone, member=asker)

    _, refused = resolve(asker, Invitee(team=alone.slug))
    asked, allowed = resolve(asker, Invitee(team=alone.slug), empty_teams=True)

    assert refused == {"participants": ["The team Just me has nobody in it to ask."]}
    assert allowed == {}
    assert asked.teams == [alone]


def test_the_asker_can_take_part_and_comes_first(asker, design):
    team, people = design

    asked, _ = resolve(asker, Invitee(team=team.slug), include_acting=True)

    assert list(asked.people) == [asker.pk] + [m.pk for m in people]
    assert asked.people[asker.pk].via_team is None


def test_resolving_takes_three_queries_however_many_people(
    asker, design, workspace, django_assert_num_queries
):
    team, _ = design
    more = [person(workspace, "UTC") for _ in range(5)]
    invitees = [Invitee(team=team.slug)] + [Invitee(member_id=m.pk) for m in more]

    with django_assert_num_queries(3):
        asked, _ = resolve(asker, *invitees)

    assert len(asked.people) == 8


def test_each_person_gets_the_end_of_the_day_in_their_own_zone(asker, design):
    _, (ktm, nyc, utc) = design

    due = local_deadlines(Deadline(day=date(2026, 3, 12)), [ktm, nyc, utc])

    assert due == {
        ktm.pk: datetime(2026, 3, 12, 11, 15, tzinfo=UTC),  # 17:00 in Kathmandu
        nyc.pk: datetime(2026, 3, 12, 21, 0, tzinfo=UTC),  # 17:00 in New York (EDT)
        utc.pk: datetime(2026, 3, 12, 17, 0, tzinfo=UTC),
    }
    assert local_deadlines(Deadline(), [ktm]) == {ktm.pk: None}


@time_machine.travel(datetime(2026, 3, 9, 10, 0, tzinfo=UTC), tick=False)
def test_people_who_do_not_work_on_the_deadline_day_are_named_with_their_new_deadline(
    asker, workspace
):
    sunday_to_thursday = {str(d): [[540, 1020]] for d in (6, 0, 1, 2, 3)}
    riyadh = person(workspace, "Asia/Riyadh", sunday_to_thursday, display_name="Noor")
    berlin = person(workspace, "Europe/Berlin", NINE_TO_FIVE, display_name="Ben")

    shifts = deadline_day_off_shifts(
        acting=asker,
        participants=[Invitee(member_id=riyadh.pk), Invitee(member_id=berlin.pk)],
        deadline=Deadline(day=date(2026, 3, 13)),  # a Friday
    )

    assert [s.member for s in shifts] == [riyadh]
    assert shifts[0].due_day == date(2026, 3, 15)  # their Sunday
    assert "Noor (Asia/Riyadh) does not work on Friday 13 March" in shifts[0].message
