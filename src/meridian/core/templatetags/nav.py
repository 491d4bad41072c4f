"""``{% main_nav %}``: the workspace's main navigation, as the areas registered it (registry.NAV)."""

from typing import Any

from django import template
from django.urls import reverse

from meridian.core import registry
from meridian.core.registry import NavEntry

register = template.Library()


def is_current(entry: NavEntry, url_name: str) -> bool:
    """Whether the page named ``url_name`` belongs to the entry.

    A name in ``current_prefixes`` that ends in ``_`` is a prefix (``brief_`` covers every
    brief page); any other name must match exactly.
    """
    return any(
        url_name == name or (name.endswith("_") and url_name.startswith(name))
        for name in entry.current_prefixes
    )


@register.inclusion_tag("core/nav.html", takes_context=True)
def main_nav(context: template.Context) -> dict[str, Any]:
    """The entries the viewer may see in the page's workspace, in order, the current one marked."""
    workspace, membership = context.get("workspace"), context.get("membership")
    # A page that has just counted what a badge shows passes it ({url_name: html}): the badge
    # is drawn with it instead of asking the server again as the page loads.
    badges = context.get("nav_badges") or {}
    match = getattr(context.get("request"), "resolver_match", None)
    here = (match.url_name if match is not None else None) or ""
    entries: list[dict[str, Any]] = []
    if workspace is None:
        return {"entries": entries}
    for entry in registry.nav_entries():
        if entry.visible is not None and not entry.visible(membership):
            continue
        kwargs = {"workspace": workspace.slug}
        entries.append(
            {
                "label": entry.label,
                "url": reverse(entry.url_name, kwargs=kwargs),
                "current": is_current(entry, here),
                "badge_url": reverse(entry.badge_url_name, kwargs=kwargs)
                if entry.badge_url_name
                else "",
                "badge_id": f"{entry.url_name}-count",
                "badge_html": badges.get(entry.url_name),
                "badge_event": entry.badge_event,
            }
        )
    return {"entries": entries}
