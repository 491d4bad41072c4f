"""Template context: the workspace the page belongs to, the viewer's other workspaces, and the
zone in which the page shows times (``reader_zone``, read by the ``{% moment %}`` tag)."""

from typing import Any

from django.http import HttpRequest

from meridian.core.moments import zone_label


def current_workspace(request: HttpRequest) -> dict[str, Any]:
    membership = getattr(request, "membership", None)
    # A page outside a workspace has no profile to read a zone from: it shows UTC, and says so.
    profile = getattr(membership, "profile", None) if membership is not None else None
    zone = profile.time_zone if profile is not None else None
    return {
        "membership": membership,
        "workspace": membership.workspace if membership is not None else None,
        "reader_zone": zone_label(zone),
    }
