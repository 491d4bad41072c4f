"""What the workspaces area plugs into the others: its pages in the navigation, and its jobs."""

from typing import Any

from meridian.core import registry
from meridian.core.scheduler import Job
from meridian.workspaces import schedule


def _admin(membership: Any) -> bool:
    return bool(membership is not None and membership.is_admin)


registry.nav(
    registry.NavEntry(
        label="Members",
        url_name="members",
        order=40,
        current_prefixes=("members", "workspace_home", "invite"),
        group="Workspace",
    )
)
registry.nav(
    registry.NavEntry(
        label="Teams",
        url_name="teams",
        order=50,
        current_prefixes=("teams", "team"),
        group="Workspace",
    )
)
registry.nav(
    registry.NavEntry(
        label="Profile", url_name="profile", order=60, current_prefixes=("profile",), group="You"
    )
)
registry.nav(
    registry.NavEntry(
        label="Audit log",
        url_name="audit_log",
        order=80,
        current_prefixes=("audit_log",),
        group="Workspace",
        visible=_admin,
    )
)

registry.register(registry.SCHEDULED_JOBS, Job("invitation.expired", schedule.invitations_expired))


def _time_off_panel(request: Any, member: Any) -> Any:
    # Imported late: hooks are discovered before the URLconf, and views import forms and more.
    from meridian.workspaces.views import time_off_panel

    return time_off_panel(request, member)


# The member's time off, a section of their profile page (workspaces.views.PROFILE_PANELS).
registry.register("profile_panels", _time_off_panel)
