"""The demo seeder writes two weeks of entries and synced slots for the demo members."""

import pytest

from meridian.core import registry
from meridian.tracking.demo import demo_tracking
from meridian.tracking.models import ActivityDaily, TimeEntry
from tests import factories

pytestmark = pytest.mark.django_db


def test_demo_writes_weekday_entries_and_rollups(workspace, clock):
    members = {f"P{i}": factories.member(workspace, time_zone="Europe/Berlin") for i in range(2)}
    demo_tracking(workspace, members)
    # 14 days back from Wednesday 4 November: 10 weekdays, two entries each, per person.
    assert TimeEntry.objects.filter(member=members["P0"]).count() == 20
    assert ActivityDaily.objects.filter(member=members["P1"]).values("day").distinct().count() == 10


def test_tracking_registers_its_seeder_job_and_nav_entry():
    assert "tracking" in [s.name for s in registry.demo_seeders()]
    [time] = [e for e in registry.nav_entries() if e.label == "Time"]
    assert time.order == 40 and time.badge_url_name == "tracking_timer_badge"
