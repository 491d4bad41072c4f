"""``{% main_nav %}``: the workspace's main navigation, as the areas registered it (registry.NAV)."""

from functools import lru_cache
from typing import Any

from django import template
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.urls import get_script_prefix, reverse

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


@lru_cache(maxsize=4096)
def _url(url_name: str, workspace: str, prefix: str) -> str:
    """An entry's address in a workspace: the same for every page, so reversed once (a nav of
    14 entries and their badges was ~20 ``reverse()`` calls, ~1 ms, on every page)."""
    return reverse(url_name, kwargs={"workspace": workspace})


@register.inclusion_tag("core/nav.html", takes_context=True)
def main_nav(context: template.Context) -> dict[str, Any]:
    """The entries the viewer may see in the page's workspace, in their menus, the current one
    (and its menu) marked.

    An entry without a group is a link of its own in the bar (the inbox); the others are listed
    in their group's menu, in ``registry.NAV_GROUPS`` order, a menu showing the badges of its
    entries so that a count is seen while the menu is closed.
    """
    workspace, membership = context.get("workspace"), context.get("membership")
    # A page that has just counted what a badge shows passes it ({url_name: html}): the badge
    # is drawn with it instead of asking the server again as the page loads.
    badges = context.get("nav_badges") or {}
    match = getattr(context.get("request"), "resolver_match", None)
    here = (match.url_name if match is not None else None) or ""
    links: list[dict[str, Any]] = []
    groups: dict[str, dict[str, Any]] = {
        label: {"label": label, "entries": [], "badges": [], "current": False}
        for label in registry.NAV_GROUPS
    }
    if workspace is None:
        return {"links": links, "groups": []}
    prefix = get_script_prefix()
    for entry in registry.nav_entries():
        if entry.visible is not None and not entry.visible(membership):
            continue
        item = {
            "label": entry.label,
            "url": _url(entry.url_name, workspace.slug, prefix),
            "current": is_current(entry, here),
            "badge_url": _url(entry.badge_url_name, workspace.slug, prefix)
            if entry.badge_url_name
            else "",
            "badge_id": f"{entry.url_name}-count",
            "badge_html": badges.get(entry.url_name),
            "badge_event": entry.badge_event,
        }
        group = groups.get(entry.group)
        if group is None:
            links.append(item)
            continue
        group["entries"].append(item)
        group["current"] = group["current"] or item["current"]
        if item["badge_url"]:
            group["badges"].append(item)
    last = registry.NAV_GROUPS[-1]
    return {
        "links": links,
        "groups": [g for g in groups.values() if g["entries"] or g["label"] == last],
        # The last menu ends with the list of workspaces and signing out.
        "account_group": last,
        "user": context.get("user"),
        "csrf_token": context.get("csrf_token"),
    }


@receiver(setting_changed)
def _forget_urls(*, setting: str, **kwargs: Any) -> None:
    """A test that swaps the URLconf gets addresses from the new one."""
    if setting == "ROOT_URLCONF":
        _url.cache_clear()
