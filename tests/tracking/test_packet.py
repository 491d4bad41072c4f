"""A handover packet tells the time spent on the item, as far as the tracking policy allows."""

from datetime import timedelta

import pytest

from meridian.handovers.kinds import handover_kinds
from meridian.tracking.models import TrackingAccess
from meridian.tracking.services import policy_update
from meridian.workspaces.models import Role
from tests.briefs.factories import person
from tests.tracking.conftest import NOW
from tests.tracking.factories import entry
from tests.work.factories import project, task

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin(workspace, clock):
    return person(workspace, "Europe/Lisbon", role=Role.ADMIN, display_name="Ines")


@pytest.fixture
def item(ada, admin):
    return task(ada, project(ada, "Website relaunch"), title="Write the copy", owner=ada)


def policy(admin, *, visibility="self", k=5):
    policy_update(
        acting=admin,
        allow_apps=False,
        allow_titles=False,
        retention_days=30,
        min_group_size=k,
        individual_visibility=visibility,
    )


def time_section(viewer, item):
    return handover_kinds()["task"].packet(viewer, item.pk).section("time")


def lines(section):
    return [(e.person, e.text) for e in section.entries]


def test_the_packet_shows_my_own_time_and_keeps_others_figures_theirs(ada, bo, item):
    start = NOW - timedelta(days=2)
    entry(ada, start, 90, link_kind="task", link_id=item.pk)
    entry(ada, start + timedelta(hours=3), 35, link_kind="task", link_id=item.pk)
    entry(bo, start, 45, link_kind="task", link_id=item.pk)
    entry(bo, start + timedelta(hours=2), 20)  # not on this task

    mine = time_section(ada, item)

    assert mine.title == "Time spent"
    assert lines(mine)[0] == ("Ada", "2 h 05 min")
    assert "1 other person tracked time on this" in mine.entries[1].text
    assert "45 min" not in " ".join(e.text for e in mine.entries)
    assert not TrackingAccess.objects.exists()  # nobody read anyone else's figures


def test_when_the_policy_lets_everyone_see_figures_each_person_is_shown_and_told(
    ada, bo, admin, item
):
    policy(admin, visibility="everyone")
    entry(bo, NOW - timedelta(days=1), 45, link_kind="task", link_id=item.pk)
    entry(ada, NOW - timedelta(days=1), 120, link_kind="task", link_id=item.pk)

    section = time_section(bo, item)

    assert lines(section) == [("Ada", "2 h 00 min"), ("Bo", "45 min")]
    access = TrackingAccess.objects.get()
    assert (access.subject, access.viewer) == (ada, bo)
    assert "task" in access.what


def test_others_show_only_as_one_total_when_they_are_at_least_k(workspace, ada, admin, item):
    policy(admin, k=2)
    for n, minutes in enumerate((30, 45)):
        other = person(workspace, "Asia/Tokyo", display_name=f"Other {n}")
        entry(other, NOW - timedelta(days=1), minutes, link_kind="task", link_id=item.pk)

    section = time_section(ada, item)

    assert lines(section) == [("2 other people together", "1 h 15 min")]


def test_a_running_timer_or_nothing_tracked_reads_as_nothing(ada, item):
    assert time_section(ada, item).entries == []
    assert time_section(ada, item).empty == "Nobody tracked time on this."
