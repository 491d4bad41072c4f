"""Roles as a handover kind: what a member holds, the packet, the transfer, readiness."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from meridian.handovers.kinds import handover_kinds
from meridian.roles.models import RoleHolding
from meridian.roles.services import duty_tick, holder_assign, holder_release
from tests import factories
from tests.roles.factories import held, role, weekly_rota

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 12, 9, 10, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def kind():
    return handover_kinds()["role"]


def test_the_role_kind_lists_what_a_member_holds_and_who_holds_each(kind, admin, member):
    support = held(admin, role(admin, name="Support lead"), member, admin)
    held(admin, role(admin, name="Release manager"), member)
    role(admin, name="On-call")
    owned = kind.owned(admin.workspace_id, member.pk)
    assert [name for _, name in owned] == ["Release manager", "Support lead"]
    assert kind.owners(admin.workspace_id, [support.pk]) == {support.pk: [member.pk, admin.pk]}
    assert kind.titles(admin.workspace_id, [support.pk, 999_999]) == {support.pk: "Support lead"}
    assert kind.url(admin.workspace.slug, support.pk).endswith(f"/roles/{support.pk}/")


def test_the_packet_has_responsibilities_remaining_duties_history_people_and_rota(
    kind, admin, member
):
    r = held(admin, role(admin), member)
    duty_tick(acting=member, duty=r.duties.get(cadence="daily"), done=True)
    weekly_rota(admin, r, [member, admin], NOW.date())
    packet = kind.packet(admin, r.pk)
    assert packet.title == "Release manager"
    assert "Cut the release branch" in packet.section("description").entries[0].text
    remaining = [e.text for e in packet.section("remaining").entries]
    assert remaining == ["Review merged pull requests", "Update the release calendar"]
    assert [e.person for e in packet.section("history").entries] == [member.profile.display_name]
    people = {(e.text, e.detail) for e in packet.section("people").entries}
    assert (member.profile.display_name, "Holds it now") in people
    assert (admin.profile.display_name, "On the rota") in people
    assert packet.section("rota").entries


def test_the_transfer_ends_the_givers_holding_and_starts_the_receivers(kind, admin, member):
    r = held(admin, role(admin), member)
    receiver = factories.member(admin.workspace)
    kind.transfer(r.pk, member, receiver, receiver)
    assert list(
        RoleHolding.objects.filter(role=r, ended_at=None).values_list("membership_id", "how")
    ) == [(receiver.pk, "handover")]


def test_readiness_names_what_is_missing_and_counts_holders_in_90_days(
    kind, admin, member, django_assert_max_num_queries
):
    thin = role(admin, name="Thin", responsibilities="", duties=[])
    holder_assign(acting=admin, role=thin, member=member)
    ready = role(admin, name="Ready")
    holder_assign(acting=admin, role=ready, member=admin, at=NOW - timedelta(days=60))
    holder_release(acting=admin, role=ready, member=admin, at=NOW - timedelta(days=30))
    held(admin, ready, member)
    weekly_rota(admin, ready, [member, admin], NOW.date())
    with django_assert_max_num_queries(5):
        scores = {r.title: r for r in kind.readiness(admin.workspace_id, None)}
    assert scores["Ready"].score == 100 and not scores["Ready"].bus_factor_one
    thin_checks = {c.key: c.ok for c in scores["Thin"].checks}
    assert thin_checks == {
        "description": False,
        "duties": False,
        "contributors": False,
        "cover": False,
        "recent": True,
    }
    assert scores["Thin"].bus_factor_one and scores["Thin"].holder_ids == [member.pk]
    assert scores["Thin"].score == 17  # 1 of 6 weighted


def test_readiness_keeps_a_constant_number_of_queries(kind, admin, django_assert_num_queries):
    held(admin, role(admin, name="One"), admin)
    with django_assert_num_queries(3):
        kind.readiness(admin.workspace_id, None)
    for n in range(5):
        held(admin, role(admin, name=f"More {n}"), admin, factories.member(admin.workspace))
    with django_assert_num_queries(3):
        assert len(kind.readiness(admin.workspace_id, None)) == 6
