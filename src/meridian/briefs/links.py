"""The kinds of object in other areas that a brief can link to, and how to name them.

Briefs come first: decisions (and later the work area) are built on them, so this area must
not import theirs. Instead each of those areas declares its kind in its own ``hooks.py``
(``registry.link_kind(registry.LinkKind(...))``, see ``meridian.core.registry.LinkKind``),
with two reads the briefs area calls without knowing the model behind them:

* ``titles(workspace_id, ids)`` — ``{id: label}`` for those of the ids that exist in that
  workspace, in one query. ``link_add`` uses it to refuse an id that is missing or foreign,
  and the brief page and the API use it to show what each link points at.
* ``recent(workspace_id, limit)`` — ``[(id, label)]``, newest first, for the page's menu.

A kind nobody registered cannot be linked (``link_add`` says so) and has no titles.
"""

from collections.abc import Iterable

from meridian.core import registry
from meridian.core.registry import LinkKind

__all__ = ["MAX_ID", "LinkKind", "recent_for", "registered", "titles_for"]

# Ids are stored in a PositiveBigIntegerField; anything beyond it names nothing, and asking a
# database about it would fail rather than find nothing.
MAX_ID = 2**63 - 1


def registered(kind: str) -> LinkKind | None:
    """The registration of ``kind``, or None when no area registered it."""
    return registry.link_kinds().get(kind)


def titles_for(kind: str, workspace_id: int, ids: Iterable[int]) -> dict[int, str] | None:
    """Labels of those of ``ids`` that exist in the workspace; None when ``kind`` is unregistered."""
    found = registered(kind)
    if found is None:
        return None
    wanted = sorted({i for i in ids if 0 < i <= MAX_ID})
    return found.titles(workspace_id, wanted) if wanted else {}


def recent_for(kind: str, workspace_id: int, limit: int) -> list[tuple[int, str]] | None:
    """Choices for the page's menu, newest first; None when ``kind`` is unregistered."""
    found = registered(kind)
    return None if found is None else found.recent(workspace_id, limit)
