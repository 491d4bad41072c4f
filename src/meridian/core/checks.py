"""Meridian's own system checks: the registry holds together; with --deploy, production settings."""

import ast
from pathlib import Path
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
    declared = registry.webhook_events()
    for kind, where in sorted(emitted_event_kinds().items()):
        if kind not in declared:
            problems.append(
                Error(
                    f"{where} emits the event {kind!r}, which no area declares, so no webhook "
                    "can subscribe to it.",
                    hint="Declare it with registry.webhook_event() in the area's hooks.py.",
                    id="meridian.E004",
                )
            )
    return problems


def emitted_event_kinds(root: Path | None = None) -> dict[str, str]:
    """Every kind named in an ``event_emit(kind="...")`` call under ``root`` (the package), with
    the first file naming it. Only files that mention ``event_emit`` are parsed (a few ms)."""
    import meridian

    root = root or Path(meridian.__file__).parent
    found: dict[str, str] = {}
    for path in sorted(root.rglob("*.py")):
        text = path.read_text()
        if "event_emit(" not in text:
            continue
        for node in ast.walk(ast.parse(text, filename=str(path))):
            if not isinstance(node, ast.Call):
                continue
            if (getattr(node.func, "id", None) or getattr(node.func, "attr", None)) != "event_emit":
                continue
            for keyword in node.keywords:
                if keyword.arg == "kind":
                    for n in ast.walk(keyword.value):
                        if isinstance(n, ast.Constant) and isinstance(n.value, str):
                            found.setdefault(n.value, str(path.relative_to(root.parent)))
    return found
