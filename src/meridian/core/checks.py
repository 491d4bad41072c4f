"""Meridian's own entries in `meridian check --deploy`: settings that start but are wrong in production."""

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Tags, Warning, register


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
