"""Shapes of the delivery API."""

from datetime import datetime

from ninja import Schema

from meridian.core.schemas import LocalTime


class KindChannelOut(Schema):
    kind: str
    label: str
    description: str
    default_channel: str
    channel: str


class PreferencesOut(Schema):
    kinds: list[KindChannelOut]
    quiet_hours: list[list[int]]
    quiet_hours_text: str
    digest_time: LocalTime | None
    time_zone: str


class PreferencesIn(Schema):
    """Send only what changes. ``channels`` maps a kind to ``inbox``, ``digest`` or ``now``;
    ``quiet_hours`` is text such as ``"22:00-07:00, 12:30-13:00"`` ("" for none)."""

    channels: dict[str, str] | None = None
    quiet_hours: str | None = None
    digest_time: LocalTime | None = None


class HoldOut(Schema):
    recipient_id: int
    held: bool
    until: datetime | None
    text: str


class EmailDeliveryOut(Schema):
    id: int
    kind: str
    subject: str
    channel: str
    urgent: bool
    created_at: datetime
    deliver_after: datetime | None
    sent_at: datetime | None
    emailed_at: datetime | None
    attempts: int
    held_text: str


class UrgentBudgetOut(Schema):
    weekly_budget: int
    used: int
    left: int
    refills_at: datetime
    text: str


class UrgentPolicyIn(Schema):
    weekly_budget: int
