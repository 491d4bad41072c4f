"""The tracking API: time entries, the timer, the timesheet, the policy, activity sync (the
contract the local agent calls), reports, the access log, export and delete.

Everyone reads only their own entries; someone else's entry is a 404. A team report that
would reveal fewer than k people is a 403 naming the rule.
"""

from datetime import date, datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone
from ninja import Field, Query, Router, Schema, Status

from meridian.core.errors import TooLarge, ValidationFailed
from meridian.core.moments import local_date
from meridian.core.schemas import Problem
from meridian.tracking import rules, selectors, services
from meridian.tracking.models import CategoryRule, TimeEntry, TrackingPolicy
from meridian.tracking.schemas import (
    ActivitySlotIn,
    ActivitySyncIn,
    ActivitySyncOut,
    ActivitySyncRawIn,
    CategoryRuleIn,
    CategoryRuleOut,
    CategoryRulePatch,
    FocusCategories,
    PersonalReportOut,
    TeamReportOut,
    TimeEntryIn,
    TimeEntryOut,
    TimeEntryPatch,
    TimeEntryRevisionOut,
    TimerStartIn,
    TimerStateOut,
    TimesheetOut,
    TrackingAccessOut,
    TrackingDeleteIn,
    TrackingDeleteOut,
    TrackingPolicyIn,
    TrackingPolicyOut,
)
from meridian.workspaces.access import ApiRequest, requires
from meridian.workspaces.models import Role

router = Router(tags=["tracking"])
ERRORS: dict[int, Any] = {404: Problem, 409: Problem, 422: Problem}


def entry_out(
    entry: TimeEntry, titles: dict[tuple[str, int], str], now: datetime | None = None
) -> dict[str, Any]:
    now = now or timezone.now()
    end = entry.ended_at or max(now, entry.started_at)
    return {
        "id": entry.pk,
        "start": entry.started_at,
        "end": entry.ended_at,
        "running": entry.ended_at is None,
        "seconds": int((end - entry.started_at).total_seconds()),
        "note": entry.note,
        "tags": entry.tags,
        "link_kind": entry.link_kind or None,
        "link_id": entry.link_id,
        "link_title": titles.get((entry.link_kind, entry.link_id or 0)),
    }


def rule_out(rule: CategoryRule) -> dict[str, Any]:
    return {
        "id": rule.pk,
        "position": rule.position,
        "field": rule.field,
        "pattern": rule.pattern,
        "category": rule.category,
    }


def policy_out(policy: TrackingPolicy, category_rules: list[CategoryRule]) -> dict[str, Any]:
    levels = ["categories"] + (["apps"] if policy.allow_apps else [])
    levels += ["titles"] if policy.allow_titles else []
    return {
        "detail_levels": levels,
        "allow_apps": policy.allow_apps,
        "allow_titles": policy.allow_titles,
        "retention_days": policy.retention_days,
        "min_group_size": policy.min_group_size,
        "individual_visibility": policy.individual_visibility,
        "max_slots_per_sync": rules.MAX_SLOTS,
        "slot_seconds": rules.SLOT_SECONDS,
        # The shape the agent reads (agent/curation.py): [{category, field, pattern}].
        "category_rules": [
            {"category": r.category, "field": r.field, "pattern": r.pattern} for r in category_rules
        ],
    }


def _policy(workspace_id: int) -> dict[str, Any]:
    return policy_out(selectors.policy_for(workspace_id), selectors.category_rules(workspace_id))


def _one(request: ApiRequest, entry: TimeEntry) -> dict[str, Any]:
    return entry_out(entry, selectors.link_titles(request.membership.workspace_id, [entry]))


class RangeQuery(Schema):
    first: date | None = Field(None, description="Your first day (default: 6 days ago).")
    last: date | None = Field(None, description="Your last day (default: today).")


def _range(request: ApiRequest, q: RangeQuery) -> tuple[date, date]:
    today = local_date(timezone.now(), request.membership.profile.time_zone)
    last = q.last or today
    first = q.first or last - timedelta(days=6)
    if last < first or (last - first).days > 366:
        raise ValidationFailed.field("last", "Choose a range of at most a year, first to last.")
    return first, last


# --- Entries and timer --------------------------------------------------------------------------


@router.get("/tracking/entries", response=list[TimeEntryOut], summary="Your time entries")
@requires(Role.GUEST)
def entry_list(request: ApiRequest, q: Query[RangeQuery]) -> list[dict[str, Any]]:
    """Your entries overlapping your days `first` to `last` (at most a year), oldest first."""
    first, last = _range(request, q)
    sheet = selectors.timesheet_for(
        viewer=request.membership,
        days=[first + timedelta(days=i) for i in range((last - first).days + 1)],
    )
    return [entry_out(e, sheet.titles) for e in sheet.entries]


@router.post(
    "/tracking/entries", response={201: TimeEntryOut, **ERRORS}, summary="Add a time entry by hand"
)
@requires(Role.GUEST)
def entry_new(request: ApiRequest, payload: TimeEntryIn) -> Status:
    """Overlapping another of your entries is a 409 naming it, in your own zone."""
    end = payload.end
    if end is None and payload.duration_minutes is not None:
        end = payload.start + timedelta(minutes=payload.duration_minutes)
    if end is None:
        raise ValidationFailed.field("end", "Give an end or a duration_minutes.")
    entry = services.entry_create(
        acting=request.membership,
        start=payload.start,
        end=end,
        note=payload.note,
        tags=payload.tags,
        link_kind=payload.link_kind,
        link_id=payload.link_id,
    )
    return Status(201, _one(request, entry))


@router.get("/tracking/entries/{entry_id}", response={200: TimeEntryOut, **ERRORS})
@requires(Role.GUEST)
def entry_get(request: ApiRequest, entry_id: int) -> dict[str, Any]:
    """One of your entries."""
    return _one(request, selectors.entry_get_for(request.membership, entry_id))


@router.patch("/tracking/entries/{entry_id}", response={200: TimeEntryOut, **ERRORS})
@requires(Role.GUEST)
def entry_edit(request: ApiRequest, entry_id: int, payload: TimeEntryPatch) -> dict[str, Any]:
    """Change an entry; what it said before goes into its history."""
    entry = selectors.entry_get_for(request.membership, entry_id)
    given = payload.model_dump(exclude_unset=True)
    kwargs: dict[str, Any] = {
        k: given[k] for k in ("start", "note", "tags", "link_kind") if k in given
    }
    for k in ("end", "link_id"):
        if k in given:
            kwargs[k] = given[k]
    entry = services.entry_update(acting=request.membership, entry=entry, **kwargs)
    return _one(request, entry)


@router.delete("/tracking/entries/{entry_id}", response={204: None, **ERRORS})
@requires(Role.GUEST)
def entry_remove(request: ApiRequest, entry_id: int) -> Status:
    """Delete one of your entries."""
    services.entry_delete(
        acting=request.membership, entry=selectors.entry_get_for(request.membership, entry_id)
    )
    return Status(204, None)


@router.get(
    "/tracking/entries/{entry_id}/history", response={200: list[TimeEntryRevisionOut], **ERRORS}
)
@requires(Role.GUEST)
def entry_history(request: ApiRequest, entry_id: int) -> list[dict[str, Any]]:
    """What the entry said before each edit, newest first."""
    entry = selectors.entry_get_for(request.membership, entry_id)
    revisions = selectors.revisions_for(viewer=request.membership, entry=entry).select_related(
        "editor__profile"
    )
    return [
        {
            "at": r.at,
            "editor": r.editor.profile.display_name if r.editor else None,
            "before": r.before,
        }
        for r in revisions
    ]


@router.get("/tracking/timer", response=TimerStateOut, summary="Your timer")
@requires(Role.GUEST)
def timer_get(request: ApiRequest) -> dict[str, Any]:
    running = selectors.timer_for(viewer=request.membership)
    return {"running": _one(request, running) if running else None}


@router.post(
    "/tracking/timer/start", response={201: TimeEntryOut, **ERRORS}, summary="Start the timer"
)
@requires(Role.GUEST)
def timer_start(request: ApiRequest, payload: TimerStartIn) -> Status:
    """Starts your timer now; a timer already running is stopped first (its entry ends now)."""
    entry = services.timer_start(
        acting=request.membership,
        note=payload.note,
        tags=payload.tags,
        link_kind=payload.link_kind,
        link_id=payload.link_id,
    )
    return Status(201, _one(request, entry))


@router.post(
    "/tracking/timer/stop", response={200: TimeEntryOut, **ERRORS}, summary="Stop the timer"
)
@requires(Role.GUEST)
def timer_stop(request: ApiRequest) -> dict[str, Any]:
    """Stops your running timer; 409 when none runs."""
    return _one(request, services.timer_stop(acting=request.membership))


class WeekQuery(Schema):
    day: date | None = Field(None, description="Any day of the week (default: today).")
    span: str = Field("week", pattern="^(week|day)$", description="week or day")


@router.get("/tracking/timesheet", response={200: TimesheetOut, **ERRORS})
@requires(Role.GUEST)
def timesheet(request: ApiRequest, q: Query[WeekQuery]) -> dict[str, Any]:
    """Your tracked seconds per day of a week (Monday to Sunday) or one day, in your zone."""
    day = q.day or local_date(timezone.now(), request.membership.profile.time_zone)
    days = rules.week_days(day) if q.span == "week" else [day]
    sheet = selectors.timesheet_for(viewer=request.membership, days=days)
    return {
        "zone": sheet.zone,
        "days": [{"day": d, "seconds": sheet.per_day[d]} for d in days],
        "total_seconds": sheet.total,
        "entries": [entry_out(e, sheet.titles) for e in sheet.entries],
    }


# --- Policy and sync ------------------------------------------------------------------------------


@router.get(
    "/activity/policy", response=TrackingPolicyOut, summary="The workspace's tracking policy"
)
@requires(Role.GUEST)
def policy_get(request: ApiRequest) -> dict[str, Any]:
    """What an agent may send, how long raw slots stay, k, and who sees individual figures."""
    return _policy(request.membership.workspace_id)


@router.put(
    "/activity/policy", response={200: TrackingPolicyOut, **ERRORS}, summary="Set the policy"
)
@requires(Role.ADMIN)
def policy_put(request: ApiRequest, payload: TrackingPolicyIn) -> dict[str, Any]:
    """Admins only."""
    services.policy_update(acting=request.membership, **payload.model_dump())
    return _policy(request.membership.workspace_id)


@router.get(
    "/activity/category-rules",
    response=list[CategoryRuleOut],
    summary="The workspace's category rules",
)
@requires(Role.GUEST)
def category_rule_list(request: ApiRequest) -> list[dict[str, Any]]:
    """In the order the agents try them, after each person's own relabels."""
    return [rule_out(r) for r in selectors.category_rules(request.membership.workspace_id)]


@router.get(
    "/activity/focus-categories",
    response=FocusCategories,
    summary="The categories counted as focus time",
)
@requires(Role.GUEST)
def focus_category_list(request: ApiRequest) -> dict[str, Any]:
    """What the "Hours in focus categories" metric counts."""
    return {"names": selectors.focus_categories(request.membership.workspace_id)}


@router.put(
    "/activity/focus-categories",
    response={200: FocusCategories, **ERRORS},
    summary="Set the categories counted as focus time",
)
@requires(Role.ADMIN)
def focus_category_set(request: ApiRequest, payload: FocusCategories) -> dict[str, Any]:
    """Admins only; replaces the list. A name over 100 characters or more than 50 names is a
    422 naming ``names``."""
    names = services.focus_categories_set(acting=request.membership, names=payload.names)
    return {"names": names}


@router.post(
    "/activity/category-rules",
    response={201: CategoryRuleOut, **ERRORS},
    summary="Add a category rule",
)
@requires(Role.ADMIN)
def category_rule_new(request: ApiRequest, payload: CategoryRuleIn) -> Status:
    """Admins only. A pattern that does not compile, is longer than 200 characters or repeats a
    repetition (as in ``(a+)+``) is a 422 naming ``pattern``."""
    rule = services.category_rule_create(acting=request.membership, **payload.model_dump())
    return Status(201, rule_out(rule))


@router.get("/activity/category-rules/{rule_id}", response={200: CategoryRuleOut, **ERRORS})
@requires(Role.GUEST)
def category_rule_one(request: ApiRequest, rule_id: int) -> dict[str, Any]:
    return rule_out(selectors.category_rule_get(request.membership.workspace_id, rule_id))


@router.patch(
    "/activity/category-rules/{rule_id}",
    response={200: CategoryRuleOut, **ERRORS},
    summary="Change or move a category rule",
)
@requires(Role.ADMIN)
def category_rule_edit(request: ApiRequest, rule_id: int, payload: CategoryRulePatch) -> Any:
    """Admins only; fields left out stay as they are."""
    acting = request.membership
    rule = selectors.category_rule_get(acting.workspace_id, rule_id)
    with transaction.atomic():
        if {"field", "pattern", "category"} & payload.model_fields_set:
            rule = services.category_rule_update(
                acting=acting,
                rule_id=rule_id,
                field=payload.field or rule.field,
                pattern=rule.pattern if payload.pattern is None else payload.pattern,
                category=rule.category if payload.category is None else payload.category,
            )
        if payload.position is not None:
            rule = services.category_rule_move(
                acting=acting, rule_id=rule_id, position=payload.position
            )
    return rule_out(rule)


@router.delete("/activity/category-rules/{rule_id}", response={204: None, **ERRORS})
@requires(Role.ADMIN)
def category_rule_remove(request: ApiRequest, rule_id: int) -> Status:
    services.category_rule_delete(acting=request.membership, rule_id=rule_id)
    return Status(204, None)


def _sync_body_schema() -> dict[str, Any]:
    schema = ActivitySyncIn.model_json_schema()
    schema.pop("$defs", None)
    schema["properties"]["slots"]["items"] = ActivitySlotIn.model_json_schema()
    schema["properties"]["slots"]["maxItems"] = rules.MAX_SLOTS
    return schema


@router.post(
    "/activity/sync",
    response={200: ActivitySyncOut, 413: Problem, **ERRORS},
    summary="Sync activity slots from the agent",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": _sync_body_schema()}},
        }
    },
)
@requires(Role.GUEST)
def activity_sync(request: ApiRequest, payload: ActivitySyncRawIn) -> dict[str, Any]:
    """Upsert up to 5,000 slots; a slot sent again replaces its figures (never adds up).

    A slot is keyed by (you, agent_id, start, category, app, title): each of your computers
    keeps its own slots. App names and titles the policy does
    not allow are dropped and counted in `dropped_detail`; slots older than the retention period
    are ignored (`expired`). A slot that is wrong is a 422 naming its index and field, e.g.
    `slots.12.start`, and nothing of the request is stored.
    """
    if len(payload.slots) > rules.MAX_SLOTS:
        raise TooLarge(
            f"A sync carries at most {rules.MAX_SLOTS} slots; this one has "
            f"{len(payload.slots)}. Send them in several requests.",
            {"slots": [f"At most {rules.MAX_SLOTS} slots per request."]},
        )
    slots, index, field, message = rules.parse_slots(payload.slots)
    if index >= 0:
        where = f"slots.{index}.{field}" if field else f"slots.{index}"
        raise ValidationFailed(f"{where}: {message}", {where: [message]})
    result = services.activity_sync(
        acting=request.membership, agent_id=payload.agent_id, slots=slots
    )
    return {
        "accepted": result.accepted,
        "replaced": result.replaced,
        "dropped_detail": result.dropped_detail,
        "expired": result.expired,
        "policy": _policy(request.membership.workspace_id),
    }


# --- Reports, transparency --------------------------------------------------------------------------


def _personal(request: ApiRequest, subject_id: int, q: RangeQuery) -> dict[str, Any]:
    viewer = request.membership
    subject = selectors.subject_get_for(viewer, subject_id)
    first, last = _range(request, q)
    report = selectors.personal_report(subject=subject, first=first, last=last)
    services.access_record(viewer=viewer, subject=subject, what=f"report {first} to {last} (API)")
    rows = lambda rs: [{"label": r.label, "seconds": r.seconds} for r in rs]  # noqa: E731
    return {
        "member_id": subject.pk,
        "first": first,
        "last": last,
        "zone": report.zone,
        "by_project": rows(report.by_project),
        "by_task": rows(report.by_task),
        "by_category": rows(report.by_category),
        "by_day": rows(report.by_day),
        "tracked_seconds": report.tracked_seconds,
        "outside_working_hours_seconds": report.outside_seconds
        if subject.pk == viewer.pk
        else None,
    }


@router.get("/tracking/reports/me", response={200: PersonalReportOut, **ERRORS})
@requires(Role.GUEST)
def report_me(request: ApiRequest, q: Query[RangeQuery]) -> dict[str, Any]:
    """Your time by project, task, category and day, and how much lay outside your hours."""
    return _personal(request, request.membership.pk, q)


@router.get(
    "/tracking/reports/members/{member_id}",
    response={200: PersonalReportOut, 403: Problem, **ERRORS},
)
@requires(Role.GUEST)
def report_member(request: ApiRequest, member_id: int, q: Query[RangeQuery]) -> dict[str, Any]:
    """Someone's individual figures, when the policy lets you; the read is shown to them."""
    return _personal(request, member_id, q)


class TeamQuery(RangeQuery):
    team: str = Field("", max_length=50, description="A team's slug; empty for everyone.")


@router.get("/tracking/reports/team", response={200: TeamReportOut, 403: Problem, **ERRORS})
@requires(Role.MEMBER)
def report_team(request: ApiRequest, q: Query[TeamQuery]) -> dict[str, Any]:
    """A group's time by category and project; rows of fewer than k people are suppressed."""
    first, last = _range(request, q)
    report = selectors.team_report(viewer=request.membership, team=q.team, first=first, last=last)
    rows = lambda rs: [  # noqa: E731
        {"label": r.label, "seconds": r.seconds, "people": r.people} for r in rs
    ]
    return {
        "group": report.group,
        "first": first,
        "last": last,
        "size": report.size,
        "k": report.k,
        "by_category": rows(report.by_category),
        "by_project": rows(report.by_project),
        "suppressed": report.suppressed,
    }


@router.get(
    "/tracking/access-log", response=list[TrackingAccessOut], summary="Who read your figures"
)
@requires(Role.GUEST)
def access_log(request: ApiRequest) -> list[dict[str, Any]]:
    """Every read of your individual figures by someone else, newest first (at most 500)."""
    return [
        {"viewer": a.viewer_name, "at": a.at, "what": a.what}
        for a in selectors.access_log_for(viewer=request.membership)[:500]
    ]


@router.get("/tracking/export", summary="All your tracking data as JSON")
@requires(Role.GUEST)
def export(request: ApiRequest) -> dict[str, Any]:
    """Your entries, their history, your synced slots, daily rollups and access log."""
    return selectors.export_for(viewer=request.membership)


@router.post(
    "/tracking/delete", response={200: TrackingDeleteOut, **ERRORS}, summary="Delete your data"
)
@requires(Role.GUEST)
def delete(request: ApiRequest, payload: TrackingDeleteIn) -> dict[str, Any]:
    """Deletes all your tracking data; `confirmation` must read "delete my tracking data"."""
    return {
        "deleted": services.tracking_data_delete(
            acting=request.membership, confirmation=payload.confirmation
        )
    }
