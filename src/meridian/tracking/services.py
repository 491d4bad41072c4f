"""Writes of the tracking area: timers, time entries, the policy and its category rules,
retention, the access log, and a person's export and deletion of their own tracking data.

Sync ingest lives in ``tracking.ingest``; its entry points are re-exported here."""

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from meridian.core import registry
from meridian.core.errors import Conflict, FieldErrors, NotFound, ValidationFailed
from meridian.core.facts import facts_stale
from meridian.core.moments import moment_text
from meridian.core.services import audit_record
from meridian.tracking import rules
from meridian.tracking.ingest import SlotIn as SlotIn
from meridian.tracking.ingest import SyncResult as SyncResult
from meridian.tracking.ingest import activity_sync as activity_sync
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


# --- Sync ingest (in ``tracking.ingest``) and retention ------------------------------------


def slots_expire(*, workspace_id: int, now: datetime) -> int:
    """Delete a workspace's raw slots older than its retention; the daily rollups remain."""
    policy = policy_for(workspace_id)
    cutoff = now - timedelta(days=policy.retention_days)
    # Through the workspace's members: the slot's key (member, start, ...) is its only index.
    members = Membership.objects.filter(workspace_id=workspace_id).values("pk")
    deleted, _ = ActivitySlot.objects.filter(
        workspace_id=workspace_id, member_id__in=members, start__lt=cutoff
    ).delete()
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
