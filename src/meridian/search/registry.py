"""What each area puts into search: its kinds of document, and who may see restricted ones.

An area writes its document code in ``<area>/search.py`` and registers it from its
``hooks.py``, at the core registry's ``SEARCH_DOCUMENTS`` and ``SEARCH_AUDIENCES`` points::

    # decisions/hooks.py
    registry.register(registry.SEARCH_DOCUMENTS,
                      Kind("decision", "Decision", "Decisions", search.record_documents))
    registry.register(registry.SEARCH_AUDIENCES, Audience(BLIND, search.blind_audience))

``Kind.documents`` yields every document of the kind (for ``meridian search_reindex``); an
``Audience`` check returns the keys (e.g. proposal ids) whose restricted documents the viewer
may see now.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from meridian.core import registry

if TYPE_CHECKING:
    from meridian.workspaces.models import Membership


@dataclass(frozen=True)
class Document:
    """One object's searchable text, as an area hands it to the index."""

    workspace_id: int
    kind: str
    object_id: int
    title: str
    body: str
    url: str
    parent_id: int | None = None
    audience: str | None = None
    context: str = ""
    created_at: datetime | None = None


DocumentSource = Callable[[], Iterable[Document]]
AudienceCheck = Callable[["Membership", set[str]], set[str]]


@dataclass(frozen=True)
class Kind:
    """A kind of search document: its names for people, and where to rebuild it from."""

    name: str
    label: str
    plural: str
    documents: DocumentSource


@dataclass(frozen=True)
class Audience:
    """An audience rule (``decisions.blind``) and its check: given keys, those the viewer may see."""

    rule: str
    check: AudienceCheck


def registered_kinds() -> dict[str, Kind]:
    """Every area's kinds, by name, in the order they were registered."""
    kinds: dict[str, Kind] = {}
    for kind in registry.items(registry.SEARCH_DOCUMENTS):
        existing = kinds.get(kind.name)
        if existing is not None and existing.documents is not kind.documents:
            raise ValueError(f"A search kind called {kind.name!r} is already registered.")
        kinds[kind.name] = kind
    return kinds


def _audience_checks() -> dict[str, AudienceCheck]:
    checks: dict[str, AudienceCheck] = {}
    for audience in registry.items(registry.SEARCH_AUDIENCES):
        existing = checks.get(audience.rule)
        if existing is not None and existing is not audience.check:
            raise ValueError(f"A search audience called {audience.rule!r} is already registered.")
        checks[audience.rule] = audience.check
    return checks


def kind_label(name: str) -> str:
    """What people call a kind (its name, capitalised, if no area registers it any more)."""
    kind = registered_kinds().get(name)
    return kind.label if kind is not None else name.replace("_", " ").capitalize()


def audiences_allowed(viewer: "Membership", audiences: set[str]) -> set[str]:
    """The audiences of the set that the viewer belongs to; unknown rules let nobody in."""
    checks = _audience_checks()
    by_rule: dict[str, set[str]] = {}
    for audience in audiences:
        rule, _, key = audience.partition(":")
        by_rule.setdefault(rule, set()).add(key)
    allowed: set[str] = set()
    for rule, keys in by_rule.items():
        check = checks.get(rule)
        if check is not None:
            allowed.update(f"{rule}:{key}" for key in check(viewer, set(keys)) & keys)
    return allowed
