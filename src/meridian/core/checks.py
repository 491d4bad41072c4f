"""Meridian's own system checks: the registry holds together; with --deploy, production settings."""

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, Warning, register


@register(Tags.security, deploy=True)
def base_url_uses_https(**_: Any) -> list[CheckMessage]:
    """Links mailed out must not drop people onto plain HTTP when the site itself is HTTPS."""
    if settings.HTTPS and not settings.BASE_URL.startswith("https://"):
        return [
            Warning(
                f"MERIDIAN_BASE_URL is {settings.BASE_URL!r}, but MERIDIAN_HTTPS is on: "
                "invitation, reset and notification links would use plain http://.",
                hint="Set MERIDIAN_BASE_URL to the site's https:// address.",
                id="meridian.W001",
            )
        ]
    return []


@register()
def registry_is_consistent(**_: Any) -> list[CheckMessage]:
    """Every area's hooks.py imports, its nav entries lead somewhere, and job names are unique."""
    from django.urls import NoReverseMatch, reverse

    from meridian.core import registry
    from meridian.core.scheduler import registered_jobs

    problems: list[CheckMessage] = []
    for entry in registry.nav_entries():
        if entry.group and entry.group not in registry.NAV_GROUPS:
            problems.append(
                Error(
                    f"The nav entry {entry.label!r} is in the group {entry.group!r}, which is not "
                    f"one of {', '.join(registry.NAV_GROUPS)}.",
                    id="meridian.E003",
                )
            )
        for name in filter(None, (entry.url_name, entry.badge_url_name)):
            try:
                reverse(name, kwargs={"workspace": "check"})
            except NoReverseMatch:
                problems.append(
                    Error(
                        f"The nav entry {entry.label!r} names the URL {name!r}, which does not "
                        "exist with a workspace slug.",
                        id="meridian.E001",
                    )
                )
    try:
        registered_jobs()
    except ValueError as error:
        problems.append(Error(str(error), id="meridian.E002"))
    return problems
