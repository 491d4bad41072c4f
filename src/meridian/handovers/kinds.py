"""What an area declares so its items can be handed over and scored for readiness.

Each area that owns things people hold (work: tasks and projects; roles: roles) registers one
``HandoverKind`` per kind from its ``hooks.py``::

    handover_kind(HandoverKind(kind="task", noun="task", titles=..., url=..., owned=...,
                               owners=..., packet=..., transfer=..., readiness=...))

The handovers layer never imports an area: it reads the kinds here. An area may import
``meridian.handovers`` (its selectors, to show "in handover" with both names).

The callables' contracts:

- ``titles(workspace_id, ids) -> {id: label}`` for the ids that exist in that workspace (one
  query); ``url(workspace_slug, id) -> str`` is the item's page.
- ``owned(workspace_id, membership_id) -> [(id, label)]``: what the member owns or holds of
  this kind now (for "hand over everything"), open items only.
- ``owners(workspace_id, ids) -> {id: [membership_id, ...]}``: who owns or holds each item
  (a handover's giver must be one of them, unless an admin hands over for them).
- ``packet(viewer, object_id) -> Packet``: everything the receiver needs, assembled now.
- ``transfer(object_id, giver, receiver, actor) -> None``: makes the receiver the owner or
  holder in place of the giver (called inside the acknowledging transaction; records the
  change in the item's own history).
- ``readiness(workspace_id, ids | None) -> [Readiness]``: each item's readiness (all open
  items of the workspace when ``ids`` is None), in a constant number of queries.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from meridian.core import registry

HANDOVER_KINDS = "handover_kinds"


@dataclass(frozen=True)
class PacketEntry:
    """One line of a packet section: text (plain, never HTML), optional link and detail.

    ``html`` is already-sanitized rendering of Markdown the area stored (description, note).
    """

    text: str
    url: str = ""
    detail: str = ""
    html: str = ""
    at: datetime | None = None
    person: str = ""
    done: bool | None = None  # a checklist item's state, None when not a checklist item


@dataclass(frozen=True)
class PacketSection:
    """A heading of the packet ("Acceptance criteria", "Unanswered questions"...) and its lines.

    ``key`` is stable for the API and tests ("description", "criteria", "remaining",
    "questions", "threads", "decisions", "briefs", "dependencies", "history", "files",
    "people", "time"); ``empty`` is what the page says when there are no entries.
    """

    key: str
    title: str
    entries: list[PacketEntry] = field(default_factory=list)
    empty: str = "Nothing."


@dataclass(frozen=True)
class Packet:
    """What the receiver of a handover reads: the item, assembled from the system at once."""

    kind: str
    object_id: int
    title: str
    url: str
    status: str
    sections: list[PacketSection] = field(default_factory=list)

    def section(self, key: str) -> PacketSection | None:
        return next((section for section in self.sections if section.key == key), None)


# The key of the Check a kind adds when an item's holder left the workspace (it never holds).
HOLDER_LEFT = "holder_left"


@dataclass(frozen=True)
class Check:
    """One reason in a readiness score: what is checked, whether it holds, and its weight."""

    key: str  # "description", "criteria", "no_open_questions", "linked", "recent", "contributors"
    label: str  # as a person reads it when it holds ("Has acceptance criteria")
    ok: bool
    weight: int = 1
    missing: str = ""  # as a person reads it when it does not ("No acceptance criteria")


@dataclass(frozen=True)
class Readiness:
    """How ready an item is to be picked up by someone else, and why."""

    kind: str
    object_id: int
    title: str
    url: str
    checks: list[Check]
    # Who holds it now, and how many distinct people contributed in the last 90 days.
    holder_ids: list[int] = field(default_factory=list)
    contributors_90d: int = 0
    # What it belongs to, for the per-project view ("" when nothing, e.g. a role).
    group: str = ""
    group_url: str = ""
    # The project it is or belongs to, for the per-project metrics (None when none).
    project_id: int | None = None

    @property
    def score(self) -> int:
        """0–100: the weighted share of checks that hold."""
        return readiness_score(self.checks)

    @property
    def bus_factor_one(self) -> bool:
        return self.contributors_90d <= 1


def readiness_score(checks: list[Check]) -> int:
    """The weighted share of checks that hold, 0–100, rounded half up (100 with no checks)."""
    total = sum(max(check.weight, 0) for check in checks)
    if total == 0:
        return 100
    held = sum(max(check.weight, 0) for check in checks if check.ok)
    return (held * 200 + total) // (total * 2)


@dataclass(frozen=True)
class HandoverKind:
    """A kind of item that can be handed over (see the module's docstring for the contracts)."""

    kind: str
    noun: str
    titles: Callable[[int, list[int]], dict[int, str]]
    url: Callable[[str, int], str]
    owned: Callable[[int, int], list[tuple[int, str]]]
    owners: Callable[[int, list[int]], dict[int, list[int]]]
    packet: Callable[[Any, int], Packet]
    transfer: Callable[[int, Any, Any, Any], None]
    readiness: Callable[[int, list[int] | None], list[Readiness]] | None = None
    order: int = 100


def handover_kind(kind: HandoverKind) -> HandoverKind:
    """Make a kind of item handable (from the area's hooks.py)."""
    return registry.register(HANDOVER_KINDS, kind)


def handover_kinds() -> dict[str, HandoverKind]:
    """Every handable kind, by name, in order."""
    kinds = sorted(registry.items(HANDOVER_KINDS), key=lambda k: (k.order, k.kind))
    return {kind.kind: kind for kind in kinds}
