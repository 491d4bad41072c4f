"""Builders of tracking data, through the real services."""

import uuid
from datetime import UTC, datetime, timedelta

from meridian.tracking.services import SlotIn, activity_sync, entry_create
from meridian.workspaces.models import Membership

AGENT = uuid.UUID("12345678-1234-5678-1234-567812345678")


def entry(member: Membership, start: datetime, minutes: int = 60, **kwargs):
    return entry_create(
        acting=member, start=start, end=start + timedelta(minutes=minutes), **kwargs
    )


def slots(start: datetime, count: int, category: str = "Coding", active: int = 600, afk: int = 0):
    return [
        SlotIn(start + timedelta(minutes=15 * i), category, active, afk, None, None)
        for i in range(count)
    ]


def sync(member: Membership, items: list[SlotIn]):
    return activity_sync(acting=member, agent_id=AGENT, slots=items)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)
