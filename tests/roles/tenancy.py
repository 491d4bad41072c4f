"""The roles part of tests/test_tenancy.py's victim workspace."""

from datetime import timedelta

from django.utils import timezone

from meridian.roles.services import duty_tick
from meridian.workspaces.models import Membership
from meridian.workspaces.services import time_off_add
from tests.roles.factories import held, role, weekly_rota


def victim_roles(admin: Membership, other: Membership) -> dict[str, int]:
    """A role held by the victim's member, with a ticked duty, a rota and time off."""
    r = held(admin, role(admin, name="Zeta Secret Works keeper"), other)
    duty = r.duties.first()
    duty_tick(acting=other, duty=duty, done=True)
    weekly_rota(admin, r, [other, admin], timezone.now().date(), zone="Europe/Paris")
    today = timezone.now().date()
    away = time_off_add(
        acting=other,
        member=other,
        first_day=today + timedelta(days=30),
        last_day=today + timedelta(days=31),
        note="Zeta Secret Works retreat",
    )
    return {"role_id": r.pk, "duty_id": duty.pk, "time_off_id": away.pk}
