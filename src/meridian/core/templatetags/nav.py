"""``{% main_nav %}``: the workspace's main navigation, as the areas registered it (registry.NAV)."""

from functools import lru_cache
from html import escape  # the standard library's: Django's wraps it for lazy text, slower
from typing import Any

from django import template
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.urls import get_script_prefix, reverse
from django.utils.safestring import SafeString, mark_safe

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


@lru_cache(maxsize=64)
def _site_url(url_name: str, prefix: str) -> str:
    """An address outside any workspace (the list of workspaces, signing out)."""
    return reverse(url_name)


def _badge(entry: NavEntry, url: str, html: str | None) -> str:
    """A count loaded (and reloaded) with htmx, or drawn at once with what the page counted."""
    trigger = ("load, " if html is None else "") + "badge-poll"
    if entry.badge_event:
        trigger += f", {entry.badge_event} from:body"
    return (
        f'<span class="nav-badge" id="{escape(entry.url_name)}-count" hx-get="{escape(url)}" '
        f'hx-trigger="{escape(trigger)}" hx-swap="innerHTML" data-poll-seconds="60">'
        f"{html if html is not None else ''}</span>"
    )


@register.simple_tag(takes_context=True)
def main_nav(context: template.Context) -> SafeString:
    """The entries the viewer may see in the page's workspace, in their menus, the current one
    (and its menu) marked.

    An entry without a group is a link of its own in the bar (the inbox); the others are listed
    in their group's menu, in ``registry.NAV_GROUPS`` order. A menu is a ``<details
    name="main-nav">`` (one open at a time, operable by keyboard without script; app.js adds
    Escape and a click elsewhere to close it) whose summary carries the badges of its entries,
    so that a count shows while the menu is closed. The last menu ends with the list of
    workspaces and signing out. Written in Python: it is on every page, and through the
    template engine it cost about 2 ms of CPU a page.
    """
    workspace, membership = context.get("workspace"), context.get("membership")
    if workspace is None:
        return mark_safe("")
    # A page that has just counted what a badge shows passes it ({url_name: html}): the badge
    # is drawn with it instead of asking the server again as the page loads.
    badges = context.get("nav_badges") or {}
    match = getattr(context.get("request"), "resolver_match", None)
    here = (match.url_name if match is not None else None) or ""
    prefix = get_script_prefix()
    slug = workspace.slug
    links: list[str] = []
    groups: dict[str, list[str]] = {label: [] for label in registry.NAV_GROUPS}
    summaries: dict[str, list[str]] = {label: [] for label in registry.NAV_GROUPS}
    current_group = ""
    for entry in registry.nav_entries():
        if entry.visible is not None and not entry.visible(membership):
            continue
        current = is_current(entry, here)
        badge = (
            _badge(entry, _url(entry.badge_url_name, slug, prefix), badges.get(entry.url_name))
            if entry.badge_url_name
            else ""
        )
        link = (
            f'<a href="{escape(_url(entry.url_name, slug, prefix))}"'
            f"{' aria-current="page"' if current else ''}>{escape(entry.label)}"
        )
        if entry.group not in groups:
            links.append(f"<li>{link}{' ' + badge if badge else ''}</a></li>")
            continue
        groups[entry.group].append(f"<li>{link}</a></li>")
        if badge:
            summaries[entry.group].append(badge)
        if current:
            current_group = entry.group
    last = registry.NAV_GROUPS[-1]
    user = context.get("user")
    groups[last] += [
        f'<li><a href="{escape(_site_url("home", prefix))}">Workspaces</a></li>',
        '<li class="nav-account">'
        f'<form method="post" action="{escape(_site_url("account_logout", prefix))}">'
        '<input type="hidden" name="csrfmiddlewaretoken" '
        f'value="{escape(str(context.get("csrf_token") or ""))}">'
        '<button type="submit" class="link">Sign out<span class="visually-hidden"> '
        f"{escape(getattr(user, 'email', '') or '')}</span></button></form></li>",
    ]
    parts = links
    for label, items in groups.items():
        if not items:
            continue
        mark = (
            (
                ' aria-current="true"',
                '<span class="visually-hidden"> (current section)</span>',
            )
            if label == current_group
            else ("", "")
        )
        parts.append(
            '<li class="nav-group"><details name="main-nav">'
            f"<summary{mark[0]}>{escape(label)}{mark[1]}{''.join(summaries[label])}</summary>"
            f'<ul class="nav-menu">{"".join(items)}</ul></details></li>'
        )
    return mark_safe("\n".join(parts))  # noqa: S308 — every value above is escaped


# The id of the bar's list, which the phone's "Menu" button shows and hides.
NAV_LIST_ID = "main-nav-list"


@register.simple_tag
def main_nav_toggle() -> SafeString:
    """The "Menu" button a phone shows instead of the bar's menus: a disclosure for the whole
    list (``aria-controls``), every menu opened in it, stacked.

    It starts ``hidden``: app.js shows it (and wires ``aria-expanded``), and CSS shows it only
    at phone width. Without JavaScript there is no dead button, and the bar wraps onto a few
    rows there instead of scrolling sideways, each menu a disclosure as on a desktop.
    """
    return mark_safe(  # noqa: S308 — a constant
        f'<button type="button" class="nav-toggle" aria-expanded="false" '
        f'aria-controls="{NAV_LIST_ID}" hidden>Menu</button>'
    )


@receiver(setting_changed)
def _forget_urls(*, setting: str, **kwargs: Any) -> None:
    """A test that swaps the URLconf gets addresses from the new one."""
    if setting == "ROOT_URLCONF":
        _url.cache_clear()
        _site_url.cache_clear()
