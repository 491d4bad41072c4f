"""Test data builders: people, workspaces and members, made through the real services."""

import itertools
from typing import Any

from meridian.accounts.models import User
from meridian.workspaces.models import Membership, Role, Workspace
from meridian.workspaces.services import membership_add, profile_update, workspace_create

_seq = itertools.count(1)
PASSWORD = "correct-horse-battery-9"


def user(email: str | None = None, name: str = "", password: str = PASSWORD) -> User:
    n = next(_seq)
    return User.objects.create_user(
        email=email or f"person{n}@example.com", password=password, name=name or f"Person {n}"
    )


def workspace(name: str | None = None, admin: User | None = None) -> Workspace:
    n = next(_seq)
    return workspace_create(user=admin or user(), name=name or f"Company {n}")


def admin_of(ws: Workspace) -> Membership:
    return (
        Membership.objects.filter(workspace=ws, role=Role.ADMIN).select_related("profile").first()
    )  # type: ignore[return-value]


def member(
    ws: Workspace, role: Role = Role.MEMBER, time_zone: str = "UTC", **profile: Any
) -> Membership:
    u = user()
    m = membership_add(workspace=ws, user=u, role=role, display_name=u.name)
    if time_zone != "UTC" or profile:
        profile_update(acting=m, member=m, time_zone=time_zone, **profile)
    return Membership.objects.select_related("profile", "user", "workspace").get(pk=m.pk)
