"""The demo's tracking data: two weeks of time entries and synced activity slots for a few
demo members, written through the services (time entries linked to projects when the work
area registers them)."""

import uuid
from datetime import UTC, datetime, time, timedelta
from typing import Any

from django.utils import timezone

from meridian.core import registry
from meridian.core.moments import reader_zone
from meridian.tracking.services import SlotIn, activity_sync, entry_create
from meridian.workspaces.models import Membership

CATEGORIES = ("Coding", "Writing", "Communication", "Meetings")


def demo_tracking(workspace: Any, members: dict[str, Membership]) -> None:
    """Two weeks of weekdays, 9:00 to 12:00 and 13:00 to 17:00 in each person's zone."""
    now = timezone.now()
    kinds = registry.link_kinds()
    projects = kinds["project"].recent(workspace.pk, 5) if "project" in kinds else []
    for n, member in enumerate(list(members.values())[:6]):
        zone = reader_zone(member.profile.time_zone)
        agent = uuid.uuid5(uuid.NAMESPACE_URL, f"meridian-demo-agent-{member.pk}")
        slots: list[SlotIn] = []
        for back in range(14, 0, -1):
            day = (now.astimezone(zone) - timedelta(days=back)).date()
            if day.weekday() >= 5:
                continue
            for begin, end in ((time(9), time(12)), (time(13), time(17))):
                start = datetime.combine(day, begin, zone)
                stop = datetime.combine(day, end, zone)
                project = projects[(back + n) % len(projects)] if projects else None
                entry_create(
                    acting=member,
                    start=start,
                    end=stop,
                    note="Focused work" if begin.hour == 9 else "Reviews and writing",
                    tags=["demo"],
                    link_kind="project" if project else "",
                    link_id=project[0] if project else None,
                )
                slot = start.astimezone(UTC).replace(second=0, microsecond=0)
                slot -= timedelta(minutes=slot.minute % 15)
                i = 0
                while slot < stop:
                    category = CATEGORIES[(i // 4 + n + back) % len(CATEGORIES)]
                    slots.append(SlotIn(slot, category, 600 + (i * 37 + n) % 240, 60, None, None))
                    slot += timedelta(minutes=15)
                    i += 1
        if slots:
            activity_sync(acting=member, agent_id=agent, slots=slots)
