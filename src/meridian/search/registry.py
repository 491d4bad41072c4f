"""What each area puts into search: its kinds of document, and who may see restricted ones.

Areas register in ``<area>/search.py``, which is imported when the registry is first read::

    @search_kind("brief", label="Brief", plural="Briefs")
    def brief_documents() -> Iterator[Document]:
        ...  # every brief, for `meridian search_reindex`

    @search_audience("decisions.blind")
    def blind_audience(viewer: Membership, keys: set[str]) -> set[str]:
        ...  # the proposals (keys) whose blind content this viewer may see now
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import TYPE_CHECKING

from django.utils.module_loading import autodiscover_modules

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


_kinds: dict[str, Kind] = {}
_audiences: dict[str, AudienceCheck] = {}


def search_kind(
    name: str, *, label: str, plural: str
) -> Callable[[DocumentSource], DocumentSource]:
    """Register a kind; the decorated function yields every document of it, for reindexing."""

    def decorator(documents: DocumentSource) -> DocumentSource:
        existing = _kinds.get(name)
        if existing is not None and existing.documents is not documents:
            raise ValueError(f"A search kind called {name!r} is already registered.")
        _kinds[name] = Kind(name=name, label=label, plural=plural, documents=documents)
        return documents

    return decorator


def search_audience(rule: str) -> Callable[[AudienceCheck], AudienceCheck]:
    """Register the check of an audience rule: given keys, it returns those the viewer may see."""

    def decorator(check: AudienceCheck) -> AudienceCheck:
        existing = _audiences.get(rule)
        if existing is not None and existing is not check:
            raise ValueError(f"A search audience called {rule!r} is already registered.")
        _audiences[rule] = check
        return check

    return decorator


@cache
def _discover() -> None:
    # Once per process: each call looks for a search module in every installed app again
    # (about 2 ms of a search's time, measured with bench/search.py).
    autodiscover_modules("search")


def registered_kinds() -> dict[str, Kind]:
    """Every area's kinds, by name, in the order they were registered."""
    _discover()
    return dict(_kinds)


def kind_label(name: str) -> str:
    """What people call a kind (its name, capitalised, if no area registers it any more)."""
    kind = registered_kinds().get(name)
    return kind.label if kind is not None else name.replace("_", " ").capitalize()


def audiences_allowed(viewer: "Membership", audiences: set[str]) -> set[str]:
    """The audiences of the set that the viewer belongs to; unknown rules let nobody in."""
    _discover()
    by_rule: dict[str, set[str]] = {}
    for audience in audiences:
        rule, _, key = audience.partition(":")
        by_rule.setdefault(rule, set()).add(key)
    allowed: set[str] = set()
    for rule, keys in by_rule.items():
        check = _audiences.get(rule)
        if check is not None:
            allowed.update(f"{rule}:{key}" for key in check(viewer, set(keys)) & keys)
    return allowed
