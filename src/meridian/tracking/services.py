"""Writes of the tracking area: timers, time entries, the policy and its category rules, sync
ingest, retention,
the access log, and a person's export and deletion of their own tracking data."""

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from meridian.core import registry
from meridian.core.errors import Conflict, FieldErrors, NotFound, ValidationFailed
from meridian.core.facts import facts_stale
from meridian.core.moments import moment_text, reader_zone
from meridian.core.services import audit_record
from meridian.tracking import rules
from meridian.tracking.models import (
    ActivityDaily,
    ActivitySlot,
    ActivityWeekly,
    CategoryRule,
    FocusCategory,
    TimeEntry,
    TimeEntryRevision,
    TrackingAccess,
    TrackingPolicy,
    Visibility,
)
from meridian.tracking.rules import Figures, SlotKey, rollup_deltas
from meridian.tracking.selectors import MAX_ENTRY, category_rule_get, policy_for
from meridian.workspaces.access import require_role, require_same_workspace
from meridian.workspaces.models import Membership, Role

MAX_TAGS = 20
MAX_TAG = 40
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)


# --- Time entries and the timer ------------------------------------------------------------------


def _clean_tags(tags: Sequence[str]) -> list[str]:
    cleaned: list[str] = []
    for tag in tags:
        tag = tag.strip()
        if not tag:
            continue
        if len(tag) > MAX_TAG or any(ord(c) < 32 for c in tag):
            raise ValidationFailed.field(
                "tags", f"A tag is one line of at most {MAX_TAG} characters."
            )
        if tag not in cleaned:
            cleaned.append(tag)
    if len(cleaned) > MAX_TAGS:
        raise ValidationFailed.field("tags", f"An entry has at most {MAX_TAGS} tags.")
    return cleaned


def _clean_link(workspace_id: int, kind: str, link_id: int | None) -> tuple[str, int | None]:
    """The link kind and id, checked through the link registry; ("", None) for no link."""
    kind = (kind or "").strip()
    if not kind and link_id is None:
        return "", None
    kinds = registry.link_kinds()
    if kind not in kinds:
        known = ", ".join(sorted(kinds)) or "none"
        raise ValidationFailed.field("link_kind", f"“{kind}” cannot be linked; kinds: {known}.")
    if link_id is None:
        raise ValidationFailed.field("link_id", f"Say which {kinds[kind].noun} to link.")
    if not 0 < link_id < 2**63 or link_id not in kinds[kind].titles(workspace_id, [link_id]):
        raise ValidationFailed.field(
            "link_id", f"No {kinds[kind].noun} {link_id} in this workspace."
        )
    return kind, link_id


def _check_span(start: datetime, end: datetime | None, now: datetime) -> None:
    if start < EARLIEST:
        raise ValidationFailed.field("start", "An entry starts in the year 2000 or later.")
    if start > now + timedelta(minutes=5):
        raise ValidationFailed.field("start", "An entry cannot start in the future.")
    if end is None:
        return
    if end <= start:
        raise ValidationFailed.field("end", "An entry ends after it starts.")
    if end - start > MAX_ENTRY:
        raise ValidationFailed.field("end", "An entry lasts at most 7 days; split longer work.")


def _refuse_overlap(
    member: Membership, start: datetime, end: datetime | None, now: datetime, skip: int | None
) -> None:
    """Refuse a span overlapping another entry of the member, naming it in the member's zone."""
    stop = end or now
    candidates = TimeEntry.objects.filter(member=member, started_at__lt=stop).exclude(
        ended_at__isnull=False, ended_at__lte=start
    )
    if skip is not None:
        candidates = candidates.exclude(pk=skip)
    clash = candidates.order_by("started_at").first()
    if clash is None:
        return
    zone = member.profile.time_zone
    began = moment_text(clash.started_at, zone)
    ends = "still running" if clash.ended_at is None else moment_text(clash.ended_at, zone, "time")
    label = f"“{clash.note}” " if clash.note else ""
    raise Conflict(
        f"This overlaps your entry {label}from {began} to {ends}.",
        {"start": [f"Overlaps entry {clash.pk} ({began} – {ends})."]},
    )


def _snapshot(entry: TimeEntry) -> dict[str, object]:
    return {
        "start": entry.started_at.isoformat(),
        "end": entry.ended_at.isoformat() if entry.ended_at else None,
        "note": entry.note,
        "tags": list(entry.tags),
        "link_kind": entry.link_kind,
        "link_id": entry.link_id,
    }


def _activity_changed(workspace_id: int, ids: Iterable[int]) -> None:
    """After commit, the metrics redo these daily activity rows' facts (hours active, focus)."""
    facts_stale(workspace_id=workspace_id, source_kind="activity_day", ids=ids)


def _entries_changed(workspace_id: int, ids: Iterable[int]) -> None:
    """After commit, the metrics redo these entries' facts (hours tracked, outside hours)."""
    facts_stale(workspace_id=workspace_id, source_kind="time_entry", ids=ids)


@transaction.atomic
def entry_create(
    *,
    acting: Membership,
    start: datetime,
    end: datetime,
    note: str = "",
    tags: Sequence[str] = (),
    link_kind: str = "",
    link_id: int | None = None,
) -> TimeEntry:
    """A member records a span of their time by hand."""
    now = timezone.now()
    _check_span(start, end, now)
    kind, lid = _clean_link(acting.workspace_id, link_kind, link_id)
    cleaned = _clean_tags(tags)
    Membership.objects.select_for_update().filter(pk=acting.pk).first()  # one writer per member
    _refuse_overlap(acting, start, end, now, None)
    entry = TimeEntry.objects.create(
        workspace_id=acting.workspace_id,
        member=acting,
        started_at=start,
        ended_at=end,
        note=note.strip(),
        tags=cleaned,
        link_kind=kind,
        link_id=lid,
    )
    audit_record(actor=acting, action="tracking.entry.create", obj=entry)
    _entries_changed(entry.workspace_id, [entry.pk])
    return entry


_UNSET = object()


@transaction.atomic
def entry_update(
    *,
    acting: Membership,
    entry: TimeEntry,
    start: datetime | None = None,
    end: datetime | object | None = _UNSET,
    note: str | None = None,
    tags: Sequence[str] | None = None,
    link_kind: str | None = None,
    link_id: int | object | None = _UNSET,
) -> TimeEntry:
    """A member edits one of their entries; what it said before is kept in its history."""
    require_same_workspace(acting, entry)
    if entry.member_id != acting.pk:
        raise NotFound("No such time entry of yours.")
    now = timezone.now()
    before = _snapshot(entry)
    new_start = start or entry.started_at
    new_end = entry.ended_at if end is _UNSET else end
    if new_end is None and entry.ended_at is not None:
        raise ValidationFailed.field("end", "A finished entry keeps an end; start the timer anew.")
    assert new_end is None or isinstance(new_end, datetime)
    _check_span(new_start, new_end, now)
    kind = entry.link_kind if link_kind is None else link_kind
    lid = entry.link_id if link_id is _UNSET else link_id
    assert lid is None or isinstance(lid, int)
    if link_kind is not None or link_id is not _UNSET:
        kind, lid = _clean_link(acting.workspace_id, kind, lid)
    Membership.objects.select_for_update().filter(pk=acting.pk).first()
    _refuse_overlap(acting, new_start, new_end, now, entry.pk)
    entry.started_at, entry.ended_at = new_start, new_end
    entry.link_kind, entry.link_id = kind, lid
    if note is not None:
        entry.note = note.strip()
    if tags is not None:
        entry.tags = _clean_tags(tags)
    if _snapshot(entry) == before:
        return entry
    entry.save()
    TimeEntryRevision.objects.create(
        workspace_id=entry.workspace_id, entry=entry, editor=acting, at=now, before=before
    )
    audit_record(actor=acting, action="tracking.entry.update", obj=entry)
    _entries_changed(entry.workspace_id, [entry.pk])
    return entry


@transaction.atomic
def entry_delete(*, acting: Membership, entry: TimeEntry) -> None:
    """A member deletes one of their entries (with its history)."""
    require_same_workspace(acting, entry)
    if entry.member_id != acting.pk:
        raise NotFound("No such time entry of yours.")
    audit_record(actor=acting, action="tracking.entry.delete", obj=entry)
    _entries_changed(entry.workspace_id, [entry.pk])
    entry.delete()


@transaction.atomic
def timer_start(
    *,
    acting: Membership,
    note: str = "",
    tags: Sequence[str] = (),
    link_kind: str = "",
    link_id: int | None = None,
) -> TimeEntry:
    """Start the member's timer; a timer already running is stopped first (not refused).

    One timer per member: a second tab sees the same timer, and starting from it means "switch
    to this" (the running entry ends now), which is what a person pressing Start wants.
    """
    now = timezone.now().replace(microsecond=0)
    kind, lid = _clean_link(acting.workspace_id, link_kind, link_id)
    cleaned = _clean_tags(tags)
    Membership.objects.select_for_update().filter(pk=acting.pk).first()
    running = TimeEntry.objects.filter(member=acting, ended_at__isnull=True).first()
    if running is not None:
        _stop(running, now)
    later = (
        TimeEntry.objects.filter(member=acting, ended_at__gt=now)
        .order_by("-ended_at")
        .values_list("ended_at", flat=True)
        .first()
    )
    start = max(now, later) if later else now
    try:
        with transaction.atomic():
            entry = TimeEntry.objects.create(
                workspace_id=acting.workspace_id,
                member=acting,
                started_at=start,
                note=note.strip(),
                tags=cleaned,
                link_kind=kind,
                link_id=lid,
            )
    except IntegrityError:  # another tab started one at this very moment
        raise Conflict("Your timer was started from elsewhere just now; reload.") from None
    audit_record(actor=acting, action="tracking.timer.start", obj=entry)
    return entry


def _stop(entry: TimeEntry, now: datetime) -> None:
    """End a running entry now; one forgotten for over a week ends after MAX_ENTRY."""
    end = min(max(now, entry.started_at + timedelta(seconds=1)), entry.started_at + MAX_ENTRY)
    entry.ended_at = end
    entry.save(update_fields=["ended_at", "updated_at"])
    _entries_changed(entry.workspace_id, [entry.pk])


@transaction.atomic
def timer_stop(*, acting: Membership) -> TimeEntry:
    """Stop the member's running timer; 409 when none runs."""
    Membership.objects.select_for_update().filter(pk=acting.pk).first()
    running = TimeEntry.objects.filter(member=acting, ended_at__isnull=True).first()
    if running is None:
        raise Conflict("Your timer is not running.")
    _stop(running, timezone.now().replace(microsecond=0))
    audit_record(actor=acting, action="tracking.timer.stop", obj=running)
    return running


# --- Policy -----------------------------------------------------------------------------------


@transaction.atomic
def policy_update(
    *,
    acting: Membership,
    allow_apps: bool,
    allow_titles: bool,
    retention_days: int,
    min_group_size: int,
    individual_visibility: str,
) -> TrackingPolicy:
    """An admin sets what the workspace's agents may share, for how long, and who sees whom."""
    require_role(acting, Role.ADMIN)
    if not 1 <= retention_days <= 3650:
        raise ValidationFailed.field("retention_days", "Keep raw slots 1 to 3650 days.")
    if not 2 <= min_group_size <= 1000:
        raise ValidationFailed.field("min_group_size", "The minimum group size is 2 to 1000.")
    if individual_visibility not in Visibility.values:
        raise ValidationFailed.field(
            "individual_visibility", f"Choose one of {', '.join(Visibility.values)}."
        )
    if allow_titles and not allow_apps:
        raise ValidationFailed.field("allow_titles", "Window titles need app names allowed too.")
    policy, _ = TrackingPolicy.objects.select_for_update().get_or_create(
        workspace_id=acting.workspace_id
    )
    policy.allow_apps, policy.allow_titles = allow_apps, allow_titles
    policy.retention_days, policy.min_group_size = retention_days, min_group_size
    policy.individual_visibility = individual_visibility
    policy.updated_by = acting
    policy.save()
    audit_record(actor=acting, action="tracking.policy.update", obj=policy)
    return policy


# --- Category rules ------------------------------------------------------------------------------


MAX_FOCUS_CATEGORIES = 50


@transaction.atomic
def focus_categories_set(*, acting: Membership, names: Sequence[str]) -> list[str]:
    """An admin says which categories of synced activity count as focus (replacing the list);
    the focus metrics of the activity in the categories that changed are redone."""
    require_role(acting, Role.ADMIN)
    cleaned: list[str] = []
    for name in names:
        name = (name or "").strip()
        if not name:
            continue
        if len(name) > 100:
            raise ValidationFailed.field("names", "A category name is at most 100 characters.")
        if name.casefold() not in {n.casefold() for n in cleaned}:
            cleaned.append(name)
    if len(cleaned) > MAX_FOCUS_CATEGORIES:
        raise ValidationFailed.field(
            "names", f"At most {MAX_FOCUS_CATEGORIES} categories can count as focus."
        )
    workspace_id = acting.workspace_id
    before = set(
        FocusCategory.objects.filter(workspace_id=workspace_id).values_list("name", flat=True)
    )
    FocusCategory.objects.filter(workspace_id=workspace_id).exclude(name__in=cleaned).delete()
    FocusCategory.objects.bulk_create(
        [
            FocusCategory(workspace_id=workspace_id, name=name, updated_by=acting)
            for name in cleaned
            if name not in before
        ]
    )
    moved = before.symmetric_difference(cleaned)
    if moved:
        _activity_changed(
            workspace_id,
            ActivityDaily.objects.filter(workspace_id=workspace_id, category__in=moved).values_list(
                "pk", flat=True
            ),
        )
    audit_record(
        actor=acting,
        action="tracking.focus_categories.set",
        obj=acting.workspace,
        data={"names": cleaned},
    )
    return sorted(cleaned)


def _clean_rule(field: str, pattern: str, category: str) -> tuple[str, str, str]:
    errors = FieldErrors()
    if field not in rules.RULE_FIELDS:
        errors.add("field", "Choose app or title.")
    problem = rules.pattern_problem(pattern)
    if problem:
        errors.add("pattern", problem)
    problem = rules.category_problem(category)
    if problem:
        errors.add("category", problem)
    errors.raise_any()
    return field, pattern, category.strip()


def _rule_data(rule: CategoryRule) -> dict[str, object]:
    return {
        "field": rule.field,
        "pattern": rule.pattern,
        "category": rule.category,
        "position": rule.position,
    }


def _renumber(workspace_id: int, order: list[CategoryRule]) -> None:
    """Positions 1..n in the given order (only the rows whose position changes are written)."""
    for n, rule in enumerate(order, start=1):
        if rule.position != n:
            rule.position = n
            CategoryRule.objects.filter(pk=rule.pk, workspace_id=workspace_id).update(position=n)


def _locked_rules(workspace_id: int) -> list[CategoryRule]:
    return list(
        CategoryRule.objects.select_for_update()
        .filter(workspace_id=workspace_id)
        .order_by("position", "id")
    )


@transaction.atomic
def category_rule_create(
    *, acting: Membership, field: str, pattern: str, category: str, position: int | None = None
) -> CategoryRule:
    """An admin adds a category rule, last or at ``position`` (1 = tried first)."""
    require_role(acting, Role.ADMIN)
    field, pattern, category = _clean_rule(field, pattern, category)
    current = _locked_rules(acting.workspace_id)
    if len(current) >= rules.MAX_CATEGORY_RULES:
        raise ValidationFailed.field(
            "pattern", f"A workspace has at most {rules.MAX_CATEGORY_RULES} category rules."
        )
    rule = CategoryRule.objects.create(
        workspace_id=acting.workspace_id,
        position=len(current) + 1,
        field=field,
        pattern=pattern,
        category=category,
        updated_by=acting,
    )
    if position is not None:
        at = min(max(position, 1), len(current) + 1)
        _renumber(acting.workspace_id, [*current[: at - 1], rule, *current[at - 1 :]])
    audit_record(
        actor=acting, action="tracking.category_rule.create", obj=rule, data=_rule_data(rule)
    )
    return rule


@transaction.atomic
def category_rule_update(
    *, acting: Membership, rule_id: int, field: str, pattern: str, category: str
) -> CategoryRule:
    """An admin changes what a rule matches or the category it gives."""
    require_role(acting, Role.ADMIN)
    rule = category_rule_get(acting.workspace_id, rule_id)
    field, pattern, category = _clean_rule(field, pattern, category)
    before = _rule_data(rule)
    rule.field, rule.pattern, rule.category = field, pattern, category
    rule.updated_by = acting
    rule.save()
    audit_record(
        actor=acting,
        action="tracking.category_rule.update",
        obj=rule,
        data={"before": before, "after": _rule_data(rule)},
    )
    return rule


@transaction.atomic
def category_rule_move(*, acting: Membership, rule_id: int, position: int) -> CategoryRule:
    """An admin moves a rule to ``position`` (1 = tried first; beyond the end = last)."""
    require_role(acting, Role.ADMIN)
    rule = category_rule_get(acting.workspace_id, rule_id)
    if position < 1:
        raise ValidationFailed.field("position", "Positions start at 1.")
    others = [r for r in _locked_rules(acting.workspace_id) if r.pk != rule.pk]
    at = min(position, len(others) + 1)
    before = rule.position
    _renumber(acting.workspace_id, [*others[: at - 1], rule, *others[at - 1 :]])
    audit_record(
        actor=acting,
        action="tracking.category_rule.move",
        obj=rule,
        data={"from": before, "to": rule.position},
    )
    return rule


@transaction.atomic
def category_rule_delete(*, acting: Membership, rule_id: int) -> None:
    """An admin removes a rule; the ones after it move up."""
    require_role(acting, Role.ADMIN)
    rule = category_rule_get(acting.workspace_id, rule_id)
    audit_record(
        actor=acting, action="tracking.category_rule.delete", obj=rule, data=_rule_data(rule)
    )
    rule.delete()
    _renumber(acting.workspace_id, _locked_rules(acting.workspace_id))


# --- Sync ingest --------------------------------------------------------------------------------


SlotIn = rules.Slot


@dataclass(frozen=True)
class SyncResult:
    """What one sync did: new slots, slots whose figures were replaced, details dropped."""

    accepted: int
    replaced: int
    dropped_detail: int
    expired: int


@transaction.atomic
def activity_sync(
    *, acting: Membership, agent_id: uuid.UUID, slots: Sequence[SlotIn]
) -> SyncResult:
    """Store the member's synced slots: a slot sent again replaces its figures, never adds.

    Details the policy does not allow are dropped (and counted); slots older than the
    retention period are ignored, since their day is already final in the rollups. The
    rollups of the touched days move by the difference between new and stored figures.
    """
    now = timezone.now()
    policy = policy_for(acting.workspace_id)
    Membership.objects.select_for_update().filter(pk=acting.pk).first()  # one sync at a time
    zone = reader_zone(acting.profile.time_zone)
    cutoff = now - timedelta(days=policy.retention_days)
    dropped = expired = 0
    # The same slot twice in one request: the later one wins, as a later request would.
    sent: dict[tuple[datetime, str, str, str], SlotIn] = {}
    for slot in slots:
        if slot.start < cutoff:
            expired += 1
            continue
        sent[(slot.start, slot.category, slot.app or "", slot.title or "")] = slot
    new: dict[SlotKey, tuple[date, Figures]] = {}
    days: dict[datetime, date] = {}  # the categories of one slot share its start
    for (start, category, app, title), slot in sent.items():
        if app and not policy.allow_apps:
            app, title = "", ""
            dropped += 1
        elif title and not policy.allow_titles:
            title = ""
            dropped += 1
        key = (start, category, app, title)
        day = days.get(start)
        if day is None:
            day = days[start] = start.astimezone(zone).date()
        if key in new:  # details dropped made several slots one: their figures add up
            before = new[key][1]
            active = min(rules.SLOT_SECONDS, before.active + slot.active_seconds)
            afk = min(rules.SLOT_SECONDS - active, before.afk + slot.afk_seconds)
            new[key] = (day, Figures(active, afk))
        else:
            new[key] = (day, Figures(slot.active_seconds, slot.afk_seconds))
    if not new:
        return SyncResult(0, 0, dropped, expired)
    if connection.vendor == "postgresql":
        replaced, old_sums = _slots_upsert_pg(acting, agent_id, now, new)
        _rollup_apply(acting, rules.rollup_deltas_from_sums(new, old_sums))
        return SyncResult(len(new) - replaced, replaced, dropped, expired)
    old = _stored_figures(acting, agent_id, new)
    _slots_upsert(acting, agent_id, now, new)
    _rollup_apply(acting, rollup_deltas(old, new))
    return SyncResult(len(new) - len(old), len(old), dropped, expired)


def _stored_figures(
    member: Membership, agent_id: uuid.UUID, new: dict[SlotKey, tuple[date, Figures]]
) -> dict[SlotKey, tuple[date, Figures]]:
    """The stored day and figures of those of the new slots the server has already from
    this agent (another computer's slots of the same quarter hour are its own).

    Read with a plain cursor: the ORM's per-row converters cost more than the query here.
    """
    as_db = _db_instants({k[0] for k in new})
    # The new keys as the database gives them back (SQLite: text), so that rows need no parsing.
    lookup: dict[tuple[Any, str, str, str], SlotKey] = {
        (as_db[k[0]], k[1], k[2], k[3]): k for k in new
    }
    old: dict[SlotKey, tuple[date, Figures]] = {}
    agent = ActivitySlot._meta.get_field("agent_id").get_db_prep_value(agent_id, connection)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT start, category, app, title, day, active_seconds, afk_seconds "
            "FROM tracking_activityslot WHERE member_id = %s AND agent_id = %s "
            "AND start >= %s AND start <= %s",
            [member.pk, agent, min(as_db.values()), max(as_db.values())],
        )
        for start, category, app, title, day, active, afk in cursor.fetchall():
            key = lookup.get((start, category, app, title))
            if key is None:  # written in another form, or not one of the new slots
                key = (_instant(start), category, app, title)
                if key not in new:
                    continue
            stored = day if isinstance(day, date) else date.fromisoformat(day)
            old[key] = (stored, Figures(active, afk))
    return old


def _db_instants(starts: set[datetime]) -> dict[datetime, Any]:
    """Each start as the database stores and returns it (SQLite: naive UTC text).

    On SQLite in UTC this is what Django's ``adapt_datetimefield_value`` gives, without its
    per-value checks (a sync has up to 5,000 slots).
    """
    if connection.vendor == "sqlite" and connection.timezone_name == "UTC":
        return {s: str(s.astimezone(UTC).replace(tzinfo=None)) for s in starts}
    if connection.vendor == "postgresql":
        return {s: s for s in starts}
    adapt = connection.ops.adapt_datetimefield_value
    return {s: adapt(s) for s in starts}


def _instant(value: datetime | str) -> datetime:
    """A start as the database gave it (SQLite: text or naive UTC), as an aware instant."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _slots_upsert(
    member: Membership,
    agent_id: uuid.UUID,
    now: datetime,
    new: dict[SlotKey, tuple[date, Figures]],
) -> None:
    """Insert the slots, replacing the figures of those already there, in one statement.

    Written in SQL (``INSERT ... ON CONFLICT ... DO UPDATE``, which SQLite and PostgreSQL both
    speak) because building 5,000 model instances and their SQL in the ORM took ten times
    longer than the database needed to store them.
    """
    agent = ActivitySlot._meta.get_field("agent_id").get_db_prep_value(agent_id, connection)
    ops = connection.ops
    received = ops.adapt_datetimefield_value(now)
    as_db = _db_instants({k[0] for k in new})
    day_text = {day: ops.adapt_datefield_value(day) for day, _ in new.values()}
    workspace_id, member_id = member.workspace_id, member.pk
    rows = [
        (
            workspace_id,
            member_id,
            as_db[start],
            category,
            app,
            title,
            active,
            afk,
            day_text[day],
            agent,
            received,
        )
        for (start, category, app, title), (day, (active, afk)) in new.items()
    ]
    if connection.vendor == "sqlite":
        # 500 rows per statement (a third less time than executemany of one row's statement,
        # which binds and steps row by row), sent to the driver's own cursor: Django's SQLite
        # cursor rewrites each %s of a long statement with a regular expression.
        connection.ensure_connection()
        cursor = connection.connection.cursor()
        row = UPSERT_ROW.replace("%s", "?")
        try:
            for first in range(0, len(rows), UPSERT_BATCH):
                batch = rows[first : first + UPSERT_BATCH]
                values = ",".join([row] * len(batch))
                cursor.execute(UPSERT_HEAD + values + UPSERT_TAIL, [v for r in batch for v in r])
        finally:
            cursor.close()
        return
    with connection.cursor() as cursor:
        cursor.executemany(UPSERT_HEAD + UPSERT_ROW + UPSERT_TAIL, rows)


def _slots_upsert_pg(
    member: Membership,
    agent_id: uuid.UUID,
    now: datetime,
    new: dict[SlotKey, tuple[date, Figures]],
) -> tuple[int, dict[tuple[date, str], Figures]]:
    """PostgreSQL: store the slots, and return how many were there already and their stored
    figures summed per (stored day, category) — what the rollups move by.

    COPY (binary) into a temporary table; the database itself then sums the stored figures of
    the keys sent (a few rows per day and category come back instead of each slot), and one
    INSERT ... SELECT ... ON CONFLICT stores them: nothing is bound parameter by parameter and
    the rows travel in PostgreSQL's own format.
    """
    agent = ActivitySlot._meta.get_field("agent_id").get_db_prep_value(agent_id, connection)
    starts = [k[0] for k in new]
    with connection.cursor() as cursor:
        cursor.execute(SLOTS_IN_PG)
        with cursor.cursor.copy(COPY_SLOTS_IN_PG) as copy:
            copy.set_types(["timestamptz", "text", "text", "text", "int4", "int4", "date"])
            write = copy.write_row
            for (start, category, app, title), (day, (active, afk)) in new.items():
                write((start, category, app, title, active, afk, day))
        cursor.execute(OLD_SUMS_PG, [member.pk, agent, min(starts), max(starts)])
        replaced = 0
        old_sums: dict[tuple[date, str], Figures] = {}
        for day, category, active, afk, count in cursor.fetchall():
            old_sums[(day, category)] = Figures(int(active), int(afk))
            replaced += count
        cursor.execute(UPSERT_HEAD_PG + UPSERT_TAIL, [member.workspace_id, member.pk, agent, now])
        # Emptied now, not at commit: a transaction may hold several syncs (the demo's).
        cursor.execute("TRUNCATE tracking_slots_in")
    return replaced, old_sums


# Many rows per statement: SQLite compiles each statement once, so fewer, longer ones win.
UPSERT_BATCH = 500
UPSERT_ROW = "(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
UPSERT_HEAD = (
    "INSERT INTO tracking_activityslot (workspace_id, member_id, start, category, app, title, "
    "active_seconds, afk_seconds, day, agent_id, received_at) VALUES "
)
# The session's own table for the rows of one sync: created once per connection.
SLOTS_IN_PG = (
    "CREATE TEMPORARY TABLE IF NOT EXISTS tracking_slots_in (s timestamptz, c text, a text, "
    "t text, ac integer, af integer, d date)"
)
COPY_SLOTS_IN_PG = "COPY tracking_slots_in (s, c, a, t, ac, af, d) FROM STDIN (FORMAT BINARY)"
# The stored figures of the keys in tracking_slots_in, summed per stored day and category.
OLD_SUMS_PG = (
    "SELECT o.day, o.category, sum(o.active_seconds), sum(o.afk_seconds), count(*) "
    "FROM tracking_activityslot o JOIN tracking_slots_in i ON o.start = i.s "
    "AND o.category = i.c AND o.app = i.a AND o.title = i.t "
    "WHERE o.member_id = %s AND o.agent_id = %s AND o.start >= %s AND o.start <= %s "
    "GROUP BY o.day, o.category"
)
UPSERT_HEAD_PG = (
    "INSERT INTO tracking_activityslot (workspace_id, member_id, start, category, app, title, "
    "active_seconds, afk_seconds, day, agent_id, received_at) "
    "SELECT %s, %s, s, c, a, t, ac, af, d, %s, %s FROM tracking_slots_in"
)
# A slot sent again with the same figures (an agent re-sending after a lost answer) is left
# as it is: no new row version, and ``received_at`` stays when its figures arrived.
UPSERT_TAIL = (
    " ON CONFLICT (member_id, agent_id, start, category, app, title) DO UPDATE SET "
    "active_seconds = EXCLUDED.active_seconds, afk_seconds = EXCLUDED.afk_seconds, "
    "day = EXCLUDED.day, received_at = EXCLUDED.received_at "
    "WHERE tracking_activityslot.active_seconds <> EXCLUDED.active_seconds "
    "OR tracking_activityslot.afk_seconds <> EXCLUDED.afk_seconds "
    "OR tracking_activityslot.day <> EXCLUDED.day"
)


def _rollup_apply(member: Membership, deltas: dict[tuple[date, str], Figures]) -> None:
    """Move each touched (day, category) rollup by its delta, and its week's row by what the
    day's row moved: a read and an upsert each.

    The caller holds the member's row lock, so no other sync of theirs writes in between.
    """
    if not deltas:
        return
    days = {d for d, _ in deltas}
    current = {
        (d, c): (a, f)
        for d, c, a, f in ActivityDaily.objects.filter(member=member, day__in=days).values_list(
            "day", "category", "active_seconds", "afk_seconds"
        )
    }
    rows = []
    weekly: dict[tuple[date, str], list[int]] = {}
    for (day, category), figures in deltas.items():
        active, afk = current.get((day, category), (0, 0))
        new_active, new_afk = max(0, active + figures.active), max(0, afk + figures.afk)
        rows.append(
            ActivityDaily(
                workspace_id=member.workspace_id,
                member_id=member.pk,
                day=day,
                category=category,
                active_seconds=new_active,
                afk_seconds=new_afk,
            )
        )
        week = weekly.setdefault((rules.week_of(day), category), [0, 0])
        week[0] += new_active - active
        week[1] += new_afk - afk
    ActivityDaily.objects.bulk_create(
        rows,
        batch_size=1000,
        update_conflicts=True,
        unique_fields=["member", "day", "category"],
        update_fields=["active_seconds", "afk_seconds"],
    )
    _activity_changed(
        member.workspace_id,
        ActivityDaily.objects.filter(
            member=member, day__in=days, category__in={c for _, c in deltas}
        ).values_list("pk", flat=True),
    )
    weeks = {w for w, _ in weekly}
    stored = {
        (w, c): (a, f)
        for w, c, a, f in ActivityWeekly.objects.filter(member=member, week__in=weeks).values_list(
            "week", "category", "active_seconds", "afk_seconds"
        )
    }
    ActivityWeekly.objects.bulk_create(
        [
            ActivityWeekly(
                workspace_id=member.workspace_id,
                member_id=member.pk,
                week=week,
                category=category,
                active_seconds=stored.get((week, category), (0, 0))[0] + active,
                afk_seconds=stored.get((week, category), (0, 0))[1] + afk,
            )
            for (week, category), (active, afk) in weekly.items()
        ],
        batch_size=1000,
        update_conflicts=True,
        unique_fields=["member", "week", "category"],
        update_fields=["active_seconds", "afk_seconds"],
    )


def slots_expire(*, workspace_id: int, now: datetime) -> int:
    """Delete a workspace's raw slots older than its retention; the daily rollups remain."""
    policy = policy_for(workspace_id)
    cutoff = now - timedelta(days=policy.retention_days)
    deleted, _ = ActivitySlot.objects.filter(workspace_id=workspace_id, start__lt=cutoff).delete()
    return deleted


# --- Transparency ------------------------------------------------------------------------------


def access_record(*, viewer: Membership, subject: Membership, what: str) -> None:
    """Log that someone other than the person read the person's individual figures."""
    if viewer.pk == subject.pk:
        return
    TrackingAccess.objects.create(
        workspace_id=subject.workspace_id,
        subject=subject,
        viewer=viewer,
        viewer_name=viewer.profile.display_name,
        at=timezone.now(),
        what=what[:200],
    )


CONFIRMATION = "delete my tracking data"


@transaction.atomic
def tracking_data_delete(*, acting: Membership, confirmation: str) -> dict[str, int]:
    """The person deletes all their own tracking data, after typing the confirmation phrase."""
    if confirmation.strip().lower() != CONFIRMATION:
        raise ValidationFailed.field(
            "confirmation", f"Type “{CONFIRMATION}” to confirm; nothing was deleted."
        )
    _entries_changed(
        acting.workspace_id, TimeEntry.objects.filter(member=acting).values_list("pk", flat=True)
    )
    _activity_changed(
        acting.workspace_id,
        ActivityDaily.objects.filter(member=acting).values_list("pk", flat=True),
    )
    counts = {
        "time_entries": TimeEntry.objects.filter(member=acting).delete()[0],
        "activity_slots": ActivitySlot.objects.filter(member=acting).delete()[0],
        "daily_rollups": ActivityDaily.objects.filter(member=acting).delete()[0],
        "weekly_rollups": ActivityWeekly.objects.filter(member=acting).delete()[0],
        "access_log": TrackingAccess.objects.filter(subject=acting).delete()[0],
    }
    audit_record(actor=acting, action="tracking.data.delete", obj=acting, data=counts)
    return counts
