"""Template context: the workspace the page belongs to, and the viewer's other workspaces."""

from typing import Any

from django.http import HttpRequest


def current_workspace(request: HttpRequest) -> dict[str, Any]:
    membership = getattr(request, "membership", None)
    return {
        "membership": membership,
        "workspace": membership.workspace if membership is not None else None,
    }
