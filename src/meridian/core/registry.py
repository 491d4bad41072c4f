"""The one registry through which an area plugs into the others, filled from ``<area>/hooks.py``.

An area never imports another area's models to show, seed, link, notify or search
something. Instead each area declares what it offers in its own ``hooks.py``, and the
areas that consume a kind of hook read the registry (as NetBox's registry and Wagtail's
hooks do). ``hooks`` modules are imported once, when the registry is first read, so the
order in which apps load does not matter, and items come in ``INSTALLED_APPS`` order (so
nothing else should import a ``hooks`` module)::

    # briefs/hooks.py
    from meridian.core import registry

    registry.nav(registry.NavEntry(label="Briefs", url_name="brief_list", order=20,
                                   current_prefixes=("brief_",)))
    registry.notification_kind(registry.NotificationKind(
        "brief.asked", label="Asked for input in a brief", default_channel="now"))
    registry.webhook_event(registry.WebhookEvent(
        "brief.created", label="A brief was written and its participants asked",
        data=("brief", "actor")))

    @registry.hook("calendar_sources")
    def brief_deadlines(member): ...

Each *point* is a name; ``registry.items(point)`` returns what every area registered there,
in registration order. The typed helpers below cover the points with a fixed shape; a point
is free to hold plain callables.
"""

import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from django.utils.module_loading import autodiscover_modules

# The points the areas plug into. Each consumer documents what it expects of an item.
LINK_KINDS = "link_kinds"
PANELS = "panels"
NAV = "nav"
DEMO_SEEDERS = "demo_seeders"
NOTIFICATION_KINDS = "notification_kinds"
INBOX_SOURCES = "inbox_sources"
SEARCH_DOCUMENTS = "search_documents"
SEARCH_AUDIENCES = "search_audiences"
SCHEDULED_JOBS = "scheduled_jobs"
CALENDAR_SOURCES = "calendar_sources"
EVENT_LISTENERS = "event_listeners"
NOTIFICATION_CHANNELS = "notification_channels"
# ``(channel, accept_many)``: a channel registered at NOTIFICATION_CHANNELS that also takes many
# notices at once (``accept_many(notices) -> None``, same decisions as one at a time, fewer
# queries); ``notification_send_many`` hands it the batch instead of one notice per call.
NOTIFICATION_CHANNEL_BATCHES = "notification_channel_batches"
# ``busy(member_ids, now) -> set[int]``: the members who must not be nudged now (outside their
# working hours, in a focus block or their quiet hours), for jobs that choose their own moment
# (check-in reminders); delivery registers it.
NOT_NOW = "not_now"
# ``held(viewer, cause, now) -> {member_id: text}``: for the sender of the notices about
# ``cause``, the recipients not yet told and when they will be ("email held until 09:00 ...").
HELD_NOTES = "held_notes"
# ``check(sender, now) -> None``: raises (UrgentBudgetExceeded, HTTP 429) when the sender may not
# send one more urgent notification now; called before anything is written.
URGENT_CHECKS = "urgent_checks"
# ``left(viewer, now) -> (left, weekly)``: how many urgent notifications the viewer has left.
URGENT_BUDGETS = "urgent_budgets"
# ``deactivated(member, now) -> None``: a member was removed from the workspace; called inside
# the removal's transaction, so that what awaits them or is on its way to them ends with it.
MEMBER_DEACTIVATED = "member_deactivated"
# ``away(member, now) -> None``: time off was entered for a member; called inside its
# transaction, so that deadlines already set for them that fall on those days move to their
# first working day back (never earlier; meridian.asks.people.deadlines_moved_by_time_off).
MEMBER_AWAY = "member_away"
# ``changed(member, now) -> None``: a member's zone, working hours or focus blocks changed;
# called inside the change's transaction, so that what waits for their next allowed moment
# (held email) goes by the new hours: sooner if they widened, later if they narrowed.
MEMBER_HOURS_CHANGED = "member_hours_changed"
# ``MetricDefinition``: a metric an area computes from its own items (meridian.metrics reads them).
METRICS = "metrics"
# ``stale(workspace_id, source_kind, ids) -> None``: the items of ``source_kind`` with those ids
# changed (or vanished) in a committed transaction, so whatever is derived from them is redone
# (meridian.core.facts; the metrics area rewrites their facts).
FACTS_STALE = "facts_stale"
# ``sections(viewer, kind, object_id) -> list[PacketSection]``: what an area adds to the handover
# packet of another area's item, for this viewer (tracking: the time spent on it, as far as the
# workspace's policy lets the viewer see it).
PACKET_SECTIONS = "packet_sections"

# ``k(workspace_id) -> int``: the smallest group of people whose figures may be shown together
# (the tracking policy's k); areas that report on groups (check-in moods) show nothing smaller.
MIN_GROUP_SIZE = "min_group_size"

# ``sections(wanted) -> {recipient_id: [DigestSection]}`` for ``wanted``, a list of (recipient
# membership, local date) pairs: what an area adds to those members' digest emails beside the
# notifications (goals: the week's goal status). Asked once per batch of digests, so an area
# reads what it needs once, not per recipient.
DIGEST_SECTIONS = "digest_sections"

# ``WebhookEvent``: a kind of workspace event an area emits (meridian.core.events), which
# workspace webhooks may subscribe to; ``meridian check`` names a kind emitted but not declared.
WEBHOOK_EVENTS = "webhook_events"

_points: dict[str, list[Any]] = {}
_discovered = False
_discovering = False
# Web workers may serve their first requests on several threads at once: the others wait until
# every hooks module is imported, rather than read a half-filled registry.
_lock = threading.RLock()


def _discover() -> None:
    global _discovered, _discovering
    if _discovered:
        return
    with _lock:
        if _discovered or _discovering:  # done meanwhile, or a hooks module reading it
            return
        _discovering = True
        try:
            autodiscover_modules("hooks")
            _discovered = True
        finally:
            _discovering = False


def held_notes(viewer: Any, cause: str, now: datetime) -> dict[int, str]:
    """Per recipient of the notices about ``cause``, when they will be told, for the sender."""
    notes: dict[int, str] = {}
    for held in items(HELD_NOTES):
        notes.update(held(viewer, cause, now))
    return notes


def not_now(member_ids: Iterable[int], now: datetime) -> set[int]:
    """Which of the members must not be nudged at ``now`` (none when nothing is registered)."""
    ids = set(member_ids)
    busy: set[int] = set()
    for check in items(NOT_NOW):
        busy |= check(ids, now)
    return busy


def urgent_check(sender: Any, now: datetime) -> None:
    """Raise when ``sender`` may not send an urgent notification now (nothing is written)."""
    for check in items(URGENT_CHECKS):
        check(sender, now)


def urgent_left(viewer: Any, now: datetime) -> tuple[int, int] | None:
    """(left, weekly) urgent notifications of the viewer this week; None without a budget."""
    for left in items(URGENT_BUDGETS):
        return left(viewer, now)
    return None


def packet_sections(viewer: Any, kind: str, object_id: int) -> list[Any]:
    """The sections other areas add to the packet of ``kind`` ``object_id`` for the viewer."""
    return [section for add in items(PACKET_SECTIONS) for section in add(viewer, kind, object_id)]


def min_group_size(workspace_id: int) -> int:
    """The workspace's k: aggregates over fewer people are not shown (5 without a policy)."""
    for k in items(MIN_GROUP_SIZE):
        return int(k(workspace_id))
    return 5


def register[T](point: str, item: T) -> T:
    """Add ``item`` to ``point``; registering the very same item twice is harmless."""
    items = _points.setdefault(point, [])
    if not any(existing is item or existing == item for existing in items):
        items.append(item)
    return item


def hook[F: Callable[..., Any]](point: str) -> Callable[[F], F]:
    """Register the decorated function at ``point``."""

    def decorator(function: F) -> F:
        return register(point, function)

    return decorator


def items(point: str) -> list[Any]:
    """What every area registered at ``point``, in registration order."""
    _discover()
    return list(_points.get(point, []))


@contextmanager
def replaced(point: str, new_items: list[Any]) -> Iterator[None]:
    """For tests: ``point`` holds exactly ``new_items`` inside the block, then what it held."""
    _discover()
    saved = _points.get(point)
    _points[point] = list(new_items)
    try:
        yield
    finally:
        if saved is None:
            _points.pop(point, None)
        else:
            _points[point] = saved


@dataclass(frozen=True)
class NavEntry:
    """One entry of the workspace's main navigation.

    ``url_name`` is reversed with the workspace slug; ``current_prefixes`` are the URL names
    (or their prefixes) for which the entry is marked as the current page. ``visible`` decides
    from the viewer's membership whether the entry shows (admins only, members only...).
    ``group`` is one of ``NAV_GROUPS``: the menu the entry is listed in; an entry without one
    (the inbox) is a link of its own in the bar.
    """

    label: str
    url_name: str
    order: int
    current_prefixes: tuple[str, ...] = ()
    visible: Callable[[Any], bool] | None = None
    group: str = ""
    # A URL name answering an htmx fragment with a count (the inbox's unread badge), reloaded
    # every minute while the tab is visible and at once when a response sends ``badge_event``.
    badge_url_name: str = ""
    badge_event: str = ""


# The menus of the main navigation, in the order the bar shows them. An entry names one of them
# (``NavEntry.group``); ``meridian check`` fails on any other name. The last one also holds the
# way back to the list of workspaces and signing out.
NAV_GROUPS = ("Communicate", "Work", "Measure", "Workspace", "You")


def nav(entry: NavEntry) -> NavEntry:
    """Add an entry to the main navigation."""
    return register(NAV, entry)


def nav_entries() -> list[NavEntry]:
    """The navigation, in order."""
    return sorted(items(NAV), key=lambda entry: (entry.order, entry.label))


Channel = Literal["inbox", "digest", "now"]


@dataclass(frozen=True)
class NotificationKind:
    """A kind of notification an area sends, with the channel it uses unless a member chooses.

    ``inbox`` shows it in the inbox only; ``digest`` adds it to the member's daily digest email;
    ``now`` emails it at the next moment the recipient's working hours allow.
    """

    name: str
    label: str
    default_channel: Channel = "now"
    description: str = ""
    extra: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)


def notification_kind(kind: NotificationKind) -> NotificationKind:
    """Declare a kind of notification."""
    return register(NOTIFICATION_KINDS, kind)


def notification_kinds() -> dict[str, NotificationKind]:
    """Every declared kind, by name."""
    return {kind.name: kind for kind in items(NOTIFICATION_KINDS)}


@dataclass(frozen=True)
class WebhookEvent:
    """A kind of workspace event an area emits, which a workspace's webhooks may subscribe to.

    ``name`` is what the area passes to ``event_emit`` (and the ``Meridian-Event`` header);
    ``label`` says when it happens, on the webhook settings page and in the API; ``data`` names
    the keys of the payload's ``data`` object. A payload holds only what every member of the
    workspace may see. Two areas emitting one kind (``comment.added``) declare it alike.
    """

    name: str
    label: str
    data: tuple[str, ...] = ()


def webhook_event(event: WebhookEvent) -> WebhookEvent:
    """Declare a kind of workspace event that webhooks may send."""
    return register(WEBHOOK_EVENTS, event)


def webhook_events() -> dict[str, WebhookEvent]:
    """Every declared event kind, by name, in the order the areas declared them (first wins)."""
    events: dict[str, WebhookEvent] = {}
    for event in items(WEBHOOK_EVENTS):
        events.setdefault(event.name, event)
    return events


@dataclass(frozen=True)
class Notice:
    """One notification for one member, as the notifications layer hands it to each channel.

    Channels are callables registered at ``NOTIFICATION_CHANNELS``; each receives the notice
    inside the sender's transaction (so what a channel writes rolls back with the sender) and
    decides itself whether and when to deliver (email now, digest, held for working hours).
    ``cause`` names what the notification is about, e.g. ``briefs.asked:42``; the same
    cause again is a reminder of the same thing, not a new item.
    """

    workspace_id: int
    recipient_id: int
    kind: str
    subject: str
    url: str
    body: str = ""
    excerpt: str = ""
    actor_id: int | None = None
    due_at: datetime | None = None
    cause: str = ""
    urgent: bool = False
    notification_id: int | None = None


# --- Links, panels, demo seeders -----------------------------------------------------------------


@dataclass(frozen=True)
class LinkKind:
    """A kind of object in some area that a brief (or another record) can link to.

    ``titles(workspace_id, ids)`` returns ``{id: label}`` for those of the ids that exist in
    that workspace, in one query; ``recent(workspace_id, limit)`` returns ``[(id, label)]``,
    newest first, for a page's menu. ``noun`` is what a person calls it ("decision record");
    ``url(workspace_slug, id)`` is the object's page.
    """

    kind: str
    noun: str
    titles: Callable[[int, list[int]], dict[int, str]]
    recent: Callable[[int, int], list[tuple[int, str]]]
    url: Callable[[str, int], str] | None = None
    # ``summaries(workspace_id, ids) -> {id: text}``: a line or two a reader needs without
    # opening the object (a decision's rationale, a brief's ask), for handover packets.
    summaries: Callable[[int, list[int]], dict[int, str]] | None = None


def link_kind(kind: LinkKind) -> LinkKind:
    """Make a kind of object linkable."""
    return register(LINK_KINDS, kind)


def link_kinds() -> dict[str, LinkKind]:
    """Every linkable kind, by name (a later registration of a name wins)."""
    return {kind.kind: kind for kind in items(LINK_KINDS)}


@dataclass(frozen=True)
class Panel:
    """A piece of one area's page that another area fills (the recording player on a brief).

    ``point`` names the page and the place on it, e.g. ``"brief.detail"``; the page renders
    every panel registered for its point, in ``order``. ``context(viewer, object_id)`` returns
    what the template needs beyond the page's own context, or None when the panel has nothing
    to show for that object. The template is rendered inside the page's context (``workspace``,
    ``membership`` and whatever the page documents for its point), so a panel without a
    ``context`` function reads only that.
    """

    point: str
    template: str
    context: Callable[[Any, int], dict[str, Any] | None] | None = None
    order: int = 100


def panel(entry: Panel) -> Panel:
    """Add a panel to another area's page."""
    return register(PANELS, entry)


def panels(point: str) -> list[Panel]:
    """The panels of one page, in order."""
    return sorted((p for p in items(PANELS) if p.point == point), key=lambda p: p.order)


@dataclass(frozen=True)
class DemoSeeder:
    """Writes an area's part of the demo workspace, after every seeder of a lower ``order``.

    ``seed(workspace, members)`` receives the new workspace and its members by display name;
    it writes through the area's services, with notifications muted by the caller.
    """

    name: str
    order: int
    seed: Callable[[Any, dict[str, Any]], object]


def demo_seeder(seeder: DemoSeeder) -> DemoSeeder:
    """Add an area's demo data to ``meridian demo``."""
    return register(DEMO_SEEDERS, seeder)


def demo_seeders() -> list[DemoSeeder]:
    """The seeders, in the order they run."""
    return sorted(items(DEMO_SEEDERS), key=lambda seeder: (seeder.order, seeder.name))


# --- Metrics -----------------------------------------------------------------------------------

Aggregation = Literal["sum", "mean", "level", "percentiles"]


@dataclass(frozen=True)
class FactIn:
    """One fact an area derives from one of its items, as the metrics area stores it.

    ``part`` tells apart several facts of one item for one metric (an open task's ``+1`` when it
    was created and ``-1`` when it was done). Subject refs are ids: the member the fact is
    about, the project and the team it belongs to (each may be None).
    """

    source_id: int
    occurred_at: datetime
    value: float
    member_id: int | None = None
    project_id: int | None = None
    team_id: int | None = None
    part: str = ""
    # Shown beside the fact in the drill-down (e.g. the category of a day's activity).
    note: str = ""


@dataclass(frozen=True)
class MetricDefinition:
    """A metric computed from the facts an area writes about its own items.

    ``aggregation`` says how a period's facts become one number: ``sum`` of their values,
    ``mean`` (sum / count, no data without facts), ``level`` (a running total: the sum of every
    fact up to the period's end, for quantities that go up and down like open tasks) or
    ``percentiles`` (median and 85th percentile of the period's values). ``facts(workspace_id,
    ids)`` returns the facts of those items of ``source_kind`` (``ids=None``: of every item,
    for a rebuild); an item that returns none has none. ``source_kind`` is also the link kind
    through which the drill-down links each fact to its item.
    """

    key: str
    label: str
    definition: str
    formula: str
    unit: str
    sources: str
    aggregation: Aggregation
    source_kind: str
    facts: Callable[[int, list[int] | None], Iterable[FactIn]] = field(compare=False, hash=False)
    area: str = ""
    order: int = 100
    # ``visible(viewer, subject, subject_id) -> bool`` for metrics about a person's own time
    # (tracking): whether the viewer may read that subject's value. When set, the drill-down
    # lists only the viewer's own items, whoever the subject. None: every member sees all.
    visible: Callable[[Any, str, int | None], bool] | None = field(
        default=None, compare=False, hash=False
    )
    # ``read(viewer, subject, subject_id, what)``: called when a value or the items of such a
    # metric are read for a subject, so the owning area can log who read a person's figures
    # (tracking's access log). None: reads are not logged.
    read: Callable[[Any, str, int | None, str], None] | None = field(
        default=None, compare=False, hash=False
    )


def metric(definition: MetricDefinition) -> MetricDefinition:
    """Add a built-in metric to the catalogue."""
    return register(METRICS, definition)


def metrics() -> dict[str, MetricDefinition]:
    """Every built-in metric, by key, in catalogue order."""
    ordered = sorted(items(METRICS), key=lambda d: (d.order, d.key))
    return {definition.key: definition for definition in ordered}


# --- Digest sections ---------------------------------------------------------------------------


@dataclass(frozen=True)
class DigestLine:
    """One line of a digest section: its text, an optional site-relative link."""

    text: str
    url: str = ""


@dataclass(frozen=True)
class DigestSection:
    """A titled list of lines an area adds to a member's digest (plain text, escaped on render)."""

    title: str
    lines: tuple[DigestLine, ...]
    order: int = 100


def digest_sections(wanted: list[tuple[Any, Any]]) -> dict[int, list[DigestSection]]:
    """Every area's sections for each (recipient, day) digest, by recipient id, in order."""
    found: dict[int, list[DigestSection]] = {}
    if not wanted:
        return found
    for build in items(DIGEST_SECTIONS):
        for recipient_id, sections in build(wanted).items():
            found.setdefault(recipient_id, []).extend(sections)
    return {
        rid: sorted(sections, key=lambda section: (section.order, section.title))
        for rid, sections in found.items()
    }
