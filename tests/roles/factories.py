"""Builders for roles tests, through the real services."""

from datetime import time

from meridian.roles.models import Cadence, Role
from meridian.roles.services import DutyIn, holder_assign, role_create, rota_set
from meridian.workspaces.models import Membership


def role(acting: Membership, name: str = "Release manager", **kwargs) -> Role:
    kwargs.setdefault(
        "responsibilities", "Cut the release branch every second Tuesday and post the changelog."
    )
    kwargs.setdefault(
        "duties",
        [
            DutyIn("Check the error budget", Cadence.DAILY),
            DutyIn("Review merged pull requests", Cadence.WEEKLY),
            DutyIn("Update the release calendar", Cadence.MONTHLY),
        ],
    )
    return role_create(acting=acting, name=name, **kwargs)


def held(acting: Membership, r: Role, *members: Membership) -> Role:
    for m in members:
        holder_assign(acting=acting, role=r, member=m)
    return r


def weekly_rota(acting: Membership, r: Role, members: list[Membership], starts_on, **kw):
    return rota_set(
        acting=acting,
        role=r,
        member_ids=[m.pk for m in members],
        period="weekly",
        weekday=kw.pop("weekday", 0),
        at=kw.pop("at", time(9, 0)),
        zone=kw.pop("zone", "UTC"),
        starts_on=starts_on,
        **kw,
    )
